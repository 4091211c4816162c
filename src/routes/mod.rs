//! Routes, one module per area.

pub mod admin;
pub mod api;
pub mod reporter;
pub mod staff;
pub mod statistics;

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
    visitor: crate::http::Visitor,
) -> Result<HttpResponse, crate::http::AppError> {
    Err(visitor.error(crate::http::ErrorKind::NotFound))
}

/// Registers every route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/static/varsel.css", web::get().to(stylesheet));
    reporter::configure(cfg);
    staff::configure(cfg);
    api::configure(cfg);
    admin::configure(cfg);
    statistics::configure(cfg);
}
