-- Core schema: accounts, cases, key wraps, messages, attachments.
-- Every piece of case content is an age v1 file (BLOB); times are UNIX seconds,
-- reporter-originated times are truncated to the day (SPEC §3.5).

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    roles TEXT NOT NULL,
    recipient TEXT NOT NULL,
    wrapped_identity BLOB NOT NULL,
    email TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE user_groups (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    group_name TEXT NOT NULL,
    PRIMARY KEY (user_id, group_name)
);

CREATE TABLE settings (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE cases (
    id TEXT PRIMARY KEY NOT NULL,
    lookup_tag BLOB NOT NULL UNIQUE,
    recipient TEXT NOT NULL,
    category TEXT NOT NULL,
    severity TEXT NOT NULL,
    suggested_severity TEXT NOT NULL,
    status TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    acknowledged_at BIGINT,
    updated_at BIGINT NOT NULL,
    reporter_seq BIGINT NOT NULL DEFAULT 1,
    report BLOB NOT NULL
);

CREATE TABLE case_key_wraps (
    case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    holder TEXT NOT NULL,
    user_id TEXT REFERENCES users(id) ON DELETE CASCADE,
    wrapped BLOB NOT NULL,
    PRIMARY KEY (case_id, holder)
);
CREATE INDEX case_key_wraps_user ON case_key_wraps (user_id);

CREATE TABLE case_exclusions (
    case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (case_id, user_id)
);

CREATE TABLE messages (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    author TEXT NOT NULL,
    author_user_id TEXT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    body BLOB NOT NULL,
    UNIQUE (case_id, seq)
);

CREATE TABLE attachments (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    author TEXT NOT NULL,
    name BLOB NOT NULL,
    size BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX attachments_case ON attachments (case_id);

CREATE TABLE case_reads (
    case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    seen_seq BIGINT NOT NULL,
    PRIMARY KEY (case_id, user_id)
);
