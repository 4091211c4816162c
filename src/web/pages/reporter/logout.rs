//! POST /case/logout — ends the reporter session; its case key is dropped.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::web::http::context::end_session;
use crate::web::http::{AppError, Visitor};
use crate::web::state::AppState;

/// The submitted logout form.
#[derive(Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

/// Logs the reporter out and returns them to the landing page.
pub async fn logout(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: web::Form<LogoutForm>,
) -> Result<HttpResponse, AppError> {
    visitor.check_csrf(&form.csrf)?;
    let cookie = end_session(&state, &visitor).await?;
    Ok(super::see_other("/", Some(cookie)))
}
