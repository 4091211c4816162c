//! `/admin/accounts`: the staff accounts (roles, groups, active or
//! deactivated and since when), the form that creates one, and each
//! account's page: its roles and groups, and deactivation (after a
//! confirmation step) or reactivation. `/admin/recovery-key`: whether a
//! recovery key is set, since when, and how many cases it covers. Every
//! change is one operation of [`crate::core::accounts`], which audits it.

use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;

use super::admin;
use super::forms::{done, respond, NoticeQuery};
use crate::core::accounts::{self, Account, AccountDraft, RecoveryStatus};
use crate::core::actor::{Actor, StaffMember};
use crate::core::domain::Role;
use crate::core::error::{CoreError, FieldError};
use crate::core::i18n::Translator;
use crate::web::http::Visitor;
use crate::web::pages::staff::{StaffNav, StaffResult};
use crate::web::state::AppState;

/// The confirmations the pages show after a change.
const NOTICES: [&str; 5] = [
    "created",
    "roles_set",
    "groups_set",
    "deactivated",
    "reactivated",
];

/// A UNIX time as `dd.mm.yyyy hh:mm` in Oslo, with its zone.
fn show_time(at: i64) -> String {
    crate::web::pages::staff::show_exact(at)
}

/// The roles, translated.
fn roles_text(t: &Translator, roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| t.t(&format!("admin.roles.{}", r.key())))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The problem of a refused form, in the visitor's language, and its status.
fn problem_of(t: &Translator, e: CoreError) -> Result<(String, StatusCode), CoreError> {
    match e {
        CoreError::Refused(r) => {
            let params = r.params();
            let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
            Ok((
                t.f(&format!("api.error.{}", r.code()), &params),
                StatusCode::CONFLICT,
            ))
        }
        CoreError::Conflict => Ok((t.t("accounts.problem.taken"), StatusCode::CONFLICT)),
        CoreError::Invalid(fields) => Ok((fields_text(t, &fields), StatusCode::BAD_REQUEST)),
        other => Err(other),
    }
}

