-- Sessions, shared by every instance on the database (issue 9).
--
-- A row is keyed by the session's lookup key, a one-way function (HKDF) of
-- the secret the client holds in its cookie or bearer token; the secret
-- itself is never stored. The identity the session unlocked (a staff
-- member's key, or a reporter's case key) is kept only sealed under a key
-- derived from that secret, so the row alone opens nothing.
--
-- kind: 'staff' (user_id set) or 'reporter' (case_id set). Times are UNIX
-- seconds. ends_at = min(last_seen + idle_seconds, expires_at) is kept up to
-- date on every write, so expiry is one indexed comparison.

CREATE TABLE sessions (
    lookup_key BLOB PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    user_id TEXT REFERENCES users(id) ON DELETE CASCADE,
    case_id TEXT REFERENCES cases(id) ON DELETE CASCADE,
    api BOOLEAN NOT NULL,
    sealed_identity BLOB NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    idle_seconds BIGINT NOT NULL,
    expires_at BIGINT,
    ends_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_case ON sessions (case_id);
CREATE INDEX sessions_ends_at ON sessions (ends_at);
