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
    let opened = casework::reporter_attachment(&state, reporter, id)
        .await
        .map_err(|e| visitor.fail(e))?;
    attachment_download(&state, opened)
        .await
        .map_err(|e| visitor.internal(e))
}
