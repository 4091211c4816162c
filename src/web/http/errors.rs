//! Errors as users see them: a clear page in their language with a status code,
//! and for internal failures an incident id — never internals. The incident id
//! and the error chain go to the log; error messages never contain case content.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use crate::core::error::CoreError;
use crate::core::i18n::{Lang, Translator};

/// What went wrong, as far as the user is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// No such page, or not yours (the two are never told apart).
    NotFound,
    /// Malformed request.
    BadRequest,
    /// Missing or wrong CSRF token.
    Csrf,
    /// Rate limited.
    TooManyRequests,
    /// Body or upload over its limit.
    PayloadTooLarge,
    /// Login needed.
    Unauthorized,
    /// Logged in but not allowed.
    Forbidden,
    /// It clashes with what is stored.
    Conflict,
    /// The request's body stalled or took too long to arrive.
    RequestTimeout,
    /// Our fault.
    Internal,
    /// The database cannot be reached now; try again shortly.
    Unavailable,
    /// The path exists, the method does not (the response names the
    /// methods it takes in `Allow`).
    MethodNotAllowed,
    /// A form sent from another site (the browser's `Sec-Fetch-Site`
    /// says so): refused before anything is read or shown again.
    CrossSite,
}

/// Seconds a client is asked to wait (`Retry-After`) when the database is
/// unavailable.
pub const UNAVAILABLE_RETRY_AFTER: &str = "5";

impl ErrorKind {
    /// The HTTP status.
    pub fn status(self) -> StatusCode {
        match self {
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::BadRequest => StatusCode::BAD_REQUEST,
            ErrorKind::Csrf => StatusCode::FORBIDDEN,
            ErrorKind::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            ErrorKind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorKind::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorKind::Forbidden => StatusCode::FORBIDDEN,
            ErrorKind::Conflict => StatusCode::CONFLICT,
            ErrorKind::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorKind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorKind::CrossSite => StatusCode::FORBIDDEN,
        }
    }

    /// The translation key of the user-facing message.
    pub fn message_key(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "error.not_found",
            ErrorKind::BadRequest => "error.bad_request",
            ErrorKind::Csrf => "error.csrf",
            ErrorKind::TooManyRequests => "error.too_many_requests",
            ErrorKind::PayloadTooLarge => "error.payload_too_large",
            ErrorKind::Unauthorized => "error.unauthorized",
            ErrorKind::Forbidden => "error.forbidden",
            ErrorKind::Conflict => "error.conflict",
            ErrorKind::RequestTimeout => "error.request_timeout",
            ErrorKind::Internal => "error.internal",
            ErrorKind::Unavailable => "error.unavailable",
            ErrorKind::MethodNotAllowed => "error.method_not_allowed",
            ErrorKind::CrossSite => "error.cross_site",
        }
    }

    /// A stable machine-readable code for the API.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "not_found",
            ErrorKind::BadRequest => "bad_request",
            ErrorKind::Csrf => "csrf",
            ErrorKind::TooManyRequests => "too_many_requests",
            ErrorKind::PayloadTooLarge => "payload_too_large",
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::Conflict => "conflict",
            ErrorKind::RequestTimeout => "request_timeout",
            ErrorKind::Internal => "internal",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::MethodNotAllowed => "method_not_allowed",
            ErrorKind::CrossSite => "cross_site",
        }
    }
}

/// An error rendered as an HTML page in the visitor's language.
#[derive(Debug)]
pub struct AppError {
    /// What went wrong.
    pub kind: ErrorKind,
    /// The visitor's language.
    pub lang: Lang,
    /// Incident id of an internal error.
    pub incident: Option<String>,
    /// A message more precise than the kind's (the rule that refused).
    pub detail: Option<String>,
}

/// A fresh incident id: short, random, easy to read out.
pub fn incident_id() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 5];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode_upper(bytes)
}

impl AppError {
    /// An error of `kind` for a visitor reading `lang`.
    pub fn new(kind: ErrorKind, lang: Lang) -> Self {
        AppError {
            kind,
            lang,
            incident: None,
            detail: None,
        }
    }

    /// An internal error: logs `err` under a new incident id.
    pub fn internal(lang: Lang, err: &anyhow::Error) -> Self {
        let incident = incident_id();
        tracing::error!(incident = %incident, error = %format!("{err:#}"), "internal error");
        AppError {
            kind: ErrorKind::Internal,
            lang,
            incident: Some(incident),
            detail: None,
        }
    }

    /// The error page for a core operation's failure: the one place where
    /// core errors become HTML. A refusal names its rule.
    pub fn core(lang: Lang, err: CoreError) -> Self {
        match err {
            CoreError::NotFound => Self::new(ErrorKind::NotFound, lang),
            CoreError::Forbidden => Self::new(ErrorKind::Forbidden, lang),
            CoreError::Conflict => Self::new(ErrorKind::Conflict, lang),
            CoreError::Invalid(_) => Self::new(ErrorKind::BadRequest, lang),
            CoreError::Internal(e) => Self::internal(lang, &e),
            CoreError::Unavailable => Self::new(ErrorKind::Unavailable, lang),
            CoreError::Refused(refusal) => {
                let t = Translator::new(lang);
                let params = refusal.params();
                let params: Vec<(&str, &str)> =
                    params.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let mut page = Self::new(ErrorKind::Conflict, lang);
                page.detail = Some(t.f(&format!("api.error.{}", refusal.code()), &params));
                page
            }
        }
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.kind.code())
    }
}

/// The error page.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    /// Strings.
    pub t: Translator,
    /// The page title.
    pub title: String,
    /// The explanation.
    pub message: String,
    /// "Incident id: …", for internal errors.
    pub incident: Option<String>,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.kind.status()
    }

    fn error_response(&self) -> HttpResponse {
        let t = Translator::new(self.lang);
        let page = ErrorPage {
            t,
            title: t.t("error.title"),
            message: self
                .detail
                .clone()
                .unwrap_or_else(|| t.t(self.kind.message_key())),
            incident: self
                .incident
                .as_ref()
                .map(|id| t.f("error.incident", &[("id", id)])),
        };
        let body = page
            .render()
            .unwrap_or_else(|_| t.t(self.kind.message_key()));
        let mut builder = HttpResponse::build(self.kind.status());
        match self.kind {
            ErrorKind::TooManyRequests => {
                builder.insert_header(("Retry-After", "60"));
            }
            ErrorKind::Unavailable => {
                builder.insert_header(("Retry-After", UNAVAILABLE_RETRY_AFTER));
            }
            _ => {}
        }
        builder.content_type("text/html; charset=utf-8").body(body)
    }
}
