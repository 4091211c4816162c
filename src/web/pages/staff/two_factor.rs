//! Two-factor login on the staff pages: the code page after a right
//! password (`/staff/login/code`, which also sets up two factors for one
//! who must and has not), and the staff member's own page for it
//! (`/staff/account/two-factor`). The QR code is drawn here, on the
//! server, as inline SVG: nothing is loaded from anywhere else.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::{permitted, render, see_other, StaffNav, StaffResult};
use crate::core::actor::{Actor, StaffMember};
use crate::core::authz::Permission;
use crate::core::error::{CoreError, Refusal};
use crate::core::i18n::Translator;
use crate::core::two_factor::{self, PendingView, RecoveryCodes, Setup, Status};
use crate::web::http::context::ensure_csrf;
use crate::web::http::Visitor;
use crate::web::state::AppState;

/// The cookie that holds a pending login's secret (only on the login pages).
pub(super) const PENDING_COOKIE: &str = "varsel_pending_login";
const PENDING_PATH: &str = "/staff/login";

/// The pending-login cookie for `token`.
pub(super) fn pending_cookie(token: &str, secure: bool) -> Cookie<'static> {
    Cookie::build(PENDING_COOKIE, token.to_owned())
        .path(PENDING_PATH)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .finish()
}

fn clear_pending_cookie(secure: bool) -> Cookie<'static> {
    let mut c = pending_cookie("", secure);
    c.make_removal();
    c
}

/// Where a staff member starts: their inbox if they work cases, the
/// identity requests if they keep identities, else the statistics.
pub(super) fn landing(staff: &StaffMember) -> &'static str {
    use crate::core::authz::roles_grant;
    if roles_grant(&staff.roles, Permission::WorkCases) {
        "/staff/inbox"
    } else if roles_grant(&staff.roles, Permission::KeepIdentities) {
        "/custodian"
    } else {
        "/stats"
    }
}

/// A secret to set up, as the page shows it.
struct SetupView {
    qr_svg: String,
    secret: String,
    uri: String,
}

