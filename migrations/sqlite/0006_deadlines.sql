-- Deadline facts (SPEC §4 "Deadlines") that the status alone cannot give.
--
-- feedback_given_at is the first time a handler marked feedback as given; it
-- stays set if the case later moves on, so the feedback deadline stays met.
-- A case may have its feedback deadline extended once: when, and why. The
-- reason is an age v1 file sealed to the case (it may describe the matter).

ALTER TABLE cases ADD COLUMN feedback_given_at BIGINT NULL;
ALTER TABLE cases ADD COLUMN feedback_extended_at BIGINT NULL;
ALTER TABLE cases ADD COLUMN feedback_extended_by TEXT NULL REFERENCES users(id);
ALTER TABLE cases ADD COLUMN feedback_extension_reason BLOB NULL;

UPDATE cases SET feedback_given_at = updated_at WHERE status = 'feedback_given';
