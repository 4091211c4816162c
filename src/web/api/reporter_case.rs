//! The reporter's case through the API (`/api/v1/reporter/case…`), for a
//! reporter token: reading it, replying, adding and fetching attachments. The
//! reporter sees days, never times, and never which staff member wrote.

use crate::web::http::SecretText;
use actix_multipart::Multipart;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::core::casework::{self, CaseView};
use crate::core::domain::TextField;
use crate::web::api::auth::ApiCaller;
use crate::web::api::error::ApiError;
use crate::web::api::{files, iso_date, iso_day};
use crate::web::api::{thread_json, Reader};
use crate::web::http::download::attachment_download;
use crate::web::http::ErrorKind;
use crate::web::state::AppState;

/// `{"body": "…"}`: a message in a case thread.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageRequest {
    body: SecretText,
}

impl MessageRequest {
    /// The validated message text.
    pub fn text(&self, caller: &ApiCaller, state: &AppState) -> Result<TextField, ApiError> {
        TextField::parse(&self.body, state.settings.limits.max_text_chars)
            .map_err(|e| ApiError::text(caller.lang, "body", e))
    }
}

fn reporter_json(view: &CaseView) -> Value {
    let (report, messages, attachments) = thread_json(view, Reader::Reporter);
    json!({
        "status": view.case.status.key(),
        "received_on": iso_day(view.case.received_at),
        "answer_due": view.answer_due.map(iso_date),
        "report": report,
        "messages": messages,
        "attachments": attachments,
    })
}

/// `GET /api/v1/reporter/case`.
pub async fn view(state: web::Data<AppState>, caller: ApiCaller) -> Result<HttpResponse, ApiError> {
    let reporter = caller.reporter()?;
    let view = casework::reporter_view(&state, reporter)
        .await
        .map_err(|e| ApiError::core(caller.lang, e))?;
    Ok(HttpResponse::Ok().json(reporter_json(&view)))
}

/// `POST /api/v1/reporter/case/messages`.
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
    Ok(HttpResponse::Created().json(json!({
        "author": "reporter",
        "date": iso_day(casework::now_in(&state)),
    })))
}

/// `POST /api/v1/reporter/case/attachments` (multipart, `attachment` parts).
pub async fn upload(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
    payload: Multipart,
) -> Result<HttpResponse, ApiError> {
    let reporter = caller.reporter()?;
    let recipient = reporter.case_identity.to_public();
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
