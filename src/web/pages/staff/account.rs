//! A staff member's own account: `/staff/account` (changing their password)
//! and `/staff/account/sessions` (their live sessions, each of which they
//! may end, or all the others at once).

use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;
use serde::Deserialize;

use super::{
    permitted, render, see_other, show_moment, CsrfOnly, StaffError, StaffNav, StaffResult,
};
use crate::core::actor::StaffMember;
use crate::core::authz::Permission;
use crate::core::error::{CoreError, Refusal};
use crate::core::own_sessions;
use crate::core::passwords::{self, MIN_PASSWORD_CHARS};
use crate::core::sessions::Session;
use crate::web::http::context::end_session;
use crate::web::http::{ErrorKind, SecretText, Visitor};
use crate::web::state::AppState;

/// The account page.
#[derive(Template)]
#[template(path = "staff/account.html")]
struct AccountPage {
    t: crate::core::i18n::Translator,
    csrf: String,
    nav: StaffNav,
    new_password_label: String,
    min: usize,
    notice: Option<String>,
    error: Option<String>,
}

/// One row of the sessions page.
struct SessionRow {
    id: String,
    started: String,
    last_seen: String,
    channel: String,
    current: bool,
}

/// The sessions page.
#[derive(Template)]
#[template(path = "staff/sessions.html")]
struct SessionsPage {
    t: crate::core::i18n::Translator,
    csrf: String,
    nav: StaffNav,
    sessions: Vec<SessionRow>,
}

/// The password form.
#[derive(Deserialize)]
pub(super) struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current_password: SecretText,
    #[serde(default)]
    new_password: SecretText,
}

/// The staff member and their session.
fn own(visitor: &Visitor) -> Result<(&StaffMember, &Session), StaffError> {
    let staff = permitted(visitor, Permission::ManageOwnAccount)?;
    let session = visitor.session.as_ref().ok_or(StaffError::LoginRequired)?;
    Ok((staff, session))
}

fn account_page(
    visitor: &Visitor,
    staff: &StaffMember,
    notice: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> StaffResult {
    let t = visitor.t();
    let page = AccountPage {
        t,
        csrf: visitor.csrf().unwrap_or_default().to_owned(),
        nav: StaffNav::new(&t, staff, false),
        new_password_label: t.f(
            "passwords.account.new_password",
            &[("min", &MIN_PASSWORD_CHARS.to_string())],
        ),
        min: MIN_PASSWORD_CHARS,
        notice,
        error,
    };
    render(visitor, &page, status)
}

/// GET /staff/account
pub(super) async fn page(visitor: Visitor) -> StaffResult {
    let (staff, _) = own(&visitor)?;
    account_page(&visitor, staff, None, None, StatusCode::OK)
}

/// POST /staff/account/password
pub(super) async fn change_password(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: web::Form<PasswordForm>,
) -> StaffResult {
    let (staff, session) = own(&visitor)?;
    visitor.check_csrf(&form.csrf)?;
    // Each try checks a password: the login budget of the account applies.
    let allowed = state
        .rate_limits
        .staff_login(&state, &staff.username, None)
        .await
        .map_err(|e| visitor.fail(e.into()))?;
    if !allowed {
        return Err(visitor.error(ErrorKind::TooManyRequests).into());
    }
    let mut form = form.into_inner();
    let (current, new) = (form.current_password.take(), form.new_password.take());
    drop(form);
    let t = visitor.t();
    match passwords::change_password(&state, staff, Some(session), &current, &new).await {
        Ok(ended) => {
            let notice = t.f(
                "passwords.account.changed",
                &[("count", &ended.to_string())],
            );
            account_page(&visitor, staff, Some(notice), None, StatusCode::OK)
        }
        Err(CoreError::Refused(r @ Refusal::Password(_))) => {
            let params = r.params();
            let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let error = t.f(&format!("api.error.{}", r.code()), &params);
            account_page(
                &visitor,
                staff,
                None,
                Some(error),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(e) => Err(visitor.fail(e).into()),
    }
}

/// GET /staff/account/sessions
pub(super) async fn sessions(state: web::Data<AppState>, visitor: Visitor) -> StaffResult {
    let (staff, session) = own(&visitor)?;
    let list = own_sessions::list(&state, staff, session)
        .await
        .map_err(|e| visitor.fail(e))?;
    let t = visitor.t();
    let page = SessionsPage {
        t,
        csrf: visitor.csrf().unwrap_or_default().to_owned(),
        nav: StaffNav::new(&t, staff, false),
        sessions: list
            .into_iter()
            .map(|s| SessionRow {
                id: s.id,
                started: show_moment(s.started),
                last_seen: show_moment(s.last_seen),
                channel: t.t(if s.api {
                    "passwords.account.channel_api"
                } else {
                    "passwords.account.channel_pages"
                }),
                current: s.current,
            })
            .collect(),
    };
    render(&visitor, &page, StatusCode::OK)
}

/// POST /staff/account/sessions/{id}/end
pub(super) async fn end(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<String>,
    form: web::Form<CsrfOnly>,
) -> StaffResult {
    let (staff, session) = own(&visitor)?;
    visitor.check_csrf(&form.csrf)?;
    if !own_sessions::is_public_id(&path) {
        return Err(visitor.error(ErrorKind::BadRequest).into());
    }
    let current = own_sessions::end(&state, staff, session, &path)
        .await
        .map_err(|e| visitor.fail(e))?;
    if !current {
        return Ok(see_other("/staff/account/sessions"));
    }
    let cookie = end_session(&state, &visitor).await?;
    let mut response = see_other("/staff/login");
    response
        .add_cookie(&cookie)
        .map_err(|e| visitor.internal(anyhow::anyhow!("cannot clear the cookie: {e}")))?;
    Ok(response)
}

/// POST /staff/account/sessions/end-others
pub(super) async fn end_others(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: web::Form<CsrfOnly>,
) -> StaffResult {
    let (staff, session) = own(&visitor)?;
    visitor.check_csrf(&form.csrf)?;
    own_sessions::end_others(&state, staff, session)
        .await
        .map_err(|e| visitor.fail(e))?;
    Ok(see_other("/staff/account/sessions"))
}
