//! Downloading an attachment of a case routed to the staff member: decrypted
//! as it streams out, always as a download (never rendered in the browser).

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use futures_util::stream;
use uuid::Uuid;

use super::{case_id, case_worker, StaffResult};
use crate::attachments;
use crate::casework::{self, CaseworkError};
use crate::http::{ErrorKind, Visitor};
use crate::state::AppState;

/// Longest file name offered to the browser, in characters.
const MAX_NAME_CHARS: usize = 120;

/// The file name without any path, control or quoting characters.
fn sanitised_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '\\' | '/' | ';'))
        .take(MAX_NAME_CHARS)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    if cleaned.is_empty() {
        "attachment".to_owned()
    } else {
        cleaned.to_owned()
    }
}

/// `Content-Disposition: attachment` with an ASCII fallback `filename` and
/// the exact name as an RFC 5987 `filename*`.
fn content_disposition(name: &str) -> String {
    let name = sanitised_name(name);
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ' ' | '(' | ')') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::with_capacity(name.len() * 3);
    for byte in name.bytes() {
        // attr-char of RFC 5987 §3.2.1; everything else is percent-encoded.
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

/// GET /staff/cases/{id}/attachments/{attachment}
pub(super) async fn download(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
) -> StaffResult {
    let staff = case_worker(&visitor)?;
    let (case, attachment) = path.into_inner();
    let case = case_id(&visitor, &case)?;
    let attachment =
        Uuid::parse_str(&attachment).map_err(|_| visitor.error(ErrorKind::NotFound))?;
    let (view, identity) = match casework::staff_attachment(&state, staff, case, attachment).await {
        Ok(found) => found,
        Err(CaseworkError::NotFound) => return Err(visitor.error(ErrorKind::NotFound).into()),
        Err(e) => return Err(visitor.internal(e).into()),
    };
    let file = attachments::path(&state.settings.storage.attachments_dir(), view.id);
    if !tokio::fs::try_exists(&file).await.unwrap_or(false) {
        return Err(visitor
            .internal(anyhow::anyhow!("the content of an attachment is missing"))
            .into());
    }
    let receiver = attachments::stream_decrypted(file, identity);
    let body = stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (chunk, receiver))
    });
    Ok(HttpResponse::Ok()
        .content_type("application/octet-stream")
        .insert_header((header::CONTENT_DISPOSITION, content_disposition(&view.name)))
        .streaming(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_paths_and_quotes_and_keep_their_letters() {
        assert_eq!(sanitised_name("../../etc/passwd"), "passwd");
        assert_eq!(sanitised_name("C:\\Users\\a\\rapport.pdf"), "rapport.pdf");
        assert_eq!(sanitised_name("\"x\";\r\n.pdf"), "x.pdf");
        assert_eq!(sanitised_name("..."), "attachment");
        assert_eq!(
            content_disposition("Møte referat.pdf"),
            "attachment; filename=\"M_te referat.pdf\"; filename*=UTF-8''M%C3%B8te%20referat.pdf"
        );
    }
}
