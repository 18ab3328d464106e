-- The sweep looks at a watched order when its truth can next change with time alone
-- (`wake_ms`: the earliest instant a clock rule can turn, at most an hour ahead), read
-- by `notice_watch_wake`, instead of re-reconciling every watched order each minute.
-- Rows from before are due at once; their next decision sets their time.
ALTER TABLE notice_watch ADD COLUMN wake_ms BIGINT NOT NULL DEFAULT 0;
CREATE INDEX notice_watch_wake ON notice_watch (wake_ms);
