-- 0010: internal notes and saved replies of the console (issue 19).

-- What staff write for each other about a conversation (or one of its cases): never sent
-- to the customer, never in the customer's history, the status API or an engine's
-- context (those read `messages`, never this table).
CREATE TABLE staff_notes (
    id              TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    -- The case the note is about, when it is about one (NULL: the conversation).
    case_id         TEXT,
    -- The staff account that wrote it (`staff_users.id`).
    author          TEXT NOT NULL,
    text            TEXT NOT NULL,
    created_ms      BIGINT NOT NULL
);
CREATE INDEX staff_notes_by_conversation ON staff_notes (conversation_id, created_ms);

-- Saved replies staff insert into the reply box, per language; an admin keeps them.
-- `body` may hold placeholders ({{ name }}, {{ order }}) filled from the conversation.
CREATE TABLE saved_replies (
    id          TEXT PRIMARY KEY,
    -- `de` or `en`: offered in conversations in this language.
    language    TEXT NOT NULL,
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_ms  BIGINT NOT NULL,
    updated_ms  BIGINT NOT NULL,
    UNIQUE (language, title)
);
