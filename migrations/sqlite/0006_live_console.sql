-- 0006: the live console (issue 19).

-- Staff are shown by name in transcripts and the audit log (`verity staff add … --name`);
-- NULL: by their email. Their console language, `de` or `en`; NULL: from the browser's
-- Accept-Language.
ALTER TABLE staff_users ADD COLUMN display_name TEXT;
ALTER TABLE staff_users ADD COLUMN language TEXT;

-- How far each staff member has read each conversation (the number of the last message
-- they saw): the console's unread counts.
CREATE TABLE staff_reads (
    staff_id        TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    seq             BIGINT NOT NULL,
    read_ms         BIGINT NOT NULL,
    PRIMARY KEY (staff_id, conversation_id)
);

-- One open handoff case per conversation. Where there are several, the oldest stays open
-- and the others are done (their claims released, as a closed case's are), then the
-- store keeps it so.
UPDATE cases SET status = 'done',
    resolution_note = 'merged into the older open handoff case of this conversation',
    claim_key = claim_key || '#' || id
WHERE kind = 'handoff' AND status IN ('open', 'in_progress') AND conversation_id IS NOT NULL
  AND EXISTS (SELECT 1 FROM cases o
              WHERE o.kind = 'handoff' AND o.status IN ('open', 'in_progress')
                AND o.conversation_id = cases.conversation_id
                AND (o.created_ms < cases.created_ms
                     OR (o.created_ms = cases.created_ms AND o.id < cases.id)));
CREATE UNIQUE INDEX cases_one_open_handoff ON cases (conversation_id)
    WHERE kind = 'handoff' AND status IN ('open', 'in_progress');
