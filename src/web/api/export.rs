//! `POST /api/v1/staff/cases/{case}/export`: the case as one age-encrypted
//! archive made out to the recipients in the body (`docs/export.md`).

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::core::error::FieldProblem;
use crate::core::export::{self, ExportRecipients};
use crate::web::api::auth::ApiCaller;
use crate::web::api::error::{ApiError, Problem};
use crate::web::api::responses::{
    BadRequest, Forbidden, NotFound, PayloadTooLarge, Unauthorized, UnsupportedMediaType,
};
use crate::web::http::download::export_download;
use crate::web::http::ErrorKind;
use crate::web::state::AppState;

/// `{"recipients": ["age1…"]}`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportRequest {
    /// One to 20 age X25519 public keys (`age1…`); the archive is encrypted
    /// to each of them.
    #[schema(example = json!(["age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"]))]
    recipients: Vec<String>,
}

/// `POST /api/v1/staff/cases/{case}/export`.
#[utoipa::path(
    post, operation_id = "staff_case_export", path = "/api/v1/staff/cases/{case}/export", tag = "staff", security(("bearer" = [])),
    params(("case" = Uuid, Path, description = "The case id.")),
    request_body = ExportRequest,
    responses((status = 200, description = "The archive `varsel-case-<id>.tar.age` (an age file; inside, a tar archive: see docs/export.md), as `Content-Disposition: attachment`. The export is audited (`case.exported`).", content_type = "application/octet-stream", body = Vec<u8>), BadRequest, Unauthorized, Forbidden, NotFound, PayloadTooLarge, UnsupportedMediaType),
)]
pub async fn export_case(
    state: web::Data<AppState>,
    caller: ApiCaller,
    path: web::Path<String>,
    body: web::Json<ExportRequest>,
) -> Result<HttpResponse, ApiError> {
    let staff = caller.case_worker()?;
    let id =
        Uuid::parse_str(&path).map_err(|_| ApiError::kind(caller.lang, ErrorKind::NotFound))?;
    crate::core::open::ensure_staff_case(&state, staff, id)
        .await
        .map_err(|e| ApiError::core(caller.lang, e))?;
    let recipients =
        ExportRecipients::parse(body.recipients.iter().map(String::as_str)).map_err(|e| {
            let problem = match e.problem {
                FieldProblem::Required => Problem::TextRequired { field: e.field },
                FieldProblem::TooLong { max } => Problem::TextTooLong {
                    field: e.field,
                    limit: max as u64,
                },
                _ => Problem::InvalidRecipient,
            };
            ApiError::new(caller.lang, problem)
        })?;
    let exported = export::export_case(&state, staff, id, &recipients, caller.lang)
        .await
        .map_err(|e| ApiError::core(caller.lang, e))?;
    Ok(export_download(exported))
}
