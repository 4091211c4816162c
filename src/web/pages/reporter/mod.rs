//! The reporter's pages: what can be reported and how, the report form and its
//! receipt, code login, the case page with replies and downloads. Every page
//! works without JavaScript; the case code is shown once on the receipt and
//! never put in a URL, a cookie or a log.

mod case_page;
mod download;
mod followup;
mod followup_panel;
mod identity;
mod in_browser;
mod landing;
mod logout;
mod receipt;
mod reply;
mod report_form;
mod retaliation;
mod submit;

use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use askama::Template;
use time::{Date, OffsetDateTime};

use crate::core::i18n::{Lang, Translator};
use crate::core::settings::LimitSettings;
use crate::web::http::multipart::FormError;
use crate::web::http::{AppError, ErrorKind, Visitor};

/// Registers the routes of this area.
pub fn configure(routes: &mut crate::web::registry::Registry<'_>) {
    use crate::web::registry::Endpoint;
    routes
        .service(Endpoint::new("/").get(landing::show))
        .service(
            Endpoint::new("/report")
                .get(report_form::show)
                .post(submit::submit),
        )
        .service(
            Endpoint::new(receipt::RECEIPT_PATH)
                .get(receipt::show)
                .post(receipt::confirm),
        )
        .service(
            Endpoint::new("/followup")
                .get(followup::show)
                .post(followup::login),
        )
        .service(Endpoint::new("/followup/browser").post(in_browser::offer))
        .service(Endpoint::new("/followup/browser/session").post(in_browser::session))
        .service(Endpoint::new("/case").get(case_page::show))
        .service(Endpoint::new("/case/reply").post(reply::reply))
        .service(Endpoint::new("/case/reply/sealed").post(in_browser::reply))
        .service(Endpoint::new("/case/retaliation").post(retaliation::report))
        .service(
            Endpoint::new("/case/identity")
                .get(identity::show)
                .post(identity::submit),
        )
        .service(Endpoint::new("/case/logout").post(logout::logout))
        .service(Endpoint::new("/case/attachments/{id}").get(download::download));
}

/// The languages a form page's language buttons offer.
const LANGUAGES: &[Lang] = &[Lang::Nb, Lang::Nn, Lang::En];

/// One button of a form page's language switch.
pub struct LanguageButton {
    /// The language code (`?lang=`).
    pub code: &'static str,
    /// The language's name in itself.
    pub label: String,
}

/// The language buttons of a form page: every language but `current`.
pub fn language_buttons(current: Lang) -> Vec<LanguageButton> {
    LANGUAGES
        .iter()
        .filter(|l| **l != current)
        .map(|l| LanguageButton {
            code: l.code(),
            label: Translator::new(*l).t(&format!("reporter.language_switch.{}", l.code())),
        })
        .collect()
}

/// Whether a form was sent by one of its language buttons (`?rerender=1`):
/// it is to be shown again in that language as typed, and stored nowhere.
fn is_rerender(req: &actix_web::HttpRequest) -> bool {
    req.query_string()
        .split('&')
        .any(|pair| pair == "rerender=1")
}

/// A radio button or checkbox: submitted value, visible label, state.
pub struct Choice {
    /// The submitted value.
    pub value: String,
    /// The label.
    pub label: String,
    /// Explanation under the label (may be empty).
    pub hint: String,
    /// Ticked.
    pub checked: bool,
}

/// One problem with a submitted form, tied to the field it concerns.
pub struct FieldError {
    /// Id of the element the error summary links to.
    pub field: &'static str,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// The problems with a submitted form, shown in a summary and by each field.
#[derive(Default)]
pub struct FormErrors(Vec<FieldError>);

impl FormErrors {
    /// Adds a problem with `field`.
    pub fn add(&mut self, field: &'static str, message: String) {
        self.0.push(FieldError { field, message });
    }

    /// The message for `field`, if it has one.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    /// Every problem, in form order.
    pub fn all(&self) -> &[FieldError] {
        &self.0
    }

