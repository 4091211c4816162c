//! The JSON API under `/api/v1/`: every action of the reporter and handler
//! pages, for bearer-token clients. Documented in `docs/api.md`.
//!
//! Bodies are JSON (attachments: `multipart/form-data`), errors are
//! `{"error": {"code", "message", ...}}` in the caller's language, dates are
//! ISO 8601. Reporter-facing dates are whole days.

mod account;
mod accounts;
mod auth;
mod breach;
mod catalog;
mod deadlines;
mod e2e;
pub mod error;
mod escalation;
mod export;
mod files;
mod followup;
mod identity;
mod legal_hold;
mod notes;
pub mod openapi;
pub mod pow;
mod reporter_case;
mod reports;
pub mod responses;
mod session;
mod staff_cases;
mod two_factor;

use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use time::macros::format_description;
use time::{Date, OffsetDateTime};

pub use auth::{bearer_token, ApiCaller, ApiLang};
pub use error::{ApiError, Problem};

use crate::core::casework::CaseView;
use crate::core::store::Author;
use crate::web::http::{ErrorKind, SecretText};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// `{"reason": "…"}`: a feedback extension or a reopening.
#[derive(serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonRequest {
    /// Why; sealed to the case.
    #[schema(value_type = String)]
    reason: SecretText,
}

/// The JSON body limit and its error, for `App::app_data`: bodies over
/// `limit` bytes and malformed JSON get a JSON error in the caller's language.
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(move |err, req| ApiError::json(auth::lang_of(req), &err, limit).into())
}

/// The report as the reporter wrote it.
#[derive(Serialize, ToSchema)]
pub struct ReportText {
    /// What happened.
    pub description: String,
    /// When, in the reporter's words.
    pub when: Option<String>,
    /// Where, in the reporter's words.
    pub place: Option<String>,
}

impl ReportText {
    fn of(view: &CaseView) -> Self {
        ReportText {
            description: view.report.description.clone(),
            when: view.report.when.clone(),
            place: view.report.place.clone(),
        }
    }
}

/// Who wrote a message or added an attachment.
#[derive(Serialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum AuthorKind {
    /// The reporter.
    Reporter,
    /// A staff member.
    Staff,
}

impl From<Author> for AuthorKind {
    fn from(author: Author) -> Self {
        match author {
            Author::Reporter => AuthorKind::Reporter,
            Author::Staff => AuthorKind::Staff,
        }
    }
}

/// A message of the thread as the reporter sees it: the day only, and
/// never which staff member wrote.
#[derive(Serialize, ToSchema)]
pub struct ReporterMessage {
    /// Who wrote it.
    pub author: AuthorKind,
    /// The day, `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub date: String,
    /// The text (empty if `unreadable`).
    pub body: String,
    /// True if the text does not open with the case key: a reporter's
    /// browser sealed it wrongly (docs/e2e.md). The rest of the case shows.
    pub unreadable: bool,
    /// `message`, or `retaliation` for a report of retaliation.
    pub kind: followup::MessageKindJson,
}

/// An attachment as the reporter sees it.
#[derive(Serialize, ToSchema)]
pub struct ReporterAttachment {
    /// Who added it.
    pub author: AuthorKind,
    /// The day, `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub date: String,
    /// Id for downloading.
    pub id: Uuid,
    /// Original file name (empty if `unreadable`).
    pub name: String,
    /// Declared content type.
    pub content_type: String,
    /// True if the name does not open with the case key (then neither
    /// will the file).
    pub unreadable: bool,
    /// Stored (encrypted) size in bytes.
    pub size: i64,
}

/// A message of the thread as staff see it: staff entries carry their time
/// and author's name (reporter entries: the day only, `time` null).
#[derive(Serialize, ToSchema)]
pub struct StaffMessage {
    /// Who wrote it.
    pub author: AuthorKind,
    /// The day, `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub date: String,
    /// RFC 3339 time of a staff entry; null for reporter entries.
    #[schema(required, format = DateTime)]
    pub time: Option<String>,
    /// The text (empty if `unreadable`).
    pub body: String,
    /// True if the text does not open with the case key: a reporter's
    /// browser sealed it wrongly (docs/e2e.md). The rest of the case shows.
    pub unreadable: bool,
    /// The staff author's name; null for reporter entries.
    #[schema(required)]
    pub author_name: Option<String>,
    /// `message`, or `retaliation` for the reporter's report of retaliation.
    pub kind: followup::MessageKindJson,
}

