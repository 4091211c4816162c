//! Escalation decisions and closing from the case page: a contact point
//! records or confirms a decision; a case worker closes or reopens the case.
//! A refused form changes nothing and is explained on the case page.

use crate::web::http::SecretText;
use actix_web::web;
use serde::Deserialize;

use super::case::{render_case, Problem};
use super::{case_form, case_id, case_worker, see_other, CaseAction, StaffResult};
use crate::core::actor::StaffMember;
use crate::core::authz::{self, Permission};
use crate::core::domain::{Outcome, TextField, TextFieldError};
use crate::core::error::{CoreError, CoreResult, FieldProblem, Refusal};
use crate::core::escalation::{self, DecisionDraft, DecisionInput};
use crate::web::http::{ErrorKind, Visitor};
use crate::web::state::AppState;

/// The submitted decision form.
#[derive(Deserialize)]
pub(super) struct DecisionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    authority: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    legal_basis: String,
    #[serde(default)]
    rationale: SecretText,
    #[serde(default)]
    aware_at: String,
    #[serde(default)]
    decided_at: String,
    #[serde(default)]
    notified_at: String,
    #[serde(default)]
    authority_reference: String,
}

impl DecisionForm {
    fn input(&self, max_text: usize, now: i64) -> Result<DecisionInput, Problem> {
        DecisionDraft {
            authority: &self.authority,
            decision: &self.decision,
            legal_basis: &self.legal_basis,
            rationale: &self.rationale,
            aware_at: &self.aware_at,
            decided_at: &self.decided_at,
            notified_at: &self.notified_at,
            authority_reference: &self.authority_reference,
        }
        .parse(max_text, now)
        .map_err(|problems| {
            let decided = problems.iter().find(|p| p.field == "decided_at");
            if problems.iter().any(|p| p.field == "authority_reference") {
                Problem::ReferenceTooLong
            } else if problems.len() == 1
                && decided.is_some_and(|p| matches!(p.problem, FieldProblem::BeforeEarliest { .. }))
            {
                Problem::DecidedBeforeAware
            } else if problems.len() == 1
                && decided.is_some_and(|p| p.problem == FieldProblem::InFuture)
            {
                Problem::DecidedInFuture
            } else {
                Problem::InvalidDecision
            }
        })
    }
}

/// The outcome of an action: back to the case, or the page with a problem.
async fn finish(
    state: &AppState,
    visitor: &Visitor,
    staff: &StaffMember,
    id: uuid::Uuid,
    result: CoreResult<()>,
) -> StaffResult {
    let problem = match result {
        Ok(()) => return Ok(see_other(&format!("/staff/cases/{id}"))),
        Err(CoreError::Refused(Refusal::CannotConfirm)) => Problem::CannotConfirm,
        Err(CoreError::Refused(Refusal::NeedsPoliceDecision)) => Problem::NeedsPoliceDecision,
        Err(CoreError::Refused(Refusal::AlreadyClosed)) => Problem::AlreadyClosed,
        Err(CoreError::Refused(Refusal::NotClosed)) => Problem::NotClosed,
        Err(e) => return Err(visitor.fail(e).into()),
    };
    render_case(state, visitor, staff, id, Some(problem), String::new()).await
}

/// POST /staff/cases/{id}/escalation
pub(super) async fn record(action: CaseAction<DecisionForm>) -> StaffResult {
    let (state, visitor, path, form) = action.into_parts();
    let (staff, id) = case_form(&visitor, &form.csrf, &path)?;
    if !authz::staff_may(staff, Permission::DecideEscalation) {
        return Err(visitor.error(ErrorKind::Forbidden).into());
    }
    let input = match form.input(state.settings.limits.max_text_chars, state.now()) {
        Ok(input) => input,
        Err(problem) => {
            return render_case(&state, &visitor, staff, id, Some(problem), String::new()).await
        }
    };
    let result = escalation::record_decision(&state, staff, id, &input)
        .await
        .map(|_| ());
    finish(&state, &visitor, staff, id, result).await
}

/// POST /staff/cases/{id}/escalation/{decision}/confirm
pub(super) async fn confirm(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
    form: web::Form<super::CsrfOnly>,
) -> StaffResult {
    let staff = case_worker(&visitor)?;
    visitor.check_csrf(&form.csrf)?;
    let (case, decision) = path.into_inner();
    let id = case_id(&visitor, &case)?;
    let decision = case_id(&visitor, &decision)?;
    let result = escalation::confirm_decision(&state, staff, id, decision).await;
    finish(&state, &visitor, staff, id, result).await
}

/// The submitted close form.
#[derive(Deserialize)]
pub(super) struct CloseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    evaluation: SecretText,
}

/// POST /staff/cases/{id}/close
pub(super) async fn close(action: CaseAction<CloseForm>) -> StaffResult {
    let (state, visitor, path, form) = action.into_parts();
    let (staff, id) = case_form(&visitor, &form.csrf, &path)?;
    let outcome = Outcome::parse(form.outcome.trim());
    let evaluation = TextField::parse(&form.evaluation, state.settings.limits.max_text_chars);
    let (Some(outcome), Ok(evaluation)) = (outcome, evaluation) else {
        let problem = Some(Problem::InvalidClose);
        return render_case(&state, &visitor, staff, id, problem, String::new()).await;
    };
    let result = escalation::close_case(&state, staff, id, outcome, &evaluation).await;
    finish(&state, &visitor, staff, id, result).await
}

/// POST /staff/cases/{id}/reopen
pub(super) async fn reopen(action: CaseAction<super::ReasonForm>) -> StaffResult {
    let (state, visitor, path, form) = action.into_parts();
    let (staff, id) = case_form(&visitor, &form.csrf, &path)?;
    let reason = match TextField::parse(&form.reason, state.settings.limits.max_text_chars) {
        Ok(reason) => reason,
        Err(TextFieldError::Empty | TextFieldError::TooLong { .. }) => {
            let problem = Some(Problem::ReasonRequired);
            return render_case(&state, &visitor, staff, id, problem, String::new()).await;
        }
    };
    let result = escalation::reopen_case(&state, staff, id, &reason).await;
    finish(&state, &visitor, staff, id, result).await
}