/// `uri` as a QR code: inline SVG, no XML prolog and no namespace URL (an
/// HTML parser needs neither), drawn with presentation attributes only (no
/// inline style, so the content security policy stays as it is).
fn qr_svg(uri: &str) -> Option<String> {
    let code =
        qrcode::QrCode::with_error_correction_level(uri.as_bytes(), qrcode::EcLevel::M).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    let start = svg.find("<svg")?;
    Some(
        svg[start..]
            .replacen(r#" xmlns="http://www.w3.org/2000/svg""#, "", 1)
            .replacen(
                "<svg",
                r#"<svg role="img" aria-hidden="true" focusable="false""#,
                1,
            ),
    )
}

fn setup_view(setup: &Setup) -> SetupView {
    SetupView {
        qr_svg: qr_svg(&setup.uri).unwrap_or_default(),
        secret: group_by_four(&setup.secret_base32),
        uri: setup.uri.as_str().to_owned(),
    }
}

/// The base32 secret in groups of four, easier to type.
fn group_by_four(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

// ---- the code page of a pending login -------------------------------------

/// `/staff/login/code`.
#[derive(Template)]
#[template(path = "staff/login_code.html")]
struct CodePage {
    t: Translator,
    csrf: String,
    setup: Option<SetupView>,
    error: Option<String>,
}

/// The new recovery codes, shown once.
#[derive(Template)]
#[template(path = "staff/recovery_codes.html")]
struct CodesPage {
    t: Translator,
    csrf: String,
    nav: Option<StaffNav>,
    codes: Vec<String>,
    next: String,
}

/// A submitted code.
#[derive(Deserialize, Zeroize, ZeroizeOnDrop)]
pub(super) struct CodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
}

fn pending_token(req: &HttpRequest) -> Option<Zeroizing<String>> {
    req.cookie(PENDING_COOKIE)
        .map(|c| Zeroizing::new(c.value().to_owned()))
        .filter(|t| !t.is_empty())
}

/// Back to the login page, the pending login's cookie cleared.
fn start_over(state: &AppState) -> HttpResponse {
    let mut response = see_other("/staff/login");
    // Cannot fail: the cookie's name and value are ours.
    let _ = response.add_cookie(&clear_pending_cookie(state.settings.server.tls));
    response
}

/// GET /staff/login/code
pub(super) async fn code_form(
    state: web::Data<AppState>,
    visitor: Visitor,
    req: HttpRequest,
) -> StaffResult {
    let Some(token) = pending_token(&req) else {
        return Ok(start_over(&state));
    };
    let view = two_factor::pending_view(&state, &token)
        .await
        .map_err(|e| visitor.fail(e))?;
    let Some(view) = view else {
        return Ok(start_over(&state));
    };
    let (csrf, cookie) = ensure_csrf(&state, &visitor);
    let page = CodePage {
        t: visitor.t(),
        csrf,
        setup: match &view {
            PendingView::Code => None,
            PendingView::Enrol(setup) => Some(setup_view(setup)),
        },
        error: None,
    };
    let mut response = render(&visitor, &page, StatusCode::OK)?;
    if let Some(cookie) = cookie {
        response
            .add_cookie(&cookie)
            .map_err(|e| visitor.internal(anyhow::anyhow!("cannot set the cookie: {e}")))?;
    }
    Ok(response)
}

/// POST /staff/login/code
pub(super) async fn code_submit(
    state: web::Data<AppState>,
    visitor: Visitor,
    req: HttpRequest,
    form: web::Form<CodeForm>,
) -> StaffResult {
    let form = form.into_inner();
    visitor.check_csrf(&form.csrf)?;
    let Some(token) = pending_token(&req) else {
        return Ok(start_over(&state));
    };
    match two_factor::complete_pending(&state, &token, &form.code).await {
        Ok(completed) => {
            let next = landing(&completed.staff);
            let username = completed.staff.username.clone();
            let codes = completed.recovery_codes;
            let nav_staff = codes
                .as_ref()
                .map(|_| StaffNav::new(&visitor.t(), &completed.staff, false));
            // A new secret for the session (no session fixation).
            if let Some(old) = &visitor.session {
                crate::core::sessions::end(&state, old)
                    .await
                    .map_err(|e| visitor.fail(e))?;
            }
            let started =
                crate::core::sessions::start(&state, Actor::Staff(completed.staff), false)
                    .await
                    .map_err(|e| visitor.fail(e))?;
            let cookie = crate::web::http::context::session_cookie(
                &started.token,
                state.settings.server.tls,
            );
            let device = state.rate_limits.device_cookie(&state, &username);
            let mut response = match codes {
                Some(codes) => {
                    let page = CodesPage {
                        t: visitor.t(),
                        csrf: started.session.csrf().to_owned(),
                        nav: nav_staff,
                        codes: shown(codes),
                        next: next.to_owned(),
                    };
                    render(&visitor, &page, StatusCode::OK)?
                }
                None => see_other(next),
            };
            for cookie in [
                &cookie,
                &device,
                &clear_pending_cookie(state.settings.server.tls),
            ] {
                response
                    .add_cookie(cookie)
                    .map_err(|e| visitor.internal(anyhow::anyhow!("cannot set the cookie: {e}")))?;
            }
            Ok(response)
        }
        Err(CoreError::Refused(Refusal::SecondFactorFailed)) => {
            let view = two_factor::pending_view(&state, &token)
                .await
                .map_err(|e| visitor.fail(e))?;
            let Some(view) = view else {
                return Ok(start_over(&state));
            };
            let t = visitor.t();
            let page = CodePage {
                t,
                csrf: visitor.csrf().unwrap_or_default().to_owned(),
                setup: match &view {
                    PendingView::Code => None,
                    PendingView::Enrol(setup) => Some(setup_view(setup)),
                },
                error: Some(t.t("twofactor.code.failed")),
            };
            render(&visitor, &page, StatusCode::UNAUTHORIZED)
        }
        Err(CoreError::NotFound) => Ok(start_over(&state)),
        Err(e) => Err(visitor.fail(e).into()),
    }
}

fn shown(codes: RecoveryCodes) -> Vec<String> {
    codes.0.iter().map(|c| c.as_str().to_owned()).collect()
}

// ---- the staff member's own page ------------------------------------------

/// `/staff/account/two-factor`.
#[derive(Template)]
#[template(path = "staff/two_factor.html")]
struct AccountPage {
    t: Translator,
    csrf: String,
    nav: StaffNav,
    enrolled: bool,
    required: bool,
    codes_left: usize,
    setup: Option<SetupView>,
    error: Option<String>,
}

/// A form with a code (to confirm a secret) or a proof (a current code or
/// the password, before a change).
#[derive(Deserialize, Zeroize, ZeroizeOnDrop)]
pub(super) struct AccountForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    proof: String,
}

fn own(visitor: &Visitor) -> Result<&StaffMember, super::StaffError> {
    permitted(visitor, Permission::ManageOwnAccount)
}

fn account_page(
    visitor: &Visitor,
    staff: &StaffMember,
    status: &Status,
    error: Option<String>,
    http: StatusCode,
) -> StaffResult {
    let t = visitor.t();
    let page = AccountPage {
        t,
        csrf: visitor.csrf().unwrap_or_default().to_owned(),
        nav: StaffNav::new(&t, staff, false),
        enrolled: status.enrolled,
        required: status.required,
        codes_left: status.recovery_codes_left,
        setup: status.setup.as_ref().map(setup_view),
        error,
    };
    render(visitor, &page, http)
}

/// GET /staff/account/two-factor
pub(super) async fn account(state: web::Data<AppState>, visitor: Visitor) -> StaffResult {
    let staff = own(&visitor)?;
    let status = two_factor::status(&state, staff)
        .await
        .map_err(|e| visitor.fail(e))?;
    account_page(&visitor, staff, &status, None, StatusCode::OK)
}

