//! Errors of the JSON API: `{"error": {"code", "message", ...}}` with the right
//! status, the message in the caller's language. Internal failures get an
//! incident id (logged with the error chain); nothing else about them leaves
//! the server, and no message ever echoes what the caller sent.

use actix_web::error::JsonPayloadError;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;
use varsel_crypto::CaseCodeError;

use crate::core::domain::ExtensionError;
use crate::core::domain::TextFieldError;
use crate::core::error::{CoreError, FieldError, FieldProblem, Refusal};
use crate::core::i18n::{Lang, Translator};
use crate::core::identity::IdentityRefusal;
use crate::web::http::errors::{incident_id, ErrorKind};
use crate::web::http::multipart::FormError;
use crate::web::http::rate_limit::Limited;

/// What was wrong with a request, in terms an API client can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// One of the service-wide kinds (not found, unauthorized, ...).
    Kind(ErrorKind),
    /// The body is not JSON of the expected shape.
    InvalidJson {
        /// 1-based line of the error (0 if unknown).
        line: usize,
        /// 1-based column of the error (0 if unknown).
        column: usize,
    },
    /// The body has the wrong content type.
    UnsupportedMediaType {
        /// The content type to use.
        expected: &'static str,
    },
    /// The body is over the limit.
    BodyTooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// A required text field is empty.
    TextRequired {
        /// The JSON field.
        field: &'static str,
    },
    /// A text field is too long.
    TextTooLong {
        /// The JSON field.
        field: &'static str,
        /// The limit in characters.
        limit: u64,
    },
    /// Not one of the categories.
    UnknownCategory,
    /// Not a sub-type of the chosen category.
    UnknownSubtype,
    /// Not one of the severities.
    UnknownSeverity,
    /// Not one of the statuses.
    UnknownStatus,
    /// Not one of the inbox orders.
    UnknownSort,
    /// An inbox filter (`status`, `category`, `severity`, `deadline`) with
    /// a value it does not know.
    UnknownInboxFilter {
        /// The query parameter.
        param: &'static str,
    },
    /// An inbox `cursor` this service did not make, or one of another order.
    InvalidCursor,
    /// An inbox `limit` that is not a whole number from 1 to the maximum.
    InvalidLimit {
        /// The largest page size.
        max: u64,
    },
    /// "Closed" sent to the generic status change: closing needs an outcome
    /// and an evaluation.
    UseClose,
    /// An excluded id is not a handler.
    UnknownHandler,
    /// Every handler would be excluded.
    NoEligibleHandler,
    /// A triage classification that is not valid (category, sub-type, severity or risk).
    InvalidClassification,
    /// A triage classification that would route the case to nobody.
    NoOneLeft,
    /// The case code has the wrong number of symbols.
    CodeLength {
        /// Symbols a code has.
        expected: usize,
        /// Symbols sent.
        found: usize,
    },
    /// A character of the case code is outside the alphabet.
    CodeCharacter {
        /// 1-based position.
        position: usize,
    },
    /// The case code's check symbol does not match.
    CodeTypo,
    /// A well-formed case code that opens no case.
    CodeUnknown,
    /// Wrong username or password.
    LoginFailed,
    /// The password was right; a second factor (`totp` or `recovery_code`) is needed.
    SecondFactorRequired,
    /// The password was right; the account must set up two-factor login on the pages first.
    SecondFactorEnrolmentRequired,
    /// The second factor was wrong or used already.
    SecondFactorFailed,
    /// An attachment is over the limit.
    AttachmentTooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// More attachments than a case may have.
    TooManyAttachments {
        /// The limit per case.
        limit: u64,
    },
    /// An upload without any file.
    AttachmentRequired,
    /// A multipart submission without its `report` part.
    ReportRequired,
    /// A browser-encrypted report without its `envelope` part.
    EnvelopeRequired,
    /// A browser-encrypted report made for a routing that has changed.
    RoutingChanged,
    /// A case sealed wrongly by a reporter's browser: it does not open.
    CaseUnreadable,
    /// A part of a browser-encrypted report is not an age file of the
    /// expected shape or size.
    InvalidCiphertext {
        /// The part.
        part: &'static str,
    },
    /// The multipart body could not be read.
    MalformedMultipart,
    /// A text part is not UTF-8.
    InvalidUtf8,
    /// The path exists, the method does not.
    MethodNotAllowed,
    /// An escalation decision with a missing or unknown part.
    InvalidDecision,
    /// An escalation decision's `decided_at` before its `aware_at`.
    DecidedBeforeAware,
    /// An escalation decision's `decided_at` in the future.
    DecidedInFuture,
    /// A breach decision with a missing or unknown part.
    InvalidBreachDecision,
    /// The decision does not exist, is confirmed, or is the caller's own.
    CannotConfirm,
    /// A § 196 case without a police or PST decision.
    NeedsPoliceDecision,
    /// The case is already closed.
    AlreadyClosed,
    /// The case is not closed.
    NotClosed,
    /// Not one of the outcomes.
    InvalidOutcome,
    /// A register filter with an unknown value.
    InvalidFilter,
    /// The feedback deadline was extended before; once only.
    FeedbackAlreadyExtended,
    /// The original feedback deadline has been reached.
    FeedbackDeadlinePassed {
        /// That deadline, RFC 3339.
        due: String,
    },
    /// Feedback has already been given.
    FeedbackAlreadyGiven,
    /// The case is closed.
    CaseClosed,
    /// The proof of work is invalid, expired, insufficient or used before.
    PowRefused,
    /// The storage quota is reached.
    StorageFull,
    /// The hourly budget of anonymous uploads is spent.
    UploadBudgetSpent,
    /// A step of the reporter-identity procedure is not possible now.
    Identity(crate::core::identity::IdentityRefusal),
    /// An attachment is empty (0 bytes).
    EmptyAttachment,
    /// A report with this `Idempotency-Key` was filed before; nothing new
    /// was stored.
    AlreadyReceived,
    /// An `Idempotency-Key` that is not 16 to 128 visible ASCII characters.
    InvalidIdempotencyKey,
    /// A rule of the account lifecycle refused the change.
    Account(crate::core::accounts::AccountRefusal),
    /// A password change broke a rule (wrong current password, too short).
    Password(crate::core::passwords::PasswordRefusal),
    /// An export recipient is not an age X25519 public key (`age1…`).
    InvalidRecipient,
}

