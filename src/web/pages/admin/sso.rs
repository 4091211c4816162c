//! `/admin/sso`: the staff accounts linked to subjects of the OpenID
//! Connect provider (see [`crate::core::sso`]). An administrator links an
//! account to the subject the provider knows the person by, or removes the
//! link; each change is audited. A link lets the provider log the person
//! in; it never gives the provider their case key.

use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;
use serde::Deserialize;

use super::admin;
use super::forms::{back_to, done, respond, NoticeQuery};
use crate::core::actor::StaffMember;
use crate::core::audit::AuditActor;
use crate::core::error::{CoreError, FieldProblem};
use crate::core::i18n::Translator;
use crate::core::sso;
use crate::core::store::OidcLink;
use crate::web::http::Visitor;
use crate::web::pages::staff::{StaffNav, StaffResult};
use crate::web::state::AppState;

/// The confirmations the page shows after a change.
const NOTICES: [&str; 2] = ["linked", "unlinked"];

/// The page.
#[derive(Template)]
#[template(path = "admin/sso.html")]
struct SsoPage {
    t: Translator,
    csrf: String,
    nav: StaffNav,
    enabled: bool,
    notice: Option<String>,
    problem: Option<String>,
    links: Vec<OidcLink>,
    username: String,
    subject: String,
}

async fn render_page(
    state: &AppState,
    visitor: &Visitor,
    staff: &StaffMember,
    notice: Option<String>,
    problem: Option<(String, String, String)>,
) -> StaffResult {
    let t = visitor.t();
    let links = sso::links(state).await.map_err(|e| visitor.fail(e))?;
    let refused = problem.is_some();
    let (problem, username, subject) = match problem {
        Some((problem, username, subject)) => (Some(problem), username, subject),
        None => (None, String::new(), String::new()),
    };
    let page = SsoPage {
        t,
        csrf: visitor.csrf().unwrap_or_default().to_owned(),
        nav: StaffNav::new(&t, staff, true),
        enabled: state.sso.is_some(),
        notice,
        problem,
        links,
        username,
        subject,
    };
    let status = if refused {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    respond(visitor, &page, status)
}

/// GET /admin/sso
pub(super) async fn page(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<NoticeQuery>,
) -> StaffResult {
    let staff = admin(&visitor)?;
    let notice = query.message(&visitor.t(), "oidc.admin", &NOTICES);
    render_page(&state, &visitor, staff, notice, None).await
}

/// The link and unlink forms.
#[derive(Deserialize)]
pub(super) struct LinkForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    subject: String,
}

/// The message of a refused change, or `None` for an error page.
fn problem_of(t: &Translator, e: &CoreError) -> Option<String> {
    let key = match e {
        CoreError::NotFound => "oidc.admin.problem.unknown_user",
        CoreError::Conflict => "oidc.admin.problem.already_linked",
        CoreError::Invalid(fields) => match fields.first() {
            Some(f) if f.field == "issuer" => "oidc.admin.problem.not_configured",
            Some(f) if matches!(f.problem, FieldProblem::TooLong { .. }) => {
                "oidc.admin.problem.subject_too_long"
            }
            _ => "oidc.admin.problem.subject_required",
        },
        _ => return None,
    };
    Some(t.t(key))
}

/// POST /admin/sso/link
pub(super) async fn link(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: web::Form<LinkForm>,
) -> StaffResult {
    let staff = admin(&visitor)?;
    visitor.check_csrf(&form.csrf)?;
    let by = AuditActor::User(staff.user_id);
    match sso::LinkChange::on(&state, by)
        .link(&form.username, &form.subject)
        .await
    {
        Ok(()) => Ok(done("/admin/sso", "linked")),
        Err(e) => match problem_of(&visitor.t(), &e) {
            Some(problem) => {
                let draft = (problem, form.username.clone(), form.subject.clone());
                render_page(&state, &visitor, staff, None, Some(draft)).await
            }
            None => Err(visitor.fail(e).into()),
        },
    }
}

/// POST /admin/sso/unlink
pub(super) async fn unlink(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: web::Form<LinkForm>,
) -> StaffResult {
    let staff = admin(&visitor)?;
    visitor.check_csrf(&form.csrf)?;
    let by = AuditActor::User(staff.user_id);
    match sso::LinkChange::on(&state, by).unlink(&form.username).await {
        Ok(()) => Ok(done("/admin/sso", "unlinked")),
        Err(CoreError::NotFound) => {
            let problem = visitor.t().t("oidc.admin.problem.not_linked");
            let draft = (problem, String::new(), String::new());
            render_page(&state, &visitor, staff, None, Some(draft)).await
        }
        Err(e) => Err(visitor.fail(e).into()),
    }
}

/// GET of a form's URL (the language switch after a refusal): the page.
pub(super) async fn back() -> actix_web::HttpResponse {
    back_to("/admin/sso")
}
