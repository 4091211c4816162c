-- Account lifecycle (issue 11): when an account was deactivated. NULL for
-- an active account and for one deactivated before this migration (its
-- `active` flag says so; the audit log has the time).
ALTER TABLE users ADD COLUMN deactivated_at BIGINT NULL;