const CATEGORIES: &str = "varsling, avvik, sikkerhet";
const SEVERITIES: &str = "lav, middels, hoy, kritisk";
const STATUSES: &str = "received, acknowledged, under_investigation, feedback_given, closed";
/// The inbox orders `?sort=` accepts.
pub const SORTS: &str = "deadline, received";

impl Problem {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Problem::Kind(kind) => kind.status(),
            Problem::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Problem::BodyTooLarge { .. } | Problem::AttachmentTooLarge { .. } => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            Problem::NoEligibleHandler | Problem::NoOneLeft => StatusCode::UNPROCESSABLE_ENTITY,
            Problem::RoutingChanged | Problem::CaseUnreadable => StatusCode::CONFLICT,
            Problem::InvalidCiphertext { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Problem::CodeUnknown
            | Problem::LoginFailed
            | Problem::SecondFactorRequired
            | Problem::SecondFactorEnrolmentRequired
            | Problem::SecondFactorFailed => StatusCode::UNAUTHORIZED,
            Problem::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Problem::PowRefused | Problem::InvalidRecipient => StatusCode::BAD_REQUEST,
            Problem::StorageFull => StatusCode::INSUFFICIENT_STORAGE,
            Problem::UploadBudgetSpent => StatusCode::TOO_MANY_REQUESTS,
            Problem::Identity(IdentityRefusal::NoCustodian) => StatusCode::UNPROCESSABLE_ENTITY,
            Problem::Identity(_) => StatusCode::CONFLICT,
            Problem::EmptyAttachment | Problem::InvalidIdempotencyKey => StatusCode::BAD_REQUEST,
            Problem::AlreadyReceived => StatusCode::CONFLICT,
            Problem::Account(_) => StatusCode::CONFLICT,
            Problem::Password(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Problem::CannotConfirm
            | Problem::NeedsPoliceDecision
            | Problem::AlreadyClosed
            | Problem::NotClosed => StatusCode::CONFLICT,
            Problem::InvalidDecision
            | Problem::DecidedBeforeAware
            | Problem::DecidedInFuture
            | Problem::InvalidBreachDecision
            | Problem::InvalidOutcome
            | Problem::InvalidFilter => StatusCode::BAD_REQUEST,
            Problem::FeedbackAlreadyExtended
            | Problem::FeedbackDeadlinePassed { .. }
            | Problem::FeedbackAlreadyGiven
            | Problem::CaseClosed => StatusCode::CONFLICT,
            Problem::InvalidJson { .. }
            | Problem::TextRequired { .. }
            | Problem::TextTooLong { .. }
            | Problem::UnknownCategory
            | Problem::UnknownSubtype
            | Problem::UnknownSeverity
            | Problem::UnknownStatus
            | Problem::UnknownSort
            | Problem::UnknownInboxFilter { .. }
            | Problem::InvalidCursor
            | Problem::InvalidLimit { .. }
            | Problem::UseClose
            | Problem::UnknownHandler
            | Problem::InvalidClassification
            | Problem::CodeLength { .. }
            | Problem::CodeCharacter { .. }
            | Problem::CodeTypo
            | Problem::TooManyAttachments { .. }
            | Problem::AttachmentRequired
            | Problem::ReportRequired
            | Problem::EnvelopeRequired
            | Problem::MalformedMultipart
            | Problem::InvalidUtf8 => StatusCode::BAD_REQUEST,
        }
    }

    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Problem::Kind(kind) => kind.code(),
            Problem::InvalidJson { .. } => "invalid_json",
            Problem::UnsupportedMediaType { .. } => "unsupported_media_type",
            Problem::BodyTooLarge { .. } => "body_too_large",
            Problem::TextRequired { .. } => "text_required",
            Problem::TextTooLong { .. } => "text_too_long",
            Problem::UnknownCategory => "unknown_category",
            Problem::UnknownSubtype => "unknown_subtype",
            Problem::UnknownSeverity => "unknown_severity",
            Problem::UnknownStatus => "unknown_status",
            Problem::UnknownSort => "unknown_sort",
            Problem::UnknownInboxFilter { .. } => "unknown_inbox_filter",
            Problem::InvalidCursor => "invalid_cursor",
            Problem::InvalidLimit { .. } => "invalid_limit",
            Problem::UseClose => "use_close",
            Problem::UnknownHandler => "unknown_handler",
            Problem::NoEligibleHandler => "no_eligible_handler",
            Problem::InvalidClassification => "invalid_classification",
            Problem::NoOneLeft => "no_one_left",
            Problem::CodeLength { .. } => "code_length",
            Problem::CodeCharacter { .. } => "code_character",
            Problem::CodeTypo => "code_typo",
            Problem::CodeUnknown => "code_unknown",
            Problem::LoginFailed => "login_failed",
            Problem::SecondFactorRequired => "second_factor_required",
            Problem::SecondFactorEnrolmentRequired => "second_factor_enrolment_required",
            Problem::SecondFactorFailed => "second_factor_failed",
            Problem::AttachmentTooLarge { .. } => "attachment_too_large",
            Problem::TooManyAttachments { .. } => "too_many_attachments",
            Problem::AttachmentRequired => "attachment_required",
            Problem::ReportRequired => "report_required",
            Problem::EnvelopeRequired => "envelope_required",
            Problem::RoutingChanged => "routing_changed",
            Problem::CaseUnreadable => "case_unreadable",
            Problem::InvalidCiphertext { .. } => "invalid_ciphertext",
            Problem::MalformedMultipart => "malformed_multipart",
            Problem::InvalidUtf8 => "invalid_utf8",
            Problem::MethodNotAllowed => "method_not_allowed",
            Problem::InvalidDecision => "invalid_decision",
            Problem::DecidedBeforeAware => "decided_before_aware",
            Problem::DecidedInFuture => "decided_in_future",
            Problem::InvalidBreachDecision => "invalid_breach_decision",
            Problem::CannotConfirm => "cannot_confirm",
            Problem::NeedsPoliceDecision => "needs_police_decision",
            Problem::AlreadyClosed => "already_closed",
            Problem::NotClosed => "not_closed",
            Problem::InvalidOutcome => "invalid_outcome",
            Problem::InvalidFilter => "invalid_filter",
            Problem::FeedbackAlreadyExtended => "feedback_already_extended",
            Problem::FeedbackDeadlinePassed { .. } => "feedback_deadline_passed",
            Problem::FeedbackAlreadyGiven => "feedback_already_given",
            Problem::CaseClosed => "case_closed",
            Problem::PowRefused => "pow_refused",
            Problem::StorageFull => "storage_full",
            Problem::UploadBudgetSpent => "upload_budget_spent",
            Problem::Identity(r) => r.code(),
            Problem::EmptyAttachment => "empty_attachment",
            Problem::AlreadyReceived => "already_received",
            Problem::InvalidIdempotencyKey => "invalid_idempotency_key",
            Problem::Account(r) => r.code(),
            Problem::Password(r) => r.code(),
            Problem::InvalidRecipient => "invalid_recipient",
        }
    }

    /// The message in `lang`.
    fn message(&self, t: Translator, incident: Option<&str>) -> String {
        let key = format!("api.error.{}", self.code());
        match self {
            Problem::Kind(ErrorKind::Internal) => t.f(&key, &[("id", incident.unwrap_or("-"))]),
            Problem::InvalidJson { line, column } => t.f(
                &key,
                &[("line", &line.to_string()), ("column", &column.to_string())],
            ),
            Problem::UnsupportedMediaType { expected } => t.f(&key, &[("expected", expected)]),
            Problem::BodyTooLarge { limit }
            | Problem::AttachmentTooLarge { limit }
            | Problem::TooManyAttachments { limit } => t.f(&key, &[("max", &limit.to_string())]),
            Problem::TextRequired { field } => t.f(&key, &[("field", field)]),
            Problem::TextTooLong { field, limit } => {
                t.f(&key, &[("field", field), ("max", &limit.to_string())])
            }
            Problem::UnknownCategory => t.f(&key, &[("allowed", CATEGORIES)]),
            Problem::UnknownSeverity => t.f(&key, &[("allowed", SEVERITIES)]),
            Problem::UnknownStatus => t.f(&key, &[("allowed", STATUSES)]),
            Problem::UnknownSort => t.f(&key, &[("allowed", SORTS)]),
            Problem::UnknownInboxFilter { param } => t.f(&key, &[("param", param)]),
            Problem::InvalidLimit { max } => t.f(&key, &[("max", &max.to_string())]),
            Problem::CodeLength { expected, found } => t.f(
                &key,
                &[
                    ("expected", &expected.to_string()),
                    ("found", &found.to_string()),
                ],
            ),
            Problem::CodeCharacter { position } => {
                t.f(&key, &[("position", &position.to_string())])
            }
            Problem::FeedbackDeadlinePassed { due } => t.f(&key, &[("due", due.as_str())]),
            Problem::InvalidCiphertext { part } => t.f(&key, &[("part", part)]),
            Problem::Account(r) => {
                let params = r.params();
                let params: Vec<(&str, &str)> =
                    params.iter().map(|(k, v)| (*k, v.as_str())).collect();
                t.f(&key, &params)
            }
            Problem::Password(r) => {
                let params = r.params();
                let params: Vec<(&str, &str)> =
                    params.iter().map(|(k, v)| (*k, v.as_str())).collect();
                t.f(&key, &params)
            }
            _ => t.t(&key),
        }
    }

    fn field(&self) -> Option<&'static str> {
        match self {
            Problem::TextRequired { field } | Problem::TextTooLong { field, .. } => Some(field),
            Problem::DecidedBeforeAware | Problem::DecidedInFuture => Some("decided_at"),
            Problem::InvalidRecipient => Some(crate::core::export::RECIPIENTS_FIELD),
            Problem::InvalidCiphertext { part } => Some(part),
            _ => None,
        }
    }

    fn limit(&self) -> Option<u64> {
        match self {
            Problem::BodyTooLarge { limit }
            | Problem::TextTooLong { limit, .. }
            | Problem::AttachmentTooLarge { limit }
            | Problem::TooManyAttachments { limit } => Some(*limit),
            _ => None,
        }
    }
}

