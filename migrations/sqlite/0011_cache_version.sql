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

CREATE TRIGGER cache_users_insert AFTER INSERT ON users
BEGIN UPDATE cache_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER cache_users_update AFTER UPDATE ON users
BEGIN UPDATE cache_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER cache_users_delete AFTER DELETE ON users
BEGIN UPDATE cache_version SET version = version + 1 WHERE id = 1; END;

CREATE TRIGGER cache_user_groups_insert AFTER INSERT ON user_groups
BEGIN UPDATE cache_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER cache_user_groups_update AFTER UPDATE ON user_groups
BEGIN UPDATE cache_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER cache_user_groups_delete AFTER DELETE ON user_groups
BEGIN UPDATE cache_version SET version = version + 1 WHERE id = 1; END;

CREATE TRIGGER cache_staff_groups_insert AFTER INSERT ON staff_groups
BEGIN UPDATE cache_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER cache_staff_groups_update AFTER UPDATE ON staff_groups
BEGIN UPDATE cache_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER cache_staff_groups_delete AFTER DELETE ON staff_groups
BEGIN UPDATE cache_version SET version = version + 1 WHERE id = 1; END;

CREATE TRIGGER cache_rules_insert AFTER INSERT ON routing_rules
BEGIN UPDATE cache_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER cache_rules_update AFTER UPDATE ON routing_rules
BEGIN UPDATE cache_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER cache_rules_delete AFTER DELETE ON routing_rules
BEGIN UPDATE cache_version SET version = version + 1 WHERE id = 1; END;

CREATE TRIGGER cache_rule_groups_insert AFTER INSERT ON routing_rule_groups
BEGIN UPDATE cache_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER cache_rule_groups_delete AFTER DELETE ON routing_rule_groups
BEGIN UPDATE cache_version SET version = version + 1 WHERE id = 1; END;

CREATE TRIGGER cache_settings_insert AFTER INSERT ON settings
BEGIN UPDATE cache_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER cache_settings_update AFTER UPDATE ON settings
BEGIN UPDATE cache_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER cache_settings_delete AFTER DELETE ON settings
BEGIN UPDATE cache_version SET version = version + 1 WHERE id = 1; END;
