//! Single sign-on for staff ([`crate::core::sso`]): the redirect to the
//! provider, its callback, and the key passphrase page. Between the steps
//! the browser holds only a random secret in its own cookie (`varsel_sso`,
//! path `/staff/login`, SameSite=Lax so that the provider's redirect back
//! carries it); the server keeps only its lookup key and what it sealed.
//! Every failure shows the login page's one message.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::login::refused;
use super::{render, see_other, StaffResult};
use crate::core::actor::Actor;
use crate::core::error::{CoreError, Refusal};
use crate::core::i18n::Translator;
use crate::core::limits::Budget;
use crate::core::sso::{self, IdentityProvider, ProviderAnswer};
use crate::web::http::context::{ensure_csrf, start_session};
use crate::web::http::{ErrorKind, Visitor};
use crate::web::state::AppState;

/// Where a staff member starts after logging in, as after a password
/// login: those who work cases in their inbox; custodians at the identity
/// requests; auditors and administrators at the statistics.
fn landing(roles: &[crate::core::domain::Role]) -> &'static str {
    use crate::core::authz::{roles_grant, Permission};
    if roles_grant(roles, Permission::WorkCases) {
        "/staff/inbox"
    } else if roles_grant(roles, Permission::KeepIdentities) {
        "/custodian"
    } else {
        "/stats"
    }
}

/// The cookie that carries a pending login's secret.
pub const SSO_COOKIE: &str = "varsel_sso";

fn sso_cookie(value: &str, secure: bool) -> Cookie<'static> {
    Cookie::build(SSO_COOKIE, value.to_owned())
        .path("/staff/login")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .finish()
}

fn clear_sso_cookie(secure: bool) -> Cookie<'static> {
    let mut cookie = sso_cookie("", secure);
    cookie.make_removal();
    cookie
}

fn sso_token(req: &HttpRequest) -> Option<Zeroizing<String>> {
    req.cookie(SSO_COOKIE)
        .map(|c| Zeroizing::new(c.value().to_owned()))
}

/// The provider, or "not found" when single sign-on is off.
fn provider<'s>(
    state: &'s AppState,
    visitor: &Visitor,
) -> Result<&'s dyn IdentityProvider, super::StaffError> {
    state
        .sso
        .as_deref()
        .ok_or_else(|| visitor.error(ErrorKind::NotFound).into())
}