/// An API error, rendered as JSON in the caller's language.
#[derive(Debug)]
pub struct ApiError {
    /// What went wrong.
    pub problem: Problem,
    /// The caller's language.
    pub lang: Lang,
    /// Incident id of an internal error.
    pub incident: Option<String>,
}

impl ApiError {
    /// An error for a caller reading `lang`.
    pub fn new(lang: Lang, problem: Problem) -> Self {
        ApiError {
            problem,
            lang,
            incident: None,
        }
    }

    /// One of the service-wide kinds.
    pub fn kind(lang: Lang, kind: ErrorKind) -> Self {
        Self::new(lang, Problem::Kind(kind))
    }

    /// An internal error: logs `err` under a new incident id.
    pub fn internal(lang: Lang, err: &anyhow::Error) -> Self {
        let incident = incident_id();
        tracing::error!(incident = %incident, error = %format!("{err:#}"), "internal error");
        ApiError {
            problem: Problem::Kind(ErrorKind::Internal),
            lang,
            incident: Some(incident),
        }
    }

    /// A core operation's failure: the one place core errors become JSON.
    pub fn core(lang: Lang, err: CoreError) -> Self {
        let problem = match err {
            CoreError::NotFound => Problem::Kind(ErrorKind::NotFound),
            CoreError::Forbidden => Problem::Kind(ErrorKind::Forbidden),
            CoreError::Conflict => Problem::Kind(ErrorKind::Conflict),
            CoreError::Internal(e) => return Self::internal(lang, &e),
            CoreError::Unavailable => Problem::Kind(ErrorKind::Unavailable),
            CoreError::Invalid(fields) => match fields.first() {
                Some(FieldError {
                    field,
                    problem: FieldProblem::Required,
                }) => Problem::TextRequired { field },
                Some(FieldError {
                    field,
                    problem: FieldProblem::TooLong { max },
                }) => Problem::TextTooLong {
                    field,
                    limit: *max as u64,
                },
                Some(FieldError {
                    field: "decided_at",
                    problem: FieldProblem::BeforeEarliest { .. },
                }) => Problem::DecidedBeforeAware,
                _ => Problem::Kind(ErrorKind::BadRequest),
            },
            CoreError::Refused(refusal) => match refusal {
                Refusal::NoEligibleHandler => Problem::NoEligibleHandler,
                Refusal::UnknownHandler => Problem::UnknownHandler,
                Refusal::TooManyAttachments { max } => {
                    Problem::TooManyAttachments { limit: max as u64 }
                }
                Refusal::LoginFailed => Problem::LoginFailed,
                Refusal::RoutingChanged => Problem::RoutingChanged,
                Refusal::CaseUnreadable => Problem::CaseUnreadable,
                Refusal::InvalidCiphertext { part } => Problem::InvalidCiphertext { part },
                Refusal::SecondFactorRequired => Problem::SecondFactorRequired,
                Refusal::SecondFactorEnrolmentRequired => Problem::SecondFactorEnrolmentRequired,
                Refusal::SecondFactorFailed => Problem::SecondFactorFailed,
                Refusal::UseClose => Problem::UseClose,
                Refusal::CannotConfirm => Problem::CannotConfirm,
                Refusal::NeedsPoliceDecision => Problem::NeedsPoliceDecision,
                Refusal::AlreadyClosed => Problem::AlreadyClosed,
                Refusal::NotClosed => Problem::NotClosed,
                Refusal::Identity(r) => Problem::Identity(r),
                Refusal::Account(r) => Problem::Account(r),
                Refusal::Password(r) => Problem::Password(r),
                Refusal::Extension(e) => match e {
                    ExtensionError::Reason(err) => return Self::text(lang, "reason", err),
                    ExtensionError::Closed => Problem::CaseClosed,
                    ExtensionError::FeedbackGiven => Problem::FeedbackAlreadyGiven,
                    ExtensionError::TooLate { due } => Problem::FeedbackDeadlinePassed {
                        due: super::iso_instant(due.unix_timestamp()),
                    },
                    ExtensionError::AlreadyExtended => Problem::FeedbackAlreadyExtended,
                },
            },
        };
        Self::new(lang, problem)
    }

