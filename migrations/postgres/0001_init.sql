-- Verity's truth store, PostgreSQL edition. Keep in step with ../sqlite/0001_init.sql:
-- the same tables, columns and meanings; only types and auto-increment differ.
-- Conventions: times are BIGINT milliseconds since the Unix epoch (UTC), suffixed _ms;
-- money is BIGINT cents; flags are BIGINT 0/1 (sqlx's Any driver decodes them alike on
-- both engines); JSON is TEXT.

-- The shop's customers (upserted by ingest).
CREATE TABLE customers (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    email       TEXT,            -- lower-cased, for verification by email
    phone       TEXT,            -- E.164, for WhatsApp verification
    locale      TEXT NOT NULL,   -- de | en
    updated_ms  BIGINT NOT NULL
);
CREATE INDEX customers_email ON customers (email);
CREATE INDEX customers_phone ON customers (phone);

-- A sender on a channel (WhatsApp wa_id, Messenger PSID, web session) linked to a
-- customer once verified: one customer across channels.
CREATE TABLE channel_identities (
    channel      TEXT NOT NULL,  -- web | whatsapp | messenger
    external_id  TEXT NOT NULL,
    customer_id  TEXT NOT NULL,
    linked_ms    BIGINT NOT NULL,
    PRIMARY KEY (channel, external_id)
);
CREATE INDEX channel_identities_customer ON channel_identities (customer_id);

-- Orders (upserted). placed_at keeps the offset the shop sent; placed_ms orders them.
CREATE TABLE orders (
    number        TEXT PRIMARY KEY,
    customer_id   TEXT NOT NULL,
    placed_at     TEXT NOT NULL,   -- RFC 3339 as received
    placed_ms     BIGINT NOT NULL,
    currency      TEXT NOT NULL,
    total_cents   BIGINT NOT NULL,
    ship_name     TEXT NOT NULL,
    ship_street   TEXT NOT NULL,
    ship_postcode TEXT NOT NULL,   -- used with the order number to verify a web customer
    ship_city     TEXT NOT NULL,
    ship_country  TEXT NOT NULL,
    updated_ms    BIGINT NOT NULL
);
CREATE INDEX orders_customer ON orders (customer_id, placed_ms);

-- Order lines, replaced as a whole when the order is upserted.
CREATE TABLE order_lines (
    order_number      TEXT NOT NULL,
    line_no           BIGINT NOT NULL,
    sku               TEXT NOT NULL,
    name              TEXT NOT NULL,
    qty               BIGINT NOT NULL,
    unit_price_cents  BIGINT NOT NULL,
    PRIMARY KEY (order_number, line_no)
);

-- Shipments (upserted): originals, replacements and returns of an order.
CREATE TABLE shipments (
    tracking_number  TEXT PRIMARY KEY,
    carrier          TEXT NOT NULL,
    order_number     TEXT NOT NULL,
    kind             TEXT NOT NULL,   -- original | replacement | return
    skus             TEXT NOT NULL,   -- JSON array of SKUs
    address          TEXT,            -- JSON address; NULL = the order's shipping address
    updated_ms       BIGINT NOT NULL
);
CREATE INDEX shipments_order ON shipments (order_number);

-- The append-only event log. An event is linked to its shipment and order by number,
-- so events that arrive before their shipment are linked when it arrives.
CREATE TABLE events (
    id               TEXT PRIMARY KEY,   -- the source's id; sending it again is a no-op
    type             TEXT NOT NULL,      -- tracking_scan | driver_report | order_event | notification_sent | customer_report
    tracking_number  TEXT,
    order_number     TEXT,
    occurred_ms      BIGINT NOT NULL,    -- when it happened (reconciliation orders by this)
    recorded_ms      BIGINT NOT NULL,    -- when Verity stored it
    content_hash     TEXT NOT NULL,      -- of the canonical JSON: same id, other hash = conflict
    body             TEXT NOT NULL       -- canonical JSON in the ingestion format
);
CREATE INDEX events_tracking ON events (tracking_number) WHERE tracking_number IS NOT NULL;
-- Partial: carrier scans name no order, and need no entry here.
CREATE INDEX events_order ON events (order_number) WHERE order_number IS NOT NULL;

-- Cases: the remedies set in motion (callback, redelivery, replacement, investigation,
-- return_label, handoff) that staff work on.
CREATE TABLE cases (
    id                  TEXT PRIMARY KEY,
    kind                TEXT NOT NULL,
    status              TEXT NOT NULL,   -- open | in_progress | done | declined | cancelled
    customer_id         TEXT,
    order_number        TEXT,
    tracking_number     TEXT,
    conversation_id     TEXT,
    contradiction_code  TEXT,            -- the contradiction that led to it, if any
    claim_key           TEXT NOT NULL UNIQUE, -- idempotency: one claim never yields two cases
    details             TEXT NOT NULL,   -- JSON: slot, reason, what the customer was told
    due_ms              BIGINT,          -- callback slot start, promise due time
    created_ms          BIGINT NOT NULL,
    updated_ms          BIGINT NOT NULL,
    resolved_by         TEXT,            -- staff user id
    resolution_note     TEXT
);
CREATE INDEX cases_status ON cases (status, kind, due_ms);
CREATE INDEX cases_customer ON cases (customer_id);
CREATE INDEX cases_order ON cases (order_number);

