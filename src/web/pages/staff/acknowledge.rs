//! Acknowledging receipt to the reporter (the first acknowledgement's time is
//! kept; later ones change nothing).

use actix_web::web;

use super::{case_form, see_other, CsrfOnly, StaffResult};
use crate::core::casework;
use crate::web::http::Visitor;
use crate::web::state::AppState;

/// POST /staff/cases/{id}/acknowledge
pub(super) async fn submit(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<String>,
    form: web::Form<CsrfOnly>,
) -> StaffResult {
    let (staff, id) = case_form(&visitor, &form.csrf, &path)?;
    match casework::acknowledge(&state, staff, id).await {
        Ok(()) => Ok(see_other(&format!("/staff/cases/{id}"))),
        Err(e) => Err(visitor.fail(e).into()),
    }
}
