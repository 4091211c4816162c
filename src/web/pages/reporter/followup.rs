//! GET/POST /followup — logging in with the case code. The code is checked for
//! typos before any lookup, and after a successful login the browser holds
//! only a fresh random session id. A code that opens nothing is shown again
//! as typed, so it can be corrected.
//!
//! The same form takes a reply whose session ended while it was written
//! (`message`, see [`session_ended`]): it is kept through a wrong code and
//! posted to the case once the code opens it; a retaliation report
//! (`retaliation`, see [`session_ended_retaliation`]) likewise. A form whose CSRF token failed,
//! or sent by a language button, is shown again as typed.

use crate::web::http::SecretText;
use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use varsel_crypto::{CaseCode, CaseCodeError};
use zeroize::Zeroizing;

use super::FormErrors;
use crate::core::actor::Actor;
use crate::core::casework;
use crate::core::domain::{TextField, TextFieldError};
use crate::core::error::CoreError;
use crate::core::i18n::Translator;
use crate::core::pow::Purpose;
use crate::web::http::context::{ensure_csrf, start_session};
use crate::web::http::rate_limit::{Limited, PowProof};
use crate::web::http::{AppError, ErrorKind, Visitor};
use crate::web::state::AppState;

/// The code login form.
#[derive(Template)]
#[template(path = "reporter/followup.html")]
struct FollowupPage<'a> {
    t: Translator,
    csrf: String,
    errors: FormErrors,
    languages: Vec<super::LanguageButton>,
    /// The code as typed, shown again after a code that opened nothing.
    code: &'a str,
    /// A reply waiting for the code (its session ended), if any.
    reply: Option<&'a str>,
    /// A retaliation report waiting for the code (its session ended), if any.
    retaliation: Option<&'a str>,
    /// The messages of the login in the browser (JSON), and its script.
    e2e_msgs: String,
    /// No reporter session: the script forgets a case key left in the tab.
    no_session: bool,
    e2e_script: Option<String>,
}

/// The messages the script shows at the code login (docs/e2e.md), as JSON.
fn e2e_messages(t: &Translator) -> String {
    serde_json::json!({
        "typo": t.t("reporter.followup.error_typo"),
        "length": t.t("reporter.followup.error_length"),
        "character": t.t("reporter.followup.error_character"),
        "not_found": t.t("reporter.followup.error_not_found"),
        "pow_refused": t.t("reporter.errors.pow_refused"),
        "form_expired": t.t("reporter.followup.form_expired"),
        "too_many": t.t("error.too_many_requests"),
        "working": t.t("reporter.e2e.opening"),
    })
    .to_string()
}

/// The submitted login form.
#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: SecretText,
    /// A reply to post once the code opens the case.
    #[serde(default)]
    message: Option<SecretText>,
    /// A retaliation report to file once the code opens the case.
    #[serde(default)]
    retaliation: Option<SecretText>,
    #[serde(default)]
    pow_challenge: String,
    #[serde(default)]
    pow_solution: String,
}

/// Shows the code login form.
pub async fn show(state: web::Data<AppState>, visitor: Visitor) -> Result<HttpResponse, AppError> {
    let (csrf, cookie) = ensure_csrf(&state, &visitor);
    let form = Typed {
        code: "",
        reply: None,
        retaliation: None,
    };
    page(
        &visitor,
        csrf,
        FormErrors::default(),
        form,
        StatusCode::OK,
        cookie,
    )
}

/// A reply whose session ended before it was sent: the code login with the
/// reply in it (401; nothing stored). The reply is posted once the code
/// opens the case.
pub async fn session_ended(
    state: &AppState,
    visitor: &Visitor,
    message: &str,
) -> Result<HttpResponse, AppError> {
    let (csrf, cookie) = ensure_csrf(state, visitor);
    let form = Typed {
        code: "",
        reply: Some(message),
        retaliation: None,
    };
    let status = StatusCode::UNAUTHORIZED;
    page(visitor, csrf, FormErrors::default(), form, status, cookie)
}

/// A retaliation report whose session ended before it was sent: the code
/// login with the report in it (401; nothing stored). It is filed once the
/// code opens the case.
pub async fn session_ended_retaliation(
    state: &AppState,
    visitor: &Visitor,
    report: &str,
) -> Result<HttpResponse, AppError> {
    let (csrf, cookie) = ensure_csrf(state, visitor);
    let form = Typed {
        code: "",
        reply: None,
        retaliation: Some(report),
    };
    let status = StatusCode::UNAUTHORIZED;
    page(visitor, csrf, FormErrors::default(), form, status, cookie)
}

/// What the reporter typed into the form.
#[derive(Clone, Copy)]
struct Typed<'a> {
    code: &'a str,
    reply: Option<&'a str>,
    retaliation: Option<&'a str>,
}

