-- Retention by crypto-shredding (SPEC §4, issue 12 item 1; docs/retention.md).
--
-- legal_holds: a contact point keeps a case from being purged. The reason is
-- sealed to the case (it may name an investigation); who and when are not
-- content. Lifting a hold deletes its row (the audit log keeps both steps).
--
-- retained_case_figures and retained_escalations: what statistics count of
-- the purged cases, folded into day-granular counts with no case id and no
-- content before the case is deleted, so that every figure stays the same.
-- received_at is the day of receipt (cases store no finer time);
-- acknowledged_after_days the whole days from receipt to acknowledgement
-- (-1: never acknowledged); feedback the settled outcome of the feedback
-- deadline ('met', 'late', 'overdue', or 'none' when the case had none).

CREATE TABLE legal_holds (
    case_id TEXT PRIMARY KEY NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    placed_by TEXT NOT NULL REFERENCES users(id),
    placed_at BIGINT NOT NULL,
    reason BLOB NOT NULL
);

CREATE TABLE retained_case_figures (
    received_at BIGINT NOT NULL,
    category TEXT NOT NULL,
    severity TEXT NOT NULL,
    acknowledged_after_days BIGINT NOT NULL,
    feedback TEXT NOT NULL,
    cases BIGINT NOT NULL,
    PRIMARY KEY (received_at, category, severity, acknowledged_after_days, feedback)
);

CREATE TABLE retained_escalations (
    decided_day BIGINT NOT NULL,
    authority TEXT NOT NULL,
    decision TEXT NOT NULL,
    decisions BIGINT NOT NULL,
    PRIMARY KEY (decided_day, authority, decision)
);