-- Conversations on any channel.
CREATE TABLE conversations (
    id                    TEXT PRIMARY KEY,
    channel               TEXT NOT NULL,   -- web | whatsapp | messenger
    external_id           TEXT,            -- wa_id / PSID; NULL for web
    token_hash            TEXT,            -- web: SHA-256 of the session token
    customer_id           TEXT,            -- set once verified
    language              TEXT NOT NULL,
    failed_verifications  BIGINT NOT NULL DEFAULT 0,
    locked_until_ms       BIGINT,          -- verification lockout
    taken_over_by         TEXT,            -- staff user id while staff answer
    state                 TEXT NOT NULL,   -- JSON: pending proposal, last order discussed, …
    created_ms            BIGINT NOT NULL,
    last_inbound_ms       BIGINT,          -- for WhatsApp's 24-hour window
    updated_ms            BIGINT NOT NULL
);
CREATE INDEX conversations_customer ON conversations (customer_id);
CREATE INDEX conversations_external ON conversations (channel, external_id);
CREATE INDEX conversations_updated ON conversations (updated_ms);

-- Messages of a conversation, with what the bot did to produce each reply.
CREATE TABLE messages (
    id                  TEXT PRIMARY KEY,
    conversation_id     TEXT NOT NULL,
    seq                 BIGINT NOT NULL,
    role                TEXT NOT NULL,   -- customer | bot | staff | system
    text                TEXT NOT NULL,
    action              TEXT,            -- the suggested action a customer pressed
    actions             TEXT,            -- JSON: suggested actions offered with a reply
    tool_calls          TEXT,            -- JSON: name, arguments, result, duration
    grounding           TEXT,            -- JSON: the grounding check's verdict
    engine_stats        TEXT,            -- JSON: model calls, tokens, latency
    channel_message_id  TEXT UNIQUE,     -- wamid / mid: deduplicates redeliveries
    author              TEXT,            -- staff user id for staff messages
    created_ms          BIGINT NOT NULL,
    UNIQUE (conversation_id, seq)
);

-- Support staff accounts for the console.
CREATE TABLE staff_users (
    id              TEXT PRIMARY KEY,
    email           TEXT NOT NULL UNIQUE,
    password_hash   TEXT NOT NULL,    -- argon2 PHC string
    role            TEXT NOT NULL,    -- agent | admin
    failed_logins   BIGINT NOT NULL DEFAULT 0,
    locked_until_ms BIGINT,
    created_ms      BIGINT NOT NULL
);

-- Console sessions; only a hash of the cookie value is stored.
CREATE TABLE staff_sessions (
    token_hash  TEXT PRIMARY KEY,
    staff_id    TEXT NOT NULL,
    csrf_token  TEXT NOT NULL,
    created_ms  BIGINT NOT NULL,
    expires_ms  BIGINT NOT NULL
);

-- Who viewed and did what (staff, ingest, the bot).
CREATE TABLE audit_log (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at_ms       BIGINT NOT NULL,
    actor       TEXT NOT NULL,   -- staff:<id> | ingest | bot | system
    action      TEXT NOT NULL,
    subject     TEXT,            -- e.g. conversation:<id>, case:<id>
    details     TEXT             -- JSON, never message texts, phones, emails or tokens
);
CREATE INDEX audit_log_at ON audit_log (at_ms);

-- The durable outbox: every outbound channel message goes through it.
CREATE TABLE outbox (
    id                   TEXT PRIMARY KEY,
    conversation_id      TEXT NOT NULL,
    message_id           TEXT,            -- the stored message it carries
    channel              TEXT NOT NULL,
    recipient            TEXT NOT NULL,   -- wa_id / PSID
    payload              TEXT NOT NULL,   -- JSON body for the Graph API
    status               TEXT NOT NULL,   -- pending | sent | delivered | read | failed | dead
    attempts             BIGINT NOT NULL DEFAULT 0,
    next_attempt_ms      BIGINT NOT NULL,
    provider_message_id  TEXT,            -- wamid / mid returned by the Graph API
    last_error           TEXT,
    created_ms           BIGINT NOT NULL,
    updated_ms           BIGINT NOT NULL
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_ms);
CREATE INDEX outbox_provider ON outbox (provider_message_id);

-- Raw webhook deliveries, stored before anything else happens.
CREATE TABLE webhook_deliveries (
    id            TEXT PRIMARY KEY,
    channel       TEXT NOT NULL,
    received_ms   BIGINT NOT NULL,
    body          TEXT NOT NULL,
    processed_ms  BIGINT,
    error         TEXT
);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (processed_ms);
