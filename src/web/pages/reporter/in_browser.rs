//! Follow-up with the case key in the reporter's browser (docs/e2e.md,
//! "Follow-up with the code in the browser"): the script's login by the
//! lookup tag (`POST /followup/browser`, `POST /followup/browser/session`)
//! and its sealed replies (`POST /case/reply/sealed`). Each answers JSON for
//! the script; the messages in it are in the page's language.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use base64::Engine;
use serde::Deserialize;
use serde_json::json;

use crate::core::actor::Actor;
use crate::core::casework;
use crate::core::error::{CoreError, Refusal};
use crate::core::pow::Purpose;
use crate::core::sealed_followup::{self, SealedReply};
use crate::web::http::context::start_session;
use crate::web::http::multipart::{max_sealed_bytes, read_sealed_reply, FormError};
use crate::web::http::rate_limit::{Limited, PowProof};
use crate::web::http::{AppError, SecretText, Visitor};
use crate::web::state::AppState;

/// A JSON refusal: `{"error": code}` and, for the reply form, the field
/// and the message to show there.
fn refused(
    status: StatusCode,
    code: &str,
    field: Option<&str>,
    message: Option<String>,
) -> HttpResponse {
    let mut body = json!({ "error": code });
    if let Some(field) = field {
        body["field"] = json!(field);
    }
    if let Some(message) = message {
        body["message"] = json!(message);
    }
    HttpResponse::build(status).json(body)
}

fn lookup_tag(hex_tag: &str) -> Option<[u8; 32]> {
    let mut tag = [0u8; 32];
    hex::decode_to_slice(hex_tag.trim(), &mut tag).ok()?;
    Some(tag)
}

/// The first step of the login.
#[derive(Deserialize)]
pub struct OfferForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    lookup_tag: String,
    #[serde(default)]
    pow_challenge: String,
    #[serde(default)]
    pow_solution: String,
}

/// `POST /followup/browser`: the reporter's wrap and a login challenge for
/// a lookup tag, under the code-login rate limit.
pub async fn offer(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: web::Form<OfferForm>,
) -> Result<HttpResponse, AppError> {
    if visitor.check_csrf(&form.csrf).is_err() {
        return Ok(refused(StatusCode::FORBIDDEN, "form_expired", None, None));
    }
    let Some(tag) = lookup_tag(&form.lookup_tag) else {
        return Ok(refused(StatusCode::BAD_REQUEST, "invalid", None, None));
    };
    let proof = PowProof::from_fields(&form.pow_challenge, &form.pow_solution);
    match state
        .rate_limits
        .reporter(&state, Purpose::CodeLogin, proof)
        .await
    {
        Ok(_) => {}
        Err(Limited::Pow(_)) => {
            return Ok(refused(StatusCode::BAD_REQUEST, "pow_refused", None, None))
        }
        Err(Limited::TooMany) => {
            return Ok(refused(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many",
                None,
                None,
            ))
        }
        Err(Limited::Store(e)) => return Err(visitor.fail(e.into())),
    }
    match sealed_followup::login_offer(&state, &tag).await {
        Ok(offer) => {
            let b64 = base64::engine::general_purpose::STANDARD;
            Ok(HttpResponse::Ok().json(json!({
                "wrap": b64.encode(&offer.wrap),
                "challenge": b64.encode(&offer.challenge),
            })))
        }
        Err(CoreError::NotFound) => Ok(refused(StatusCode::NOT_FOUND, "not_found", None, None)),
        Err(e) => Err(visitor.internal(e)),
    }
}

/// The second step of the login.
#[derive(Deserialize)]
pub struct SessionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    lookup_tag: String,
    #[serde(default)]
    proof: SecretText,
}

/// `POST /followup/browser/session`: a reporter session holding only the
/// case's recipient, for the proof that the browser opened the challenge.
pub async fn session(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: web::Form<SessionForm>,
) -> Result<HttpResponse, AppError> {
    if visitor.check_csrf(&form.csrf).is_err() {
        return Ok(refused(StatusCode::FORBIDDEN, "form_expired", None, None));
    }
    let Some(tag) = lookup_tag(&form.lookup_tag) else {
        return Ok(refused(StatusCode::BAD_REQUEST, "invalid", None, None));
    };
    match sealed_followup::login(&state, &tag, form.proof.trim()).await {
        Ok(reporter) => {
            let cookie = start_session(&state, &visitor, Actor::Reporter(reporter)).await?;
            Ok(HttpResponse::NoContent().cookie(cookie).finish())
        }
        Err(CoreError::NotFound) => Ok(refused(StatusCode::NOT_FOUND, "not_found", None, None)),
        Err(e) => Err(visitor.internal(e)),
    }
}