/// An attachment as staff see it.
#[derive(Serialize, ToSchema)]
pub struct StaffAttachment {
    /// Who added it.
    pub author: AuthorKind,
    /// The day, `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub date: String,
    /// RFC 3339 time of a staff upload; null for reporter uploads.
    #[schema(required, format = DateTime)]
    pub time: Option<String>,
    /// Id for downloading.
    pub id: Uuid,
    /// Original file name (empty if `unreadable`).
    pub name: String,
    /// Declared content type.
    pub content_type: String,
    /// True if the name does not open with the case key (then neither
    /// will the file).
    pub unreadable: bool,
    /// Stored (encrypted) size in bytes.
    pub size: i64,
}

/// The time of a staff entry; reporter entries are kept to the day only.
fn staff_time(author: Author, at: i64) -> Option<String> {
    match author {
        Author::Reporter => None,
        Author::Staff => Some(iso_instant(at)),
    }
}

/// The report, the messages and the attachments of a case as the reporter sees them.
pub(crate) fn reporter_thread(
    view: &CaseView,
) -> (ReportText, Vec<ReporterMessage>, Vec<ReporterAttachment>) {
    let messages = view
        .messages
        .iter()
        .map(|m| ReporterMessage {
            author: m.author.into(),
            date: iso_day(m.created_at),
            body: m.body.clone(),
            unreadable: m.unreadable,
            kind: m.kind.into(),
        })
        .collect();
    let attachments = view
        .attachments
        .iter()
        .map(|a| ReporterAttachment {
            author: a.author.into(),
            date: iso_day(a.created_at),
            id: a.id,
            name: a.name.clone(),
            content_type: a.content_type.clone(),
            unreadable: a.unreadable,
            size: a.size,
        })
        .collect();
    (ReportText::of(view), messages, attachments)
}

/// The report, the messages and the attachments of a case as staff see them.
pub(crate) fn staff_thread(
    view: &CaseView,
) -> (ReportText, Vec<StaffMessage>, Vec<StaffAttachment>) {
    let messages = view
        .messages
        .iter()
        .map(|m| StaffMessage {
            author: m.author.into(),
            date: iso_day(m.created_at),
            time: staff_time(m.author, m.created_at),
            body: m.body.clone(),
            unreadable: m.unreadable,
            author_name: m.author_name.clone(),
            kind: m.kind.into(),
        })
        .collect();
    let attachments = view
        .attachments
        .iter()
        .map(|a| StaffAttachment {
            author: a.author.into(),
            date: iso_day(a.created_at),
            time: staff_time(a.author, a.created_at),
            id: a.id,
            name: a.name.clone(),
            content_type: a.content_type.clone(),
            unreadable: a.unreadable,
            size: a.size,
        })
        .collect();
    (ReportText::of(view), messages, attachments)
}

/// `YYYY-MM-DD`.
pub(crate) fn iso_date(date: Date) -> String {
    date.format(format_description!("[year]-[month]-[day]"))
        .unwrap_or_default()
}

/// The UTC day of a UNIX time, `YYYY-MM-DD`.
pub(crate) fn iso_day(at: i64) -> String {
    OffsetDateTime::from_unix_timestamp(at)
        .map(|t| iso_date(t.date()))
        .unwrap_or_default()
}

/// A UNIX time as RFC 3339 in UTC, e.g. `2026-03-01T09:30:00Z`.
pub(crate) fn iso_instant(at: i64) -> String {
    OffsetDateTime::from_unix_timestamp(at)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

async fn not_found(req: HttpRequest) -> HttpResponse {
    ApiError::kind(auth::lang_of(&req), ErrorKind::NotFound).error_response()
}

/// A resource whose unsupported methods get a JSON 405 with the `Allow`
/// header listing the methods it takes.
fn resource(path: &str) -> crate::web::registry::Endpoint {
    crate::web::registry::Endpoint::new(path).refuse_other_methods(|allow| {
        web::to(move |req: HttpRequest| {
            let allow = allow.clone();
            async move {
                let mut response =
                    ApiError::new(auth::lang_of(&req), Problem::MethodNotAllowed).error_response();
                if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&allow) {
                    response
                        .headers_mut()
                        .insert(actix_web::http::header::ALLOW, value);
                }
                response
            }
        })
    })
}

