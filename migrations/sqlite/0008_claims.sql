-- Claims with leases: several `verity serve` share one database (PostgreSQL), and a
-- process may die mid-work. A unit of work belongs to the instance named in
-- `claimed_by` until `lease_until_ms` (wall-clock ms); the owner renews the lease while
-- it works, and once it has run out any instance may take the work over.
ALTER TABLE webhook_deliveries ADD COLUMN claimed_by TEXT;        -- instance id, NULL: never claimed
ALTER TABLE webhook_deliveries ADD COLUMN lease_until_ms BIGINT;  -- the claim ends then unless renewed
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;                    -- the instance sending it (status sending)
ALTER TABLE outbox ADD COLUMN lease_until_ms BIGINT;              -- past it, a `sending` row's outcome is unknown
-- How often a row was sent again after an outcome nobody knows (a timeout, a crash
-- mid-request): at most once, counted as a possible duplicate.
ALTER TABLE outbox ADD COLUMN unknown_resends BIGINT NOT NULL DEFAULT 0;
CREATE INDEX outbox_status ON outbox (status, lease_until_ms);

-- Named locks with an owner and an expiry: `sender:<channel>:<hash>` while one
-- instance processes a sender's message, `turn:<conversation id>` while a turn runs.
CREATE TABLE leases (
    name      TEXT PRIMARY KEY,
    owner     TEXT NOT NULL,     -- instance id
    until_ms  BIGINT NOT NULL    -- wall-clock ms; renewed while the owner works
);
CREATE INDEX leases_owner ON leases (owner);
