//! The reporter's identity on the staff case page: whether the reporter gave
//! it, the form to ask a custodian to see it (with a written reason), where
//! the request stands, "available from …" during the notice period, and the
//! identity itself once released to this handler.

use uuid::Uuid;
use zeroize::Zeroize;

use super::show_moment;
use crate::core::actor::StaffMember;
use crate::core::identity::{self, HandlerIdentity};
use crate::web::http::{AppError, Visitor};
use crate::web::state::AppState;

/// The identity section of the staff case page.
#[derive(Default)]
pub(crate) struct IdentitySection {
    /// What the handler is told (translated).
    pub(crate) status: String,
    /// The request form is offered.
    pub(crate) can_request: bool,
    /// The custodian's reason for denying the last request.
    pub(crate) denied_reason: Option<String>,
    /// The identity, once released and readable: name, contact, role.
    pub(crate) released: Option<(String, String, String)>,
    /// Why the request form was refused.
    pub(crate) problem: Option<String>,
    /// The reason as typed, to offer again.
    pub(crate) draft: String,
    /// The form's action.
    pub(crate) action: String,
}

impl Drop for IdentitySection {
    fn drop(&mut self) {
        if let Some((name, contact, role)) = self.released.as_mut() {
            name.zeroize();
            contact.zeroize();
            role.zeroize();
        }
        if let Some(r) = self.denied_reason.as_mut() {
            r.zeroize();
        }
        self.draft.zeroize();
    }
}

/// The section for `staff` on case `case_id`, with a refused request's
/// `problem` and `draft`.
pub(crate) async fn section(
    state: &AppState,
    visitor: &Visitor,
    staff: &StaffMember,
    case_id: Uuid,
    problem: Option<String>,
    draft: String,
) -> Result<IdentitySection, AppError> {
    let t = visitor.t();
    let view = identity::handler_view(state, staff, case_id)
        .await
        .map_err(|e| visitor.fail(e))?;
    let mut s = IdentitySection::default();
    s.problem = problem;
    s.draft = draft;
    s.action = format!("/staff/cases/{case_id}/identity/requests");
    match view {
        HandlerIdentity::NotGiven => s.status = t.t("custodian.staff.not_given"),
        HandlerIdentity::Hidden { denied } => {
            s.can_request = true;
            s.status = match &denied {
                Some(d) => t.f("custodian.staff.denied", &[("time", &show_moment(d.at))]),
                None => t.t("custodian.staff.hidden"),
            };
            s.denied_reason = denied.and_then(|mut d| d.reason.take());
        }
        HandlerIdentity::Pending { requested_at } => {
            s.status = t.f(
                "custodian.staff.pending",
                &[("time", &show_moment(requested_at))],
            );
        }
        HandlerIdentity::Waiting { readable_from } => {
            s.status = t.f(
                "custodian.staff.available_from",
                &[("time", &exact_moment(readable_from))],
            );
        }
        HandlerIdentity::Readable { identity, .. } => {
            s.status = t.t("custodian.staff.readable");
            s.released = Some((
                identity.name.clone(),
                identity.contact.clone(),
                identity.role.clone(),
            ));
        }
    }
    Ok(s)
}

/// A UNIX time as dd.mm.yyyy hh:mm in Oslo (always with the time of day).
fn exact_moment(at: i64) -> String {
    super::show_exact(at)
}
