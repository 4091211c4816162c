//! Deadlines through the API: the `deadlines` and `feedback_extension` of
//! the staff case, and `POST /api/v1/staff/cases/{case}/feedback-extension`,
//! which extends the feedback deadline once, with a reason.

use actix_web::{web, HttpResponse};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::core::deadlines::{self, CaseDeadlines, DeadlineStatus};
use crate::web::api::auth::ApiCaller;
use crate::web::api::error::ApiError;
use crate::web::api::iso_instant;
use crate::web::http::ErrorKind;
use crate::web::state::AppState;

/// One deadline: `{"kind", "due", "state", "met", "met_in_time"}`.
pub(crate) fn deadline_json(s: &DeadlineStatus) -> Value {
    let d = &s.deadline;
    json!({
        "kind": d.kind.key(),
        "due": iso_instant(d.due.unix_timestamp()),
        "state": s.state_key(),
        "met": d.met.map(|at| iso_instant(at.unix_timestamp())),
        "met_in_time": d.met_in_time(),
    })
}

/// The nearest unmet deadline that still runs, if any.
pub(crate) fn next_of(statuses: &[DeadlineStatus]) -> Option<&DeadlineStatus> {
    statuses
        .iter()
        .filter(|s| s.deadline.met.is_none() && s.state.is_some())
        .min_by_key(|s| s.deadline.due)
}

/// The `deadlines` and `feedback_extension` fields of the staff case.
pub(crate) fn case_deadlines_json(d: &CaseDeadlines) -> (Value, Value) {
    let list: Vec<Value> = d.statuses.iter().map(deadline_json).collect();
    let extension = match &d.extension {
        Some(e) => json!({
            "extended_at": iso_instant(e.at),
            "extended_by": e.by_name,
            "reason": e.reason,
        }),
        None => Value::Null,
    };
    (Value::Array(list), extension)
}

/// `POST /api/v1/staff/cases/{case}/feedback-extension`: the new feedback
/// due instant and every deadline of the case.
pub async fn extend(
    state: web::Data<AppState>,
    caller: ApiCaller,
    path: web::Path<String>,
    body: web::Json<super::ReasonRequest>,
) -> Result<HttpResponse, ApiError> {
    let staff = caller.case_worker()?;
    let lang = caller.lang;
    let id = Uuid::parse_str(&path).map_err(|_| ApiError::kind(lang, ErrorKind::NotFound))?;
    let due = deadlines::extend_feedback(&state, staff, id, &body.reason)
        .await
        .map_err(|e| ApiError::core(lang, e))?;
    drop(body);
    let statuses = deadlines::deadline_statuses(&state, id)
        .await
        .map_err(|e| ApiError::internal(lang, &e))?;
    let list: Vec<Value> = statuses.iter().map(deadline_json).collect();
    Ok(HttpResponse::Ok().json(json!({
        "feedback_due": iso_instant(due.unix_timestamp()),
        "deadlines": list,
    })))
}
