//! Escalation decisions and closing from the case page: a contact point
//! records or confirms a decision; a case worker closes or reopens the case.
//! A refused form changes nothing and is explained on the case page.

use crate::web::http::SecretText;
use actix_web::web;
use serde::Deserialize;

use super::case::{done, render_case, DecisionField, Done, Problem};
use super::{case_form, case_id, case_worker, CaseAction, StaffResult};
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

/// A date and time the page's form took in Oslo time, as the UTC moment
/// the parser reads (`2026-07-01T14:30` → `2026-07-01T12:30:00`); a date
/// alone, or anything else, is passed on as it came.
fn from_oslo(input: &str) -> String {
    let minutes = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let seconds =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let s = input.trim();
    let local = time::PrimitiveDateTime::parse(s, minutes)
        .or_else(|_| time::PrimitiveDateTime::parse(s, seconds));
    let utc = local
        .ok()
        .map(crate::core::oslo::from_local)
        .and_then(|at| time::OffsetDateTime::from_unix_timestamp(at).ok());
    match utc {
        Some(t) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        ),
        None => s.to_owned(),
    }
}

impl DecisionForm {
    fn input(&self, max_text: usize, now: i64) -> Result<DecisionInput, Problem> {
        let (aware_at, decided_at, notified_at) = (
            from_oslo(&self.aware_at),
            from_oslo(&self.decided_at),
            from_oslo(&self.notified_at),
        );
        DecisionDraft {
            authority: &self.authority,
            decision: &self.decision,
            legal_basis: &self.legal_basis,
            rationale: &self.rationale,
            aware_at: &aware_at,
            decided_at: &decided_at,
            notified_at: &notified_at,
            authority_reference: &self.authority_reference,
        }
        .parse(max_text, now)
        .map_err(|problems| {
            let decided = problems.iter().find(|p| p.field == "decided_at");
            if problems.len() == 1
                && decided.is_some_and(|p| matches!(p.problem, FieldProblem::BeforeEarliest { .. }))
            {
                Problem::DecidedBeforeAware
            } else if problems.len() == 1
                && decided.is_some_and(|p| p.problem == FieldProblem::InFuture)
            {
                Problem::DecidedInFuture
            } else {
                // The first refused field in form order; the reference last.
                DecisionField::ALL
                    .into_iter()
                    .find(|f| {
                        problems
                            .iter()
                            .any(|p| DecisionField::of(p.field) == Some(*f))
                    })
                    .map_or(Problem::ReferenceTooLong, Problem::InvalidDecision)
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
    what: Done,
) -> StaffResult {
    let problem = match result {
        Ok(()) => return Ok(done(id, what)),
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
    finish(&state, &visitor, staff, id, result, Done::Escalation).await
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
    finish(&state, &visitor, staff, id, result, Done::Confirmed).await
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
    /// `yes` when the closing is confirmed.
    #[serde(default)]
    confirm: Option<String>,
}

/// POST /staff/cases/{id}/close
pub(super) async fn close(action: CaseAction<CloseForm>) -> StaffResult {
    let (state, visitor, path, form) = action.into_parts();
    let (staff, id) = case_form(&visitor, &form.csrf, &path)?;
    let outcome = Outcome::parse(form.outcome.trim());
    let evaluation = TextField::parse(&form.evaluation, state.settings.limits.max_text_chars);
    let confirmed = form.confirm.as_deref() == Some("yes");
    // Nothing is preselected and nothing closes unconfirmed: each missing
    // part is named at its field, in form order.
    let refused = match (outcome, &evaluation, confirmed) {
        (None, _, _) => Some(Problem::CloseOutcomeMissing),
        (_, Err(TextFieldError::Empty), _) => Some(Problem::CloseEvaluationMissing),
        (_, Err(TextFieldError::TooLong { max }), _) => {
            Some(Problem::CloseEvaluationTooLong { max: *max })
        }
        (_, _, false) => Some(Problem::CloseNotConfirmed),
        _ => None,
    };
    let (Some(outcome), Ok(evaluation), None) = (outcome, evaluation, refused) else {
        return render_case(&state, &visitor, staff, id, refused, String::new()).await;
    };
    let result = escalation::close_case(&state, staff, id, outcome, &evaluation).await;
    finish(&state, &visitor, staff, id, result, Done::Closed).await
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
    finish(&state, &visitor, staff, id, result, Done::Reopened).await
}

#[cfg(test)]
mod tests {
    use super::from_oslo;

    #[test]
    fn form_times_are_read_in_oslo() {
        assert_eq!(from_oslo("2026-07-01T14:30"), "2026-07-01T12:30:00");
        assert_eq!(from_oslo("2026-01-01T00:30"), "2025-12-31T23:30:00");
        assert_eq!(from_oslo("2026-01-01"), "2026-01-01");
        assert_eq!(from_oslo(""), "");
    }
}
