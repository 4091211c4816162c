//! Who a case reaches (SPEC §4 Routing) and re-routing at triage.
//!
//! Rules map a (category, severity) to handler groups (membership is
//! `user_groups`: `varsel user add --group` or the administrators' page
//! `/admin/groups`). The rules in force ([`rules_in_force`]) are those of the
//! configuration file (`[routing] rules`), then those administrators added on
//! `/admin/rules`; both are checked by [`RoutingRule::validate`]. A case
//! reaches the active handlers of every group a matching rule names. If **no
//! rule matches**, the case reaches every active handler, which is also the
//! behaviour with no rules at all.
//! `kritisk` cases and `sikkerhet` cases above `lav` also reach every active
//! contact point (each switchable). The reporter's exclusions are removed from
//! the result at receipt and at every re-routing; an empty result is refused
//! ([`CoreError::Refused(Refusal::NoEligibleHandler)`]) and nothing is stored.
//!
//! Routing a case to someone is wrapping its identity to them; re-routing at
//! triage adds wraps for new members and deletes the wraps of members who are
//! no longer routed to, in the same transaction as the re-classification.

use std::collections::BTreeSet;

use uuid::Uuid;

pub use crate::core::domain::routing::{
    parse_subtype, Risk, RoutingRule, RoutingSettings, RuleError, TriageInput,
};
use crate::core::domain::{Category, Role, Severity, SubtypeFlags};
use crate::core::error::{CoreError, CoreResult, Refusal};
use crate::core::service::Core;
use crate::core::store::{Snapshot, Store, StoreResult, StoredRule, TriageFacts, User};

impl From<&StoredRule> for RoutingRule {
    fn from(rule: &StoredRule) -> Self {
        RoutingRule {
            category: rule.category.key().to_owned(),
            severities: rule.severities.iter().map(|s| s.key().to_owned()).collect(),
            groups: rule.groups.clone(),
        }
    }
}

/// Risk as stored with a case's triage facts; `None` unless both parts are
/// present and valid.
pub fn risk_of(facts: &TriageFacts) -> Option<Risk> {
    let p = u8::try_from(facts.risk_probability?).ok()?;
    let c = u8::try_from(facts.risk_consequence?).ok()?;
    Risk::new(p, c)
}

fn has_role(user: &User, role: Role) -> bool {
    user.roles.contains(&role)
}

/// Staff a reporter may exclude: every active handler and contact point.
pub fn excludable(users: &[User]) -> Vec<&User> {
    users
        .iter()
        .filter(|u| u.active && (has_role(u, Role::Handler) || has_role(u, Role::Contact)))
        .collect()
}

/// The rules in force: the configuration file's, then those administrators
/// stored, in their order.
pub async fn rules_in_force(
    settings: &RoutingSettings,
    store: &dyn Store,
) -> StoreResult<Vec<RoutingRule>> {
    let stored = store.routing_rules().await?;
    Ok(settings
        .rules
        .iter()
        .cloned()
        .chain(stored.iter().map(RoutingRule::from))
        .collect())
}

/// The groups every rule of `rules` that matches names; empty if none matches.
pub fn groups_for(rules: &[RoutingRule], category: Category, severity: Severity) -> BTreeSet<&str> {
    rules
        .iter()
        .filter(|r| r.matches(category, severity))
        .flat_map(|r| r.groups.iter().map(String::as_str))
        .collect()
}

/// The members a case of `category` and `severity` is routed to by `rules`
/// (see [`rules_in_force`]), minus `excluded`, in the order of `users`. May
/// be empty; callers refuse that.
pub fn members<'a>(
    settings: &RoutingSettings,
    rules: &[RoutingRule],
    users: &'a [User],
    category: Category,
    severity: Severity,
    flags: SubtypeFlags,
    excluded: &[Uuid],
) -> Vec<&'a User> {
    let groups = groups_for(rules, category, severity);
    let any_rule = rules.iter().any(|r| r.matches(category, severity));
    let contacts = settings.reaches_contact_points(category, severity, flags);
    users
        .iter()
        .filter(|u| u.active && !excluded.contains(&u.id))
        .filter(|u| {
            let handler = has_role(u, Role::Handler)
                && (!any_rule || u.groups.iter().any(|g| groups.contains(g.as_str())));
            handler || (contacts && has_role(u, Role::Contact))
        })
        .collect()
}

