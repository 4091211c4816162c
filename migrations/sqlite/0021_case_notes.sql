-- Internal notes between handlers (issue 12, the handler's workspace).
--
-- case_notes: a note one staff member leaves for the others who can open
-- the case. The body is an age file sealed to the case key, like a reply;
-- the reporter never sees it (no reporter page or API reads this table).
-- Deleting a case deletes its notes.

CREATE TABLE case_notes (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    author_user_id TEXT REFERENCES users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    body BLOB NOT NULL
);
CREATE INDEX case_notes_case ON case_notes (case_id, created_at);
