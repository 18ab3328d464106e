-- The unprocessed webhook deliveries in the order the inbox claims them (oldest
-- first): a claim reads the first few entries of this index instead of every
-- unprocessed row, sorted, however long the backlog has grown. Processed rows leave it.
CREATE INDEX webhook_deliveries_unprocessed
    ON webhook_deliveries (received_ms, id) WHERE processed_ms IS NULL;