/// Registers the routes of this area.
pub fn configure(routes: &mut crate::web::registry::Registry<'_>) {
    routes.scope(
        "/api/v1",
        |api| {
            api.service(
                resource("/reporter/session")
                    .post(session::reporter_login)
                    .delete(session::reporter_logout),
            )
            .service(
                resource("/staff/session")
                    .post(session::staff_login)
                    .delete(session::staff_logout),
            )
            .service(resource("/account/two-factor").get(two_factor::state))
            .service(resource("/account/two-factor/setup").post(two_factor::setup))
            .service(resource("/account/two-factor/confirm").post(two_factor::confirm))
            .service(
                resource("/account/two-factor/recovery-codes").post(two_factor::recovery_codes),
            )
            .service(resource("/account/password").post(account::change_password))
            .service(resource("/account/sessions").get(account::sessions))
            .service(resource("/account/sessions/{id}").delete(account::end_session))
            .service(resource("/pow/challenge").get(pow::challenge))
            .service(resource("/openapi.json").get(openapi::openapi_json))
            .service(resource("/categories").get(catalog::categories))
            .service(resource("/handlers").get(catalog::handlers))
            .service(
                resource("/reports")
                    .post_if(
                        actix_web::guard::fn_guard(files::is_multipart),
                        reports::submit_multipart,
                    )
                    .post(reports::submit_json),
            )
            .service(resource("/e2e/routing").post(e2e::routing))
            .service(resource("/e2e/reports").post(e2e::submit))
            .service(resource("/reporter/case").get(reporter_case::view))
            .service(resource("/reporter/case/messages").post(reporter_case::reply))
            .service(
                resource("/reporter/case/identity")
                    .get(identity::reporter_status)
                    .post(identity::reporter_add),
            )
            .service(resource("/staff/cases/{case}/identity").get(identity::staff_view))
            .service(
                resource("/staff/cases/{case}/identity/requests").post(identity::staff_request),
            )
            .service(resource("/custodian/requests").get(identity::custodian_list))
            .service(
                resource("/custodian/requests/{request}/decision").post(identity::custodian_decide),
            )
            .service(resource("/reporter/case/attachments").post(reporter_case::upload))
            .service(resource("/reporter/case/retaliation").post(followup::report_retaliation))
            .service(
                resource("/reporter/case/attachments/{attachment}").get(reporter_case::download),
            )
            .service(resource("/staff/cases").get(staff_cases::inbox))
            .service(resource("/staff/cases/{case}").get(staff_cases::view))
            .service(resource("/staff/cases/{case}/messages").post(staff_cases::reply))
            .service(resource("/staff/cases/{case}/attachments").post(staff_cases::upload))
            .service(
                resource("/staff/cases/{case}/attachments/{attachment}").get(staff_cases::download),
            )
            .service(resource("/staff/cases/{case}/acknowledge").post(staff_cases::acknowledge))
            .service(resource("/staff/cases/{case}/export").post(export::export_case))
            .service(resource("/staff/cases/{case}/status").post(staff_cases::set_status))
            .service(resource("/staff/cases/{case}/triage").post(staff_cases::triage))
            .service(
                resource("/staff/cases/{case}/escalation")
                    .get(escalation::view)
                    .post(escalation::record),
            )
            .service(
                resource("/staff/cases/{case}/escalation/{decision}/confirm")
                    .post(escalation::confirm),
            )
            .service(resource("/staff/cases/{case}/breach-decision").post(breach::record))
            .service(resource("/staff/cases/{case}/close").post(escalation::close))
            .service(resource("/staff/cases/{case}/reopen").post(escalation::reopen))
            .service(resource("/contact/register").get(escalation::register))
            .service(resource("/staff/cases/{case}/feedback-extension").post(deadlines::extend))
            .service(resource("/staff/cases/{case}/measures").post(followup::record_measure))
            .service(
                resource("/staff/cases/{case}/notes")
                    .get(notes::list)
                    .post(notes::add),
            )
            .service(
                resource("/staff/cases/{case}/legal-hold")
                    .post(legal_hold::place)
                    .delete(legal_hold::lift),
            )
            .service(
                resource("/admin/accounts")
                    .get(accounts::list)
                    .post(accounts::create),
            )
            .service(resource("/admin/accounts/{username}/roles").post(accounts::roles))
            .service(resource("/admin/accounts/{username}/groups").post(accounts::groups))
            .service(resource("/admin/accounts/{username}/deactivate").post(accounts::deactivate))
            .service(resource("/admin/accounts/{username}/reactivate").post(accounts::reactivate));
        },
        |scope| scope.default_service(web::to(not_found)),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_iso_8601() {
        assert_eq!(iso_day(86_400 * 365 + 3_600), "1971-01-01");
        assert_eq!(iso_instant(86_400 + 61), "1970-01-02T00:01:01Z");
        assert_eq!(iso_date(time::macros::date!(2026 - 03 - 09)), "2026-03-09");
    }
}
