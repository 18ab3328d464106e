-- The outbox sends a conversation's messages in the order they were queued: a long
-- reply split in parts, or a reply after a retried one, must not overtake. Rows created
-- in the same millisecond (a fixed clock, one split reply) need more than created_ms.
ALTER TABLE outbox ADD COLUMN position BIGINT NOT NULL DEFAULT 0;  -- per conversation, 1, 2, …
CREATE INDEX outbox_conversation ON outbox (conversation_id, position);
