//! The form on which a case worker records the Datatilsynet decision of a
//! personal-data-breach case (`src/core/breach.rs`). A refused decision
//! changes nothing and is explained on the case page, next to its field.

use serde::Deserialize;
use uuid::Uuid;

use super::case::{render_case, Problem};
use super::{case_form, see_other, show_moment, CaseAction, StaffResult};
use crate::core::breach::{self, choice_key, BreachDecisionDraft, BreachDecisions, CHOICES};
use crate::core::error::{CoreError, FieldProblem};
use crate::core::i18n::Translator;
use crate::web::http::SecretText;
use crate::web::state::AppState;

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

/// One recorded Datatilsynet decision.
pub(super) struct BreachLine {
    pub(super) decision: String,
    pub(super) decided_at: String,
    pub(super) decided_by: String,
    pub(super) rationale: String,
}

/// The breach-decision section of the case page: shown on a personal-data
/// breach case, to every case worker it reaches.
#[derive(Default)]
pub(super) struct BreachSection {
    /// The case is a personal-data breach.
    pub(super) shown: bool,
    /// The form's action.
    pub(super) action: String,
    /// The decisions recorded so far.
    pub(super) decisions: Vec<BreachLine>,
    /// The choices (key, label).
    pub(super) choices: Vec<(&'static str, String)>,
    /// The problem with the last submission, tied to its field.
    pub(super) error: Option<String>,
    /// The field the error belongs to (`decision`, `rationale`, `decided_at`).
    pub(super) error_field: &'static str,
}

/// The section for case `case_id`, from what the case file read.
pub(super) fn section(
    state: &AppState,
    t: &Translator,
    case_id: Uuid,
    read: Option<&BreachDecisions>,
    problem: Option<Problem>,
) -> BreachSection {
    let Some(read) = read else {
        return BreachSection::default();
    };
    let problem = problem.filter(|p| p.form() == "breach-decision");
    BreachSection {
        shown: read.applies || !read.decisions.is_empty(),
        action: format!("/staff/cases/{case_id}/breach-decision"),
        decisions: read
            .decisions
            .iter()
            .map(|d| BreachLine {
                decision: t.t(&format!("breach.choice.{}", choice_key(d.decision))),
                decided_at: show_moment(d.decided_at),
                decided_by: d.decided_by_name.clone(),
                rationale: d.rationale.clone(),
            })
            .collect(),
        choices: CHOICES
            .iter()
            .map(|(key, _)| (*key, t.t(&format!("breach.choice.{key}"))))
            .collect(),
        error: problem.map(|p| p.message(t, state)),
        error_field: match problem {
            Some(Problem::BreachDecidedInFuture | Problem::BreachDecidedBeforeReceipt) => {
                "decided_at"
            }
            _ => "decision",
        },
    }
}
