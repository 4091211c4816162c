//! The form that extends a case's feedback deadline once, with a reason. A
//! refused extension changes nothing and is explained on the case page.

use super::case::{done, render_case, Done, Problem};
use super::deadline_view::ExtensionProblem;
use super::{case_form, CaseAction, StaffResult};
use crate::core::deadlines;
use crate::core::error::{CoreError, Refusal};

/// POST /staff/cases/{id}/feedback-extension
pub(super) async fn extend(action: CaseAction<super::ReasonForm>) -> StaffResult {
    let (state, visitor, path, form) = action.into_parts();
    let (staff, id) = case_form(&visitor, &form.csrf, &path)?;
    let problem = match deadlines::extend_feedback(&state, staff, id, &form.reason).await {
        Ok(_) => return Ok(done(id, Done::Extended)),
        Err(CoreError::Refused(Refusal::Extension(e))) => ExtensionProblem::of(&e),
        Err(e) => return Err(visitor.fail(e).into()),
    };
    let problem = Some(Problem::Extension(problem));
    render_case(&state, &visitor, staff, id, problem, String::new()).await
}
