//! Attachments through the API: uploads arrive as `multipart/form-data` and
//! are encrypted to the case as they stream in; downloads are decrypted as
//! they stream out, always as `Content-Disposition: attachment`.

use actix_multipart::Multipart;
use actix_web::guard::GuardContext;
use actix_web::http::header::{self, HeaderMap};
use actix_web::HttpResponse;
use serde_json::{json, Value};
use varsel_crypto::{X25519Identity, X25519Recipient};

use crate::core::casework::{AttachmentView, IncomingFile};
use crate::core::i18n::Lang;
use crate::web::api::error::{ApiError, Problem};
use crate::web::http::multipart::{read_form, FormWithFiles};
use crate::web::state::AppState;

fn multipart_headers(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        })
}

/// Route guard: the body is `multipart/form-data`.
pub fn is_multipart(ctx: &GuardContext<'_>) -> bool {
    multipart_headers(ctx.head().headers())
}

/// 415 unless the request is `multipart/form-data`.
pub fn require_multipart(req: &actix_web::HttpRequest, lang: Lang) -> Result<(), ApiError> {
    if multipart_headers(req.headers()) {
        Ok(())
    } else {
        Err(ApiError::new(
            lang,
            Problem::UnsupportedMediaType {
                expected: "multipart/form-data",
            },
        ))
    }
}

/// Reads a multipart body, encrypting its `attachment` parts to `recipient`;
/// `existing` attachments already belong to the case.
pub async fn receive(
    state: &AppState,
    lang: Lang,
    payload: Multipart,
    recipient: &X25519Recipient,
    existing: usize,
) -> Result<FormWithFiles, ApiError> {
    let limits = &state.settings.limits;
    let room = limits.max_attachments_per_case.saturating_sub(existing);
    read_form(
        payload,
        None,
        recipient,
        &state.settings.storage.attachments_dir(),
        limits,
        room,
    )
    .await
    .map_err(|e| ApiError::form(lang, e, limits))
}

/// `[{"id", "name"}]` of stored uploads.
pub fn uploaded(files: &[IncomingFile]) -> Value {
    files
        .iter()
        .map(|f| json!({ "id": f.pending.id, "name": f.name }))
        .collect()
}

/// Streams an attachment, decrypted, as a download.
pub async fn download(
    state: &AppState,
    lang: Lang,
    view: AttachmentView,
    identity: X25519Identity,
) -> Result<HttpResponse, ApiError> {
    crate::web::http::download::download_response(
        &state.settings.storage.attachments_dir(),
        view.id,
        &view.name,
        identity,
    )
    .await
    .map_err(|e| ApiError::internal(lang, &e))
}
