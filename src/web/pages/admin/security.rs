//! `/admin/security`: who must log in with two factors (nobody, every staff
//! member, or chosen roles), and who has set it up. A change is audited.

use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;

use super::admin;
use super::forms::{done, respond, NoticeQuery};
use crate::core::actor::StaffMember;
use crate::core::domain::Role;
use crate::core::i18n::Translator;
use crate::core::two_factor::{self, Requirement};
use crate::web::http::Visitor;
use crate::web::pages::staff::{StaffNav, StaffResult};
use crate::web::state::AppState;

/// The confirmations this page shows after a change.
const NOTICES: [&str; 1] = ["requirement_set"];

/// A role's box.
struct RoleChoice {
    key: &'static str,
    label: String,
    checked: bool,
}

/// One account and whether it has two factors set up.
struct AccountRow {
    username: String,
    enrolled: bool,
}

/// The page.
#[derive(Template)]
#[template(path = "admin/security.html")]
struct SecurityPage {
    t: Translator,
    csrf: String,
    nav: StaffNav,
    notice: Option<String>,
    error: Option<String>,
    mode: &'static str,
    roles: Vec<RoleChoice>,
    accounts: Vec<AccountRow>,
}

fn mode_of(requirement: &Requirement) -> &'static str {
    match requirement {
        Requirement::Nobody => "none",
        Requirement::Everyone => "all",
        Requirement::Roles(_) => "roles",
    }
}

async fn render_page(
    state: &AppState,
    visitor: &Visitor,
    staff: &StaffMember,
    notice: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> StaffResult {
    let t = visitor.t();
    let requirement = two_factor::requirement(state)
        .await
        .map_err(|e| visitor.fail(e))?;
    let accounts = two_factor::enrolment_overview(state, staff)
        .await
        .map_err(|e| visitor.fail(e))?
        .into_iter()
        .map(|(username, enrolled)| AccountRow { username, enrolled })
        .collect();
    let roles = Role::ALL
        .into_iter()
        .map(|r| RoleChoice {
            key: r.key(),
            label: t.t(&format!("twofactor.role.{}", r.key())),
            checked: matches!(&requirement, Requirement::Roles(rs) if rs.contains(&r)),
        })
        .collect();
    let page = SecurityPage {
        t,
        csrf: visitor.csrf().unwrap_or_default().to_owned(),
        nav: StaffNav::new(&t, staff, true),
        notice,
        error,
        mode: mode_of(&requirement),
        roles,
        accounts,
    };
    respond(visitor, &page, status)
}

/// GET /admin/security
pub(super) async fn page(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<NoticeQuery>,
) -> StaffResult {
    let staff = admin(&visitor)?;
    let notice = query.message(&visitor.t(), "twofactor.admin", &NOTICES);
    render_page(&state, &visitor, staff, notice, None, StatusCode::OK).await
}

/// The form: `required` (`none`, `all` or `roles`) and one `role` per ticked box.
fn requirement_of(fields: &[(String, String)]) -> Option<Requirement> {
    let value = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
    };
    match value("required")? {
        "none" => Some(Requirement::Nobody),
        "all" => Some(Requirement::Everyone),
        "roles" => {
            let roles: Vec<Role> = Role::ALL
                .into_iter()
                .filter(|r| fields.iter().any(|(k, v)| k == "role" && v == r.key()))
                .collect();
            (!roles.is_empty()).then_some(Requirement::Roles(roles))
        }
        _ => None,
    }
}

/// POST /admin/security
pub(super) async fn set(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: web::Form<Vec<(String, String)>>,
) -> StaffResult {
    let staff = admin(&visitor)?;
    let csrf = form
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    visitor.check_csrf(csrf)?;
    let Some(requirement) = requirement_of(&form) else {
        let error = visitor.t().t("twofactor.admin.invalid");
        return render_page(
            &state,
            &visitor,
            staff,
            None,
            Some(error),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    two_factor::set_requirement(&state, staff, &requirement)
        .await
        .map_err(|e| visitor.fail(e))?;
    Ok(done("/admin/security", "requirement_set"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_form_names_a_requirement_or_is_refused() {
        assert_eq!(
            requirement_of(&fields(&[("required", "all")])),
            Some(Requirement::Everyone)
        );
        assert_eq!(
            requirement_of(&fields(&[
                ("required", "roles"),
                ("role", "admin"),
                ("role", "handler")
            ])),
            Some(Requirement::Roles(vec![Role::Handler, Role::Admin]))
        );
        assert_eq!(requirement_of(&fields(&[("required", "roles")])), None);
        assert_eq!(requirement_of(&fields(&[("required", "x")])), None);
    }
}
