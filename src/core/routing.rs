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

use anyhow::bail;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::core::actor::StaffMember;
use crate::core::audit::{self, action, AuditActor, AuditEvent};
use crate::core::casework;
use crate::core::domain::{
    Category, CategoryKey, Role, Severity, SubtypeFlags, SubtypeKey, Taxonomy,
};
use crate::core::error::{CoreError, CoreResult, Refusal};
use crate::core::keys;
use crate::core::store::{
    Holder, KeyWrap, Retriage, Store, StoreResult, StoredRule, TriageFacts, User,
};
use crate::core::Core;

/// One routing rule: cases of `category` with one of `severities` go to the
/// handlers in `groups`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutingRule {
    /// A category key of the taxonomy.
    pub category: String,
    /// Severity keys (`lav`, `middels`, `hoy`, `kritisk`); at least one.
    pub severities: Vec<String>,
    /// Group names; at least one.
    pub groups: Vec<String>,
}

/// Why a routing rule was refused, in the configuration file or on the
/// administrators' page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RuleError {
    /// The category is not one of the configured taxonomy's.
    #[error("unknown category {0:?}")]
    UnknownCategory(String),
    /// No severity at all.
    #[error("severities must name at least one severity")]
    NoSeverities,
    /// A severity that does not exist.
    #[error("unknown severity {0:?} (lav, middels, hoy, kritisk)")]
    UnknownSeverity(String),
    /// No group, or a blank group name.
    #[error("groups must name at least one group")]
    NoGroups,
}

impl RuleError {
    /// A stable key (for translated messages).
    pub fn key(&self) -> &'static str {
        match self {
            RuleError::UnknownCategory(_) => "unknown_category",
            RuleError::NoSeverities => "no_severities",
            RuleError::UnknownSeverity(_) => "unknown_severity",
            RuleError::NoGroups => "no_groups",
        }
    }
}

impl RoutingRule {
    fn matches(&self, category: &str, severity: Severity) -> bool {
        self.category == category && self.severities.iter().any(|s| s == severity.key())
    }

    /// Checks the rule: a category of `taxonomy`, at least one severity and
    /// only known ones, at least one group and no blank group name.
    pub fn validate(&self, taxonomy: &Taxonomy) -> Result<(), RuleError> {
        let known = CategoryKey::parse(&self.category)
            .ok()
            .is_some_and(|k| taxonomy.category(&k).is_some());
        if !known {
            return Err(RuleError::UnknownCategory(self.category.clone()));
        }
        if self.severities.is_empty() {
            return Err(RuleError::NoSeverities);
        }
        if let Some(s) = self
            .severities
            .iter()
            .find(|s| Severity::parse(s).is_none())
        {
            return Err(RuleError::UnknownSeverity(s.clone()));
        }
        if self.groups.is_empty() || self.groups.iter().any(|g| g.trim().is_empty()) {
            return Err(RuleError::NoGroups);
        }
        Ok(())
    }
}

impl From<&StoredRule> for RoutingRule {
    fn from(rule: &StoredRule) -> Self {
        RoutingRule {
            category: rule.category.clone(),
            severities: rule.severities.clone(),
            groups: rule.groups.clone(),
        }
    }
}

/// `[routing]`: rules, when contact points are added, and the accepted risk.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RoutingSettings {
    /// Rules; a (category, severity) no rule matches goes to every active handler.
    pub rules: Vec<RoutingRule>,
    /// `kritisk` cases also reach every contact point.
    pub contact_points_for_kritisk: bool,
    /// `sikkerhet` cases above `lav` also reach every contact point.
    pub contact_points_for_sikkerhet_above_lav: bool,
    /// Highest risk score (probability × consequence, 1–25) the organisation accepts.
    pub accepted_risk: u8,
}

impl Default for RoutingSettings {
    fn default() -> Self {
        RoutingSettings {
            rules: Vec::new(),
            contact_points_for_kritisk: true,
            contact_points_for_sikkerhet_above_lav: true,
            accepted_risk: 8,
        }
    }
}