/// The users a new case reaches, from the cached `snapshot` of users and
/// stored rules; `UnknownHandler` if an exclusion names someone who cannot
/// be excluded, `NoEligibleHandler` if nobody is left.
pub fn route(
    state: &Core,
    snapshot: &Snapshot,
    category: Category,
    severity: Severity,
    flags: SubtypeFlags,
    excluded: &[Uuid],
) -> CoreResult<Vec<User>> {
    let users = &snapshot.users;
    let can_exclude = excludable(users);
    if excluded
        .iter()
        .any(|id| !can_exclude.iter().any(|u| u.id == *id))
    {
        return Err(CoreError::Refused(Refusal::UnknownHandler));
    }
    let rules: Vec<RoutingRule> = state
        .settings
        .routing
        .rules
        .iter()
        .cloned()
        .chain(snapshot.rules.iter().map(RoutingRule::from))
        .collect();
    let chosen: Vec<User> = members(
        &state.settings.routing,
        &rules,
        users,
        category,
        severity,
        flags,
        excluded,
    )
    .into_iter()
    .cloned()
    .collect();
    if chosen.is_empty() {
        return Err(CoreError::Refused(Refusal::NoEligibleHandler));
    }
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::domain::Taxonomy;
    use crate::core::testing::user;

    fn rule(category: &str, severities: &[&str], groups: &[&str]) -> RoutingRule {
        RoutingRule {
            category: category.to_owned(),
            severities: severities.iter().map(|s| (*s).to_owned()).collect(),
            groups: groups.iter().map(|g| (*g).to_owned()).collect(),
        }
    }

    const NONE: SubtypeFlags = SubtypeFlags {
        personal_data_breach: false,
        security_act: false,
        penal_196: false,
    };

    fn names(users: Vec<&User>) -> Vec<&str> {
        users.into_iter().map(|u| u.username.as_str()).collect()
    }

    /// The usernames a case of `category` and `severity`, without subtype
    /// flags, reaches under `s` and `rules`, less `excluded`.
    fn reach<'a>(
        s: &RoutingSettings,
        rules: &[RoutingRule],
        users: &'a [User],
        category: &str,
        severity: Severity,
        excluded: &[Uuid],
    ) -> Vec<&'a str> {
        let category = Category::parse(category).expect("a category key");
        names(members(s, rules, users, category, severity, NONE, excluded))
    }

    fn org() -> (RoutingSettings, Vec<User>) {
        let all = ["lav", "middels", "hoy", "kritisk"];
        let settings = RoutingSettings {
            rules: vec![
                rule("avvik", &all, &["infosec"]),
                rule("varsling", &all, &["hr"]),
            ],
            ..RoutingSettings::default()
        };
        let mut inactive = user("gone", &["handler"], &["infosec"]);
        inactive.active = false;
        let users = vec![
            user("anne", &["handler"], &["infosec"]),
            user("bjorn", &["handler"], &["hr"]),
            user("cato", &["contact"], &[]),
            user("dag", &["admin"], &["infosec"]),
            inactive,
        ];
        (settings, users)
    }

    #[test]
    fn rules_pick_the_groups_handlers() {
        let (s, users) = org();
        assert_eq!(
            reach(&s, &s.rules, &users, "avvik", Severity::Lav, &[]),
            ["anne"]
        );
        assert_eq!(
            reach(&s, &s.rules, &users, "varsling", Severity::Hoy, &[]),
            ["bjorn"]
        );
    }

    #[test]
    fn without_a_matching_rule_every_active_handler_is_reached() {
        let (s, users) = org();
        assert_eq!(
            reach(&s, &s.rules, &users, "sikkerhet", Severity::Lav, &[]),
            ["anne", "bjorn"]
        );
    }

    #[test]
    fn kritisk_and_sikkerhet_above_lav_reach_the_contact_points() {
        let (s, users) = org();
        assert_eq!(
            reach(&s, &s.rules, &users, "avvik", Severity::Kritisk, &[]),
            ["anne", "cato"]
        );
        assert_eq!(
            reach(&s, &s.rules, &users, "sikkerhet", Severity::Middels, &[]),
            ["anne", "bjorn", "cato"]
        );
        let off = RoutingSettings {
            contact_points_for_kritisk: false,
            ..s.clone()
        };
        assert_eq!(
            reach(&off, &off.rules, &users, "avvik", Severity::Kritisk, &[]),
            ["anne"]
        );
    }

    #[test]
    fn exclusions_are_removed_and_may_leave_nobody() {
        let (s, users) = org();
        let anne = users[0].id;
        assert!(members(
            &s,
            &s.rules,
            &users,
            Category::Avvik,
            Severity::Lav,
            NONE,
            &[anne]
        )
        .is_empty());
        assert_eq!(
            reach(&s, &s.rules, &users, "avvik", Severity::Kritisk, &[anne]),
            ["cato"]
        );
        assert_eq!(names(excludable(&users)), ["anne", "bjorn", "cato"]);
    }

    #[test]
    fn a_security_act_subtype_reaches_the_contact_points_at_any_severity() {
        let (s, users) = org();
        let spionasje = SubtypeFlags {
            security_act: true,
            ..NONE
        };
        let reached = |s: &RoutingSettings, category, flags| {
            names(members(
                s,
                &s.rules,
                &users,
                category,
                Severity::Lav,
                flags,
                &[],
            ))
        };
        assert_eq!(reached(&s, Category::Sikkerhet, NONE), ["anne", "bjorn"]);
        assert_eq!(
            reached(&s, Category::Sikkerhet, spionasje),
            ["anne", "bjorn", "cato"]
        );
        let off = RoutingSettings {
            contact_points_for_kritisk: false,
            contact_points_for_sikkerhet_above_lav: false,
            ..s.clone()
        };
        assert_eq!(reached(&off, Category::Avvik, spionasje), ["anne", "cato"]);
    }

    #[test]
    fn rules_are_validated() {
        let ok = RoutingSettings {
            rules: vec![rule("avvik", &["lav"], &["infosec"])],
            ..RoutingSettings::default()
        };
        assert!(ok.validate(&Taxonomy::default()).is_ok());
        for bad in [
            rule("ukjent", &["lav"], &["x"]),
            rule("avvik", &["høy"], &["x"]),
            rule("avvik", &[], &["x"]),
            rule("avvik", &["lav"], &[]),
        ] {
            let s = RoutingSettings {
                rules: vec![bad],
                ..RoutingSettings::default()
            };
            assert!(s.validate(&Taxonomy::default()).is_err());
        }
        let s = RoutingSettings {
            accepted_risk: 0,
            ..RoutingSettings::default()
        };
        assert!(s.validate(&Taxonomy::default()).is_err());
    }

    #[test]
    fn rule_errors_name_the_problem() {
        let t = Taxonomy::default();
        assert_eq!(
            rule("ukjent", &["lav"], &["x"]).validate(&t),
            Err(RuleError::UnknownCategory("ukjent".into()))
        );
        assert_eq!(
            rule("avvik", &[], &["x"]).validate(&t),
            Err(RuleError::NoSeverities)
        );
        assert_eq!(
            rule("avvik", &["lav", "høy"], &["x"]).validate(&t),
            Err(RuleError::UnknownSeverity("høy".into()))
        );
        assert_eq!(
            rule("avvik", &["lav"], &[" "])
                .validate(&t)
                .map_err(|e| e.key()),
            Err("no_groups")
        );
        assert_eq!(rule("avvik", &["lav"], &["x"]).validate(&t), Ok(()));
    }

    #[test]
    fn stored_rules_add_groups_to_the_configured_ones() {
        let (s, users) = org();
        let mut rules = s.rules.clone();
        rules.push(rule("avvik", &["kritisk"], &["hr"]));
        assert_eq!(
            reach(&s, &rules, &users, "avvik", Severity::Kritisk, &[]),
            ["anne", "bjorn", "cato"]
        );
        assert_eq!(
            reach(&s, &rules, &users, "avvik", Severity::Hoy, &[]),
            ["anne"]
        );
        assert_eq!(
            groups_for(&rules, Category::Avvik, Severity::Kritisk)
                .into_iter()
                .collect::<Vec<_>>(),
            ["hr", "infosec"]
        );
        assert!(groups_for(&rules, Category::Sikkerhet, Severity::Kritisk).is_empty());
    }

    #[test]
    fn risk_is_probability_times_consequence() {
        let r = Risk::new(3, 4).map(|r| (r.score(), r.above(8), r.above(12)));
        assert_eq!(r, Some((12, true, false)));
        assert_eq!(Risk::new(0, 3), None);
        assert_eq!(Risk::new(3, 6), None);
    }

    #[test]
    fn subtypes_must_belong_to_the_category() {
        assert!(matches!(
            parse_subtype(&Taxonomy::default(), Category::Avvik, "personvernbrudd"),
            Some(Some(_))
        ));
        assert!(matches!(
            parse_subtype(&Taxonomy::default(), Category::Avvik, ""),
            Some(None)
        ));
        assert!(
            parse_subtype(&Taxonomy::default(), Category::Varsling, "personvernbrudd").is_none()
        );
        assert!(parse_subtype(&Taxonomy::default(), Category::Avvik, "Ukjent").is_none());
    }
}
