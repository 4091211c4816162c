-- Triage (SPEC §4): the sub-type a handler files a case under, and the risk
-- as probability (1–5) × consequence (1–5). All optional: a case is received
-- with none of them, and routing does not depend on them.

ALTER TABLE cases ADD COLUMN subtype TEXT NULL;
ALTER TABLE cases ADD COLUMN risk_probability BIGINT NULL;
ALTER TABLE cases ADD COLUMN risk_consequence BIGINT NULL;
