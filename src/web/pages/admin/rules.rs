//! `/admin/rules`: the routing rules in force. Those of the configuration
//! file come first and are shown read-only; those administrators add here
//! come after them and can be deleted. A new rule is checked like a
//! configured one ([`RoutingRule::validate`]) and may name only registered
//! groups. Every addition and deletion is in the audit log.

use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;
use serde_json::json;
use uuid::Uuid;

use super::admin;
use super::forms::{back_to, done, respond, NoticeQuery};
use crate::core::actor::StaffMember;
use crate::core::audit::{action, AuditActor, AuditEvent};
use crate::core::audit_log;
use crate::core::domain::{Category, Role, Severity};
use crate::core::i18n::Translator;
use crate::core::routing::{RoutingRule, RuleError};
use crate::core::store::{Group, StoreError, StoredRule, User};
use crate::web::http::Visitor;
use crate::web::pages::staff::{StaffNav, StaffResult};
use crate::web::state::AppState;

/// The confirmations this page shows after a change.
const NOTICES: [&str; 2] = ["rule_added", "rule_deleted"];

/// Why a form of this page was refused; nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq)]
enum RuleProblem {
    /// The rule itself is invalid.
    Rule(RuleError),
    /// A group that is not registered.
    UnknownGroup,
    /// No stored rule with that id.
    UnknownRule,
    /// Its groups hold no active handler or contact point.
    ReachesNoOne,
}

impl RuleProblem {
    fn key(&self) -> &'static str {
        match self {
            RuleProblem::Rule(e) => e.key(),
            RuleProblem::UnknownGroup => "unknown_group",
            RuleProblem::UnknownRule => "unknown_rule",
            RuleProblem::ReachesNoOne => "rule_reaches_no_one",
        }
    }
}

/// What the add form said, shown again when it is refused.
#[derive(Debug, Default, Clone)]
struct Draft {
    category: String,
    severities: Vec<String>,
    groups: Vec<String>,
}

/// A rule as the page shows it.
struct RuleRow {
    /// The stored id (stored rules only).
    id: String,
    category: String,
    severities: String,
    groups: String,
    /// Active handlers in its groups; a rule reaching none refuses the
    /// reports it matches (unless contact points are reached).
    handlers: usize,
}

/// A choice of the add form.
struct Choice {
    key: String,
    label: String,
    checked: bool,
}

/// The page.
#[derive(Template)]
#[template(path = "admin/rules.html")]
struct RulesPage {
    t: Translator,
    csrf: String,
    nav: StaffNav,
    notice: Option<String>,
    problem: Option<String>,
    configured: Vec<RuleRow>,
    stored: Vec<RuleRow>,
    categories: Vec<Choice>,
    severities: Vec<Choice>,
    groups: Vec<Choice>,
}

fn row(t: &Translator, id: String, rule: &RoutingRule, users: &[User]) -> RuleRow {
    let handlers = users
        .iter()
        .filter(|u| u.active && u.roles.contains(&Role::Handler))
        .filter(|u| u.groups.iter().any(|g| rule.groups.contains(g)))
        .count();
    RuleRow {
        id,
        category: t.t(&format!("category.{}", rule.category)),
        severities: rule
            .severities
            .iter()
            .map(|s| t.t(&format!("severity.{s}")))
            .collect::<Vec<_>>()
            .join(", "),
        groups: rule.groups.join(", "),
        handlers,
    }
}