impl RoutingSettings {
    /// Rejects rules naming unknown categories or severities, or no groups.
    pub fn validate(&self, taxonomy: &Taxonomy) -> anyhow::Result<()> {
        for (i, rule) in self.rules.iter().enumerate() {
            if let Err(e) = rule.validate(taxonomy) {
                bail!("routing.rules[{}]: {e}", i + 1);
            }
        }
        if !(1..=25).contains(&self.accepted_risk) {
            bail!("routing.accepted_risk must be between 1 and 25");
        }
        Ok(())
    }

    /// Whether a case of `category`, `severity` and sub-type duties `flags`
    /// also reaches the contact points. A Security-Act sub-type always does:
    /// NSM must be notified at once (sikkerhetsloven § 4-5).
    pub fn reaches_contact_points(
        &self,
        category: &str,
        severity: Severity,
        flags: SubtypeFlags,
    ) -> bool {
        flags.security_act
            || (self.contact_points_for_kritisk && severity == Severity::Kritisk)
            || (self.contact_points_for_sikkerhet_above_lav
                && category == Category::Sikkerhet.key()
                && severity > Severity::Lav)
    }
}

fn has_role(user: &User, role: Role) -> bool {
    user.roles.iter().any(|r| r == role.key())
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
pub fn groups_for<'a>(
    rules: &'a [RoutingRule],
    category: &str,
    severity: Severity,
) -> BTreeSet<&'a str> {
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
    category: &str,
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

