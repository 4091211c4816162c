//! `/admin/groups`: the handler groups with their members and leads, and the
//! form that creates a group. The member and lead forms are in
//! [`members`](super::members). Routing rules name groups (see
//! [`crate::core::routing`]); a group's leads hear of its overdue deadlines.

use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;
use serde::Deserialize;
use serde_json::json;

use super::admin;
use super::forms::{back_to, done, respond, NoticeQuery};
use crate::core::actor::StaffMember;
use crate::core::audit::{action, AuditActor, AuditEvent};
use crate::core::audit_log;
use crate::core::i18n::Translator;
use crate::core::store::{Group, StoreError, User};
use crate::web::http::Visitor;
use crate::web::pages::staff::{StaffNav, StaffResult};
use crate::web::state::AppState;

/// Longest group name, in characters.
pub(super) const MAX_NAME_CHARS: usize = 60;
/// Longest group description, in characters.
pub(super) const MAX_DESCRIPTION_CHARS: usize = 300;

/// The confirmations this page shows after a change.
const NOTICES: [&str; 5] = [
    "group_created",
    "member_added",
    "member_removed",
    "lead_added",
    "lead_removed",
];

/// Why a form of this page was refused; nothing was changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum GroupProblem {
    /// The new group has no name.
    NameMissing,
    /// The name is too long or has control characters.
    NameInvalid,
    /// A group with that name (in any letter case) exists.
    NameTaken,
    /// The description is too long or not one line.
    DescriptionInvalid,
    /// No such group.
    UnknownGroup,
    /// No active account with that username.
    UnknownUser,
    /// The user is in the group already.
    AlreadyMember,
    /// The user is not in the group.
    NotMember,
    /// Only a member can be made a lead.
    LeadNotMember,
    /// The member is a lead already.
    AlreadyLead,
    /// The user is not a lead of the group.
    NotLead,
    /// The account has neither the handler nor the contact-point role.
    NotCaseWorker,
}

impl GroupProblem {
    fn key(self) -> &'static str {
        match self {
            GroupProblem::NameMissing => "name_missing",
            GroupProblem::NameInvalid => "name_invalid",
            GroupProblem::NameTaken => "name_taken",
            GroupProblem::DescriptionInvalid => "description_invalid",
            GroupProblem::UnknownGroup => "unknown_group",
            GroupProblem::UnknownUser => "unknown_user",
            GroupProblem::AlreadyMember => "already_member",
            GroupProblem::NotMember => "not_member",
            GroupProblem::LeadNotMember => "lead_not_member",
            GroupProblem::AlreadyLead => "already_lead",
            GroupProblem::NotLead => "not_lead",
            GroupProblem::NotCaseWorker => "not_case_worker",
        }
    }

    /// 409 when the request repeats what is already so, else 400.
    fn status(self) -> StatusCode {
        match self {
            GroupProblem::NameTaken | GroupProblem::AlreadyMember | GroupProblem::AlreadyLead => {
                StatusCode::CONFLICT
            }
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// Whether the problem is with the create form (its fields are marked).
    fn in_create_form(self) -> bool {
        matches!(
            self,
            GroupProblem::NameMissing
                | GroupProblem::NameInvalid
                | GroupProblem::NameTaken
                | GroupProblem::DescriptionInvalid
        )
    }
}

/// What the create form said, shown again when it is refused.
#[derive(Debug, Default, Clone)]
pub(super) struct Draft {
    name: String,
    description: String,
}

/// One member of a group as the page lists them.
struct MemberRow {
    display_name: String,
    username: String,
    roles: String,
    active: bool,
    lead: bool,
}

/// An account that may be added to a group.
struct Candidate {
    username: String,
    display_name: String,
}

/// One group as the page shows it.
struct GroupView {
    /// The `id` of its heading (`group-1`, …).
    anchor: String,
    name: String,
    description: String,
    /// Caption of the member table.
    caption: String,
    /// Label of the add-member list.
    add_label: String,
    members: Vec<MemberRow>,
    candidates: Vec<Candidate>,
}

/// The page.
#[derive(Template)]
#[template(path = "admin/groups.html")]
struct GroupsPage {
    t: Translator,
    csrf: String,
    nav: StaffNav,
    notice: Option<String>,
    problem: Option<String>,
    groups: Vec<GroupView>,
    draft_name: String,
    draft_description: String,
    create_invalid: bool,
    name_hint: String,
    description_hint: String,
}

/// The roles of an account, translated.
fn roles_of(t: &Translator, user: &User) -> String {
    user.roles
        .iter()
        .map(|r| t.t(&format!("admin.roles.{}", r.key())))
        .collect::<Vec<_>>()
        .join(", ")
}

fn view(t: &Translator, index: usize, group: &Group, users: &[User]) -> GroupView {
    let members = group
        .members
        .iter()
        .filter_map(|id| users.iter().find(|u| u.id == *id))
        .map(|u| MemberRow {
            display_name: u.display_name.clone(),
            username: u.username.clone(),
            roles: roles_of(t, u),
            active: u.active,
            lead: group.has_lead(u.id),
        })
        .collect();
    let candidates = users
        .iter()
        .filter(|u| crate::core::accounts::check_group_member(u).is_ok() && !group.has_member(u.id))
        .map(|u| Candidate {
            username: u.username.clone(),
            display_name: u.display_name.clone(),
        })
        .collect();
    GroupView {
        anchor: format!("group-{}", index + 1),
        name: group.name.clone(),
        description: group.description.clone(),
        caption: t.f("admin.groups.members_caption", &[("group", &group.name)]),
        add_label: t.f("admin.groups.add_member_label", &[("group", &group.name)]),
        members,
        candidates,
    }
}

/// The page, with the problem of a refused form (and its status) or the
/// confirmation of a change.
pub(super) async fn render_groups(
    state: &AppState,
    visitor: &Visitor,
    staff: &StaffMember,
    problem: Option<GroupProblem>,
    draft: Draft,
    notice: Option<String>,
) -> StaffResult {
    let t = visitor.t();
    let groups = state
        .store
        .groups()
        .await
        .map_err(|e| visitor.internal(e))?;
    let users = state
        .store
        .list_users()
        .await
        .map_err(|e| visitor.internal(e))?;
    let page = GroupsPage {
        t,
        csrf: visitor.csrf().unwrap_or_default().to_owned(),
        nav: StaffNav::new(&t, staff, true),
        notice,
        problem: problem.map(|p| t.t(&format!("admin.groups.problem.{}", p.key()))),
        groups: groups
            .iter()
            .enumerate()
            .map(|(i, g)| view(&t, i, g, &users))
            .collect(),
        draft_name: draft.name,
        draft_description: draft.description,
        create_invalid: problem.is_some_and(GroupProblem::in_create_form),
        name_hint: t.f(
            "admin.groups.name_hint",
            &[("max", &MAX_NAME_CHARS.to_string())],
        ),
        description_hint: t.f(
            "admin.groups.description_hint",
            &[("max", &MAX_DESCRIPTION_CHARS.to_string())],
        ),
    };
    let status = problem.map_or(StatusCode::OK, GroupProblem::status);
    respond(visitor, &page, status)
}

/// GET /admin/groups
pub(super) async fn page(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<NoticeQuery>,
) -> StaffResult {
    let staff = admin(&visitor)?;
    let notice = query.message(&visitor.t(), "admin.groups", &NOTICES);
    render_groups(&state, &visitor, staff, None, Draft::default(), notice).await
}

/// GET on a form URL of this page: back to the page.
pub(super) async fn back() -> actix_web::HttpResponse {
    back_to("/admin/groups")
}

/// The submitted create form.
#[derive(Deserialize)]
pub(super) struct CreateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
}

