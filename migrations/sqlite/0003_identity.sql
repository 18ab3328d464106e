-- Identity (issue 18): an email address alone no longer verifies anyone, and failed
-- verifications are counted in the store, per target and per client, across sessions,
-- channels and instances.

-- How a channel sender was linked to a customer: `phone` (WhatsApp: the sender's
-- number is the customer's phone on file), `order_postcode` or `order_email` (the order
-- number together with the delivery postcode or the account email).
ALTER TABLE channel_identities ADD COLUMN method TEXT NOT NULL DEFAULT 'unknown';

-- Links made before this migration did not record how. A WhatsApp sender whose number
-- is the linked customer's phone on file is verified by it; every other link (every
-- Messenger link, a WhatsApp link made in the chat) may have been made by an email
-- address alone, so it is dropped: the sender verifies once more with the order number.
UPDATE channel_identities SET method = 'phone'
 WHERE channel = 'whatsapp'
   AND EXISTS (SELECT 1 FROM customers c
                WHERE c.id = channel_identities.customer_id
                  AND c.phone = '+' || channel_identities.external_id);
DELETE FROM channel_identities WHERE method = 'unknown';

-- Conversations verified by a verify_customer call that named an email (before this
-- migration an email without a postcode verified on its own) start unverified again.
-- A false positive only asks a customer to verify once more.
UPDATE conversations SET customer_id = NULL
 WHERE customer_id IS NOT NULL
   AND EXISTS (SELECT 1 FROM messages m
                WHERE m.conversation_id = conversations.id
                  AND m.tool_calls LIKE '%"verify_customer"%'
                  AND m.tool_calls LIKE '%"email"%');

-- Failed verifications per key: `order:<NUMBER>`, `email:<address>` (normalized) and
-- `client:<address or channel sender>`. An attempt is counted before it is checked
-- (so parallel sessions cannot all slip in before the count) and uncounted when it
-- succeeds. `handoff:<client>` counts a client's handoffs to staff without verification
-- (a few an hour; never locked).
CREATE TABLE verification_failures (
    key              TEXT PRIMARY KEY,
    failures         BIGINT NOT NULL,          -- counted attempts since first_ms (or the last lock)
    first_ms         BIGINT NOT NULL,          -- the first counted attempt; a day later the count starts over
    lockouts         BIGINT NOT NULL DEFAULT 0, -- locks so far: each lock lasts twice the one before
    locked_until_ms  BIGINT,                   -- no verification for this key before then
    updated_ms       BIGINT NOT NULL
);
CREATE INDEX verification_failures_updated ON verification_failures (updated_ms);
