//! Logging out: the session and the keys it held are dropped.

use actix_web::web;

use super::{see_other, CsrfOnly, StaffResult};
use crate::core::actor::Actor;
use crate::core::casework;
use crate::web::http::context::end_session;
use crate::web::http::Visitor;
use crate::web::state::AppState;

/// POST /staff/logout
pub(super) async fn submit(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: web::Form<CsrfOnly>,
) -> StaffResult {
    visitor.check_csrf(&form.csrf)?;
    if let Some(session) = &visitor.session {
        if let Actor::Staff(staff) = &session.principal {
            casework::staff_logout(&state, staff).await;
        }
    }
    let cookie = end_session(&state, &visitor).await?;
    let mut response = see_other("/staff/login");
    response
        .add_cookie(&cookie)
        .map_err(|e| visitor.internal(anyhow::anyhow!("cannot clear the cookie: {e}")))?;
    Ok(response)
}
