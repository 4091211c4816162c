-- One row whose version rises in the same transaction as any write to what
-- instances cache across requests: users and their groups, groups, routing
-- rules and settings. An instance compares the version it loaded its cache
-- at with this row (at most every few hundred milliseconds) and reloads when
-- it changed, so a change made through one instance reaches the others.
-- Triggers keep it exact for every writer, including the CLI and older code.

CREATE TABLE cache_version (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO cache_version (id, version) VALUES (1, 1);

CREATE FUNCTION bump_cache_version() RETURNS trigger AS $$
BEGIN
    UPDATE cache_version SET version = version + 1 WHERE id = 1;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER cache_users AFTER INSERT OR UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION bump_cache_version();
CREATE TRIGGER cache_user_groups AFTER INSERT OR UPDATE OR DELETE ON user_groups
    FOR EACH ROW EXECUTE FUNCTION bump_cache_version();
CREATE TRIGGER cache_staff_groups AFTER INSERT OR UPDATE OR DELETE ON staff_groups
    FOR EACH ROW EXECUTE FUNCTION bump_cache_version();
CREATE TRIGGER cache_rules AFTER INSERT OR UPDATE OR DELETE ON routing_rules
    FOR EACH ROW EXECUTE FUNCTION bump_cache_version();
CREATE TRIGGER cache_rule_groups AFTER INSERT OR UPDATE OR DELETE ON routing_rule_groups
    FOR EACH ROW EXECUTE FUNCTION bump_cache_version();
CREATE TRIGGER cache_settings AFTER INSERT OR UPDATE OR DELETE ON settings
    FOR EACH ROW EXECUTE FUNCTION bump_cache_version();
