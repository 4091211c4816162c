-- Escalation decisions and case closing (SPEC §4).
--
-- Each row of escalation_decisions is one contact point's decision about one
-- authority. The rationale is an age v1 file sealed to the case; everything
-- else is a stable key, a time (UNIX seconds) or a short plaintext reference
-- the authority gave (such as a police case number), so the register can be
-- listed without any case key.
--
-- Closing is a row of case_closures rather than columns on cases, so that a
-- case closed, reopened and closed again keeps each outcome, evaluation and
-- reopening reason. The current closure is the latest row whose reopened_at
-- is NULL; cases.status says whether the case is closed. Evaluation and
-- reopening reason are age v1 files sealed to the case.

CREATE TABLE escalation_decisions (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    authority TEXT NOT NULL,
    decision TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    rationale BLOB NOT NULL,
    aware_at BIGINT NOT NULL,
    decided_at BIGINT NOT NULL,
    notified_at BIGINT NULL,
    decided_by TEXT NOT NULL REFERENCES users(id),
    authority_reference TEXT NULL,
    confirmed_by TEXT NULL REFERENCES users(id),
    confirmed_at BIGINT NULL,
    recorded_at BIGINT NOT NULL
);
CREATE INDEX escalation_decisions_case ON escalation_decisions (case_id);

CREATE TABLE case_closures (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    closed_at BIGINT NOT NULL,
    closed_by TEXT NOT NULL REFERENCES users(id),
    outcome TEXT NOT NULL,
    evaluation BLOB NOT NULL,
    reopened_at BIGINT NULL,
    reopened_by TEXT NULL REFERENCES users(id),
    reopen_reason BLOB NULL
);
CREATE INDEX case_closures_case ON case_closures (case_id);