/// One sentence per field error.
fn fields_text(t: &Translator, fields: &[FieldError]) -> String {
    fields
        .iter()
        .map(|f| {
            t.f(
                &format!("accounts.problem.{}", f.field),
                &[
                    ("min", &accounts::MIN_PASSWORD_CHARS.to_string()),
                    ("max", &accounts::MAX_DISPLAY_NAME_CHARS.to_string()),
                ],
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A checkbox.
struct Choice {
    key: String,
    label: String,
    checked: bool,
}

/// One account as the list shows it.
struct Row {
    username: String,
    display_name: String,
    roles: String,
    groups: String,
    active: bool,
    deactivated_at: Option<String>,
}

/// The list and the create form.
#[derive(Template)]
#[template(path = "admin/accounts.html")]
struct AccountsPage {
    t: Translator,
    csrf: String,
    nav: StaffNav,
    notice: Option<String>,
    problem: Option<String>,
    rows: Vec<Row>,
    roles: Vec<Choice>,
    groups: Vec<Choice>,
    draft_username: String,
    draft_display_name: String,
    draft_email: String,
}

/// One account's page.
#[derive(Template)]
#[template(path = "admin/account.html")]
struct AccountPage {
    t: Translator,
    csrf: String,
    nav: StaffNav,
    notice: Option<String>,
    problem: Option<String>,
    username: String,
    display_name: String,
    email: String,
    active: bool,
    deactivated_at: Option<String>,
    roles_text: String,
    roles: Vec<Choice>,
    groups: Vec<Choice>,
    may_have_groups: bool,
}

/// The confirmation step of a deactivation.
#[derive(Template)]
#[template(path = "admin/account_deactivate.html")]
struct DeactivatePage {
    t: Translator,
    csrf: String,
    nav: StaffNav,
    username: String,
    heading: String,
    groups: String,
}

/// The recovery key's page.
#[derive(Template)]
#[template(path = "admin/recovery_key.html")]
struct RecoveryPage {
    t: Translator,
    csrf: String,
    nav: StaffNav,
    status: RecoveryStatus,
    set_at: Option<String>,
    not_wrapped_text: String,
}

fn role_choices(t: &Translator, checked: &[String]) -> Vec<Choice> {
    Role::ALL
        .iter()
        .map(|r| Choice {
            key: r.key().to_owned(),
            label: t.t(&format!("admin.roles.{}", r.key())),
            checked: checked.iter().any(|c| c == r.key()),
        })
        .collect()
}

async fn group_choices(state: &AppState, checked: &[String]) -> Result<Vec<Choice>, CoreError> {
    Ok(state
        .store
        .groups()
        .await?
        .into_iter()
        .map(|g| Choice {
            checked: checked.contains(&g.name),
            label: g.name.clone(),
            key: g.name,
        })
        .collect())
}

fn actor(visitor: &Visitor) -> &Actor {
    visitor.principal().unwrap_or(&Actor::Anonymous)
}

/// The fields of a form, each value trimmed: the CSRF token, the single
/// values by name, and the repeated `role` and `group` boxes.
struct Fields(Vec<(String, String)>);

/// A form's values may hold a password: wiped when the form is dropped.
impl Drop for Fields {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        for (_, value) in &mut self.0 {
            value.zeroize();
        }
    }
}

impl Fields {
    fn one(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    }

    fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .collect()
    }
}

async fn render_list(
    state: &AppState,
    visitor: &Visitor,
    staff: &StaffMember,
    problem: Option<(String, StatusCode)>,
    draft: Option<&Fields>,
    notice: Option<String>,
) -> StaffResult {
    let t = visitor.t();
    let all = accounts::list(state, actor(visitor))
        .await
        .map_err(|e| visitor.fail(e))?;
    let rows = all
        .iter()
        .map(
            |Account {
                 user,
                 deactivated_at,
             }| Row {
                username: user.username.clone(),
                display_name: user.display_name.clone(),
                roles: roles_text(&t, &user.roles),
                groups: user.groups.join(", "),
                active: user.active,
                deactivated_at: deactivated_at.map(show_time),
            },
        )
        .collect();
    let field = |name: &str| draft.map(|d| d.one(name)).unwrap_or_default();
    let picked = |name: &str| draft.map(|d| d.all(name)).unwrap_or_default();
    let groups = group_choices(state, &picked("group"))
        .await
        .map_err(|e| visitor.fail(e))?;
    let status = problem.as_ref().map_or(StatusCode::OK, |(_, s)| *s);
    let page = AccountsPage {
        t,
        csrf: visitor.csrf().unwrap_or_default().to_owned(),
        nav: StaffNav::new(&t, staff, true),
        notice,
        problem: problem.map(|(p, _)| p),
        rows,
        roles: role_choices(&t, &picked("role")),
        groups,
        draft_username: field("username"),
        draft_display_name: field("display_name"),
        draft_email: field("email"),
    };
    respond(visitor, &page, status)
}

async fn render_account(
    state: &AppState,
    visitor: &Visitor,
    staff: &StaffMember,
    username: &str,
    problem: Option<(String, StatusCode)>,
    notice: Option<String>,
) -> StaffResult {
    let t = visitor.t();
    let Account {
        user,
        deactivated_at,
    } = accounts::get(state, actor(visitor), username)
        .await
        .map_err(|e| visitor.fail(e))?;
    let role_keys: Vec<String> = user.roles.iter().map(|r| r.key().to_owned()).collect();
    let groups = group_choices(state, &user.groups)
        .await
        .map_err(|e| visitor.fail(e))?;
    let status = problem.as_ref().map_or(StatusCode::OK, |(_, s)| *s);
    let page = AccountPage {
        t,
        csrf: visitor.csrf().unwrap_or_default().to_owned(),
        nav: StaffNav::new(&t, staff, true),
        notice,
        problem: problem.map(|(p, _)| p),
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        email: user.email.clone().unwrap_or_default(),
        active: user.active,
        deactivated_at: deactivated_at.map(show_time),
        roles_text: roles_text(&t, &user.roles),
        roles: role_choices(&t, &role_keys),
        groups,
        may_have_groups: user.active && accounts::may_be_in_groups(&user.roles),
    };
    respond(visitor, &page, status)
}

/// GET /admin/accounts
pub(super) async fn list(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<NoticeQuery>,
) -> StaffResult {
    let staff = admin(&visitor)?;
    let notice = query.message(&visitor.t(), "accounts", &NOTICES);
    render_list(&state, &visitor, staff, None, None, notice).await
}

/// POST /admin/accounts
pub(super) async fn create(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: web::Form<Vec<(String, String)>>,
) -> StaffResult {
    let staff = admin(&visitor)?;
    let mut fields = Fields(form.into_inner());
    visitor.check_csrf(&fields.one("csrf"))?;
    // Taken out of the form (never copied), and wiped with the draft.
    let password = zeroize::Zeroizing::new(
        fields
            .0
            .iter_mut()
            .find(|(k, _)| k == "password")
            .map(|(_, v)| std::mem::take(v))
            .unwrap_or_default(),
    );
    let draft = AccountDraft {
        username: fields.one("username"),
        display_name: fields.one("display_name"),
        email: fields.one("email"),
        roles: fields.all("role"),
        groups: fields.all("group"),
        password,
    };
    let result = match draft.parse() {
        Ok(new) => accounts::create(&state, actor(&visitor), new, false).await,
        Err(errors) => Err(CoreError::Invalid(errors)),
    };
    // The password is not shown again.
    let kept = Fields(
        fields
            .0
            .iter()
            .filter(|(k, _)| k != "password")
            .cloned()
            .collect(),
    );
    drop(fields);
    match result {
        Ok(_) => Ok(done("/admin/accounts", "created")),
        Err(e) => {
            let problem = problem_of(&visitor.t(), e).map_err(|e| visitor.fail(e))?;
            render_list(&state, &visitor, staff, Some(problem), Some(&kept), None).await
        }
    }
}

/// GET /admin/accounts/{username}
pub(super) async fn account(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<String>,
    query: web::Query<NoticeQuery>,
) -> StaffResult {
    let staff = admin(&visitor)?;
    let notice = query.message(&visitor.t(), "accounts", &NOTICES);
    render_account(&state, &visitor, staff, &path, None, notice).await
}

/// The outcome of a change on an account's page: back to it with the
/// notice, or the page with the reason.
async fn outcome<T>(
    state: &AppState,
    visitor: &Visitor,
    staff: &StaffMember,
    username: &str,
    result: Result<T, CoreError>,
    notice: &str,
) -> StaffResult {
    match result {
        Ok(_) => Ok(done(&format!("/admin/accounts/{username}"), notice)),
        Err(e) => {
            let problem = problem_of(&visitor.t(), e).map_err(|e| visitor.fail(e))?;
            render_account(state, visitor, staff, username, Some(problem), None).await
        }
    }
}

/// POST /admin/accounts/{username}/roles
pub(super) async fn roles(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> StaffResult {
    let staff = admin(&visitor)?;
    let fields = Fields(form.into_inner());
    visitor.check_csrf(&fields.one("csrf"))?;
    let result = accounts::set_roles(&state, actor(&visitor), &path, &fields.all("role")).await;
    outcome(&state, &visitor, staff, &path, result, "roles_set").await
}

/// POST /admin/accounts/{username}/groups
pub(super) async fn groups(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> StaffResult {
    let staff = admin(&visitor)?;
    let fields = Fields(form.into_inner());
    visitor.check_csrf(&fields.one("csrf"))?;
    let result = accounts::set_groups(&state, actor(&visitor), &path, &fields.all("group")).await;
    outcome(&state, &visitor, staff, &path, result, "groups_set").await
}

/// GET /admin/accounts/{username}/deactivate: what deactivation does, and
/// the button that does it.
pub(super) async fn confirm_deactivation(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<String>,
) -> StaffResult {
    let staff = admin(&visitor)?;
    let t = visitor.t();
    let account = accounts::get(&state, actor(&visitor), &path)
        .await
        .map_err(|e| visitor.fail(e))?;
    let page = DeactivatePage {
        t,
        csrf: visitor.csrf().unwrap_or_default().to_owned(),
        nav: StaffNav::new(&t, staff, true),
        heading: t.f(
            "accounts.confirm_heading",
            &[
                ("name", &account.user.display_name),
                ("username", &account.user.username),
            ],
        ),
        username: account.user.username.clone(),
        groups: account.user.groups.join(", "),
    };
    respond(&visitor, &page, StatusCode::OK)
}

/// POST /admin/accounts/{username}/deactivate (with `confirm=yes`).
pub(super) async fn deactivate(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> StaffResult {
    let staff = admin(&visitor)?;
    let fields = Fields(form.into_inner());
    visitor.check_csrf(&fields.one("csrf"))?;
    if fields.one("confirm") != "yes" {
        let problem = (
            visitor.t().t("accounts.problem.confirm"),
            StatusCode::BAD_REQUEST,
        );
        return render_account(&state, &visitor, staff, &path, Some(problem), None).await;
    }
    let result = accounts::deactivate(&state, actor(&visitor), &path).await;
    outcome(&state, &visitor, staff, &path, result, "deactivated").await
}

/// POST /admin/accounts/{username}/reactivate
pub(super) async fn reactivate(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> StaffResult {
    let staff = admin(&visitor)?;
    let fields = Fields(form.into_inner());
    visitor.check_csrf(&fields.one("csrf"))?;
    let result = accounts::reactivate(&state, actor(&visitor), &path).await;
    outcome(&state, &visitor, staff, &path, result, "reactivated").await
}

/// GET /admin/recovery-key
pub(super) async fn recovery_key(state: web::Data<AppState>, visitor: Visitor) -> StaffResult {
    let staff = admin(&visitor)?;
    let t = visitor.t();
    let status = accounts::recovery_status(&state, actor(&visitor))
        .await
        .map_err(|e| visitor.fail(e))?;
    let page = RecoveryPage {
        t,
        csrf: visitor.csrf().unwrap_or_default().to_owned(),
        nav: StaffNav::new(&t, staff, true),
        set_at: status.set_at.map(show_time),
        not_wrapped_text: t.f(
            "accounts.recovery.not_wrapped_count",
            &[("count", &status.not_wrapped.to_string())],
        ),
        status,
    };
    respond(&visitor, &page, StatusCode::OK)
}