/// The sealed reply's envelope.
#[derive(Deserialize)]
struct ReplyEnvelope {
    #[serde(default)]
    attachment_names: Vec<String>,
}

/// `POST /case/reply/sealed`: a reply the browser encrypted to the case.
pub async fn reply(
    state: web::Data<AppState>,
    visitor: Visitor,
    payload: Multipart,
) -> Result<HttpResponse, AppError> {
    let t = visitor.t();
    let limits = &state.settings.limits;
    let (Some(reporter), Some(csrf)) = (visitor.reporter(), visitor.csrf()) else {
        return Ok(refused(
            StatusCode::UNAUTHORIZED,
            "session_ended",
            None,
            None,
        ));
    };
    let (_, room) = casework::reporter_upload_target(&state, reporter)
        .await
        .map_err(|e| visitor.internal(e))?;
    let max_message = max_sealed_bytes(sealed_followup::max_message_bytes(&state)) as usize;
    let mut gate = state.rate_limits.budgets.upload_gate(&state, true);
    let form = match read_sealed_reply(
        payload,
        csrf,
        &state.settings.storage.attachments_dir(),
        limits,
        room,
        max_message,
        &mut gate,
    )
    .await
    {
        Ok(form) => form,
        Err(FormError::Csrf) => {
            let message = t.t("reporter.errors.form_expired");
            return Ok(refused(
                StatusCode::FORBIDDEN,
                "form_expired",
                Some("message"),
                Some(message),
            ));
        }
        Err(FormError::Malformed) => {
            return Ok(refused(
                StatusCode::BAD_REQUEST,
                "invalid_ciphertext",
                None,
                None,
            ))
        }
        Err(FormError::TooManyAttachments) => {
            let message = super::too_many_attachments(&t, limits);
            return Ok(refused(
                StatusCode::BAD_REQUEST,
                "too_many_attachments",
                Some("attachment"),
                Some(message),
            ));
        }
        Err(FormError::TooLarge) => {
            let message = t.f(
                "reporter.errors.description_too_long",
                &[("max", &limits.max_text_chars.to_string())],
            );
            return Ok(refused(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_long",
                Some("message"),
                Some(message),
            ));
        }
        Err(error) => {
            let (status, about_files, message) = super::refusal(&visitor, limits, error)?;
            let code = match status {
                StatusCode::PAYLOAD_TOO_LARGE => "too_large",
                StatusCode::TOO_MANY_REQUESTS => "too_many_requests",
                StatusCode::INSUFFICIENT_STORAGE => "storage_full",
                _ => "invalid",
            };
            let field = if about_files { "attachment" } else { "message" };
            return Ok(refused(status, code, Some(field), Some(message)));
        }
    };
    let b64 = base64::engine::general_purpose::STANDARD;
    let names = serde_json::from_str::<ReplyEnvelope>(form.get("envelope"))
        .ok()
        .and_then(|e| {
            e.attachment_names
                .iter()
                .map(|n| b64.decode(n).ok())
                .collect::<Option<Vec<_>>>()
        });
    let Some(attachment_names) = names else {
        form.discard().await;
        gate.refund().await;
        return Ok(refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_ciphertext",
            None,
            None,
        ));
    };
    if form.report.is_none() && form.files.is_empty() {
        let message = t.t("reporter.errors.reply_empty");
        return Ok(refused(
            StatusCode::BAD_REQUEST,
            "reply_empty",
            Some("message"),
            Some(message),
        ));
    }
    let sealed = SealedReply {
        message: form.report.clone(),
        attachment_names,
    };
    match sealed_followup::reporter_reply(&state, reporter, sealed, &form.files).await {
        Ok(()) => Ok(HttpResponse::Ok().json(json!({ "location": "/case" }))),
        Err(e) => {
            form.discard().await;
            gate.refund().await;
            match e {
                CoreError::Refused(Refusal::InvalidCiphertext { part }) => Ok(refused(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_ciphertext",
                    Some(if part == "message" {
                        "message"
                    } else {
                        "attachment"
                    }),
                    None,
                )),
                CoreError::Refused(Refusal::TooManyAttachments { .. }) => {
                    let message = super::too_many_attachments(&t, limits);
                    Ok(refused(
                        StatusCode::BAD_REQUEST,
                        "too_many_attachments",
                        Some("attachment"),
                        Some(message),
                    ))
                }
                other => Err(visitor.fail(other)),
            }
        }
    }
}
