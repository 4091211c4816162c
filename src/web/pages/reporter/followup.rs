//! GET/POST /followup — logging in with the case code. The code is checked for
//! typos before any lookup, is never echoed back, and after a successful login
//! the browser holds only a fresh random session id.

use crate::web::http::SecretText;
use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;
use varsel_crypto::{CaseCode, CaseCodeError};

use super::FormErrors;
use crate::core::actor::Actor;
use crate::core::casework;
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
struct FollowupPage {
    t: Translator,
    csrf: String,
    errors: FormErrors,
}

/// The submitted login form.
#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: SecretText,
    #[serde(default)]
    pow_challenge: String,
    #[serde(default)]
    pow_solution: String,
}

/// Shows the code login form.
pub async fn show(state: web::Data<AppState>, visitor: Visitor) -> Result<HttpResponse, AppError> {
    let (csrf, cookie) = ensure_csrf(&state, &visitor);
    page(
        &visitor,
        csrf,
        FormErrors::default(),
        StatusCode::OK,
        cookie,
    )
}

/// Checks the code and, if it opens a case, starts a reporter session.
pub async fn login(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    visitor.check_csrf(&form.csrf)?;
    let t = visitor.t();
    let csrf = form.csrf.clone();
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
            let mut errors = FormErrors::default();
            errors.add("code", message);
            return page(&visitor, csrf, errors, StatusCode::BAD_REQUEST, None);
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
            let mut errors = FormErrors::default();
            errors.add("code", t.t("reporter.errors.pow_refused"));
            return page(&visitor, csrf, errors, StatusCode::BAD_REQUEST, None);
        }
        Err(Limited::TooMany) => return Err(visitor.error(ErrorKind::TooManyRequests)),
        Err(Limited::Store(e)) => return Err(visitor.fail(e.into())),
    }
    match casework::reporter_login(&state, &code).await {
        Ok(reporter) => {
            let cookie = start_session(&state, &visitor, Actor::Reporter(reporter)).await?;
            Ok(super::see_other("/case", Some(cookie)))
        }
        Err(CoreError::NotFound) => {
            let mut errors = FormErrors::default();
            errors.add("code", t.t("reporter.followup.error_not_found"));
            page(&visitor, csrf, errors, StatusCode::NOT_FOUND, None)
        }
        Err(e) => Err(visitor.internal(e)),
    }
}

fn page(
    visitor: &Visitor,
    csrf: String,
    errors: FormErrors,
    status: StatusCode,
    cookie: Option<Cookie<'static>>,
) -> Result<HttpResponse, AppError> {
    let body = super::render(
        visitor,
        &FollowupPage {
            t: visitor.t(),
            csrf,
            errors,
        },
    )?;
    Ok(super::html(status, body, cookie))
}
