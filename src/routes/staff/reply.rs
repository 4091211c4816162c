//! A staff reply: a message and/or attachments, read as a multipart stream
//! with the CSRF token first and every file encrypted to the case as it
//! arrives. A refused reply stores nothing and re-renders the case page.

use actix_multipart::Multipart;
use actix_web::web;
use uuid::Uuid;
use varsel_crypto::X25519Recipient;

use super::case::{render_case, Problem};
use super::{case_id, case_worker, see_other, StaffError, StaffResult};
use crate::casework::{self, CaseworkError};
use crate::domain::{TextField, TextFieldError};
use crate::http::multipart::{read_form_keeping_text, FormError};
use crate::http::session::StaffSession;
use crate::http::{ErrorKind, Visitor};
use crate::keys;
use crate::state::AppState;
use crate::store::Holder;

/// The recipient of a case routed to `staff`, or "not found" — checked before
/// any of the body is read, so nobody can upload to a case that is not theirs.
async fn case_recipient(
    state: &AppState,
    visitor: &Visitor,
    staff: &StaffSession,
    id: Uuid,
) -> Result<X25519Recipient, StaffError> {
    let not_found = || StaffError::from(visitor.error(ErrorKind::NotFound));
    let wrap = state
        .store
        .key_wrap(id, &Holder::User(staff.user_id))
        .await
        .map_err(|e| visitor.internal(e))?;
    if wrap.is_none() {
        return Err(not_found());
    }
    let case = state
        .store
        .case_by_id(id)
        .await
        .map_err(|e| visitor.internal(e))?
        .ok_or_else(not_found)?;
    keys::recipient(&case.recipient).map_err(|e| visitor.internal(e).into())
}

/// POST /staff/cases/{id}/reply
pub(super) async fn submit(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<String>,
    payload: Multipart,
) -> StaffResult {
    let staff = case_worker(&visitor)?;
    let id = case_id(&visitor, &path)?;
    let recipient = case_recipient(&state, &visitor, staff, id).await?;
    let limits = &state.settings.limits;
    let form = read_form_keeping_text(
        payload,
        Some(visitor.csrf().unwrap_or_default()),
        &recipient,
        &state.settings.storage.attachments_dir(),
        limits,
        limits.max_attachments_per_case,
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
        Ok(()) => Ok(see_other(&format!("/staff/cases/{id}"))),
        Err(e) => {
            form.discard().await;
            match e {
                CaseworkError::TooManyAttachments => {
                    let draft = form.get("message").to_owned();
                    let problem = Some(Problem::TooManyAttachments);
                    render_case(&state, &visitor, staff, id, problem, draft).await
                }
                CaseworkError::NotFound => Err(visitor.error(ErrorKind::NotFound).into()),
                other => Err(visitor.internal(other).into()),
            }
        }
    }
}