    /// A rejected text field.
    pub fn text(lang: Lang, field: &'static str, err: TextFieldError) -> Self {
        let problem = match err {
            TextFieldError::Empty => Problem::TextRequired { field },
            TextFieldError::TooLong { max } => Problem::TextTooLong {
                field,
                limit: max as u64,
            },
        };
        Self::new(lang, problem)
    }

    /// A rejected case code (never echoes the code).
    pub fn code(lang: Lang, err: CaseCodeError) -> Self {
        let problem = match err {
            CaseCodeError::Length { expected, found } => Problem::CodeLength { expected, found },
            CaseCodeError::InvalidCharacter { position } => Problem::CodeCharacter { position },
            _ => Problem::CodeTypo,
        };
        Self::new(lang, problem)
    }

    /// A reporter's request the rate limits did not admit.
    pub fn limited(lang: Lang, refusal: Limited) -> Self {
        match refusal {
            Limited::Pow(_) => Self::new(lang, Problem::PowRefused),
            Limited::TooMany => Self::kind(lang, ErrorKind::TooManyRequests),
            Limited::Store(e) => Self::core(lang, e.into()),
        }
    }

    /// A rejected multipart form.
    pub fn form(lang: Lang, err: FormError, limits: &crate::core::settings::LimitSettings) -> Self {
        let problem = match err {
            FormError::AttachmentTooLarge => Problem::AttachmentTooLarge {
                limit: limits.max_attachment_bytes,
            },
            FormError::TooManyAttachments => Problem::TooManyAttachments {
                limit: limits.max_attachments_per_case as u64,
            },
            FormError::TooLarge => Problem::BodyTooLarge {
                limit: limits.max_body_bytes as u64,
            },
            FormError::InvalidUtf8 => Problem::InvalidUtf8,
            FormError::Malformed | FormError::Csrf => Problem::MalformedMultipart,
            FormError::StorageFull => Problem::StorageFull,
            FormError::UploadBudget => Problem::UploadBudgetSpent,
            FormError::EmptyAttachment => Problem::EmptyAttachment,
            FormError::Internal(e) => return Self::internal(lang, &e),
        };
        Self::new(lang, problem)
    }