/// Checks the code and, if it opens a case, starts a reporter session (and
/// posts the reply the form carries, if any).
pub async fn login(
    state: web::Data<AppState>,
    visitor: Visitor,
    req: HttpRequest,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let t = visitor.t();
    let code_typed = Zeroizing::new(form.code.trim().to_owned());
    let reply = form
        .message
        .as_deref()
        .map(|m| Zeroizing::new(m.to_owned()));
    let retaliation = form
        .retaliation
        .as_deref()
        .map(|m| Zeroizing::new(m.to_owned()));
    let typed = Typed {
        code: &code_typed,
        reply: reply.as_ref().map(|r| r.as_str()),
        retaliation: retaliation.as_ref().map(|r| r.as_str()),
    };
    // A language button, or a token that failed: the form again, as typed.
    if super::is_rerender(&req) || visitor.check_csrf(&form.csrf).is_err() {
        let (csrf, cookie) = ensure_csrf(&state, &visitor);
        let mut errors = FormErrors::default();
        let mut status = StatusCode::OK;
        if !super::is_rerender(&req) {
            errors.add("code", t.t("reporter.followup.form_expired"));
            status = ErrorKind::Csrf.status();
        }
        return page(&visitor, csrf, errors, typed, status, cookie);
    }
    let csrf = form.csrf.clone();
    let again = |field: &'static str, message: String, status: StatusCode| {
        let mut errors = FormErrors::default();
        errors.add(field, message);
        page(&visitor, csrf.clone(), errors, typed, status, None)
    };
    // A reply is checked before the code is spent on a login.
    let body = match reply
        .as_deref()
        .map(|r| TextField::parse_optional(r, state.settings.limits.max_text_chars))
    {
        None | Some(Ok(None)) => None,
        Some(Ok(Some(body))) => Some(body),
        Some(Err(TextFieldError::TooLong { max })) => {
            let message = t.f(
                "reporter.errors.description_too_long",
                &[("max", &max.to_string())],
            );
            return again("message", message, StatusCode::BAD_REQUEST);
        }
        Some(Err(TextFieldError::Empty)) => None,
    };
    // So is a retaliation report, which must not be empty.
    let retaliation_text = match retaliation
        .as_deref()
        .map(|r| TextField::parse(r, state.settings.limits.max_text_chars))
    {
        None => None,
        Some(Ok(text)) => Some(text),
        Some(Err(TextFieldError::TooLong { max })) => {
            let message = t.f(
                "reporter.errors.description_too_long",
                &[("max", &max.to_string())],
            );
            return again("retaliation", message, StatusCode::BAD_REQUEST);
        }
        Some(Err(TextFieldError::Empty)) => {
            let message = t.t("reporter.followup.retaliation_empty");
            return again("retaliation", message, StatusCode::BAD_REQUEST);
        }
    };
    let code = match CaseCode::parse(&form.code) {
        Ok(code) => code,
        Err(e) => {
            let message = match e {
                CaseCodeError::Typo => t.t("reporter.followup.error_typo"),
                CaseCodeError::Length { expected, found } => t.f(
                    "reporter.followup.error_length",
                    &[
                        ("count", &expected.to_string()),
                        ("found", &found.to_string()),
                    ],
                ),
                CaseCodeError::InvalidCharacter { position } => t.f(
                    "reporter.followup.error_character",
                    &[("position", &position.to_string())],
                ),
                _ => t.t("reporter.followup.error_typo"),
            };
            return again("code", message, StatusCode::BAD_REQUEST);
        }
    };
    // Only a well-formed code is charged to a lane's budget: a flood of
    // malformed codes costs the reporters' budget nothing.
    let proof = PowProof::from_fields(&form.pow_challenge, &form.pow_solution);
    match state
        .rate_limits
        .reporter(&state, Purpose::CodeLogin, proof)
        .await
    {
        Ok(_) => {}
        Err(Limited::Pow(_)) => {
            return again(
                "code",
                t.t("reporter.errors.pow_refused"),
                StatusCode::BAD_REQUEST,
            );
        }
        Err(Limited::TooMany) => return Err(visitor.error(ErrorKind::TooManyRequests)),
        Err(Limited::Store(e)) => return Err(visitor.fail(e.into())),
    }
    match casework::reporter_login(&state, &code).await {
        Ok(reporter) => {
            if let Some(body) = &body {
                casework::reporter_reply(&state, &reporter, Some(body), &[])
                    .await
                    .map_err(|e| visitor.fail(e))?;
            }
            if let Some(text) = &retaliation_text {
                crate::core::followup::report_retaliation(&state, &reporter, text)
                    .await
                    .map_err(|e| visitor.fail(e))?;
            }
            let cookie = start_session(&state, &visitor, Actor::Reporter(reporter)).await?;
            Ok(super::see_other("/case", Some(cookie)))
        }
        Err(CoreError::NotFound) => again(
            "code",
            t.t("reporter.followup.error_not_found"),
            StatusCode::NOT_FOUND,
        ),
        Err(e) => Err(visitor.internal(e)),
    }
}

fn page(
    visitor: &Visitor,
    csrf: String,
    errors: FormErrors,
    typed: Typed<'_>,
    status: StatusCode,
    cookie: Option<Cookie<'static>>,
) -> Result<HttpResponse, AppError> {
    let t = visitor.t();
    let body = super::render(
        visitor,
        &FollowupPage {
            t,
            csrf,
            errors,
            languages: super::language_buttons(t.lang()),
            code: typed.code,
            reply: typed.reply,
            retaliation: typed.retaliation,
            e2e_msgs: e2e_messages(&t),
            no_session: visitor.reporter().is_none(),
            e2e_script: crate::web::script::script_tag(),
        },
    )?;
    Ok(super::html(status, body, cookie))
}
