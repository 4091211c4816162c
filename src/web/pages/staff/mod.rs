//! Staff pages: login and logout, the inbox of cases routed to the user, the
//! case page and the actions on a case (reply, acknowledge, change status,
//! triage, record and confirm escalation decisions, close and reopen,
//! extend the feedback deadline, add an internal note, download an
//! attachment, export the case). A staff member reaches a case only through a wrap
//! of its key made out to them; every other case is the same "not found".

mod account;
mod acknowledge;
mod attachment;
mod breach;
mod breach_view;
mod case;
mod deadline_view;
mod deadlines;
mod escalation;
mod export;
mod identity;
mod identity_view;
mod inbox;
mod legal_hold;
mod legal_hold_view;
mod login;
mod logout;
mod measures;
mod notes;
mod protection;
mod register;
mod reply;
mod sso;
mod status;
mod triage;
mod two_factor;

use actix_web::dev::Payload;
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::core::actor::StaffMember;
use crate::core::authz::{Denial, Permission};
use crate::core::i18n::Translator;
use crate::web::http::{AppError, ErrorKind, SecretText, Visitor};
use crate::web::state::AppState;

/// Registers the routes of this area.
pub fn configure(routes: &mut crate::web::registry::Registry<'_>) {
    routes
        .get("/staff", to_inbox)
        .get("/staff/login", login::form)
        .post("/staff/login", login::submit)
        .get("/staff/login/oidc", sso::start)
        .get("/staff/login/oidc/callback", sso::callback)
        .get("/staff/login/passphrase", sso::passphrase_form)
        .post("/staff/login/passphrase", sso::passphrase_submit)
        .get("/staff/login/code", two_factor::code_form)
        .post("/staff/login/code", two_factor::code_submit)
        .get("/staff/account/two-factor", two_factor::account)
        .post("/staff/account/two-factor/setup", two_factor::setup)
        .post("/staff/account/two-factor/confirm", two_factor::confirm)
        .post(
            "/staff/account/two-factor/recovery-codes",
            two_factor::renew_codes,
        )
        .get("/staff/account/two-factor/setup", two_factor::back)
        .get("/staff/account/two-factor/confirm", two_factor::back)
        .get("/staff/account/two-factor/recovery-codes", two_factor::back)
        .post("/staff/logout", logout::submit)
        .get("/staff/account", account::page)
        .post("/staff/account/password", account::change_password)
        .get("/staff/account/sessions", account::sessions)
        .post("/staff/account/sessions/end-others", account::end_others)
        .post("/staff/account/sessions/{id}/end", account::end)
        .get("/staff/inbox", inbox::page)
        .get("/staff/cases/{id}", case::page)
        .post("/staff/cases/{id}/reply", reply::submit)
        .post("/staff/cases/{id}/acknowledge", acknowledge::submit)
        .post("/staff/cases/{id}/status", status::submit)
        .post("/staff/cases/{id}/triage", triage::submit)
        .post("/staff/cases/{id}/escalation", escalation::record)
        .post(
            "/staff/cases/{id}/escalation/{decision}/confirm",
            escalation::confirm,
        )
        .post("/staff/cases/{id}/breach-decision", breach::record)
        .post("/staff/cases/{id}/close", escalation::close)
        .post("/staff/cases/{id}/reopen", escalation::reopen)
        .post("/staff/cases/{id}/feedback-extension", deadlines::extend)
        .post("/staff/cases/{id}/measures", measures::record)
        .post("/staff/cases/{id}/notes", notes::add)
        .post("/staff/cases/{id}/legal-hold", legal_hold::place)
        .post("/staff/cases/{id}/legal-hold/lift", legal_hold::lift)
        .post("/staff/cases/{id}/identity/requests", identity::request)
        .get("/staff/cases/{id}/export", export::form)
        .post("/staff/cases/{id}/export", export::submit)
        .get("/contact/register", register::page)
        .get("/contact/register.csv", register::download)
        .get(
            "/staff/cases/{id}/attachments/{attachment}",
            attachment::download,
        );
    // A page re-rendered after a refused action keeps the action's URL; the
    // language switch then asks for it with GET: send it back to the case.
    for action in [
        "reply",
        "acknowledge",
        "status",
        "triage",
        "escalation",
        "breach-decision",
        "close",
        "reopen",
        "feedback-extension",
        "measures",
        "notes",
        "identity/requests",
        "legal-hold",
        "legal-hold/lift",
    ] {
        routes.get(&format!("/staff/cases/{{id}}/{action}"), case::back_to_case);
    }
}

