//! Attachments through the API: uploads arrive as `multipart/form-data` and
//! are encrypted to the case as they stream in; downloads are decrypted as
//! they stream out, always as `Content-Disposition: attachment`.

use actix_multipart::Multipart;
use actix_web::guard::GuardContext;
use actix_web::http::header::{
    self, Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue, HeaderMap,
};
use actix_web::HttpResponse;
use serde_json::{json, Value};
use varsel_crypto::{X25519Identity, X25519Recipient};

use crate::attachments;
use crate::casework::{AttachmentView, IncomingFile};
use crate::http::multipart::{read_form, FormWithFiles};
use crate::i18n::Lang;
use crate::routes::api::error::{ApiError, Problem};
use crate::state::AppState;

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

/// An ASCII stand-in for a file name, for clients that ignore `filename*`.
fn ascii_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c == ' ' || (c.is_ascii_graphic() && c != '"' && c != '\\') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if cleaned.trim().is_empty() {
        "attachment".to_owned()
    } else {
        cleaned
    }
}

/// Streams an attachment, decrypted, as a download.
pub async fn download(
    state: &AppState,
    lang: Lang,
    view: AttachmentView,
    identity: X25519Identity,
) -> Result<HttpResponse, ApiError> {
    let path = attachments::path(&state.settings.storage.attachments_dir(), view.id);
    if let Err(e) = tokio::fs::metadata(&path).await {
        return Err(ApiError::internal(
            lang,
            &anyhow::Error::new(e).context("attachment file is missing"),
        ));
    }
    let receiver = attachments::stream_decrypted(path, identity);
    let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (chunk, receiver))
    });
    let disposition = ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![
            DispositionParam::Filename(ascii_name(&view.name)),
            DispositionParam::FilenameExt(ExtendedValue {
                charset: Charset::Ext("UTF-8".to_owned()),
                language_tag: None,
                value: view.name.as_bytes().to_vec(),
            }),
        ],
    };
    Ok(HttpResponse::Ok()
        .content_type("application/octet-stream")
        .insert_header(disposition)
        .streaming(stream))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_names_are_safe_ascii_stand_ins() {
        assert_eq!(ascii_name("rapport.pdf"), "rapport.pdf");
        assert_eq!(
            ascii_name("bilde av \"sjefen\".jpg"),
            "bilde av _sjefen_.jpg"
        );
        assert_eq!(ascii_name("æøå.txt"), "___.txt");
        assert_eq!(ascii_name("a\r\nb"), "a__b");
        assert_eq!(ascii_name(""), "attachment");
    }
}