    /// True if there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A date as reporters read it: dd.mm.yyyy.
pub fn format_date(date: Date) -> String {
    format!(
        "{:02}.{:02}.{}",
        date.day(),
        u8::from(date.month()),
        date.year()
    )
}

/// The day of a UNIX time, as dd.mm.yyyy (UTC).
pub fn format_day(at: i64) -> String {
    OffsetDateTime::from_unix_timestamp(at)
        .map(|d| format_date(d.date()))
        .unwrap_or_default()
}

/// A size in bytes, rounded for people (kB / MB, decimal), with the
/// language's decimal separator.
pub fn format_size(bytes: u64, lang: Lang) -> String {
    if bytes < 1_000_000 {
        return format!("{} kB", bytes.div_ceil(1000));
    }
    let tenths = (bytes + 50_000) / 100_000;
    if tenths.is_multiple_of(10) || tenths >= 100 {
        return format!("{} MB", (tenths + 5) / 10);
    }
    let separator = match lang {
        Lang::Nb | Lang::Nn => ',',
        Lang::En => '.',
    };
    format!("{}{separator}{} MB", tenths / 10, tenths % 10)
}

/// "Up to N files, each at most X." for the file inputs.
fn attachment_limits(t: &Translator, limits: &LimitSettings) -> String {
    t.f(
        "reporter.form.attachment_limits",
        &[
            ("count", &limits.max_attachments_per_case.to_string()),
            ("size", &format_size(limits.max_attachment_bytes, t.lang())),
        ],
    )
}

/// "At most N files per case."
fn too_many_attachments(t: &Translator, limits: &LimitSettings) -> String {
    t.f(
        "reporter.errors.too_many_attachments",
        &[("count", &limits.max_attachments_per_case.to_string())],
    )
}

/// Where a refused multipart form goes: an error page (`Err`), or the form
/// shown again with a status, whether the problem is with the files (else
/// with the text) and what to tell the reporter.
fn refusal(
    visitor: &Visitor,
    limits: &LimitSettings,
    error: FormError,
) -> Result<(StatusCode, bool, String), AppError> {
    let t = visitor.t();
    Ok(match error {
        FormError::Csrf => return Err(visitor.error(ErrorKind::Csrf)),
        FormError::Malformed => return Err(visitor.error(ErrorKind::BadRequest)),
        FormError::Internal(e) => return Err(visitor.internal(e)),
        FormError::AttachmentTooLarge => (
            StatusCode::PAYLOAD_TOO_LARGE,
            true,
            t.f(
                "reporter.errors.attachment_too_large",
                &[("size", &format_size(limits.max_attachment_bytes, t.lang()))],
            ),
        ),
        FormError::TooManyAttachments => (
            StatusCode::BAD_REQUEST,
            true,
            too_many_attachments(&t, limits),
        ),
        FormError::TooLarge => (
            StatusCode::PAYLOAD_TOO_LARGE,
            false,
            t.t("reporter.errors.form_too_large"),
        ),
        FormError::StorageFull => (
            StatusCode::INSUFFICIENT_STORAGE,
            true,
            t.t("reporter.errors.storage_full"),
        ),
        FormError::UploadBudget => (
            StatusCode::TOO_MANY_REQUESTS,
            true,
            t.t("reporter.errors.upload_budget"),
        ),
        FormError::InvalidUtf8 => (
            StatusCode::BAD_REQUEST,
            false,
            t.t("reporter.errors.invalid_text"),
        ),
        FormError::EmptyAttachment => (
            StatusCode::BAD_REQUEST,
            true,
            t.t("reporter.errors.empty_attachment"),
        ),
    })
}

/// Renders a page template, or an internal error.
fn render(visitor: &Visitor, page: &impl Template) -> Result<String, AppError> {
    page.render().map_err(|e| visitor.internal(e))
}

/// An HTML response with `status`, setting `cookie` if given.
fn html(status: StatusCode, body: String, cookie: Option<Cookie<'static>>) -> HttpResponse {
    let mut builder = HttpResponse::build(status);
    if let Some(cookie) = cookie {
        builder.cookie(cookie);
    }
    builder.content_type("text/html; charset=utf-8").body(body)
}

/// A 303 redirect to `location`, setting `cookie` if given.
fn see_other(location: &str, cookie: Option<Cookie<'static>>) -> HttpResponse {
    let mut builder = HttpResponse::SeeOther();
    if let Some(cookie) = cookie {
        builder.cookie(cookie);
    }
    builder.insert_header(("Location", location)).finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn dates_are_day_month_year() {
        assert_eq!(format_date(date!(2026 - 03 - 07)), "07.03.2026");
        assert_eq!(format_day(86_400 * 31 + 5), "01.02.1970");
    }

    #[test]
    fn sizes_are_rounded_for_people() {
        assert_eq!(format_size(1, Lang::Nb), "1 kB");
        assert_eq!(format_size(12_345, Lang::En), "13 kB");
        assert_eq!(format_size(2_500_000, Lang::Nb), "2,5 MB");
        assert_eq!(format_size(2_500_000, Lang::En), "2.5 MB");
        assert_eq!(format_size(2_500_000, Lang::Nn), "2,5 MB");
        assert_eq!(format_size(100_000_000, Lang::Nb), "100 MB");
        assert_eq!(format_size(12_345_678, Lang::En), "12 MB");
        assert_eq!(format_size(1_000_001, Lang::En), "1 MB");
    }

    #[test]
    fn form_errors_are_found_by_field() {
        let mut errors = FormErrors::default();
        assert!(errors.is_empty());
        errors.add("description", "x".into());
        assert_eq!(errors.get("description"), Some("x"));
        assert_eq!(errors.get("category"), None);
        assert_eq!(errors.all().len(), 1);
    }
}