/// The users a new or re-classified case reaches; `UnknownHandler` if an
/// exclusion names someone who cannot be excluded, `NoEligibleHandler` if
/// nobody is left.
pub async fn route(
    state: &Core,
    category: &str,
    severity: Severity,
    flags: SubtypeFlags,
    excluded: &[Uuid],
) -> CoreResult<Vec<User>> {
    let users = state.store.list_users().await?;
    let can_exclude = excludable(&users);
    if excluded
        .iter()
        .any(|id| !can_exclude.iter().any(|u| u.id == *id))
    {
        return Err(CoreError::Refused(Refusal::UnknownHandler));
    }
    let rules = rules_in_force(&state.settings.routing, &*state.store).await?;
    let chosen: Vec<User> = members(
        &state.settings.routing,
        &rules,
        &users,
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

/// Risk as probability × consequence, each 1–5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Risk {
    probability: u8,
    consequence: u8,
}

impl Risk {
    /// Both in 1–5, else `None`.
    pub fn new(probability: u8, consequence: u8) -> Option<Self> {
        let ok = |v: u8| (1..=5).contains(&v);
        (ok(probability) && ok(consequence)).then_some(Risk {
            probability,
            consequence,
        })
    }

    /// From stored columns; `None` unless both are present and valid.
    pub fn from_facts(facts: &TriageFacts) -> Option<Self> {
        let p = u8::try_from(facts.risk_probability?).ok()?;
        let c = u8::try_from(facts.risk_consequence?).ok()?;
        Risk::new(p, c)
    }

    /// Probability, 1–5.
    pub fn probability(self) -> u8 {
        self.probability
    }

    /// Consequence, 1–5.
    pub fn consequence(self) -> u8 {
        self.consequence
    }

    /// probability × consequence, 1–25.
    pub fn score(self) -> u8 {
        self.probability * self.consequence
    }

    /// Whether the score exceeds the accepted risk.
    pub fn above(self, accepted: u8) -> bool {
        self.score() > accepted
    }
}

/// A handler's classification of a case.
#[derive(Debug, Clone)]
pub struct TriageInput {
    /// Category.
    pub category: Category,
    /// Sub-type, one of the category's.
    pub subtype: Option<SubtypeKey>,
    /// Severity.
    pub severity: Severity,
    /// Risk, if assessed.
    pub risk: Option<Risk>,
}

/// Parses a sub-type of `category` (empty: none); `None` if the category is
/// not in the configured taxonomy or the sub-type is not one of its own.
pub fn parse_subtype(
    taxonomy: &Taxonomy,
    category: Category,
    raw: &str,
) -> Option<Option<SubtypeKey>> {
    let def = taxonomy.category(&CategoryKey::from(category))?;
    let raw = raw.trim();
    if raw.is_empty() {
        return Some(None);
    }
    let key = SubtypeKey::parse(raw).ok()?;
    def.subtype(&key).map(|_| Some(key))
}

/// What a triage changed.
#[derive(Debug, Clone)]
pub struct TriageOutcome {
    /// Staff members the case now reaches who did not before.
    pub added: Vec<Uuid>,
    /// Staff members who no longer reach it.
    pub removed: Vec<Uuid>,
    /// Whether the triaging staff member still reaches the case.
    pub still_member: bool,
}

/// Re-classifies a case and re-routes it: the case identity is wrapped to new
/// members and the wraps of members no longer routed to are deleted, together
/// with the new classification in one transaction. Exclusions hold. If the
/// new routing would reach nobody, nothing changes (`NoEligibleHandler`).
pub async fn triage(
    state: &Core,
    staff: &StaffMember,
    case_id: Uuid,
    input: &TriageInput,
) -> CoreResult<TriageOutcome> {
    let (case, identity) = casework::staff_case(state, staff, case_id).await?;
    let before = state
        .store
        .triage_facts(case_id)
        .await?
        .ok_or(CoreError::NotFound)?;
    let excluded = state.store.exclusions(case_id).await?;
    let users = state.store.list_users().await?;
    let rules = rules_in_force(&state.settings.routing, &*state.store).await?;
    let flags = input
        .subtype
        .as_ref()
        .map_or_else(SubtypeFlags::default, |s| {
            state
                .settings
                .taxonomy
                .flags_of(input.category.key(), Some(s.as_str()))
        });
    let chosen = members(
        &state.settings.routing,
        &rules,
        &users,
        input.category.key(),
        input.severity,
        flags,
        &excluded,
    );
    if chosen.is_empty() {
        return Err(CoreError::Refused(Refusal::NoEligibleHandler));
    }
    let holders: Vec<Uuid> = state
        .store
        .key_holders(case_id)
        .await?
        .iter()
        .filter_map(Holder::user_id)
        .collect();
    let mut added = Vec::new();
    let mut wraps = Vec::new();
    for user in chosen.iter().filter(|u| !holders.contains(&u.id)) {
        let r = keys::recipient(&user.recipient)?;
        wraps.push(KeyWrap {
            holder: Holder::User(user.id),
            wrapped: keys::wrap_case_identity(&identity, &r)?,
        });
        added.push(user.id);
    }
    let removed: Vec<Uuid> = holders
        .iter()
        .filter(|id| !chosen.iter().any(|u| u.id == **id))
        .copied()
        .collect();
    let after = TriageFacts {
        subtype: input.subtype.as_ref().map(|s| s.as_str().to_owned()),
        risk_probability: input.risk.map(|r| i64::from(r.probability())),
        risk_consequence: input.risk.map(|r| i64::from(r.consequence())),
    };
    let actor = AuditActor::User(staff.user_id);
    audit::record(
        &*state.store,
        state.now(),
        AuditEvent::new(actor, action::CASE_TRIAGED)
            .on_case(case_id)
            .with_detail(json!({
                "from": {
                    "category": case.category,
                    "severity": case.severity,
                    "subtype": before.subtype,
                    "risk_probability": before.risk_probability,
                    "risk_consequence": before.risk_consequence,
                },
                "to": {
                    "category": input.category.key(),
                    "severity": input.severity.key(),
                    "subtype": after.subtype,
                    "risk_probability": after.risk_probability,
                    "risk_consequence": after.risk_consequence,
                },
            })),
    )
    .await?;
    if !added.is_empty() || !removed.is_empty() {
        audit::record(
            &*state.store,
            state.now(),
            AuditEvent::new(actor, action::CASE_ROUTING_CHANGED)
                .on_case(case_id)
                .with_detail(json!({ "added": added, "removed": removed })),
        )
        .await?;
    }
    state
        .store
        .retriage(&Retriage {
            case_id,
            category: input.category.key().to_owned(),
            severity: input.severity.key().to_owned(),
            facts: after,
            at: casework::now_in(state),
            added: wraps,
            removed: removed.clone(),
        })
        .await?;
    // Those the case now reaches hear of it like those it reached at receipt.
    crate::core::notifications::case_routed(state, case_id, &added).await;
    Ok(TriageOutcome {
        still_member: !removed.contains(&staff.user_id),
        added,
        removed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str, roles: &[&str], groups: &[&str]) -> User {
        User {
            id: Uuid::new_v4(),
            username: name.to_owned(),
            display_name: name.to_owned(),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            recipient: String::new(),
            wrapped_identity: Vec::new(),
            email: None,
            active: true,
            groups: groups.iter().map(|g| (*g).to_owned()).collect(),
            created_at: 0,
        }
    }

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
            names(members(
                &s,
                &s.rules,
                &users,
                "avvik",
                Severity::Lav,
                NONE,
                &[]
            )),
            ["anne"]
        );
        assert_eq!(
            names(members(
                &s,
                &s.rules,
                &users,
                "varsling",
                Severity::Hoy,
                NONE,
                &[]
            )),
            ["bjorn"]
        );
    }

    #[test]
    fn without_a_matching_rule_every_active_handler_is_reached() {
        let (s, users) = org();
        assert_eq!(
            names(members(
                &s,
                &s.rules,
                &users,
                "sikkerhet",
                Severity::Lav,
                NONE,
                &[]
            )),
            ["anne", "bjorn"]
        );
    }

    #[test]
    fn kritisk_and_sikkerhet_above_lav_reach_the_contact_points() {
        let (s, users) = org();
        assert_eq!(
            names(members(
                &s,
                &s.rules,
                &users,
                "avvik",
                Severity::Kritisk,
                NONE,
                &[]
            )),
            ["anne", "cato"]
        );
        assert_eq!(
            names(members(
                &s,
                &s.rules,
                &users,
                "sikkerhet",
                Severity::Middels,
                NONE,
                &[]
            )),
            ["anne", "bjorn", "cato"]
        );
        let off = RoutingSettings {
            contact_points_for_kritisk: false,
            ..s.clone()
        };
        assert_eq!(
            names(members(
                &off,
                &off.rules,
                &users,
                "avvik",
                Severity::Kritisk,
                NONE,
                &[]
            )),
            ["anne"]
        );
    }

    #[test]
    fn exclusions_are_removed_and_may_leave_nobody() {
        let (s, users) = org();
        let anne = users[0].id;
        assert!(members(&s, &s.rules, &users, "avvik", Severity::Lav, NONE, &[anne]).is_empty());
        assert_eq!(
            names(members(
                &s,
                &s.rules,
                &users,
                "avvik",
                Severity::Kritisk,
                NONE,
                &[anne]
            )),
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
        assert_eq!(reached(&s, "sikkerhet", NONE), ["anne", "bjorn"]);
        assert_eq!(
            reached(&s, "sikkerhet", spionasje),
            ["anne", "bjorn", "cato"]
        );
        let off = RoutingSettings {
            contact_points_for_kritisk: false,
            contact_points_for_sikkerhet_above_lav: false,
            ..s.clone()
        };
        assert_eq!(reached(&off, "avvik", spionasje), ["anne", "cato"]);
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
            names(members(
                &s,
                &rules,
                &users,
                "avvik",
                Severity::Kritisk,
                NONE,
                &[]
            )),
            ["anne", "bjorn", "cato"]
        );
        assert_eq!(
            names(members(
                &s,
                &rules,
                &users,
                "avvik",
                Severity::Hoy,
                NONE,
                &[]
            )),
            ["anne"]
        );
        assert_eq!(
            groups_for(&rules, "avvik", Severity::Kritisk)
                .into_iter()
                .collect::<Vec<_>>(),
            ["hr", "infosec"]
        );
        assert!(groups_for(&rules, "sikkerhet", Severity::Kritisk).is_empty());
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
