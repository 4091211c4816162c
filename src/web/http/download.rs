//! Attachment downloads: the decrypted content streamed out, always as a
//! download (never rendered in the browser), under a sanitised name.

use actix_web::http::header;
use actix_web::HttpResponse;
use varsel_crypto::AnyIdentity;

use crate::core::attachments;
use crate::core::casework::AttachmentView;
use crate::web::state::AppState;

/// Longest file name offered to a browser, in characters.
const MAX_DOWNLOAD_NAME_CHARS: usize = 120;

/// A file name fit for a download: no path, control, quoting or separator
/// characters (the name was chosen by whoever uploaded it).
pub fn sanitised_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '\\' | '/' | ';'))
        .take(MAX_DOWNLOAD_NAME_CHARS)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    if cleaned.is_empty() {
        "attachment".to_owned()
    } else {
        cleaned.to_owned()
    }
}

/// `Content-Disposition: attachment` with an ASCII fallback `filename` and the
/// sanitised name as an RFC 5987 `filename*`.
pub fn content_disposition(name: &str) -> String {
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
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

/// The response that streams an opened attachment, decrypted with its case's
/// key, as a download under its (sanitised) name; an error if its file is
/// missing. The one download of an attachment for the pages and the API.
pub async fn attachment_download(
    state: &AppState,
    (view, identity): (AttachmentView, AnyIdentity),
) -> anyhow::Result<HttpResponse> {
    let file = attachments::path(&state.settings.storage.attachments_dir(), view.id);
    if !tokio::fs::try_exists(&file).await.unwrap_or(false) {
        anyhow::bail!("the content of attachment {} is missing", view.id);
    }
    let receiver = attachments::stream_decrypted(file, identity);
    let body = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (chunk, receiver))
    });
    Ok(HttpResponse::Ok()
        .content_type("application/octet-stream")
        .insert_header((header::CONTENT_DISPOSITION, content_disposition(&view.name)))
        .streaming(body))
}

/// The response that hands over a case export (an age file, ciphertext
/// only) as a download, never cached.
pub fn export_download(export: crate::core::export::CaseExport) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/octet-stream")
        .insert_header((
            header::CONTENT_DISPOSITION,
            content_disposition(&export.file_name),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(export.bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_names_lose_paths_quotes_and_controls() {
        assert_eq!(sanitised_name("../../etc/passwd"), "passwd");
        assert_eq!(sanitised_name("C:\\Users\\a\\rapport.pdf"), "rapport.pdf");
        assert_eq!(sanitised_name("\"x\";\r\n.pdf"), "x.pdf");
        assert_eq!(sanitised_name("..."), "attachment");
        let header = content_disposition("møte \"notat\".pdf");
        assert!(
            header.starts_with("attachment; filename=\"m_te notat.pdf\""),
            "{header}"
        );
        assert!(
            header.ends_with("filename*=UTF-8''m%C3%B8te%20notat.pdf"),
            "{header}"
        );
        assert!(!content_disposition("a\r\nSet-Cookie: x").contains('\n'));
    }
}
