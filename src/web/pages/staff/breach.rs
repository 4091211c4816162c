//! The form on which a case worker records the Datatilsynet decision of a
//! personal-data-breach case (`src/core/breach.rs`). A refused decision
//! changes nothing and is explained on the case page, next to its field.

use serde::Deserialize;

use super::case::{render_case, Problem};
use super::{case_form, see_other, CaseAction, StaffResult};
use crate::core::breach::{self, BreachDecisionDraft};
use crate::core::error::{CoreError, FieldProblem};
use crate::web::http::SecretText;

/// The submitted breach-decision form.
#[derive(Deserialize)]
pub(super) struct BreachDecisionForm {
    csrf: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    rationale: SecretText,
    #[serde(default)]
    decided_at: String,
}

/// POST /staff/cases/{id}/breach-decision
pub(super) async fn record(action: CaseAction<BreachDecisionForm>) -> StaffResult {
    let (state, visitor, path, form) = action.into_parts();
    let (staff, id) = case_form(&visitor, &form.csrf, &path)?;
    let draft = BreachDecisionDraft {
        decision: &form.decision,
        rationale: &form.rationale,
        decided_at: &form.decided_at,
    };
    let problem = match draft.parse(state.settings.limits.max_text_chars, state.now()) {
        Err(problems) => {
            if problems.len() == 1 && problems[0].problem == FieldProblem::InFuture {
                Problem::BreachDecidedInFuture
            } else {
                Problem::InvalidBreachDecision
            }
        }
        Ok(input) => match breach::record(&state, staff, id, &input).await {
            Ok(_) => return Ok(see_other(&format!("/staff/cases/{id}#breach-decision"))),
            Err(CoreError::Invalid(_)) => Problem::BreachDecidedBeforeReceipt,
            Err(CoreError::Conflict) => Problem::NotABreach,
            Err(e) => return Err(visitor.fail(e).into()),
        },
    };
    render_case(&state, &visitor, staff, id, Some(problem), String::new()).await
}