async fn to_inbox() -> HttpResponse {
    see_other("/staff/inbox")
}

/// Why a staff page was not served: a login is needed first, or an error page.
#[derive(Debug)]
pub(crate) enum StaffError {
    /// No staff session: go to the login page.
    LoginRequired,
    /// An error page.
    Page(AppError),
}

impl std::fmt::Display for StaffError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StaffError::LoginRequired => f.write_str("login required"),
            StaffError::Page(e) => e.fmt(f),
        }
    }
}

impl From<AppError> for StaffError {
    fn from(e: AppError) -> Self {
        StaffError::Page(e)
    }
}

impl ResponseError for StaffError {
    fn status_code(&self) -> StatusCode {
        match self {
            StaffError::LoginRequired => StatusCode::SEE_OTHER,
            StaffError::Page(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            StaffError::LoginRequired => see_other("/staff/login"),
            StaffError::Page(e) => e.error_response(),
        }
    }
}

/// The bar atop every staff and administration page: who is signed in and
/// the areas they may go to.
pub(crate) struct StaffNav {
    pub(crate) signed_in_as: String,
    /// Whether to link the statistics (auditors and administrators).
    pub(crate) show_stats: bool,
    /// Whether to link the escalation register (contact points).
    pub(crate) show_register: bool,
    /// Whether to link the administration pages (on those pages only).
    pub(crate) show_admin: bool,
    /// Whether to link the identity requests (custodians).
    pub(crate) show_custodian: bool,
}

impl StaffNav {
    /// The bar for `staff`; `admin_area` links the administration pages.
    pub(crate) fn new(t: &Translator, staff: &StaffMember, admin_area: bool) -> Self {
        StaffNav {
            signed_in_as: t.f("staff.nav.signed_in_as", &[("name", &staff.display_name)]),
            show_stats: crate::core::authz::staff_may(staff, Permission::ReadStatistics),
            show_register: crate::core::authz::staff_may(staff, Permission::ReadRegister),
            show_admin: admin_area,
            show_custodian: crate::core::authz::staff_may(staff, Permission::KeepIdentities),
        }
    }
}

/// A form that carries only its CSRF token.
#[derive(serde::Deserialize)]
pub(crate) struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

/// A form with only a reason (a feedback extension, a reopening).
#[derive(serde::Deserialize)]
pub(crate) struct ReasonForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: SecretText,
}

/// Result of a staff page.
pub(crate) type StaffResult = Result<HttpResponse, StaffError>;

/// The staff session, if [`crate::core::authz`] grants it `permission`. No staff
/// session: the login page; roles that do not grant it: 403.
pub(crate) fn permitted(
    visitor: &Visitor,
    permission: Permission,
) -> Result<&StaffMember, StaffError> {
    visitor
        .staff_for(permission)
        .map_err(|denial| match denial {
            Denial::SignInRequired => StaffError::LoginRequired,
            Denial::Forbidden => visitor.error(ErrorKind::Forbidden).into(),
        })
}

/// The staff session of someone who works cases (handler or contact point).
/// Other roles (admin, auditor) never see cases.
fn case_worker(visitor: &Visitor) -> Result<&StaffMember, StaffError> {
    permitted(visitor, Permission::WorkCases)
}

/// What a form posted about one case brings: the shared state, the visitor,
/// the case id as it stands in the path, and the form's fields. Extracted
/// in that order, as the handlers' own arguments were.
pub(super) struct CaseAction<F> {
    /// The shared state.
    pub(super) state: web::Data<AppState>,
    /// Who sent it.
    pub(super) visitor: Visitor,
    /// The `{id}` of the path.
    pub(super) path: String,
    /// The form.
    pub(super) form: F,
}

impl<F> CaseAction<F> {
    /// State, visitor, case id and form, to work with one by one.
    pub(super) fn into_parts(self) -> (web::Data<AppState>, Visitor, String, F) {
        (self.state, self.visitor, self.path, self.form)
    }
}