/// A refused form: the page again with the reason.
async fn refused(
    state: &AppState,
    visitor: &Visitor,
    staff: &StaffMember,
    key: &str,
) -> StaffResult {
    let status = two_factor::status(state, staff)
        .await
        .map_err(|e| visitor.fail(e))?;
    let message = visitor.t().t(key);
    account_page(
        visitor,
        staff,
        &status,
        Some(message),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}

fn proof_of(form: &mut AccountForm) -> Option<Zeroizing<String>> {
    let proof = Zeroizing::new(std::mem::take(&mut form.proof));
    (!proof.is_empty()).then_some(proof)
}

/// POST /staff/account/two-factor/setup: a new secret to set up.
pub(super) async fn setup(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: web::Form<AccountForm>,
) -> StaffResult {
    let mut form = form.into_inner();
    let staff = own(&visitor)?;
    visitor.check_csrf(&form.csrf)?;
    charge_proof(&state, &visitor, staff).await?;
    match two_factor::begin_enrolment(&state, staff, proof_of(&mut form)).await {
        Ok(_) => Ok(see_other("/staff/account/two-factor")),
        Err(CoreError::Refused(Refusal::SecondFactorFailed)) => {
            refused(&state, &visitor, staff, "twofactor.account.proof_failed").await
        }
        Err(e) => Err(visitor.fail(e).into()),
    }
}

/// POST /staff/account/two-factor/confirm: a code from the new secret.
pub(super) async fn confirm(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: web::Form<AccountForm>,
) -> StaffResult {
    let form = form.into_inner();
    let staff = own(&visitor)?;
    visitor.check_csrf(&form.csrf)?;
    match two_factor::confirm_enrolment(&state, staff, &form.code).await {
        Ok(codes) => codes_page(&visitor, staff, codes),
        Err(CoreError::Refused(Refusal::SecondFactorFailed) | CoreError::Invalid(_)) => {
            refused(&state, &visitor, staff, "twofactor.code.failed").await
        }
        Err(CoreError::Conflict) => {
            refused(
                &state,
                &visitor,
                staff,
                "twofactor.account.nothing_to_confirm",
            )
            .await
        }
        Err(e) => Err(visitor.fail(e).into()),
    }
}

/// POST /staff/account/two-factor/recovery-codes: new recovery codes.
pub(super) async fn renew_codes(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: web::Form<AccountForm>,
) -> StaffResult {
    let mut form = form.into_inner();
    let staff = own(&visitor)?;
    visitor.check_csrf(&form.csrf)?;
    charge_proof(&state, &visitor, staff).await?;
    match two_factor::renew_recovery_codes(&state, staff, proof_of(&mut form)).await {
        Ok(codes) => codes_page(&visitor, staff, codes),
        Err(CoreError::Refused(Refusal::SecondFactorFailed)) => {
            refused(&state, &visitor, staff, "twofactor.account.proof_failed").await
        }
        Err(CoreError::Conflict) => {
            refused(&state, &visitor, staff, "twofactor.account.not_enrolled").await
        }
        Err(e) => Err(visitor.fail(e).into()),
    }
}

fn codes_page(visitor: &Visitor, staff: &StaffMember, codes: RecoveryCodes) -> StaffResult {
    let t = visitor.t();
    let page = CodesPage {
        t,
        csrf: visitor.csrf().unwrap_or_default().to_owned(),
        nav: Some(StaffNav::new(&t, staff, false)),
        codes: shown(codes),
        next: "/staff/account/two-factor".to_owned(),
    };
    render(visitor, &page, StatusCode::OK)
}

/// GET of a form's URL (the language switch on a re-rendered page): back to the page.
pub(super) async fn back() -> HttpResponse {
    see_other("/staff/account/two-factor")
}

/// A proof of identity checks a password or a code: the account's login
/// budget applies, so a stolen session cannot guess either freely.
async fn charge_proof(
    state: &AppState,
    visitor: &Visitor,
    staff: &crate::core::actor::StaffMember,
) -> Result<(), super::StaffError> {
    let allowed = state
        .rate_limits
        .staff_login(state, &staff.username, None)
        .await
        .map_err(|e| visitor.fail(e.into()))?;
    if allowed {
        Ok(())
    } else {
        Err(visitor
            .error(crate::web::http::ErrorKind::TooManyRequests)
            .into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_qr_code_is_inline_svg_naming_no_url() {
        let svg = qr_svg("otpauth://totp/Varsel:ola?secret=GEZDGNBV").unwrap_or_default();
        assert!(svg.starts_with("<svg"));
        assert!(svg.ends_with("</svg>"));
        assert!(!svg.contains("http"));
        assert!(!svg.contains("style"));
    }

    #[test]
    fn the_secret_is_shown_in_groups_of_four() {
        assert_eq!(group_by_four("ABCDEFGHIJ"), "ABCD EFGH IJ");
    }
}
