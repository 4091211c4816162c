//! POST /case/retaliation — the reporter reports retaliation in their case
//! (arbeidsmiljøloven § 2 A-4). A refused report shows the case again with
//! what the reporter wrote and stores nothing.

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
    // Without a reporter session the session ended while the reporter was
    // writing: the "form expired" page says what to do.
    let Some(reporter) = visitor.reporter() else {
        return Err(visitor.error(ErrorKind::Csrf));
    };
    visitor.check_csrf(&form.csrf)?;
    let t = visitor.t();
    let written: Zeroizing<String> = form.into_inner().retaliation.take();
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
