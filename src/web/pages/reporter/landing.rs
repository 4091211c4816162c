//! GET / — what can be reported, how anonymity is protected, which external
//! channels exist, and the way in to reporting and following up.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use askama::Template;

use crate::core::i18n::Translator;
use crate::web::http::{AppError, Visitor};

/// The landing page.
#[derive(Template)]
#[template(path = "reporter/landing.html")]
struct LandingPage {
    t: Translator,
}

/// Shows the landing page.
pub async fn show(visitor: Visitor) -> Result<HttpResponse, AppError> {
    let body = super::render(&visitor, &LandingPage { t: visitor.t() })?;
    Ok(super::html(StatusCode::OK, body, None))
}
