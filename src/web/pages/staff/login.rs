//! The staff login page. One message for every failure, so the page never
//! tells whether an account exists; the password is zeroized after use.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest};
use askama::Template;
use serde::Deserialize;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::{render, see_other, StaffResult};
use crate::core::actor::Actor;
use crate::core::authz::Permission;
use crate::core::error::{CoreError, Refusal};
use crate::core::i18n::Translator;
use crate::core::two_factor::{self, PasswordStep};
use crate::web::http::context::{ensure_csrf, start_session};
use crate::web::http::rate_limit::device_cookie_of;
use crate::web::http::{ErrorKind, Visitor};
use crate::web::state::AppState;

/// The login page.
#[derive(Template)]
#[template(path = "staff/login.html")]
struct LoginPage {
    t: Translator,
    csrf: String,
    username: String,
    error: Option<String>,
    /// Whether to offer single sign-on.
    sso: bool,
}

/// The submitted login form.
#[derive(Deserialize, Zeroize, ZeroizeOnDrop)]
pub(super) struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

fn works_cases(visitor: &Visitor) -> bool {
    visitor.staff_for(Permission::WorkCases).is_ok()
}

/// The login page with the one failure message (status 401), for a single
/// sign-on that failed.
pub(super) fn refused(state: &AppState, visitor: &Visitor) -> StaffResult {
    let (csrf, cookie) = ensure_csrf(state, visitor);
    let t = visitor.t();
    let page = LoginPage {
        t,
        csrf,
        username: String::new(),
        error: Some(t.t("staff.login.failed")),
        sso: state.sso.is_some(),
    };
    let mut response = render(visitor, &page, StatusCode::UNAUTHORIZED)?;
    if let Some(cookie) = cookie {
        response
            .add_cookie(&cookie)
            .map_err(|e| visitor.internal(anyhow::anyhow!("cannot set the cookie: {e}")))?;
    }
    Ok(response)
}

/// GET /staff/login
pub(super) async fn form(state: web::Data<AppState>, visitor: Visitor) -> StaffResult {
    if works_cases(&visitor) {
        return Ok(see_other("/staff/inbox"));
    }
    let (csrf, cookie) = ensure_csrf(&state, &visitor);
    let page = LoginPage {
        t: visitor.t(),
        csrf,
        username: String::new(),
        error: None,
        sso: state.sso.is_some(),
    };
    let mut response = render(&visitor, &page, StatusCode::OK)?;
    if let Some(cookie) = cookie {
        response
            .add_cookie(&cookie)
            .map_err(|e| visitor.internal(anyhow::anyhow!("cannot set the cookie: {e}")))?;
    }
    Ok(response)
}

/// POST /staff/login
pub(super) async fn submit(
    state: web::Data<AppState>,
    visitor: Visitor,
    req: HttpRequest,
    form: web::Form<LoginForm>,
) -> StaffResult {
    let mut form = form.into_inner();
    visitor.check_csrf(&form.csrf)?;
    let password = Zeroizing::new(std::mem::take(&mut form.password));
    let username = form.username.trim().to_owned();
    let result = if username.chars().count() > state.settings.limits.max_short_field_chars {
        // No account has such a name; nothing to look up.
        Err(CoreError::Refused(Refusal::LoginFailed))
    } else {
        // A browser that completed a login for this username before (its
        // device cookie) is not charged to the budget strangers can spend.
        let device = device_cookie_of(&req);
        let allowed = state
            .rate_limits
            .staff_login(&state, &username, device.as_deref())
            .await
            .map_err(|e| visitor.fail(e.into()))?;
        if !allowed {
            return Err(visitor.error(ErrorKind::TooManyRequests).into());
        }
        two_factor::page_login(&state, &username, password).await
    };
    match result {
        Ok(PasswordStep::Pending(token)) => {
            // The password was right; the second factor is asked for on
            // its own page, the session starts only after it.
            let mut response = see_other("/staff/login/code");
            response
                .add_cookie(&super::two_factor::pending_cookie(
                    &token,
                    state.settings.server.tls,
                ))
                .map_err(|e| visitor.internal(anyhow::anyhow!("cannot set the cookie: {e}")))?;
            Ok(response)
        }
        Ok(PasswordStep::Complete(session)) => {
            // Those who work cases start in their inbox; auditors and
            // administrators, who may not read cases, at the statistics.
            let landing = super::two_factor::landing(&session);
            let cookie = start_session(&state, &visitor, Actor::Staff(session)).await?;
            let device = state.rate_limits.device_cookie(&state, &username);
            let mut response = see_other(landing);
            for cookie in [&cookie, &device] {
                response
                    .add_cookie(cookie)
                    .map_err(|e| visitor.internal(anyhow::anyhow!("cannot set the cookie: {e}")))?;
            }
            Ok(response)
        }
        Err(CoreError::Refused(Refusal::LoginFailed)) => {
            let t = visitor.t();
            let page = LoginPage {
                t,
                csrf: visitor.csrf().unwrap_or_default().to_owned(),
                username,
                error: Some(t.t("staff.login.failed")),
                sso: state.sso.is_some(),
            };
            render(&visitor, &page, StatusCode::UNAUTHORIZED)
        }
        Err(e) => Err(visitor.fail(e).into()),
    }
}