impl<F: DeserializeOwned + 'static> FromRequest for CaseAction<F> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let parts = <(
            web::Data<AppState>,
            Visitor,
            web::Path<String>,
            web::Form<F>,
        )>::from_request(req, payload);
        Box::pin(async move {
            let (state, visitor, path, form) = parts.await?;
            Ok(CaseAction {
                state,
                visitor,
                path: path.into_inner(),
                form: form.into_inner(),
            })
        })
    }
}

/// A form posted about a case: the case worker who sent it (its CSRF token
/// checked) and the case id from the path.
fn case_form<'v>(
    visitor: &'v Visitor,
    csrf: &str,
    raw_id: &str,
) -> Result<(&'v StaffMember, Uuid), StaffError> {
    let staff = case_worker(visitor)?;
    visitor.check_csrf(csrf)?;
    Ok((staff, case_id(visitor, raw_id)?))
}

/// A case id from the path; anything that is not one is "not found".
fn case_id(visitor: &Visitor, raw: &str) -> Result<Uuid, StaffError> {
    Uuid::parse_str(raw).map_err(|_| visitor.error(ErrorKind::NotFound).into())
}

/// A case's short reference: the first eight hex digits of its id.
pub(super) fn reference(id: uuid::Uuid) -> String {
    id.simple().to_string()[..8].to_uppercase()
}

/// A 303 to `location`.
fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// Renders `page` as an HTML response with `status`.
fn render(visitor: &Visitor, page: &impl Template, status: StatusCode) -> StaffResult {
    let body = page.render().map_err(|e| visitor.internal(e))?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body))
}

/// A calendar date as the interface shows it: dd.mm.yyyy.
fn show_date(date: Date) -> String {
    format!(
        "{:02}.{:02}.{:04}",
        date.day(),
        u8::from(date.month()),
        date.year()
    )
}

/// The day of a UNIX time, as [`show_date`]: a day stamp (midnight UTC,
/// as every reporter time is stored) is its own day; any other time is
/// the day it was in Oslo.
pub(crate) fn show_day(at: i64) -> String {
    if at.rem_euclid(86_400) == 0 {
        return OffsetDateTime::from_unix_timestamp(at)
            .map(|d| show_date(d.date()))
            .unwrap_or_default();
    }
    crate::core::oslo::at(at)
        .map(|o| show_date(o.local.date()))
        .unwrap_or_default()
}

/// A UNIX time as dd.mm.yyyy, and unless it is a day stamp (midnight UTC)
/// the time of day in Oslo with its zone: `29.03.2026 14:05 CEST`.
pub(crate) fn show_moment(at: i64) -> String {
    if at.rem_euclid(86_400) == 0 {
        return show_day(at);
    }
    show_exact(at)
}

/// A UNIX time as dd.mm.yyyy hh:mm in Oslo with its zone, always with the
/// time of day: `15.07.2026 14:05 CEST`.
pub(crate) fn show_exact(at: i64) -> String {
    match crate::core::oslo::at(at) {
        Some(o) => format!(
            "{} {:02}:{:02} {}",
            show_date(o.local.date()),
            o.local.hour(),
            o.local.minute(),
            o.zone
        ),
        None => String::new(),
    }
}

/// The translated name of a stored key (`category.avvik`, `status.closed`, …),
/// or the key itself if it has none.
fn label(t: &Translator, group: &str, key: &str) -> String {
    t.t(&format!("{group}.{key}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn dates_are_shown_day_first() {
        assert_eq!(show_date(date!(2026 - 03 - 07)), "07.03.2026");
        assert_eq!(show_day(86_400 * 365), "01.01.1971");
    }

    #[test]
    fn times_are_shown_in_oslo() {
        use time::macros::datetime;
        let winter = datetime!(2026-01-15 23:30 UTC).unix_timestamp();
        let summer = datetime!(2026-07-15 12:05 UTC).unix_timestamp();
        assert_eq!(show_moment(winter), "16.01.2026 00:30 CET");
        assert_eq!(show_day(winter), "16.01.2026");
        assert_eq!(show_moment(summer), "15.07.2026 14:05 CEST");
        // A day stamp stays its day.
        let day = datetime!(2026-07-15 00:00 UTC).unix_timestamp();
        assert_eq!(show_moment(day), "15.07.2026");
    }
}
