//! The JSON API under `/api/v1/`: every action of the reporter and handler
//! pages, for bearer-token clients. Documented in `docs/api.md`.
//!
//! Bodies are JSON (attachments: `multipart/form-data`), errors are
//! `{"error": {"code", "message", ...}}` in the caller's language, dates are
//! ISO 8601. Reporter-facing dates are whole days.

mod auth;
mod catalog;
mod deadlines;
pub mod error;
mod escalation;
mod files;
pub mod pow;
mod reporter_case;
mod reports;
mod session;
mod staff_cases;

use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use time::macros::format_description;
use time::{Date, OffsetDateTime};

pub use auth::{bearer_token, ApiCaller, ApiLang};
pub use error::{ApiError, Problem};

use crate::core::casework::CaseView;
use crate::core::store::Author;
use crate::web::http::{ErrorKind, SecretText};
use serde_json::{json, Map, Value};

/// `{"reason": "…"}`: a feedback extension or a reopening.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReasonRequest {
    reason: SecretText,
}

/// The JSON body limit and its error, for `App::app_data`: bodies over
/// `limit` bytes and malformed JSON get a JSON error in the caller's language.
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(move |err, req| ApiError::json(auth::lang_of(req), &err, limit).into())
}

/// Who reads a case: what its JSON shows differs only in that staff see
/// the names of staff authors and the time of staff entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reader {
    /// The reporter.
    Reporter,
    /// A staff member.
    Staff,
}

impl Reader {
    /// When an entry was made: its day, and for staff readers the time of a
    /// staff entry (reporter entries are kept to the day only).
    fn stamp(self, entry: &mut Map<String, Value>, author: Author, at: i64) {
        entry.insert("author".into(), author.as_db().into());
        entry.insert("date".into(), iso_day(at).into());
        if self == Reader::Staff {
            let time = match author {
                Author::Reporter => None,
                Author::Staff => Some(iso_instant(at)),
            };
            entry.insert("time".into(), json!(time));
        }
    }
}

/// The report, the messages and the attachments of a case as `reader` sees them.
pub(crate) fn thread_json(view: &CaseView, reader: Reader) -> (Value, Vec<Value>, Vec<Value>) {
    let report = json!({
        "description": view.report.description,
        "when": view.report.when,
        "place": view.report.place,
    });
    let messages = view
        .messages
        .iter()
        .map(|m| {
            let mut entry = Map::new();
            reader.stamp(&mut entry, m.author, m.created_at);
            entry.insert("body".into(), m.body.clone().into());
            if reader == Reader::Staff {
                entry.insert("author_name".into(), json!(m.author_name));
            }
            Value::Object(entry)
        })
        .collect();
    let attachments = view
        .attachments
        .iter()
        .map(|a| {
            let mut entry = Map::new();
            reader.stamp(&mut entry, a.author, a.created_at);
            entry.insert("id".into(), json!(a.id));
            entry.insert("name".into(), a.name.clone().into());
            entry.insert("content_type".into(), a.content_type.clone().into());
            entry.insert("size".into(), a.size.into());
            Value::Object(entry)
        })
        .collect();
    (report, messages, attachments)
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

async fn method_not_allowed(req: HttpRequest) -> HttpResponse {
    ApiError::new(auth::lang_of(&req), Problem::MethodNotAllowed).error_response()
}

/// A resource whose unsupported methods get a JSON 405.
fn resource(path: &str) -> crate::web::registry::Endpoint {
    crate::web::registry::Endpoint::new(path).default_service(web::to(method_not_allowed))
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
            .service(resource("/pow/challenge").get(pow::challenge))
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
            .service(resource("/reporter/case").get(reporter_case::view))
            .service(resource("/reporter/case/messages").post(reporter_case::reply))
            .service(resource("/reporter/case/attachments").post(reporter_case::upload))
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
            .service(resource("/staff/cases/{case}/close").post(escalation::close))
            .service(resource("/staff/cases/{case}/reopen").post(escalation::reopen))
            .service(resource("/contact/register").get(escalation::register))
            .service(resource("/staff/cases/{case}/feedback-extension").post(deadlines::extend));
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
