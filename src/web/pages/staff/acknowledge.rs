//! Acknowledging receipt to the reporter (the first acknowledgement's time is
//! kept; later ones change nothing).

use super::case::{done, Done};
use super::{case_form, CaseAction, CsrfOnly, StaffResult};
use crate::core::casework;

/// POST /staff/cases/{id}/acknowledge
pub(super) async fn submit(action: CaseAction<CsrfOnly>) -> StaffResult {
    let (state, visitor, path, form) = action.into_parts();
    let (staff, id) = case_form(&visitor, &form.csrf, &path)?;
    match casework::acknowledge(&state, staff, id).await {
        Ok(()) => Ok(done(id, Done::Acknowledged)),
        Err(e) => Err(visitor.fail(e).into()),
    }
}
