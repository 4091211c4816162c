-- Run as the owner role after the first `varsel migrate` (see roles.sql):
-- the app role may add entries to the hash-chained audit log but never
-- change or remove one, so even a compromised service cannot rewrite
-- history; `varsel audit verify` checks what is there.
--
-- DELETE and TRUNCATE are revoked. UPDATE cannot be: appenders serialise on
-- `LOCK TABLE audit_log IN EXCLUSIVE MODE`, which PostgreSQL grants only
-- to a role with UPDATE, DELETE or TRUNCATE on the table. So a trigger of
-- the owner's refuses every UPDATE instead (the app role, not owning the
-- table, can neither drop nor disable it).
\set ON_ERROR_STOP 1
SELECT format('REVOKE DELETE, TRUNCATE ON varsel.audit_log FROM %I', :'app') \gexec

CREATE OR REPLACE FUNCTION varsel.audit_log_is_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'permission denied: the audit log is append-only'
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
DROP TRIGGER IF EXISTS audit_log_append_only ON varsel.audit_log;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON varsel.audit_log
    FOR EACH ROW EXECUTE FUNCTION varsel.audit_log_is_append_only();
