//! A staff reply: a message and/or attachments, read as a multipart stream
//! with the CSRF token first and every file encrypted to the case as it
//! arrives. A refused reply stores nothing and re-renders the case page.

use actix_multipart::Multipart;
use actix_web::web;

use super::case::{done, render_case, Done, Problem};
use super::{case_id, case_worker, StaffResult};
use crate::core::casework;
use crate::core::domain::{TextField, TextFieldError};
use crate::core::error::{CoreError, Refusal};
use crate::web::http::multipart::{read_form_keeping_text, FormError};
use crate::web::http::{ErrorKind, Visitor};
use crate::web::state::AppState;

/// POST /staff/cases/{id}/reply
pub(super) async fn submit(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<String>,
    payload: Multipart,
) -> StaffResult {
    let staff = case_worker(&visitor)?;
    let id = case_id(&visitor, &path)?;
    let (recipient, room) = casework::staff_upload_target(&state, staff, id)
        .await
        .map_err(|e| visitor.fail(e))?;
    let limits = &state.settings.limits;
    let form = read_form_keeping_text(
        payload,
        Some(visitor.csrf().unwrap_or_default()),
        &recipient,
        &state.settings.storage.attachments_dir(),
        limits,
        room,
        &mut state.rate_limits.budgets.upload_gate(&state, false),
    )
    .await;
    let form = match form {
        Ok(form) => form,
        Err(refused) => {
            let problem = match refused.error {
                FormError::Csrf => return Err(visitor.error(ErrorKind::Csrf).into()),
                FormError::AttachmentTooLarge => Problem::AttachmentTooLarge,
                FormError::TooManyAttachments => Problem::TooManyAttachments,
                FormError::TooLarge => Problem::FormTooLarge,
                FormError::EmptyAttachment => Problem::EmptyAttachment,
                // Staff uploads are not charged to the anonymous budget.
                FormError::StorageFull | FormError::UploadBudget => Problem::StorageFull,
                FormError::InvalidUtf8 | FormError::Malformed => {
                    return Err(visitor.error(ErrorKind::BadRequest).into())
                }
                FormError::Internal(e) => return Err(visitor.internal(e).into()),
            };
            // The text read before the refusal is offered again.
            let draft = refused.partial.get("message").to_owned();
            return render_case(&state, &visitor, staff, id, Some(problem), draft).await;
        }
    };
    let body = match TextField::parse_optional(form.get("message"), limits.max_text_chars) {
        Ok(None) if form.files.is_empty() => {
            let problem = Some(Problem::ReplyEmpty);
            return render_case(&state, &visitor, staff, id, problem, String::new()).await;
        }
        Ok(body) => body,
        Err(TextFieldError::TooLong { max }) => {
            form.discard().await;
            let draft = form.get("message").to_owned();
            let problem = Some(Problem::ReplyTooLong { max });
            return render_case(&state, &visitor, staff, id, problem, draft).await;
        }
        Err(TextFieldError::Empty) => {
            form.discard().await;
            let problem = Some(Problem::ReplyEmpty);
            return render_case(&state, &visitor, staff, id, problem, String::new()).await;
        }
    };
    match casework::staff_reply(&state, staff, id, body.as_ref(), &form.files).await {
        Ok(()) => Ok(done(id, Done::Reply)),
        Err(e) => {
            form.discard().await;
            match e {
                CoreError::Refused(Refusal::TooManyAttachments { .. }) => {
                    let draft = form.get("message").to_owned();
                    let problem = Some(Problem::TooManyAttachments);
                    render_case(&state, &visitor, staff, id, problem, draft).await
                }
                other => Err(visitor.fail(other).into()),
            }
        }
    }
}
