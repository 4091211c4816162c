//! Rows of groups, memberships, leads and stored routing rules.

use std::collections::BTreeMap;

use super::parse::{parse_key, parse_list, parse_uuid};
use crate::core::domain::{Category, Severity};
use crate::core::store::model::groups::{Group, StoredRule};
use crate::core::store::model::StoreResult;

/// A `staff_groups` row.
#[derive(sqlx::FromRow)]
pub(crate) struct StaffGroupRow {
    name: String,
    description: String,
    created_at: i64,
}

/// A user in a group: a `user_groups` row (membership) or a
/// `staff_group_leads` row (lead).
#[derive(sqlx::FromRow)]
pub(crate) struct MembershipRow {
    pub(super) user_id: String,
    pub(super) group_name: String,
}

/// A `routing_rules` row.
#[derive(sqlx::FromRow)]
pub(crate) struct RuleRow {
    id: String,
    position: i64,
    category: String,
    severities: String,
    created_at: i64,
}

/// A `routing_rule_groups` row.
#[derive(sqlx::FromRow)]
pub(crate) struct RuleGroupRow {
    rule_id: String,
    group_name: String,
}

/// The category and severity columns of a `cases` row.
#[derive(sqlx::FromRow)]
pub(crate) struct ClassificationRow {
    category: String,
    severity: String,
}

impl ClassificationRow {
    /// The case's category and severity.
    pub(crate) fn into_pair(self) -> StoreResult<(Category, Severity)> {
        Ok((
            parse_key("category", &self.category, Category::parse)?,
            parse_key("severity", &self.severity, Severity::parse)?,
        ))
    }
}

/// Builds the groups from their rows, ordered by name; members and leads
/// keep the order of their rows.
pub(crate) fn groups_of(
    groups: Vec<StaffGroupRow>,
    members: Vec<MembershipRow>,
    leads: Vec<MembershipRow>,
) -> StoreResult<Vec<Group>> {
    let mut by_name: BTreeMap<String, Group> = groups
        .into_iter()
        .map(|g| {
            let group = Group {
                name: g.name.clone(),
                description: g.description,
                created_at: g.created_at,
                members: Vec::new(),
                leads: Vec::new(),
            };
            (g.name, group)
        })
        .collect();
    for m in members {
        if let Some(g) = by_name.get_mut(&m.group_name) {
            g.members.push(parse_uuid(&m.user_id)?);
        }
    }
    for l in leads {
        if let Some(g) = by_name.get_mut(&l.group_name) {
            g.leads.push(parse_uuid(&l.user_id)?);
        }
    }
    Ok(by_name.into_values().collect())
}

/// Builds the rules from their rows, keeping the rules' order; each rule's
/// groups are sorted.
pub(crate) fn rules_of(
    rules: Vec<RuleRow>,
    groups: Vec<RuleGroupRow>,
) -> StoreResult<Vec<StoredRule>> {
    let mut out = Vec::with_capacity(rules.len());
    for r in rules {
        out.push(StoredRule {
            id: parse_uuid(&r.id)?,
            position: r.position,
            category: parse_key("category", &r.category, Category::parse)?,
            severities: parse_list("severities", &r.severities, Severity::parse)?,
            groups: Vec::new(),
            created_at: r.created_at,
        });
    }
    for g in groups {
        let rule = parse_uuid(&g.rule_id)?;
        if let Some(r) = out.iter_mut().find(|r| r.id == rule) {
            r.groups.push(g.group_name);
        }
    }
    for r in &mut out {
        r.groups.sort();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;
    use crate::core::store::rows::parse::join_keys;

    fn membership(group: &str, user: Uuid) -> MembershipRow {
        MembershipRow {
            user_id: user.to_string(),
            group_name: group.to_owned(),
        }
    }

    fn group(name: &str, description: &str, created_at: i64) -> StaffGroupRow {
        StaffGroupRow {
            name: name.to_owned(),
            description: description.to_owned(),
            created_at,
        }
    }

    #[test]
    fn rows_become_groups_in_name_order() {
        let a = Uuid::new_v4();
        let b = Uuid::new_v4();
        let groups = groups_of(
            vec![
                group("infosec", "Informasjonssikkerhet", 2),
                group("hr", "", 1),
            ],
            vec![
                membership("infosec", a),
                membership("infosec", b),
                membership("ukjent", a),
            ],
            vec![membership("infosec", b)],
        )
        .expect("valid rows");
        let names: Vec<&str> = groups.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names, ["hr", "infosec"]);
        assert_eq!(groups[1].members, [a, b]);
        assert!(groups[1].has_lead(b) && !groups[1].has_lead(a));
        assert!(groups[0].members.is_empty());
    }

    #[test]
    fn rules_keep_their_order_and_split_severities() {
        let first = Uuid::new_v4();
        let second = Uuid::new_v4();
        let rule = |id: Uuid, position, category: &str, severities: &str| RuleRow {
            id: id.to_string(),
            position,
            category: category.to_owned(),
            severities: severities.to_owned(),
            created_at: 0,
        };
        let rule_group = |id: Uuid, group: &str| RuleGroupRow {
            rule_id: id.to_string(),
            group_name: group.to_owned(),
        };
        let rules = rules_of(
            vec![
                rule(first, 1, "avvik", "lav,hoy"),
                rule(second, 2, "varsling", "kritisk"),
            ],
            vec![
                rule_group(second, "hr"),
                rule_group(first, "infosec"),
                rule_group(first, "drift"),
            ],
        )
        .expect("valid rows");
        assert_eq!(rules[0].id, first);
        assert_eq!(rules[0].severities, [Severity::Lav, Severity::Hoy]);
        assert_eq!(rules[0].groups, ["drift", "infosec"]);
        assert_eq!(rules[1].groups, ["hr"]);
        assert_eq!(
            join_keys(rules[0].severities.iter().map(|s| s.key())),
            "lav,hoy"
        );
    }
}
