-- The hash-chained audit log (SPEC §3.6): who did what to which case, never
-- case content, never a code, never a reporter's address. Each row commits to
-- the one before it; src/audit.rs gives the hash formula and verifies the chain.
-- Rows are only ever appended, with seq = previous seq + 1 (genesis: seq 1,
-- prev_hash = 32 zero bytes).

CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    case_id TEXT NULL,
    detail TEXT NOT NULL,
    prev_hash BYTEA NOT NULL,
    hash BYTEA NOT NULL
);

CREATE INDEX audit_log_case ON audit_log (case_id);
