//! Administration pages. Administrators manage the service, never case
//! content: nothing here reads, names or links to a case.
//!
//! Groups, members and leads (`/admin/groups`) and routing rules
//! (`/admin/rules`) are changed through forms: each carries the session's
//! CSRF token, is recorded in the audit log, and answers with a redirect to
//! its page, or with the page and the reason when it is refused.

mod forms;
mod groups;
mod members;
mod notifications;
mod rules;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use crate::core::actor::StaffMember;
use crate::web::http::Visitor;
use crate::web::pages::staff::{StaffError, StaffResult};

/// Registers the routes of this area.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/notifications", web::get().to(notifications::page))
        .route("/admin/groups", web::get().to(groups::page))
        .route("/admin/groups", web::post().to(groups::create))
        .route("/admin/groups/members", web::post().to(members::add_member))
        .route(
            "/admin/groups/members/remove",
            web::post().to(members::remove_member),
        )
        .route("/admin/groups/leads", web::post().to(members::add_lead))
        .route(
            "/admin/groups/leads/remove",
            web::post().to(members::remove_lead),
        )
        .route("/admin/rules", web::get().to(rules::page))
        .route("/admin/rules", web::post().to(rules::add))
        .route("/admin/rules/{id}/delete", web::post().to(rules::delete));
    // A page re-rendered after a refused form keeps the form's URL; the
    // language switch then asks for it with GET: send it back to its page.
    for path in [
        "/admin/groups/members",
        "/admin/groups/members/remove",
        "/admin/groups/leads",
        "/admin/groups/leads/remove",
    ] {
        cfg.route(path, web::get().to(groups::back));
    }
    cfg.route("/admin/rules/{id}/delete", web::get().to(rules::back));
}

/// The staff session of an administrator. No session: the login page; a
/// session without the admin role: forbidden.
fn admin(visitor: &Visitor) -> Result<&StaffMember, StaffError> {
    crate::web::pages::staff::permitted(visitor, crate::core::authz::Permission::Administer)
}

/// Renders `page` as a 200 HTML response.
fn render(visitor: &Visitor, page: &impl Template) -> StaffResult {
    let body = page.render().map_err(|e| visitor.internal(e))?;
    Ok(HttpResponse::build(StatusCode::OK)
        .content_type("text/html; charset=utf-8")
        .body(body))
}
