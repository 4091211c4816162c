//! Routes, one module per area.

use actix_web::{web, HttpResponse};

/// The stylesheet, embedded in the binary.
const STYLESHEET: &str = include_str!("../../templates/varsel.css");

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(STYLESHEET)
}

/// Any path no route matches: the same "not found" page as everything else.
pub async fn not_found(
    visitor: crate::web::http::Visitor,
) -> Result<HttpResponse, crate::web::http::AppError> {
    Err(visitor.error(crate::web::http::ErrorKind::NotFound))
}

/// Registers every route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    register(cfg);
}

/// Every registered `(method, path pattern)`, once each, in order; the same
/// registration as [`configure`] runs, on an app that is never served.
pub fn registered_routes() -> Vec<(actix_web::http::Method, String)> {
    let mut routes = Vec::new();
    let _ = actix_web::App::new().configure(|cfg| routes = register(cfg));
    let mut seen = std::collections::HashSet::new();
    routes.retain(|route| seen.insert(route.clone()));
    routes
}

/// Registers every route on `cfg`; returns what it registered.
fn register(cfg: &mut web::ServiceConfig) -> Vec<(actix_web::http::Method, String)> {
    let mut routes = super::registry::Registry::new(cfg);
    routes.get("/static/varsel.css", stylesheet);
    routes.get("/static/pow.js", super::api::pow::script);
    routes.get("/pow/challenge", super::api::pow::challenge);
    super::pages::reporter::configure(&mut routes);
    super::pages::staff::configure(&mut routes);
    super::api::configure(&mut routes);
    super::pages::admin::configure(&mut routes);
    super::pages::statistics::configure(&mut routes);
    super::pages::custodian::configure(&mut routes);
    routes.into_recorded()
}