    /// A JSON body the extractor refused (`limit`: the body limit in bytes).
    pub fn json(lang: Lang, err: &JsonPayloadError, limit: usize) -> Self {
        let problem = match err {
            JsonPayloadError::OverflowKnownLength { limit, .. }
            | JsonPayloadError::Overflow { limit } => Problem::BodyTooLarge {
                limit: *limit as u64,
            },
            JsonPayloadError::ContentType => Problem::UnsupportedMediaType {
                expected: "application/json",
            },
            JsonPayloadError::Deserialize(e) => Problem::InvalidJson {
                line: e.line(),
                column: e.column(),
            },
            JsonPayloadError::Payload(actix_web::error::PayloadError::Overflow) => {
                Problem::BodyTooLarge {
                    limit: limit as u64,
                }
            }
            _ => Problem::InvalidJson { line: 0, column: 0 },
        };
        Self::new(lang, problem)
    }

    /// The JSON body of the response.
    pub fn body(&self) -> ErrorBody {
        let t = Translator::new(self.lang);
        ErrorBody {
            error: ErrorDetail {
                code: self.problem.code(),
                message: self.problem.message(t, self.incident.as_deref()),
                field: self.problem.field(),
                limit: self.problem.limit(),
                incident: self.incident.clone(),
            },
        }
    }
}

