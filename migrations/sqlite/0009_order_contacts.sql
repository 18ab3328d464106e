-- Contacts: the people an order affects besides its customer (`contacts` on an order
-- record: one person orders, several wait for the delivery). One row per order and
-- contact key (the contact's email, else their phone): re-ingesting the order upserts
-- by it, and a contact the record no longer names is removed.
CREATE TABLE order_contacts (
    order_number  TEXT NOT NULL,
    contact_key   TEXT NOT NULL,     -- the email (lower case), else the phone (E.164)
    person_id     TEXT NOT NULL,     -- `contact~` + hash of order and key: the person in
                                     -- conversations, notices, opt-outs and links; never a
                                     -- customer id (`~` is not allowed in those)
    name          TEXT NOT NULL,
    email         TEXT,
    phone         TEXT,
    role          TEXT NOT NULL,     -- orderer | recipient | stakeholder
    locale        TEXT NOT NULL,     -- de | en
    position      BIGINT NOT NULL,   -- the order in which the record names them
    updated_ms    BIGINT NOT NULL,
    PRIMARY KEY (order_number, contact_key)
);
-- A verified contact's conversation, notice or link names the person id.
CREATE UNIQUE INDEX order_contacts_person ON order_contacts (person_id);
