//! GET /case/attachments/{id} — an attachment of the reporter's own case,
//! decrypted as it streams out, always as a download. Any other id is "not
//! found".

use actix_web::{web, HttpResponse};
use uuid::Uuid;

use crate::core::casework;
use crate::web::http::download::attachment_download;
use crate::web::http::{AppError, ErrorKind, Visitor};
use crate::web::state::AppState;

/// Streams the attachment.
pub async fn download(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (Some(reporter), Ok(id)) = (visitor.reporter(), Uuid::parse_str(&id)) else {
        return Err(visitor.error(ErrorKind::NotFound));
    };
    // A session whose key is in the browser gets the age file as stored,
    // for the script to decrypt (docs/e2e.md).
    if reporter.identity().is_none() {
        let path = crate::core::sealed_followup::reporter_attachment(&state, reporter, id)
            .await
            .map_err(|e| visitor.fail(e))?;
        return sealed_download(&visitor, path).await;
    }
    let opened = casework::reporter_attachment(&state, reporter, id)
        .await
        .map_err(|e| visitor.fail(e))?;
    attachment_download(&state, opened)
        .await
        .map_err(|e| visitor.internal(e))
}

/// The age file at `path`, as a download the page's script reads.
async fn sealed_download(
    visitor: &Visitor,
    path: std::path::PathBuf,
) -> Result<HttpResponse, AppError> {
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|e| visitor.internal(e))?;
    let stream = futures_util::stream::unfold(Some(file), |file| async move {
        use tokio::io::AsyncReadExt;
        let mut file = file?;
        let mut chunk = vec![0u8; 64 * 1024];
        match file.read(&mut chunk).await {
            Ok(0) => None,
            Ok(n) => {
                chunk.truncate(n);
                Some((Ok(actix_web::web::Bytes::from(chunk)), Some(file)))
            }
            Err(e) => Some((Err(e), None)),
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("application/octet-stream")
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"attachment.age\"",
        ))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .streaming(stream))
}
