//! Deadlines through the API: the `deadlines` and `feedback_extension` of
//! the staff case, and `POST /api/v1/staff/cases/{case}/feedback-extension`,
//! which extends the feedback deadline once, with a reason.

use crate::web::api::responses::{
    BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, Unauthorized, UnsupportedMediaType,
};
use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::core::deadlines::{self, CaseDeadlines, DeadlineStatus};
use crate::web::api::auth::ApiCaller;
use crate::web::api::error::ApiError;
use crate::web::api::iso_instant;
use crate::web::http::ErrorKind;
use crate::web::state::AppState;

/// One deadline of a case.
#[derive(Serialize, ToSchema)]
pub struct DeadlineJson {
    /// Which deadline (`acknowledge`, `feedback`, ...).
    pub kind: String,
    /// When it falls due, RFC 3339.
    #[schema(format = DateTime)]
    pub due: String,
    /// Its state (`ok`, `due_soon`, `overdue`, `met`, `closed`, ...).
    pub state: String,
    /// When it was met, RFC 3339; null while unmet.
    #[schema(required, format = DateTime)]
    pub met: Option<String>,
    /// Whether it was met in time; null while unmet.
    #[schema(required)]
    pub met_in_time: Option<bool>,
}

/// A feedback deadline extension.
#[derive(Serialize, ToSchema)]
pub struct ExtensionJson {
    /// When, RFC 3339.
    #[schema(format = DateTime)]
    pub extended_at: String,
    /// Who extended it; null if the account is gone.
    #[schema(required)]
    pub extended_by: Option<String>,
    /// Why.
    pub reason: String,
}

/// The extended feedback deadline and every deadline of the case.
#[derive(Serialize, ToSchema)]
pub struct Extended {
    /// The new feedback due instant, RFC 3339.
    #[schema(format = DateTime)]
    pub feedback_due: String,
    /// Every deadline of the case.
    pub deadlines: Vec<DeadlineJson>,
}

/// One deadline.
pub(crate) fn deadline_json(s: &DeadlineStatus) -> DeadlineJson {
    let d = &s.deadline;
    DeadlineJson {
        kind: d.kind.key().to_owned(),
        due: iso_instant(d.due.unix_timestamp()),
        state: s.state_key().to_owned(),
        met: d.met.map(|at| iso_instant(at.unix_timestamp())),
        met_in_time: d.met_in_time(),
    }
}

/// The nearest unmet deadline that still runs, if any.
pub(crate) fn next_of(statuses: &[DeadlineStatus]) -> Option<&DeadlineStatus> {
    statuses
        .iter()
        .filter(|s| s.deadline.met.is_none() && s.state.is_some())
        .min_by_key(|s| s.deadline.due)
}

/// The `deadlines` and `feedback_extension` fields of the staff case.
pub(crate) fn case_deadlines_json(d: &CaseDeadlines) -> (Vec<DeadlineJson>, Option<ExtensionJson>) {
    let list = d.statuses.iter().map(deadline_json).collect();
    let extension = d.extension.as_ref().map(|e| ExtensionJson {
        extended_at: iso_instant(e.at),
        extended_by: e.by_name.clone(),
        reason: e.reason.clone(),
    });
    (list, extension)
}

/// `POST /api/v1/staff/cases/{case}/feedback-extension`: the new feedback
/// due instant and every deadline of the case.
#[utoipa::path(
    post, operation_id = "extend_feedback", path = "/api/v1/staff/cases/{case}/feedback-extension", tag = "staff", security(("bearer" = [])),
    params(("case" = Uuid, Path, description = "The case id.")),
    request_body = super::ReasonRequest,
    responses((status = 200, description = "The feedback deadline is extended.", body = Extended), BadRequest, Unauthorized, Forbidden, NotFound, Conflict, PayloadTooLarge, UnsupportedMediaType),
)]
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
    Ok(HttpResponse::Ok().json(Extended {
        feedback_due: iso_instant(due.unix_timestamp()),
        deadlines: statuses.iter().map(deadline_json).collect(),
    }))
}
