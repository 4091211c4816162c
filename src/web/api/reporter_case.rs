//! The reporter's case through the API (`/api/v1/reporter/case…`), for a
//! reporter token: reading it, replying, adding and fetching attachments. The
//! reporter sees days, never times, and never which staff member wrote.

use crate::web::api::responses::{
    BadRequest, NotFound, PayloadTooLarge, Unauthorized, UnsupportedMediaType,
};
use crate::web::http::SecretText;
use actix_multipart::Multipart;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::core::casework::{self, CaseView};
use crate::core::domain::TextField;
use crate::core::followup;
use crate::web::api::auth::ApiCaller;
use crate::web::api::error::ApiError;
use crate::web::api::files::{UploadForm, Uploaded};
use crate::web::api::followup::{reporter_measures_json, ReporterDatesJson, ReporterMeasure};
use crate::web::api::{files, iso_date, iso_day};
use crate::web::api::{
    reporter_thread, AuthorKind, ReportText, ReporterAttachment, ReporterMessage,
};
use crate::web::http::download::attachment_download;
use crate::web::http::ErrorKind;
use crate::web::state::AppState;

/// `{"body": "…"}`: a message in a case thread.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageRequest {
    /// The text.
    #[schema(value_type = String)]
    body: SecretText,
}

/// The reporter's case.
#[derive(Serialize, ToSchema)]
pub struct ReporterCase {
    /// The case status key.
    #[schema(example = "received")]
    pub status: String,
    /// The day the report was received, `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub received_on: String,
    /// The day the reporter should next hear from the organisation.
    #[schema(required, format = Date)]
    pub answer_due: Option<String>,
    /// The report.
    pub report: ReportText,
    /// The thread, oldest first.
    pub messages: Vec<ReporterMessage>,
    /// The attachments.
    pub attachments: Vec<ReporterAttachment>,
    /// When receipt was and is to be acknowledged, and when feedback is due.
    pub dates: ReporterDatesJson,
    /// The measures taken to protect the reporter that the handlers chose
    /// to show them, oldest first.
    pub measures: Vec<ReporterMeasure>,
}

/// A reply the reporter sent.
#[derive(Serialize, ToSchema)]
pub struct ReporterReplied {
    /// Always `reporter`.
    pub author: AuthorKind,
    /// The day, `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub date: String,
}

impl MessageRequest {
    /// The validated message text.
    pub fn text(&self, caller: &ApiCaller, state: &AppState) -> Result<TextField, ApiError> {
        TextField::parse(&self.body, state.settings.limits.max_text_chars)
            .map_err(|e| ApiError::text(caller.lang, "body", e))
    }
}

fn reporter_json(
    view: &CaseView,
    dates: ReporterDatesJson,
    measures: Vec<ReporterMeasure>,
) -> ReporterCase {
    let (report, messages, attachments) = reporter_thread(view);
    ReporterCase {
        status: view.case.status.key().to_owned(),
        received_on: iso_day(view.case.received_at),
        answer_due: view.answer_due.map(iso_date),
        report,
        messages,
        attachments,
        dates,
        measures,
    }
}

/// `GET /api/v1/reporter/case`.
#[utoipa::path(
    get, operation_id = "reporter_case_view", path = "/api/v1/reporter/case", tag = "reporter", security(("bearer" = [])),
    responses((status = 200, description = "The reporter's case.", body = ReporterCase), Unauthorized),
)]
pub async fn view(state: web::Data<AppState>, caller: ApiCaller) -> Result<HttpResponse, ApiError> {
    let reporter = caller.reporter()?;
    let failed = |e| ApiError::core(caller.lang, e);
    let view = casework::reporter_view(&state, reporter)
        .await
        .map_err(failed)?;
    let dates = followup::reporter_dates(&state, reporter.case_id)
        .await
        .map_err(failed)?;
    let measures = followup::reporter_measures(&state, reporter)
        .await
        .map_err(failed)?;
    Ok(HttpResponse::Ok().json(reporter_json(
        &view,
        dates.into(),
        reporter_measures_json(&measures),
    )))
}

/// `POST /api/v1/reporter/case/messages`.
#[utoipa::path(
    post, operation_id = "reporter_case_reply", path = "/api/v1/reporter/case/messages", tag = "reporter", security(("bearer" = [])),
    request_body = MessageRequest,
    responses((status = 201, description = "The reply is stored.", body = ReporterReplied), BadRequest, Unauthorized, PayloadTooLarge, UnsupportedMediaType),
)]
pub async fn reply(
    state: web::Data<AppState>,
    caller: ApiCaller,
    body: web::Json<MessageRequest>,
) -> Result<HttpResponse, ApiError> {
    let reporter = caller.reporter()?;
    let text = body.text(&caller, &state)?;
    drop(body);
    casework::reporter_reply(&state, reporter, Some(&text), &[])
        .await
        .map_err(|e| ApiError::core(caller.lang, e))?;
    Ok(HttpResponse::Created().json(ReporterReplied {
        author: AuthorKind::Reporter,
        date: iso_day(casework::now_in(&state)),
    }))
}

/// `POST /api/v1/reporter/case/attachments` (multipart, `attachment` parts).
#[utoipa::path(
    post, operation_id = "reporter_case_upload", path = "/api/v1/reporter/case/attachments", tag = "reporter", security(("bearer" = [])),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, description = "The files are stored.", body = Vec<Uploaded>), BadRequest, Unauthorized, PayloadTooLarge, UnsupportedMediaType),
)]
pub async fn upload(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
    payload: Multipart,
) -> Result<HttpResponse, ApiError> {
    let reporter = caller.reporter()?;
    let recipient = reporter.recipient();
    let form = files::receive_upload(
        &state,
        caller.lang,
        &req,
        payload,
        reporter.case_id,
        &recipient,
        true,
    )
    .await?;
    let replied = casework::reporter_reply(&state, reporter, None, &form.files).await;
    files::uploaded_or_discarded(caller.lang, form, replied).await
}

/// `GET /api/v1/reporter/case/attachments/{attachment}`.
#[utoipa::path(
    get, operation_id = "reporter_case_download", path = "/api/v1/reporter/case/attachments/{attachment}", tag = "reporter", security(("bearer" = [])),
    params(("attachment" = Uuid, Path, description = "The attachment id.")),
    responses((status = 200, description = "The file, as `Content-Disposition: attachment`.", content_type = "application/octet-stream", body = Vec<u8>), Unauthorized, NotFound),
)]
pub async fn download(
    state: web::Data<AppState>,
    caller: ApiCaller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let reporter = caller.reporter()?;
    let not_found = || ApiError::kind(caller.lang, ErrorKind::NotFound);
    let id = Uuid::parse_str(&path).map_err(|_| not_found())?;
    let opened = casework::reporter_attachment(&state, reporter, id)
        .await
        .map_err(|e| ApiError::core(caller.lang, e))?;
    attachment_download(&state, opened)
        .await
        .map_err(|e| ApiError::internal(caller.lang, &e))
}
