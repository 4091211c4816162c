//! Downloading an attachment of a case routed to the staff member: decrypted
//! as it streams out, always as a download (never rendered in the browser).

use actix_web::web;
use uuid::Uuid;

use super::{case_id, case_worker, StaffResult};
use crate::core::casework;
use crate::web::http::download::attachment_download;
use crate::web::http::{ErrorKind, Visitor};
use crate::web::state::AppState;

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
    let opened = casework::staff_attachment(&state, staff, case, attachment)
        .await
        .map_err(|e| visitor.fail(e))?;
    attachment_download(&state, opened)
        .await
        .map_err(|e| visitor.internal(e).into())
}
