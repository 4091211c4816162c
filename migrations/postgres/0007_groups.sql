-- Handler groups, their leads, and routing rules kept in the database
-- (SPEC §4 Routing), managed by administrators on /admin/groups and
-- /admin/rules.
--
-- user_groups (0001) stays the membership table: a user is in a group when
-- it has a row there. staff_groups is the register of groups: every group a
-- member is in has a row (the store adds one when an account is created with
-- a group it does not know yet), so existing memberships are copied in here.
-- A lead of a group is one of its members; removing the membership removes
-- the lead (the store does both in one transaction).
--
-- routing_rules are applied after the rules of the configuration file, in
-- the order of position. severities is a comma-separated list of severity
-- keys; the groups a rule names are rows of routing_rule_groups.

CREATE TABLE staff_groups (
    name TEXT PRIMARY KEY NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);

INSERT INTO staff_groups (name, description, created_at)
    SELECT DISTINCT group_name, '', CAST(EXTRACT(EPOCH FROM now()) AS BIGINT) FROM user_groups;

CREATE TABLE staff_group_leads (
    group_name TEXT NOT NULL REFERENCES staff_groups(name) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (group_name, user_id)
);

CREATE TABLE routing_rules (
    id TEXT PRIMARY KEY NOT NULL,
    position BIGINT NOT NULL,
    category TEXT NOT NULL,
    severities TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX routing_rules_position ON routing_rules (position);

CREATE TABLE routing_rule_groups (
    rule_id TEXT NOT NULL REFERENCES routing_rules(id) ON DELETE CASCADE,
    group_name TEXT NOT NULL REFERENCES staff_groups(name),
    PRIMARY KEY (rule_id, group_name)
);
