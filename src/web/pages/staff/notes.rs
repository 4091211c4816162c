//! POST /staff/cases/{id}/notes — adds an internal note for the other
//! handlers of the case, sealed to the case. A refused note re-renders the
//! case page with the text kept and stores nothing.

use super::case::{done, render_case, Done, Problem};
use super::{case_form, CaseAction, StaffResult};
use crate::core::domain::{TextField, TextFieldError};
use crate::core::notes;
use crate::web::http::SecretText;

/// The note form.
#[derive(serde::Deserialize)]
pub(super) struct NoteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    body: SecretText,
}

/// POST /staff/cases/{id}/notes
pub(super) async fn add(action: CaseAction<NoteForm>) -> StaffResult {
    let (state, visitor, path, mut form) = action.into_parts();
    let (staff, id) = case_form(&visitor, &form.csrf, &path)?;
    let written = form.body.take();
    let max = state.settings.limits.max_text_chars;
    let problem = match TextField::parse(&written, max) {
        Ok(text) => {
            return match notes::add_note(&state, staff, id, &text).await {
                Ok(_) => Ok(done(id, Done::Note)),
                Err(e) => Err(visitor.fail(e).into()),
            };
        }
        Err(TextFieldError::Empty) => Problem::NoteEmpty,
        Err(TextFieldError::TooLong { max }) => Problem::NoteTooLong { max },
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