async fn render_rules(
    state: &AppState,
    visitor: &Visitor,
    staff: &StaffMember,
    problem: Option<RuleProblem>,
    draft: Draft,
    notice: Option<String>,
) -> StaffResult {
    let t = visitor.t();
    let internal = |e: StoreError| visitor.internal(e);
    let stored = state.store.routing_rules().await.map_err(internal)?;
    let groups = state.store.groups().await.map_err(internal)?;
    let users = state.store.list_users().await.map_err(internal)?;
    let configured = state
        .settings
        .routing
        .rules
        .iter()
        .map(|r| row(&t, String::new(), r, &users))
        .collect();
    let stored = stored
        .iter()
        .map(|r| row(&t, r.id.to_string(), &RoutingRule::from(r), &users))
        .collect();
    let categories = state
        .settings
        .taxonomy
        .categories()
        .iter()
        .map(|c| Choice {
            key: c.key.as_str().to_owned(),
            label: t.t(&format!("category.{}", c.key.as_str())),
            checked: draft.category == c.key.as_str(),
        })
        .collect();
    let severities = Severity::ALL
        .iter()
        .map(|s| Choice {
            key: s.key().to_owned(),
            label: t.t(&format!("severity.{}", s.key())),
            checked: draft.severities.iter().any(|d| d == s.key()),
        })
        .collect();
    let groups = groups
        .iter()
        .map(|g| Choice {
            key: g.name.clone(),
            label: g.name.clone(),
            checked: draft.groups.contains(&g.name),
        })
        .collect();
    let page = RulesPage {
        t,
        csrf: visitor.csrf().unwrap_or_default().to_owned(),
        nav: StaffNav::new(&t, staff, true),
        notice,
        problem: problem
            .as_ref()
            .map(|p| t.t(&format!("admin.rules.problem.{}", p.key()))),
        configured,
        stored,
        categories,
        severities,
        groups,
    };
    let status = if problem.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    respond(visitor, &page, status)
}

/// GET /admin/rules
pub(super) async fn page(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<NoticeQuery>,
) -> StaffResult {
    let staff = admin(&visitor)?;
    let notice = query.message(&visitor.t(), "admin.rules", &NOTICES);
    render_rules(&state, &visitor, staff, None, Draft::default(), notice).await
}

/// GET on a form URL of this page: back to the page.
pub(super) async fn back() -> actix_web::HttpResponse {
    back_to("/admin/rules")
}

