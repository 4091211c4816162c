//! Administration pages. Administrators manage the service, never case
//! content: nothing here reads, names or links to a case.

mod notifications;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use crate::http::session::StaffSession;
use crate::http::Visitor;
use crate::routes::staff::{StaffError, StaffResult};

/// Registers the routes of this area.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/notifications", web::get().to(notifications::page));
}

/// The staff session of an administrator. No session: the login page; a
/// session without the admin role: forbidden.
fn admin(visitor: &Visitor) -> Result<&StaffSession, StaffError> {
    crate::routes::staff::permitted(visitor, crate::authz::Permission::Administer)
}

/// Renders `page` as a 200 HTML response.
fn render(visitor: &Visitor, page: &impl Template) -> StaffResult {
    let body = page.render().map_err(|e| visitor.internal(e))?;
    Ok(HttpResponse::build(StatusCode::OK)
        .content_type("text/html; charset=utf-8")
        .body(body))
}