/// Every error response: `{"error": {...}}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// The error itself.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code (see docs/api.md, "Errors").
    #[schema(example = "text_too_long")]
    pub code: &'static str,
    /// For people, in the caller's language; never repeats what was sent.
    pub message: String,
    /// The offending JSON field, where there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
    /// The limit that was exceeded (characters, bytes or a count).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0)]
    pub limit: Option<u64>,
    /// Incident id of an internal error, to quote to the operator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incident: Option<String>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.problem.code())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.problem.status()
    }

    fn error_response(&self) -> HttpResponse {
        let mut builder = HttpResponse::build(self.status_code());
        match self.status_code() {
            StatusCode::TOO_MANY_REQUESTS => {
                builder.insert_header(("Retry-After", "60"));
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                builder.insert_header((
                    "Retry-After",
                    crate::web::http::errors::UNAVAILABLE_RETRY_AFTER,
                ));
            }
            StatusCode::UNAUTHORIZED => {
                builder.insert_header(("WWW-Authenticate", "Bearer realm=\"varsel\""));
            }
            _ => {}
        }
        builder.json(self.body())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::accounts::AccountRefusal;

    #[test]
    fn every_problem_has_a_message_in_both_languages() {
        let problems = [
            Problem::Kind(ErrorKind::NotFound),
            Problem::Kind(ErrorKind::BadRequest),
            Problem::Kind(ErrorKind::Unauthorized),
            Problem::Kind(ErrorKind::Forbidden),
            Problem::Kind(ErrorKind::TooManyRequests),
            Problem::Kind(ErrorKind::PayloadTooLarge),
            Problem::Kind(ErrorKind::Internal),
            Problem::Kind(ErrorKind::Unavailable),
            Problem::InvalidJson { line: 1, column: 2 },
            Problem::UnsupportedMediaType {
                expected: "application/json",
            },
            Problem::BodyTooLarge { limit: 10 },
            Problem::TextRequired {
                field: "description",
            },
            Problem::TextTooLong {
                field: "description",
                limit: 10,
            },
            Problem::UnknownCategory,
            Problem::UnknownSubtype,
            Problem::UnknownSeverity,
            Problem::UnknownStatus,
            Problem::UnknownSort,
            Problem::UnknownInboxFilter { param: "status" },
            Problem::InvalidCursor,
            Problem::InvalidLimit { max: 200 },
            Problem::UnknownHandler,
            Problem::NoEligibleHandler,
            Problem::InvalidClassification,
            Problem::NoOneLeft,
            Problem::CodeLength {
                expected: 24,
                found: 23,
            },
            Problem::CodeCharacter { position: 3 },
            Problem::CodeTypo,
            Problem::CodeUnknown,
            Problem::LoginFailed,
            Problem::SecondFactorRequired,
            Problem::SecondFactorEnrolmentRequired,
            Problem::SecondFactorFailed,
            Problem::AttachmentTooLarge { limit: 10 },
            Problem::TooManyAttachments { limit: 10 },
            Problem::AttachmentRequired,
            Problem::ReportRequired,
            Problem::EnvelopeRequired,
            Problem::RoutingChanged,
            Problem::CaseUnreadable,
            Problem::InvalidCiphertext { part: "report" },
            Problem::MalformedMultipart,
            Problem::InvalidUtf8,
            Problem::MethodNotAllowed,
            Problem::InvalidDecision,
            Problem::DecidedBeforeAware,
            Problem::DecidedInFuture,
            Problem::InvalidBreachDecision,
            Problem::CannotConfirm,
            Problem::NeedsPoliceDecision,
            Problem::AlreadyClosed,
            Problem::NotClosed,
            Problem::InvalidOutcome,
            Problem::InvalidFilter,
            Problem::FeedbackAlreadyExtended,
            Problem::FeedbackDeadlinePassed {
                due: "2026-06-01T00:00:00Z".to_owned(),
            },
            Problem::FeedbackAlreadyGiven,
            Problem::CaseClosed,
            Problem::EmptyAttachment,
            Problem::AlreadyReceived,
            Problem::InvalidIdempotencyKey,
            Problem::Account(AccountRefusal::LastKeyHolder {
                cases: vec![uuid::Uuid::nil()],
            }),
            Problem::Account(AccountRefusal::LastCustodian {
                cases: vec![uuid::Uuid::nil()],
            }),
            Problem::Account(AccountRefusal::Inactive),
            Problem::Account(AccountRefusal::Active),
            Problem::Account(AccountRefusal::OwnAccount),
            Problem::Account(AccountRefusal::NotCaseWorker),
            Problem::Account(AccountRefusal::RuleReachesNoOne),
        ];
        for lang in [Lang::Nb, Lang::En] {
            for p in &problems {
                let message = p.message(Translator::new(lang), Some("ABC"));
                assert!(!message.starts_with("api."), "no message for {}", p.code());
                assert!(!message.contains('{'), "unfilled placeholder: {message}");
            }
        }
        let en = Problem::TextTooLong {
            field: "description",
            limit: 50_000,
        }
        .message(Translator::new(Lang::En), None);
        assert!(en.contains("50000") && en.contains("description"), "{en}");
    }

    #[test]
    fn internal_errors_carry_an_incident_id_and_nothing_else() {
        let err = ApiError::internal(Lang::En, &anyhow::anyhow!("database password is hunter2"));
        let body = serde_json::to_string(&err.body()).unwrap_or_default();
        assert!(!body.contains("hunter2"));
        let incident = err.incident.clone().unwrap_or_default();
        assert!(!incident.is_empty() && body.contains(&incident));
        assert_eq!(err.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
