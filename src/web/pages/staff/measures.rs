//! POST /staff/cases/{id}/measures — records a measure taken to protect the
//! reporter, sealed to the case, shown to the reporter if ticked. A refused
//! measure re-renders the case page with the text kept and stores nothing.

use super::case::{done, render_case, Done, Problem};
use super::{case_form, CaseAction, StaffResult};
use crate::core::domain::{TextField, TextFieldError};
use crate::core::followup;
use crate::web::http::SecretText;

/// The measure form.
#[derive(serde::Deserialize)]
pub(super) struct MeasureForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    measure: SecretText,
    /// `yes` when the reporter is to see it.
    #[serde(default)]
    visible_to_reporter: Option<String>,
}

/// POST /staff/cases/{id}/measures
pub(super) async fn record(action: CaseAction<MeasureForm>) -> StaffResult {
    let (state, visitor, path, mut form) = action.into_parts();
    let (staff, id) = case_form(&visitor, &form.csrf, &path)?;
    let written = form.measure.take();
    let visible = form.visible_to_reporter.as_deref() == Some("yes");
    let max = state.settings.limits.max_text_chars;
    let problem = match TextField::parse(&written, max) {
        Ok(text) => {
            return match followup::record_measure(&state, staff, id, &text, visible).await {
                Ok(_) => Ok(done(id, Done::Measure)),
                Err(e) => Err(visitor.fail(e).into()),
            };
        }
        Err(TextFieldError::Empty) => Problem::MeasureEmpty,
        Err(TextFieldError::TooLong { max }) => Problem::MeasureTooLong { max },
    };
    render_case(
        &state,
        &visitor,
        staff,
        id,
        Some(problem),
        written.to_string(),
    )
    .await
}
