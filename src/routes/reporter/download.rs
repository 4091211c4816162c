//! GET /case/attachments/{id} — an attachment of the reporter's own case,
//! decrypted as it streams out, always as a download. Any other id is "not
//! found".

use actix_web::{web, HttpResponse};
use uuid::Uuid;

use crate::attachments;
use crate::casework::{self, CaseworkError};
use crate::http::{AppError, ErrorKind, Visitor};
use crate::state::AppState;

/// Streams the attachment.
pub async fn download(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (Some(reporter), Ok(id)) = (visitor.reporter(), Uuid::parse_str(&id)) else {
        return Err(visitor.error(ErrorKind::NotFound));
    };
    let (view, identity) = match casework::reporter_attachment(&state, reporter, id).await {
        Ok(found) => found,
        Err(CaseworkError::NotFound) => return Err(visitor.error(ErrorKind::NotFound)),
        Err(e) => return Err(visitor.internal(e)),
    };
    let file = attachments::path(&state.settings.storage.attachments_dir(), view.id);
    // Fail with a page now rather than with a cut-off download later.
    if let Err(e) = tokio::fs::metadata(&file).await {
        return Err(visitor.internal(anyhow::Error::new(e).context("attachment file is missing")));
    }
    let receiver = attachments::stream_decrypted(file, identity);
    let body = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (chunk, receiver))
    });
    Ok(HttpResponse::Ok()
        .content_type("application/octet-stream")
        .insert_header(("Content-Disposition", content_disposition(&view.name)))
        .streaming(body))
}

/// `attachment` with the file name as RFC 6266 / RFC 8187 `filename*`, and a
/// plain-ASCII `filename` for old clients. Control characters, quotes and
/// path separators never reach the header.
pub fn content_disposition(name: &str) -> String {
    let clean: String = name
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '\\' | '/'))
        .collect();
    let clean = clean.trim();
    let clean = if clean.is_empty() {
        "attachment"
    } else {
        clean
    };
    let ascii: String = clean
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        percent_encode(clean)
    )
}

/// Percent-encodes everything but RFC 8187 `attr-char`.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'!' | b'#' | b'$' | b'&' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~'
            )
        {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_encoded_and_sanitised() {
        assert_eq!(
            content_disposition("rapport 1.pdf"),
            "attachment; filename=\"rapport 1.pdf\"; filename*=UTF-8''rapport%201.pdf"
        );
        assert_eq!(
            content_disposition("blå\"\r\nX-Evil: 1.txt"),
            "attachment; filename=\"bl_X-Evil: 1.txt\"; filename*=UTF-8''bl%C3%A5X-Evil%3A%201.txt"
        );
        assert_eq!(
            content_disposition("\"\r\n"),
            "attachment; filename=\"attachment\"; filename*=UTF-8''attachment"
        );
        assert!(!content_disposition("../../etc/passwd").contains('/'));
    }
}