fn with_cookies(
    visitor: &Visitor,
    mut response: HttpResponse,
    cookies: &[&Cookie<'static>],
) -> StaffResult {
    for cookie in cookies {
        response
            .add_cookie(cookie)
            .map_err(|e| visitor.internal(anyhow::anyhow!("cannot set the cookie: {e}")))?;
    }
    Ok(response)
}

/// GET /staff/login/oidc: to the provider.
pub(super) async fn start(state: web::Data<AppState>, visitor: Visitor) -> StaffResult {
    let provider = provider(&state, &visitor)?;
    // Each start stores a row: counted as a staff login from an unknown
    // device (`rate_limits.staff_logins_per_minute`, all instances together).
    let allowed = state
        .rate_limits
        .budgets
        .take(&state, &Budget::StaffUnknownDevices, 1)
        .await
        .map_err(|e| visitor.fail(e.into()))?;
    if !allowed {
        return Err(visitor.error(ErrorKind::TooManyRequests).into());
    }
    let started = sso::begin(&state, provider)
        .await
        .map_err(|e| visitor.fail(e))?;
    let cookie = sso_cookie(&started.token, state.settings.server.tls);
    with_cookies(&visitor, see_other(&started.redirect_url), &[&cookie])
}

/// What the provider sends back.
#[derive(Deserialize)]
pub(super) struct CallbackQuery {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    state: Option<String>,
}

/// GET /staff/login/oidc/callback: the provider's answer.
pub(super) async fn callback(
    state: web::Data<AppState>,
    visitor: Visitor,
    req: HttpRequest,
    query: web::Query<CallbackQuery>,
) -> StaffResult {
    let provider = provider(&state, &visitor)?;
    let token = sso_token(&req);
    let answer = ProviderAnswer {
        code: query.code.as_deref(),
        state: query.state.as_deref(),
    };
    let secure = state.settings.server.tls;
    match sso::callback(
        &state,
        provider,
        token.as_deref().map(String::as_str),
        answer,
    )
    .await
    {
        Ok(next) => with_cookies(
            &visitor,
            see_other("/staff/login/passphrase"),
            &[&sso_cookie(&next, secure)],
        ),
        Err(CoreError::Refused(Refusal::LoginFailed)) => with_cookies(
            &visitor,
            refused(&state, &visitor)?,
            &[&clear_sso_cookie(secure)],
        ),
        Err(e) => Err(visitor.fail(e).into()),
    }
}

/// The key passphrase page.
#[derive(Template)]
#[template(path = "staff/passphrase.html")]
struct PassphrasePage {
    t: Translator,
    csrf: String,
    error: Option<String>,
}

fn passphrase_page(
    state: &AppState,
    visitor: &Visitor,
    error: Option<String>,
    status: StatusCode,
) -> StaffResult {
    let (csrf, cookie) = ensure_csrf(state, visitor);
    let page = PassphrasePage {
        t: visitor.t(),
        csrf,
        error,
    };
    let response = render(visitor, &page, status)?;
    match cookie {
        Some(cookie) => with_cookies(visitor, response, &[&cookie]),
        None => Ok(response),
    }
}

/// GET /staff/login/passphrase
pub(super) async fn passphrase_form(
    state: web::Data<AppState>,
    visitor: Visitor,
    req: HttpRequest,
) -> StaffResult {
    provider(&state, &visitor)?;
    let token = sso_token(&req);
    let pending = sso::passphrase_pending(&state, token.as_deref().map(String::as_str))
        .await
        .map_err(|e| visitor.fail(e))?;
    if !pending {
        return Ok(see_other("/staff/login"));
    }
    passphrase_page(&state, &visitor, None, StatusCode::OK)
}

/// The submitted passphrase form.
#[derive(Deserialize, Zeroize, ZeroizeOnDrop)]
pub(super) struct PassphraseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    passphrase: String,
}

/// POST /staff/login/passphrase
pub(super) async fn passphrase_submit(
    state: web::Data<AppState>,
    visitor: Visitor,
    req: HttpRequest,
    form: web::Form<PassphraseForm>,
) -> StaffResult {
    provider(&state, &visitor)?;
    let mut form = form.into_inner();
    visitor.check_csrf(&form.csrf)?;
    let passphrase = Zeroizing::new(std::mem::take(&mut form.passphrase));
    let token = sso_token(&req);
    let token = token.as_deref().map(String::as_str);
    let secure = state.settings.server.tls;
    match sso::unlock(&state, token, passphrase).await {
        Ok(staff) => {
            // The administrators' two-factor requirement, and a user's own
            // enrolment, hold for single sign-on too: the provider's own
            // factors are not visible here.
            let pending = crate::core::two_factor::pending_if_due(&state, &staff)
                .await
                .map_err(|e| visitor.fail(e))?;
            if let Some(token) = pending {
                return with_cookies(
                    &visitor,
                    see_other("/staff/login/code"),
                    &[
                        &super::two_factor::pending_cookie(&token, secure),
                        &clear_sso_cookie(secure),
                    ],
                );
            }
            let to = landing(&staff.roles);
            let session = start_session(&state, &visitor, Actor::Staff(staff)).await?;
            with_cookies(
                &visitor,
                see_other(to),
                &[&session, &clear_sso_cookie(secure)],
            )
        }
        Err(CoreError::Refused(Refusal::LoginFailed)) => {
            let tries_left = sso::passphrase_pending(&state, token)
                .await
                .map_err(|e| visitor.fail(e))?;
            if tries_left {
                let error = Some(visitor.t().t("oidc.passphrase.failed"));
                passphrase_page(&state, &visitor, error, StatusCode::UNAUTHORIZED)
            } else {
                with_cookies(
                    &visitor,
                    refused(&state, &visitor)?,
                    &[&clear_sso_cookie(secure)],
                )
            }
        }
        Err(e) => Err(visitor.fail(e).into()),
    }
}
