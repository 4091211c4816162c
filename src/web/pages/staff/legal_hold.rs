//! The legal-hold forms of the staff case page (contact points only):
//! `POST /staff/cases/{id}/legal-hold` (with a reason, sealed to the case)
//! and `POST /staff/cases/{id}/legal-hold/lift`. Each answers with the case
//! page and a line saying what was done (`?hold=placed` / `?hold=lifted`).

use super::case::render_case_noted;
use super::legal_hold_view::HoldNote;
use super::{case_form, see_other, CaseAction, CsrfOnly, StaffResult};
use crate::core::error::{CoreError, FieldProblem};
use crate::core::retention;

/// The hold form.
#[derive(serde::Deserialize)]
pub(super) struct HoldForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: crate::web::http::SecretText,
}

/// POST /staff/cases/{id}/legal-hold
pub(super) async fn place(action: CaseAction<HoldForm>) -> StaffResult {
    let (state, visitor, path, mut form) = action.into_parts();
    let (staff, id) = case_form(&visitor, &form.csrf, &path)?;
    let written = form.reason.take();
    let note = match retention::place_hold(&state, staff, id, &written).await {
        Ok(()) => {
            return Ok(see_other(&format!(
                "/staff/cases/{id}?hold=placed#legal-hold"
            )))
        }
        Err(CoreError::Invalid(fields)) => match fields.first().map(|f| &f.problem) {
            Some(FieldProblem::TooLong { max }) => HoldNote::TooLong(*max),
            _ => HoldNote::ReasonEmpty,
        },
        Err(CoreError::Conflict) => HoldNote::AlreadyHeld,
        Err(e) => return Err(visitor.fail(e).into()),
    };
    render_case_noted(&state, &visitor, staff, id, note, written.to_string()).await
}

/// POST /staff/cases/{id}/legal-hold/lift
pub(super) async fn lift(action: CaseAction<CsrfOnly>) -> StaffResult {
    let (state, visitor, path, form) = action.into_parts();
    let (staff, id) = case_form(&visitor, &form.csrf, &path)?;
    match retention::lift_hold(&state, staff, id).await {
        Ok(()) => Ok(see_other(&format!(
            "/staff/cases/{id}?hold=lifted#legal-hold"
        ))),
        Err(CoreError::Conflict) => {
            render_case_noted(
                &state,
                &visitor,
                staff,
                id,
                HoldNote::NotHeld,
                String::new(),
            )
            .await
        }
        Err(e) => Err(visitor.fail(e).into()),
    }
}
