-- The reporter's conflict-of-interest exclusions, sealed to the case key
-- (an age file of the JSON list of excluded user ids), one row for every
-- case submitted from this version on, so a row's presence says nothing.
-- Rows of the plaintext `case_exclusions` table are sealed and deleted by
-- the service at start-up (`core::exclusions::seal_plaintext`): a migration
-- cannot encrypt. The table stays, empty, for older binaries' rows.
CREATE TABLE case_sealed_exclusions (
    case_id TEXT PRIMARY KEY NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    sealed BYTEA NOT NULL
);

-- Reporter audit entries waiting to join the hash chain (SPEC §3.5: no
-- record places a reporter's action more precisely than the day). Written
-- in the same transaction as the action they record; the scheduler appends
-- each finished day's entries to the chain together, in random order, and
-- deletes them here, so a reporter's entry never sits between two timed
-- staff entries of its own day. The random key keeps no order of arrival.
CREATE TABLE audit_queue (
    id TEXT PRIMARY KEY NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    case_id TEXT NULL,
    detail TEXT NOT NULL
);
