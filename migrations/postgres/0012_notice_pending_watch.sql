-- Notices after ingestion and the time sweep, by indexes.
--
-- The orders an ingestion touched whose notices are not decided yet: written in the
-- ingestion's own transaction (so a crash after the answer loses nothing), removed in
-- the transaction that stores the notices. `mark` is the ingestion's: a row re-marked
-- by a later ingestion while its notices were being decided stays for another pass.
CREATE TABLE notice_pending (
    order_number  TEXT PRIMARY KEY,
    mark          TEXT NOT NULL,
    marked_ms     BIGINT NOT NULL
);

-- The orders whose truth can change with time alone (a shipment not in a final state,
-- a promise not kept yet), kept by the notices as they reconcile: the sweep reads those
-- placed within its window by `notice_watch_placed`, not every order.
CREATE TABLE notice_watch (
    order_number  TEXT PRIMARY KEY,
    placed_ms     BIGINT NOT NULL
);
CREATE INDEX notice_watch_placed ON notice_watch (placed_ms);

-- What the sweep read before: every order with a shipment. The first sweep keeps those
-- that can still change.
INSERT INTO notice_watch (order_number, placed_ms)
SELECT o.number, o.placed_ms FROM orders o
WHERE EXISTS (SELECT 1 FROM shipments s WHERE s.order_number = o.number);