/// A group name as typed: trimmed, at most [`MAX_NAME_CHARS`], no control
/// characters.
pub(super) fn parse_name(raw: &str) -> Result<String, GroupProblem> {
    let name = raw.trim();
    if name.is_empty() {
        Err(GroupProblem::NameMissing)
    } else if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        Err(GroupProblem::NameInvalid)
    } else {
        Ok(name.to_owned())
    }
}

/// POST /admin/groups
pub(super) async fn create(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: web::Form<CreateForm>,
) -> StaffResult {
    let staff = admin(&visitor)?;
    visitor.check_csrf(&form.csrf)?;
    let draft = Draft {
        name: form.name.clone(),
        description: form.description.clone(),
    };
    let refuse =
        |problem| render_groups(&state, &visitor, staff, Some(problem), draft.clone(), None);
    let name = match parse_name(&form.name) {
        Ok(name) => name,
        Err(problem) => return refuse(problem).await,
    };
    let description = form.description.trim().to_owned();
    if description.chars().count() > MAX_DESCRIPTION_CHARS
        || description.chars().any(char::is_control)
    {
        return refuse(GroupProblem::DescriptionInvalid).await;
    }
    let groups = state
        .store
        .groups()
        .await
        .map_err(|e| visitor.internal(e))?;
    if groups
        .iter()
        .any(|g| g.name.to_lowercase() == name.to_lowercase())
    {
        return refuse(GroupProblem::NameTaken).await;
    }
    audit_log::record(
        &*state.store,
        state.now(),
        AuditEvent::new(AuditActor::User(staff.user_id), action::GROUP_CREATED)
            .with_detail(json!({ "group": name, "description": description })),
    )
    .await
    .map_err(|e| visitor.internal(e))?;
    match state
        .store
        .create_group(&name, &description, state.now())
        .await
    {
        Ok(()) => Ok(done("/admin/groups", "group_created")),
        Err(StoreError::Conflict) => refuse(GroupProblem::NameTaken).await,
        Err(e) => Err(visitor.internal(e).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_names_are_trimmed_and_bounded() {
        assert_eq!(parse_name("  infosec "), Ok("infosec".to_owned()));
        assert_eq!(parse_name("   "), Err(GroupProblem::NameMissing));
        assert_eq!(parse_name("a\u{7}b"), Err(GroupProblem::NameInvalid));
        assert_eq!(
            parse_name(&"x".repeat(MAX_NAME_CHARS + 1)),
            Err(GroupProblem::NameInvalid)
        );
        assert!(parse_name(&"æ".repeat(MAX_NAME_CHARS)).is_ok());
    }
}
