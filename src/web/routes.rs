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
    cfg.route("/static/varsel.css", web::get().to(stylesheet));
    super::pages::reporter::configure(cfg);
    super::pages::staff::configure(cfg);
    super::api::configure(cfg);
    super::pages::admin::configure(cfg);
    super::pages::statistics::configure(cfg);
}
