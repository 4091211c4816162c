//! POST /case/reply — the reporter answers in the thread and/or adds files.
//! A refused reply shows the case again with what the reporter wrote (files
//! must be chosen again) and stores nothing. A reply whose session has ended
//! (idle timeout, restart) is kept too: the code login is shown with the
//! reply in it, and the reply is posted once the code opens the case. A
//! reply sent by a language button is shown again in that language.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use uuid::Uuid;
use zeroize::Zeroizing;

use super::case_page::render_case;
use super::FormErrors;
use crate::core::casework;
use crate::core::domain::{TextField, TextFieldError};
use crate::core::error::{CoreError, Refusal};
use crate::web::http::multipart::{read_form_keeping_text, read_text_only, FormError};
use crate::web::http::{AppError, ErrorKind, Visitor};
use crate::web::state::AppState;

/// Handles a reply.
pub async fn reply(
    state: web::Data<AppState>,
    visitor: Visitor,
    req: actix_web::HttpRequest,
    payload: Multipart,
) -> Result<HttpResponse, AppError> {
    let t = visitor.t();
    let limits = &state.settings.limits;
    // A reply without a reporter session means the session ended while the
    // reporter was writing: the code login, with the reply kept in it.
    let (Some(reporter), Some(csrf)) = (visitor.reporter(), visitor.csrf()) else {
        let form = read_text_only(payload, limits).await;
        let written = Zeroizing::new(form.get("message").to_owned());
        return super::followup::session_ended(&state, &visitor, &written).await;
    };
    // A language button: the case again, in that language, as typed.
    if super::is_rerender(&req) {
        let form = read_text_only(payload, limits).await;
        let written = Zeroizing::new(form.get("message").to_owned());
        return render_case(
            &state,
            &visitor,
            FormErrors::default(),
            &written,
            StatusCode::OK,
        )
        .await;
    }
    let (recipient, room) = casework::reporter_upload_target(&state, reporter)
        .await
        .map_err(|e| visitor.internal(e))?;
    let form = match read_form_keeping_text(
        payload,
        Some(csrf),
        &recipient,
        &state.settings.storage.attachments_dir(),
        limits,
        room,
        &mut state.rate_limits.budgets.upload_gate(&state, true),
    )
    .await
    {
        Ok(form) => form,
        Err(refused) if matches!(refused.error, FormError::Csrf) => {
            // The token failed (the form is older than the session): the
            // case again with the reply as typed, to be sent again.
            let mut errors = FormErrors::default();
            errors.add("message", t.t("reporter.errors.form_expired"));
            let written = Zeroizing::new(refused.partial.get("message").to_owned());
            let status = ErrorKind::Csrf.status();
            return render_case(&state, &visitor, errors, &written, status).await;
        }
        Err(refused) => {
            let (status, about_files, message) = super::refusal(&visitor, limits, refused.error)?;
            let mut errors = FormErrors::default();
            errors.add(if about_files { "attachment" } else { "message" }, message);
            let written = Zeroizing::new(refused.partial.get("message").to_owned());
            return render_case(&state, &visitor, errors, &written, status).await;
        }
    };
    let written = Zeroizing::new(form.get("message").to_owned());
    let mut errors = FormErrors::default();
    let body = match TextField::parse_optional(&written, limits.max_text_chars) {
        Ok(None) if form.files.is_empty() => {
            errors.add("message", t.t("reporter.errors.reply_empty"));
            None
        }
        Ok(body) => body,
        Err(TextFieldError::TooLong { max }) => {
            errors.add(
                "message",
                t.f(
                    "reporter.errors.description_too_long",
                    &[("max", &max.to_string())],
                ),
            );
            None
        }
        Err(TextFieldError::Empty) => None,
    };
    if !errors.is_empty() {
        form.discard().await;
        return render_case(&state, &visitor, errors, &written, StatusCode::BAD_REQUEST).await;
    }
    match casework::reporter_reply(&state, reporter, body.as_ref(), &form.files).await {
        // Files stored with their metadata are named on the case page once:
        // their ids go there in a short cookie, never in the address (which
        // browser history would keep).
        Ok(()) => {
            let kept = casework::metadata_kept_ids(&form.files);
            if kept.is_empty() {
                return Ok(super::see_other("/case", None));
            }
            let ids: Vec<String> = kept.iter().map(Uuid::to_string).collect();
            let cookie = super::case_page::kept_cookie(&ids.join("."), state.settings.server.tls);
            Ok(super::see_other("/case#metadata-kept", Some(cookie)))
        }
        Err(e) => {
            form.discard().await;
            match e {
                CoreError::Refused(Refusal::TooManyAttachments { .. }) => {
                    errors.add("attachment", super::too_many_attachments(&t, limits));
                    render_case(&state, &visitor, errors, &written, StatusCode::BAD_REQUEST).await
                }
                other => Err(visitor.fail(other)),
            }
        }
    }
}
