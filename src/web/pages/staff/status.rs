//! Changing a case's status. An unknown status changes nothing and is
//! explained on the case page.

use serde::Deserialize;

use super::case::{done, render_case, Done, Problem};
use super::{case_form, CaseAction, StaffResult};
use crate::core::casework;
use crate::core::domain::CaseStatus;
use crate::core::error::{CoreError, Refusal};

/// The submitted status form.
#[derive(Deserialize)]
pub(super) struct StatusForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    status: String,
}

/// POST /staff/cases/{id}/status
pub(super) async fn submit(action: CaseAction<StatusForm>) -> StaffResult {
    let (state, visitor, path, form) = action.into_parts();
    let (staff, id) = case_form(&visitor, &form.csrf, &path)?;
    let Some(status) = CaseStatus::parse(&form.status) else {
        let problem = Some(Problem::UnknownStatus);
        return render_case(&state, &visitor, staff, id, problem, String::new()).await;
    };
    match casework::set_status(&state, staff, id, status).await {
        Ok(()) => Ok(done(id, Done::Status)),
        Err(CoreError::Refused(Refusal::UseClose)) => {
            let problem = Some(Problem::UseClose);
            render_case(&state, &visitor, staff, id, problem, String::new()).await
        }
        Err(e) => Err(visitor.fail(e).into()),
    }
}
