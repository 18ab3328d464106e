-- Notices: what Verity tells a person first when the truth about their order changes
-- (a contradiction opens, a promise falls due unkept). One row per order, contradiction
-- code, evidence fingerprint and person: the same story re-ingested inserts nothing (the
-- unique key), a changed story (other evidence) is a new notice.
CREATE TABLE notices (
    id             TEXT PRIMARY KEY,
    order_number   TEXT NOT NULL,
    code           TEXT NOT NULL,    -- the contradiction code
    fingerprint    TEXT NOT NULL,    -- SHA-256 of code, shipment and sorted evidence ids
    person         TEXT NOT NULL,    -- the customer id it is for
    channel        TEXT NOT NULL,    -- email | whatsapp | messenger | none
    locale         TEXT NOT NULL,    -- de | en
    status         TEXT NOT NULL,    -- queued | held | suppressed | unreachable
    reason         TEXT,             -- why held, suppressed or unreachable
    outbox_id      TEXT,             -- the outbox row carrying it (queued only)
    send_after_ms  BIGINT NOT NULL,  -- after the quiet hours
    created_ms     BIGINT NOT NULL,
    UNIQUE (order_number, code, fingerprint, person)
);
-- The daily cap counts a person's recent notices; staff read an order's.
CREATE INDEX notices_person ON notices (person, created_ms);
CREATE INDEX notices_order ON notices (order_number, created_ms);

-- People who asked for no more notices ("STOP", the unsubscribe link), on any channel.
CREATE TABLE notice_optouts (
    person      TEXT PRIMARY KEY,    -- customer id
    channel     TEXT NOT NULL,       -- where they asked: email | whatsapp | messenger | web
    created_ms  BIGINT NOT NULL
);

-- Orders whose notices staff hold: new notices are stored as `held` and not sent.
CREATE TABLE notice_holds (
    order_number  TEXT PRIMARY KEY,
    staff_id      TEXT,
    created_ms    BIGINT NOT NULL
);

-- The time sweep reads the orders placed within its window.
CREATE INDEX orders_placed ON orders (placed_ms);
