//! Administration pages. Administrators manage the service, never case
//! content: nothing here reads, names or links to a case.
//!
//! Groups, members and leads (`/admin/groups`) and routing rules
//! (`/admin/rules`) are changed through forms: each carries the session's
//! CSRF token, is recorded in the audit log, and answers with a redirect to
//! its page, or with the page and the reason when it is refused.

mod accounts;
mod forms;
mod groups;
mod members;
mod notifications;
mod rules;
mod security;
mod sso;

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use askama::Template;

use crate::core::actor::StaffMember;
use crate::web::http::Visitor;
use crate::web::pages::staff::{StaffError, StaffResult};

/// Registers the routes of this area.
pub fn configure(routes: &mut crate::web::registry::Registry<'_>) {
    routes
        .get("/admin/notifications", notifications::page)
        .get("/admin/groups", groups::page)
        .post("/admin/groups", groups::create)
        .post("/admin/groups/members", members::add_member)
        .post("/admin/groups/members/remove", members::remove_member)
        .post("/admin/groups/leads", members::add_lead)
        .post("/admin/groups/leads/remove", members::remove_lead)
        .get("/admin/rules", rules::page)
        .post("/admin/rules", rules::add)
        .post("/admin/rules/{id}/delete", rules::delete)
        .get("/admin/sso", sso::page)
        .post("/admin/sso/link", sso::link)
        .post("/admin/sso/unlink", sso::unlink)
        .get("/admin/accounts", accounts::list)
        .post("/admin/accounts", accounts::create)
        .get("/admin/accounts/{username}", accounts::account)
        .post("/admin/accounts/{username}/roles", accounts::roles)
        .post("/admin/accounts/{username}/groups", accounts::groups)
        .get(
            "/admin/accounts/{username}/deactivate",
            accounts::confirm_deactivation,
        )
        .post(
            "/admin/accounts/{username}/deactivate",
            accounts::deactivate,
        )
        .post(
            "/admin/accounts/{username}/reactivate",
            accounts::reactivate,
        )
        .get("/admin/recovery-key", accounts::recovery_key)
        .get("/admin/security", security::page)
        .post("/admin/security", security::set);
    // A page re-rendered after a refused form keeps the form's URL; the
    // language switch then asks for it with GET: send it back to its page.
    for path in [
        "/admin/groups/members",
        "/admin/groups/members/remove",
        "/admin/groups/leads",
        "/admin/groups/leads/remove",
    ] {
        routes.get(path, groups::back);
    }
    routes.get("/admin/rules/{id}/delete", rules::back);
    routes
        .get("/admin/sso/link", sso::back)
        .get("/admin/sso/unlink", sso::back);
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