/// Each value once, in the order first given.
fn distinct(values: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in values {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// The add form (`severity` and `group` repeat, one per ticked box).
fn draft_of(fields: &[(String, String)]) -> (String, Draft) {
    let all = |name: &'static str| {
        fields
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let csrf = all("csrf").next().unwrap_or_default();
    let draft = Draft {
        category: all("category").next().unwrap_or_default(),
        severities: distinct(all("severity")),
        groups: distinct(all("group")),
    };
    (csrf, draft)
}

/// A checked rule from the add form, before the store gives it a place.
#[derive(Debug)]
struct NewRule {
    category: Category,
    severities: Vec<Severity>,
    groups: Vec<String>,
}

/// The rule the form describes, or why it cannot be added: checked like a
/// rule of the configuration file, and every group must be registered.
/// Severities are put in their natural order.
fn rule_of(
    draft: &Draft,
    taxonomy: &crate::core::domain::Taxonomy,
    groups: &[Group],
) -> Result<NewRule, RuleProblem> {
    let rule = RoutingRule {
        category: draft.category.clone(),
        severities: draft.severities.clone(),
        groups: draft.groups.clone(),
    };
    let (category, severities) = rule.classification(taxonomy).map_err(RuleProblem::Rule)?;
    if rule
        .groups
        .iter()
        .any(|name| !groups.iter().any(|g| g.name == *name))
    {
        return Err(RuleProblem::UnknownGroup);
    }
    let mut groups = rule.groups;
    groups.sort();
    Ok(NewRule {
        category,
        severities,
        groups,
    })
}

/// POST /admin/rules
pub(super) async fn add(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: web::Form<Vec<(String, String)>>,
) -> StaffResult {
    let staff = admin(&visitor)?;
    let (csrf, draft) = draft_of(&form);
    visitor.check_csrf(&csrf)?;
    let groups = state
        .store
        .groups()
        .await
        .map_err(|e| visitor.internal(e))?;
    let rule = match rule_of(&draft, &state.settings.taxonomy, &groups) {
        Ok(rule) => rule,
        Err(problem) => {
            return render_rules(&state, &visitor, staff, Some(problem), draft, None).await
        }
    };
    let users = state
        .store
        .list_users()
        .await
        .map_err(|e| visitor.internal(e))?;
    if crate::core::accounts::check_rule_reaches(&users, &rule.groups).is_err() {
        let problem = Some(RuleProblem::ReachesNoOne);
        return render_rules(&state, &visitor, staff, problem, draft, None).await;
    }
    let stored = StoredRule {
        id: Uuid::new_v4(),
        position: 0,
        category: rule.category,
        severities: rule.severities,
        groups: rule.groups,
        created_at: state.now(),
    };
    audit_log::record(
        &*state.store,
        state.now(),
        AuditEvent::new(AuditActor::User(staff.user_id), action::ROUTING_RULE_ADDED).with_detail(
            json!({
                "rule": stored.id,
                "category": stored.category.key(),
                "severities": stored.severities.iter().map(|s| s.key()).collect::<Vec<_>>(),
                "groups": stored.groups,
            }),
        ),
    )
    .await
    .map_err(|e| visitor.internal(e))?;
    match state.store.add_routing_rule(&stored).await {
        Ok(_) => Ok(done("/admin/rules", "rule_added")),
        Err(StoreError::NotFound) => {
            let problem = Some(RuleProblem::UnknownGroup);
            render_rules(&state, &visitor, staff, problem, draft, None).await
        }
        Err(e) => Err(visitor.internal(e).into()),
    }
}

/// The delete form.
#[derive(serde::Deserialize)]
pub(super) struct DeleteForm {
    #[serde(default)]
    csrf: String,
}

/// POST /admin/rules/{id}/delete
pub(super) async fn delete(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<String>,
    form: web::Form<DeleteForm>,
) -> StaffResult {
    let staff = admin(&visitor)?;
    visitor.check_csrf(&form.csrf)?;
    let unknown = || {
        let problem = Some(RuleProblem::UnknownRule);
        render_rules(&state, &visitor, staff, problem, Draft::default(), None)
    };
    let Ok(id) = Uuid::parse_str(&path) else {
        return unknown().await;
    };
    let rules = state
        .store
        .routing_rules()
        .await
        .map_err(|e| visitor.internal(e))?;
    let Some(rule) = rules.iter().find(|r| r.id == id) else {
        return unknown().await;
    };
    audit_log::record(
        &*state.store,
        state.now(),
        AuditEvent::new(
            AuditActor::User(staff.user_id),
            action::ROUTING_RULE_DELETED,
        )
        .with_detail(json!({
            "rule": rule.id,
            "category": rule.category.key(),
            "severities": rule.severities.iter().map(|s| s.key()).collect::<Vec<_>>(),
            "groups": rule.groups,
        })),
    )
    .await
    .map_err(|e| visitor.internal(e))?;
    match state.store.delete_routing_rule(id).await {
        Ok(()) => Ok(done("/admin/rules", "rule_deleted")),
        Err(StoreError::NotFound) => unknown().await,
        Err(e) => Err(visitor.internal(e).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::domain::Taxonomy;

    fn group(name: &str) -> Group {
        Group {
            name: name.to_owned(),
            description: String::new(),
            created_at: 0,
            members: Vec::new(),
            leads: Vec::new(),
        }
    }

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_form_becomes_a_checked_rule() {
        let (csrf, draft) = draft_of(&fields(&[
            ("csrf", "t"),
            ("category", "avvik"),
            ("severity", "kritisk"),
            ("severity", "lav"),
            ("severity", "lav"),
            ("group", "infosec"),
            ("group", "drift"),
        ]));
        assert_eq!(csrf, "t");
        let groups = [group("drift"), group("infosec")];
        let rule = rule_of(&draft, &Taxonomy::default(), &groups).expect("valid");
        assert_eq!(rule.severities, [Severity::Lav, Severity::Kritisk]);
        assert_eq!(rule.groups, ["drift", "infosec"]);
        let unknown = rule_of(&draft, &Taxonomy::default(), &groups[..1]);
        assert_eq!(unknown.err(), Some(RuleProblem::UnknownGroup));
    }

    #[test]
    fn bad_rules_are_refused_with_the_reason() {
        let groups = [group("infosec")];
        let refused = |pairs: &[(&str, &str)]| {
            rule_of(&draft_of(&fields(pairs)).1, &Taxonomy::default(), &groups)
                .err()
                .map(|p| p.key())
        };
        assert_eq!(
            refused(&[
                ("category", "okonomi"),
                ("severity", "lav"),
                ("group", "infosec")
            ]),
            Some("unknown_category")
        );
        assert_eq!(
            refused(&[("category", "avvik"), ("group", "infosec")]),
            Some("no_severities")
        );
        assert_eq!(
            refused(&[
                ("category", "avvik"),
                ("severity", "høy"),
                ("group", "infosec")
            ]),
            Some("unknown_severity")
        );
        assert_eq!(
            refused(&[("category", "avvik"), ("severity", "lav")]),
            Some("no_groups")
        );
    }
}
