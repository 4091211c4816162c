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
