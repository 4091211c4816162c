//! Internal notes between handlers through the API:
//! `GET /api/v1/staff/cases/{case}/notes` lists a case's notes, `POST` adds
//! one. Notes are sealed to the case, readable by every staff member who
//! can open it, and never part of the reporter's API.

use crate::web::api::responses::{
    BadRequest, Forbidden, NotFound, PayloadTooLarge, Unauthorized, UnsupportedMediaType,
};
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::core::domain::TextField;
use crate::core::notes;
use crate::web::api::auth::ApiCaller;
use crate::web::api::error::ApiError;
use crate::web::api::iso_instant;
use crate::web::http::{ErrorKind, SecretText};
use crate::web::state::AppState;

/// `{"body": "…"}`: an internal note.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteRequest {
    /// The note; sealed to the case, never shown to the reporter.
    #[schema(value_type = String)]
    body: SecretText,
}

/// An internal note.
#[derive(Serialize, ToSchema)]
pub struct NoteJson {
    /// Its id.
    pub id: Uuid,
    /// When it was written, RFC 3339.
    #[schema(format = DateTime)]
    pub time: String,
    /// Who wrote it; null if the account is gone.
    #[schema(required)]
    pub author_name: Option<String>,
    /// The note.
    pub body: String,
}

/// A note just added.
#[derive(Serialize, ToSchema)]
pub struct NoteAdded {
    /// Its id.
    pub id: Uuid,
    /// When, RFC 3339.
    #[schema(format = DateTime)]
    pub time: String,
}

/// `GET /api/v1/staff/cases/{case}/notes`.
#[utoipa::path(
    get, operation_id = "staff_case_notes", path = "/api/v1/staff/cases/{case}/notes", tag = "staff", security(("bearer" = [])),
    params(("case" = Uuid, Path, description = "The case id.")),
    responses((status = 200, description = "The case's internal notes, oldest first.", body = [NoteJson]), Unauthorized, Forbidden, NotFound),
)]
pub async fn list(
    state: web::Data<AppState>,
    caller: ApiCaller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let staff = caller.case_worker()?;
    let lang = caller.lang;
    let id = Uuid::parse_str(&path).map_err(|_| ApiError::kind(lang, ErrorKind::NotFound))?;
    let notes = notes::staff_notes(&state, staff, id)
        .await
        .map_err(|e| ApiError::core(lang, e))?;
    let body: Vec<NoteJson> = notes
        .iter()
        .map(|n| NoteJson {
            id: n.id,
            time: iso_instant(n.created_at),
            author_name: n.author_name.clone(),
            body: n.body.clone(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(body))
}

/// `POST /api/v1/staff/cases/{case}/notes`.
#[utoipa::path(
    post, operation_id = "staff_case_note_add", path = "/api/v1/staff/cases/{case}/notes", tag = "staff", security(("bearer" = [])),
    params(("case" = Uuid, Path, description = "The case id.")),
    request_body = NoteRequest,
    responses((status = 201, description = "The note is stored, sealed to the case; the audit log records that it was added, never its text.", body = NoteAdded), BadRequest, Unauthorized, Forbidden, NotFound, PayloadTooLarge, UnsupportedMediaType),
)]
pub async fn add(
    state: web::Data<AppState>,
    caller: ApiCaller,
    path: web::Path<String>,
    body: web::Json<NoteRequest>,
) -> Result<HttpResponse, ApiError> {
    let staff = caller.case_worker()?;
    let lang = caller.lang;
    let id = Uuid::parse_str(&path).map_err(|_| ApiError::kind(lang, ErrorKind::NotFound))?;
    // A case that is not the caller's is "not found" before the body is judged.
    crate::core::open::ensure_staff_case(&state, staff, id)
        .await
        .map_err(|e| ApiError::core(lang, e))?;
    let text = TextField::parse(&body.body, state.settings.limits.max_text_chars)
        .map_err(|e| ApiError::text(lang, "body", e))?;
    drop(body);
    let (note, at) = notes::add_note(&state, staff, id, &text)
        .await
        .map_err(|e| ApiError::core(lang, e))?;
    Ok(HttpResponse::Created().json(NoteAdded {
        id: note,
        time: iso_instant(at),
    }))
}
