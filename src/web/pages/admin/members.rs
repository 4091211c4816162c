//! The member and lead forms of `/admin/groups`: add an active account to a
//! group or remove it, make a member a lead or an ordinary member again.
//! Every change is checked against what is stored before anything is
//! written, recorded in the audit log (who, which group, which account) and
//! answered with a redirect to the page; a refusal changes nothing and shows
//! the page again with the reason.

use actix_web::web;
use serde::Deserialize;
use serde_json::json;

use super::admin;
use super::forms::done;
use super::groups::{render_groups, Draft, GroupProblem};
use crate::core::actor::StaffMember;
use crate::core::audit::{action, AuditActor, AuditEvent};
use crate::core::audit_log;
use crate::core::store::{Group, StoreError, User};
use crate::web::http::Visitor;
use crate::web::pages::staff::StaffResult;
use crate::web::state::AppState;

/// The submitted form: which group, which account.
#[derive(Deserialize)]
pub(super) struct MemberForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    group: String,
    #[serde(default)]
    username: String,
}

/// What a form asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    AddMember,
    RemoveMember,
    AddLead,
    RemoveLead,
}

impl Change {
    fn action(self) -> &'static str {
        match self {
            Change::AddMember => action::GROUP_MEMBER_ADDED,
            Change::RemoveMember => action::GROUP_MEMBER_REMOVED,
            Change::AddLead => action::GROUP_LEAD_ADDED,
            Change::RemoveLead => action::GROUP_LEAD_REMOVED,
        }
    }

    fn notice(self) -> &'static str {
        match self {
            Change::AddMember => "member_added",
            Change::RemoveMember => "member_removed",
            Change::AddLead => "lead_added",
            Change::RemoveLead => "lead_removed",
        }
    }

    /// Why `user` cannot undergo this change in `group`, if they cannot.
    /// Members and leads must be active accounts; an inactive account can
    /// still be removed.
    fn refusal(self, group: &Group, user: Option<&User>) -> Option<GroupProblem> {
        let Some(user) = user.filter(|u| u.active || self == Change::RemoveMember) else {
            return Some(GroupProblem::UnknownUser);
        };
        let member = group.has_member(user.id);
        let lead = group.has_lead(user.id);
        match self {
            Change::AddMember if member => Some(GroupProblem::AlreadyMember),
            // The core's guardrail: only handlers and contact points.
            Change::AddMember | Change::AddLead
                if crate::core::accounts::check_group_member(user).is_err() =>
            {
                Some(GroupProblem::NotCaseWorker)
            }
            Change::RemoveMember if !member => Some(GroupProblem::NotMember),
            Change::AddLead if !member => Some(GroupProblem::LeadNotMember),
            Change::AddLead if lead => Some(GroupProblem::AlreadyLead),
            Change::RemoveLead if !lead => Some(GroupProblem::NotLead),
            _ => None,
        }
    }

    /// What the store answers with when someone else changed the group in
    /// the meantime.
    fn lost_race(self, e: &StoreError) -> Option<GroupProblem> {
        match (self, e) {
            (Change::AddMember, StoreError::Conflict) => Some(GroupProblem::AlreadyMember),
            (Change::AddMember, StoreError::NotFound) => Some(GroupProblem::UnknownUser),
            (Change::RemoveMember, StoreError::NotFound) => Some(GroupProblem::NotMember),
            (Change::AddLead, StoreError::Conflict) => Some(GroupProblem::AlreadyLead),
            (Change::AddLead, StoreError::NotFound) => Some(GroupProblem::LeadNotMember),
            (Change::RemoveLead, StoreError::NotFound) => Some(GroupProblem::NotLead),
            _ => None,
        }
    }
}

