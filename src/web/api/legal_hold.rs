//! Legal holds through the API: `POST /api/v1/staff/cases/{case}/legal-hold`
//! places one with a reason (sealed to the case), `DELETE` lifts it. Only a
//! contact point who can open the case may; a held case is never deleted by
//! retention (`docs/retention.md`).

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::core::retention;
use crate::web::api::auth::ApiCaller;
use crate::web::api::error::ApiError;
use crate::web::api::iso_instant;
use crate::web::api::responses::{
    BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, Unauthorized, UnsupportedMediaType,
};
use crate::web::http::ErrorKind;
use crate::web::state::AppState;

/// Whether a case is on legal hold.
#[derive(Serialize, ToSchema)]
pub struct LegalHoldJson {
    /// Whether the case is held (never deleted by retention while it is).
    pub held: bool,
    /// Since when, RFC 3339; null when not held.
    #[schema(required, format = DateTime)]
    pub placed_at: Option<String>,
    /// Who placed it; null when not held.
    #[schema(required)]
    pub placed_by: Option<String>,
    /// Why; null when not held.
    #[schema(required)]
    pub reason: Option<String>,
}

/// The case id of the path, or "not found".
fn case_of(caller: &ApiCaller, path: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(path).map_err(|_| ApiError::kind(caller.lang, ErrorKind::NotFound))
}

/// `POST /api/v1/staff/cases/{case}/legal-hold`: places a legal hold.
#[utoipa::path(
    post, operation_id = "legal_hold_place", path = "/api/v1/staff/cases/{case}/legal-hold", tag = "staff", security(("bearer" = [])),
    params(("case" = Uuid, Path, description = "The case id.")),
    request_body = super::ReasonRequest,
    responses((status = 200, description = "The case is on legal hold.", body = LegalHoldJson), BadRequest, Unauthorized, Forbidden, NotFound, Conflict, PayloadTooLarge, UnsupportedMediaType),
)]
pub async fn place(
    state: web::Data<AppState>,
    caller: ApiCaller,
    path: web::Path<String>,
    body: web::Json<super::ReasonRequest>,
) -> Result<HttpResponse, ApiError> {
    let staff = caller.case_worker()?;
    let lang = caller.lang;
    let id = case_of(&caller, &path)?;
    retention::place_hold(&state, staff, id, &body.reason)
        .await
        .map_err(|e| ApiError::core(lang, e))?;
    drop(body);
    let hold = retention::hold(&state, staff, id)
        .await
        .map_err(|e| ApiError::core(lang, e))?;
    Ok(HttpResponse::Ok().json(match hold {
        Some(h) => LegalHoldJson {
            held: true,
            placed_at: Some(iso_instant(h.placed_at.unix_timestamp())),
            placed_by: Some(h.placed_by_name.clone()),
            reason: Some(h.reason.clone()),
        },
        None => not_held(),
    }))
}

/// `DELETE /api/v1/staff/cases/{case}/legal-hold`: lifts the legal hold.
#[utoipa::path(
    delete, operation_id = "legal_hold_lift", path = "/api/v1/staff/cases/{case}/legal-hold", tag = "staff", security(("bearer" = [])),
    params(("case" = Uuid, Path, description = "The case id.")),
    responses((status = 200, description = "The legal hold is lifted.", body = LegalHoldJson), Unauthorized, Forbidden, NotFound, Conflict),
)]
pub async fn lift(
    state: web::Data<AppState>,
    caller: ApiCaller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let staff = caller.case_worker()?;
    let lang = caller.lang;
    let id = case_of(&caller, &path)?;
    retention::lift_hold(&state, staff, id)
        .await
        .map_err(|e| ApiError::core(lang, e))?;
    Ok(HttpResponse::Ok().json(not_held()))
}

fn not_held() -> LegalHoldJson {
    LegalHoldJson {
        held: false,
        placed_at: None,
        placed_by: None,
        reason: None,
    }
}
