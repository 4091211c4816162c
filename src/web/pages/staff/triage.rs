//! Triage: a handler sets category, sub-type, severity and risk, and the case
//! is re-routed. An invalid classification, or one that would leave nobody,
//! changes nothing and is explained on the case page. A handler the case is
//! no longer routed to goes to the inbox with a notice.

use serde::Deserialize;

use super::case::{done, render_case, Done, Problem};
use super::{case_form, see_other, CaseAction, StaffResult};
use crate::core::domain::routing::{TriageDraft, TriageInput};
use crate::core::error::{CoreError, Refusal};
use crate::core::triage;

/// The submitted triage form.
#[derive(Deserialize)]
pub(super) struct TriageForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    subtype: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    probability: String,
    #[serde(default)]
    consequence: String,
}

impl TriageForm {
    /// The classification, or `None` if any part of it is invalid.
    fn input(&self, taxonomy: &crate::core::domain::Taxonomy) -> Option<TriageInput> {
        TriageDraft {
            category: &self.category,
            subtype: &self.subtype,
            severity: &self.severity,
            probability: &self.probability,
            consequence: &self.consequence,
        }
        .parse(taxonomy)
    }
}

/// POST /staff/cases/{id}/triage
pub(super) async fn submit(action: CaseAction<TriageForm>) -> StaffResult {
    let (state, visitor, path, form) = action.into_parts();
    let (staff, id) = case_form(&visitor, &form.csrf, &path)?;
    let Some(input) = form.input(&state.settings.taxonomy) else {
        let problem = Some(Problem::UnknownClassification);
        return render_case(&state, &visitor, staff, id, problem, String::new()).await;
    };
    match triage::triage(&state, staff, id, &input).await {
        Ok(outcome) if outcome.still_member => Ok(done(id, Done::Triage)),
        Ok(_) => Ok(see_other("/staff/inbox?notice=rerouted")),
        Err(CoreError::Refused(Refusal::NoEligibleHandler)) => {
            let problem = Some(Problem::NoOneLeft);
            render_case(&state, &visitor, staff, id, problem, String::new()).await
        }
        Err(e) => Err(visitor.fail(e).into()),
    }
}
