-- Follow-up of the reporter (SPEC §4, issue 10 item 12).
--
-- messages.kind: 'message' for an ordinary thread message, 'retaliation' for
-- the reporter's report of retaliation (arbeidsmiljøloven § 2 A-4). The kind
-- is metadata the inbox flags; the text stays sealed to the case.
--
-- cases.retaliation_reported_at / retaliation_answered_at: the current
-- retaliation episode. A retaliation report starts an episode (the day
-- only, like every reporter time) unless one is already unanswered; the
-- first staff reply or protective measure after it answers it. The
-- retaliation response deadline runs from the first and is met by the second.
--
-- protection_measures: what staff did to protect the reporter, sealed to the
-- case; visible_to_reporter says whether the reporter's case page shows it.

ALTER TABLE messages ADD COLUMN kind TEXT NOT NULL DEFAULT 'message';
ALTER TABLE cases ADD COLUMN retaliation_reported_at BIGINT NULL;
ALTER TABLE cases ADD COLUMN retaliation_answered_at BIGINT NULL;

CREATE TABLE protection_measures (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    author_user_id TEXT REFERENCES users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    visible_to_reporter BOOLEAN NOT NULL,
    body BYTEA NOT NULL
);
CREATE INDEX protection_measures_case ON protection_measures (case_id, created_at);

-- A change of the retaliation facts marks the stored deadline stale, as the
-- other deadline facts do (migration 0010).
CREATE FUNCTION cases_retaliation_facts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.deadline_rules := NULL;
    RETURN NEW;
END $$;
CREATE TRIGGER cases_retaliation_facts_changed
    BEFORE UPDATE OF retaliation_reported_at, retaliation_answered_at ON cases
    FOR EACH ROW EXECUTE FUNCTION cases_retaliation_facts_changed();
