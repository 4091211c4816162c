//! POST /case/retaliation — the reporter reports retaliation in their case
//! (arbeidsmiljøloven § 2 A-4). A refused report shows the case again with
//! what the reporter wrote and stores nothing. A report whose session ended
//! while it was written is kept on the code login and filed once the code
//! opens the case; one whose CSRF token failed is shown again as typed.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use zeroize::Zeroizing;

use super::case_page::render_case_with_retaliation;
use super::FormErrors;
use crate::core::domain::{TextField, TextFieldError};
use crate::core::followup;
use crate::web::http::{AppError, ErrorKind, SecretText, Visitor};
use crate::web::state::AppState;

/// The submitted form.
#[derive(Deserialize)]
pub struct RetaliationForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    retaliation: SecretText,
}

/// Stores a retaliation report and shows the case.
pub async fn report(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: web::Form<RetaliationForm>,
) -> Result<HttpResponse, AppError> {
    let mut form = form.into_inner();
    let t = visitor.t();
    let csrf_ok = visitor.check_csrf(&form.csrf).is_ok();
    let written: Zeroizing<String> = form.retaliation.take();
    // Without a reporter session the session ended while the reporter was
    // writing: the code login, with the report kept in it.
    let Some(reporter) = visitor.reporter() else {
        return super::followup::session_ended_retaliation(&state, &visitor, &written).await;
    };
    if !csrf_ok {
        let mut errors = FormErrors::default();
        errors.add("retaliation", t.t("reporter.errors.form_expired"));
        let status = ErrorKind::Csrf.status();
        return render_case_with_retaliation(&state, &visitor, errors, &written, status).await;
    }
    let max = state.settings.limits.max_text_chars;
    let mut errors = FormErrors::default();
    match TextField::parse(&written, max) {
        Ok(text) => {
            followup::report_retaliation(&state, reporter, &text)
                .await
                .map_err(|e| visitor.fail(e))?;
            return Ok(super::see_other("/case#retaliation-sent", None));
        }
        Err(TextFieldError::Empty) => {
            errors.add("retaliation", t.t("reporter.followup.retaliation_empty"));
        }
        Err(TextFieldError::TooLong { max }) => errors.add(
            "retaliation",
            t.f(
                "reporter.errors.description_too_long",
                &[("max", &max.to_string())],
            ),
        ),
    }
    render_case_with_retaliation(&state, &visitor, errors, &written, StatusCode::BAD_REQUEST).await
}
