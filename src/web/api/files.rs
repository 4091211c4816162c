//! Attachments through the API: uploads arrive as `multipart/form-data` and
//! are encrypted to the case as they stream in; downloads are decrypted as
//! they stream out, always as `Content-Disposition: attachment`.

use actix_multipart::Multipart;
use actix_web::guard::GuardContext;
use actix_web::http::header::{self, HeaderMap};
use actix_web::HttpResponse;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;
use varsel_crypto::AnyRecipient;

use crate::core::casework::IncomingFile;
use crate::core::error::CoreError;
use crate::core::i18n::Lang;
use crate::core::limits::UploadGate;
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
/// `existing` attachments already belong to the case. Every byte of the
/// files passes `gate` (the storage quota; for reporters also the hourly
/// upload budget).
pub async fn receive(
    state: &AppState,
    lang: Lang,
    payload: Multipart,
    recipient: &AnyRecipient,
    existing: usize,
    gate: &mut UploadGate<'_>,
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
        gate,
    )
    .await
    .map_err(|e| ApiError::form(lang, e, limits))
}

/// The `attachment` parts of an upload to case `case`, encrypted to
/// `recipient`: 415 unless the body is multipart, and a problem when it
/// holds no attachment. Hand the files to the reply, then to [`uploaded_or_discarded`].
pub async fn receive_upload(
    state: &AppState,
    lang: Lang,
    req: &actix_web::HttpRequest,
    payload: Multipart,
    case: Uuid,
    recipient: &AnyRecipient,
    anonymous: bool,
) -> Result<FormWithFiles, ApiError> {
    require_multipart(req, lang)?;
    let existing = state
        .store
        .attachments(case)
        .await
        .map_err(|e| ApiError::core(lang, e.into()))?
        .len();
    let mut gate = state.rate_limits.budgets.upload_gate(state, anonymous);
    let form = receive(state, lang, payload, recipient, existing, &mut gate).await?;
    if form.files.is_empty() {
        return Err(ApiError::new(lang, Problem::AttachmentRequired));
    }
    Ok(form)
}

/// The answer to an upload once the reply carrying its files is done: 201
/// with the stored files, or the reply's refusal with the files discarded.
pub async fn uploaded_or_discarded(
    lang: Lang,
    form: FormWithFiles,
    replied: Result<(), CoreError>,
) -> Result<HttpResponse, ApiError> {
    match replied {
        Ok(()) => Ok(HttpResponse::Created().json(uploaded(&form.files))),
        Err(e) => {
            form.discard().await;
            Err(ApiError::core(lang, e))
        }
    }
}

/// A stored upload.
#[derive(Serialize, ToSchema)]
pub struct Uploaded {
    /// Id for downloading.
    pub id: Uuid,
    /// The file name as sent.
    pub name: String,
    /// True if the file was stored with whatever hidden information it
    /// carries (metadata is removed only from JPEG, PNG and WebP images).
    pub metadata_kept: bool,
}

/// A multipart upload: one or more `attachment` file parts.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// A file; repeat the part for several.
    #[schema(value_type = Vec<String>, format = Binary)]
    attachment: Vec<Vec<u8>>,
}

/// `[{"id", "name"}]` of stored uploads.
fn uploaded(files: &[IncomingFile]) -> Vec<Uploaded> {
    files
        .iter()
        .map(|f| Uploaded {
            id: f.pending.id,
            name: f.name.clone(),
            metadata_kept: f.pending.metadata != crate::core::metadata::Outcome::Stripped,
        })
        .collect()
}