async fn apply(
    state: &AppState,
    visitor: &Visitor,
    staff: &StaffMember,
    form: &MemberForm,
    change: Change,
) -> StaffResult {
    visitor.check_csrf(&form.csrf)?;
    let refuse =
        |problem| render_groups(state, visitor, staff, Some(problem), Draft::default(), None);
    let groups = state
        .store
        .groups()
        .await
        .map_err(|e| visitor.internal(e))?;
    let Some(group) = groups.iter().find(|g| g.name == form.group) else {
        return refuse(GroupProblem::UnknownGroup).await;
    };
    let user = state
        .store
        .user_by_username(form.username.trim())
        .await
        .map_err(|e| visitor.internal(e))?;
    if let Some(problem) = change.refusal(group, user.as_ref()) {
        return refuse(problem).await;
    }
    let Some(user) = user else {
        return refuse(GroupProblem::UnknownUser).await;
    };
    let mut detail = json!({
        "group": group.name,
        "user": user.id,
        "username": user.username,
    });
    if change == Change::RemoveMember {
        detail["was_lead"] = json!(group.has_lead(user.id));
    }
    audit_log::record(
        &*state.store,
        state.now(),
        AuditEvent::new(AuditActor::User(staff.user_id), change.action()).with_detail(detail),
    )
    .await
    .map_err(|e| visitor.internal(e))?;
    let store = &state.store;
    let result = match change {
        Change::AddMember => store.add_group_member(&group.name, user.id).await,
        Change::RemoveMember => store.remove_group_member(&group.name, user.id).await,
        Change::AddLead => store.add_group_lead(&group.name, user.id).await,
        Change::RemoveLead => store.remove_group_lead(&group.name, user.id).await,
    };
    match result {
        Ok(()) => Ok(done("/admin/groups", change.notice())),
        Err(e) => match change.lost_race(&e) {
            Some(problem) => refuse(problem).await,
            None => Err(visitor.internal(e).into()),
        },
    }
}

/// POST /admin/groups/members
pub(super) async fn add_member(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: web::Form<MemberForm>,
) -> StaffResult {
    let staff = admin(&visitor)?;
    apply(&state, &visitor, staff, &form, Change::AddMember).await
}

/// POST /admin/groups/members/remove
pub(super) async fn remove_member(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: web::Form<MemberForm>,
) -> StaffResult {
    let staff = admin(&visitor)?;
    apply(&state, &visitor, staff, &form, Change::RemoveMember).await
}

/// POST /admin/groups/leads
pub(super) async fn add_lead(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: web::Form<MemberForm>,
) -> StaffResult {
    let staff = admin(&visitor)?;
    apply(&state, &visitor, staff, &form, Change::AddLead).await
}

/// POST /admin/groups/leads/remove
pub(super) async fn remove_lead(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: web::Form<MemberForm>,
) -> StaffResult {
    let staff = admin(&visitor)?;
    apply(&state, &visitor, staff, &form, Change::RemoveLead).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::domain::Role;
    use uuid::Uuid;

    fn user(active: bool) -> User {
        User {
            id: Uuid::new_v4(),
            username: "u".into(),
            display_name: "U".into(),
            roles: vec![Role::Handler],
            recipient: String::new(),
            wrapped_identity: Vec::new(),
            email: None,
            active,
            groups: Vec::new(),
            created_at: 0,
        }
    }

    #[test]
    fn a_lead_must_be_an_active_member() {
        let (member, lead, outsider, retired) = (user(true), user(true), user(true), user(false));
        let group = Group {
            name: "infosec".into(),
            description: String::new(),
            created_at: 0,
            members: vec![member.id, lead.id, retired.id],
            leads: vec![lead.id],
        };
        let refusal = |change: Change, u: &User| change.refusal(&group, Some(u));
        assert_eq!(refusal(Change::AddLead, &member), None);
        assert_eq!(
            refusal(Change::AddLead, &outsider),
            Some(GroupProblem::LeadNotMember)
        );
        assert_eq!(
            refusal(Change::AddLead, &lead),
            Some(GroupProblem::AlreadyLead)
        );
        assert_eq!(
            refusal(Change::AddLead, &retired),
            Some(GroupProblem::UnknownUser)
        );
        assert_eq!(refusal(Change::RemoveMember, &retired), None);
        assert_eq!(
            refusal(Change::AddMember, &member),
            Some(GroupProblem::AlreadyMember)
        );
        assert_eq!(refusal(Change::AddMember, &outsider), None);
        assert_eq!(
            refusal(Change::RemoveLead, &member),
            Some(GroupProblem::NotLead)
        );
        assert_eq!(
            Change::AddMember.refusal(&group, None),
            Some(GroupProblem::UnknownUser)
        );
    }
}
