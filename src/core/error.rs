//! One error type for every core operation. The web layer maps it once to an
//! HTML page and once to a JSON problem; nothing else decides status codes.

use crate::core::domain::{ExtensionError, TextFieldError};
use crate::core::store::StoreError;

/// A rule of the service that refused an operation; the same rule gives the
/// same message on a page and the same code in the API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Every handler the case would reach was excluded by the reporter.
    #[error("no eligible handler")]
    NoEligibleHandler,
    /// An excluded handler id names no one who may be excluded.
    #[error("unknown handler")]
    UnknownHandler,
    /// The case already holds the most attachments allowed.
    #[error("too many attachments")]
    TooManyAttachments {
        /// The most a case may hold.
        max: usize,
    },
    /// A browser-encrypted report was made for a routing that has changed
    /// since (a member joined or left, a key was upgraded): its wraps do not
    /// match the routing now ([`crate::core::sealed`]).
    #[error("the routing changed")]
    RoutingChanged,
    /// A part of a browser-encrypted report is not an age file of the
    /// expected shape, or is larger than its limit allows.
    #[error("invalid ciphertext in {part}")]
    InvalidCiphertext {
        /// The part: `report`, `wraps`, `attachment_names`, `attachment`,
        /// `identity`, `case_recipient`, `routing_id` or `lookup_tag`.
        part: &'static str,
    },
    /// A case whose key, exclusions, report or attachment names do not
    /// open with a key that should open them: sealed wrongly by a
    /// reporter's browser (docs/e2e.md). Named rather than a server error.
    #[error("the case cannot be opened")]
    CaseUnreadable,
    /// Wrong username or password (never says which).
    #[error("login failed")]
    LoginFailed,
    /// The generic status change was asked to close a case or to change a
    /// closed one: closing and reopening have their own operations.
    #[error("use the close form")]
    UseClose,
    /// The decision does not exist, is already confirmed, or is the caller's own.
    #[error("cannot confirm")]
    CannotConfirm,
    /// A § 196 case without a police or PST decision cannot be closed.
    #[error("a police or PST decision is required")]
    NeedsPoliceDecision,
    /// The case is already closed.
    #[error("already closed")]
    AlreadyClosed,
    /// The case is not closed.
    #[error("not closed")]
    NotClosed,
    /// The feedback deadline may not be extended now.
    #[error(transparent)]
    Extension(ExtensionError),
    /// A step of the reporter-identity procedure is not possible now.
    #[error(transparent)]
    Identity(crate::core::domain::identity::IdentityRefusal),
    /// A rule of the account lifecycle (deactivation, roles, groups).
    #[error("account change refused: {}", .0.code())]
    Account(crate::core::domain::account::AccountRefusal),
    /// The password was right, but this account also needs a second factor
    /// (a TOTP code or a recovery code).
    #[error("a second factor is required")]
    SecondFactorRequired,
    /// The password was right, but this account must set up two-factor
    /// login first (on the login pages).
    #[error("two-factor enrolment is required")]
    SecondFactorEnrolmentRequired,
    /// The code (TOTP or recovery code) or the re-authentication was wrong.
    #[error("second factor refused")]
    SecondFactorFailed,
    /// A password change broke a rule (`core::passwords`).
    #[error(transparent)]
    Password(crate::core::domain::password::PasswordRefusal),
}

impl Refusal {
    /// A stable code naming the rule: the API's error code, and the key of
    /// its message in the translation files (`api.error.<code>`).
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::NoEligibleHandler => "no_eligible_handler",
            Refusal::UnknownHandler => "unknown_handler",
            Refusal::TooManyAttachments { .. } => "too_many_attachments",
            Refusal::RoutingChanged => "routing_changed",
            Refusal::InvalidCiphertext { .. } => "invalid_ciphertext",
            Refusal::CaseUnreadable => "case_unreadable",
            Refusal::LoginFailed => "login_failed",
            Refusal::UseClose => "use_close",
            Refusal::CannotConfirm => "cannot_confirm",
            Refusal::NeedsPoliceDecision => "needs_police_decision",
            Refusal::AlreadyClosed => "already_closed",
            Refusal::NotClosed => "not_closed",
            Refusal::Extension(ExtensionError::Closed) => "case_closed",
            Refusal::Extension(ExtensionError::FeedbackGiven) => "feedback_already_given",
            Refusal::Extension(ExtensionError::AlreadyExtended) => "feedback_already_extended",
            Refusal::Extension(ExtensionError::TooLate { .. }) => "feedback_deadline_passed",
            Refusal::Extension(ExtensionError::Reason(TextFieldError::TooLong { .. })) => {
                "text_too_long"
            }
            Refusal::Extension(ExtensionError::Reason(_)) => "text_required",
            Refusal::Identity(r) => r.code(),
            Refusal::Account(r) => r.code(),
            Refusal::SecondFactorRequired => "second_factor_required",
            Refusal::SecondFactorEnrolmentRequired => "second_factor_enrolment_required",
            Refusal::SecondFactorFailed => "second_factor_failed",
            Refusal::Password(r) => r.code(),
        }
    }

    /// The values its message names (`{max}`, `{due}`, `{field}`).
    pub fn params(&self) -> Vec<(&'static str, String)> {
        match self {
            Refusal::TooManyAttachments { max } => vec![("max", max.to_string())],
            Refusal::InvalidCiphertext { part } => vec![("part", (*part).to_owned())],
            Refusal::Extension(ExtensionError::TooLate { due }) => {
                vec![("due", due.date().to_string())]
            }
            Refusal::Extension(ExtensionError::Reason(TextFieldError::TooLong { max })) => {
                vec![("field", "reason".to_owned()), ("max", max.to_string())]
            }
            Refusal::Extension(ExtensionError::Reason(_)) => vec![("field", "reason".to_owned())],
            Refusal::Account(r) => r.params(),
            Refusal::Password(r) => r.params(),
            _ => Vec::new(),
        }
    }
}

/// Why a core operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// No such thing, or not the caller's: the two are never told apart.
    #[error("not found")]
    NotFound,
    /// The caller's roles do not allow it.
    #[error("forbidden")]
    Forbidden,
    /// A named rule refuses it; nothing was changed.
    #[error("refused: {0}")]
    Refused(Refusal),
    /// It clashes with what is stored (a taken name, a duplicate).
    #[error("conflict")]
    Conflict,
    /// The input is invalid; one error per field.
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// The database cannot be reached now; nothing was stored. Worth
    /// trying again shortly (the web layer answers 503 with `Retry-After`).
    #[error("service unavailable")]
    Unavailable,
    /// Something broke; the user sees an incident id, the log the cause.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// What is wrong with one input field: the field's name and a stable key
/// (`required`, `too_long`, `unknown` …) with its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field, as the form and the JSON body name it.
    pub field: &'static str,
    /// What is wrong.
    pub problem: FieldProblem,
}

/// What is wrong with a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldProblem {
    /// Empty, where a value is needed.
    Required,
    /// Longer than `max` characters.
    TooLong {
        /// The limit.
        max: usize,
    },
    /// Not one of the allowed values.
    Unknown,
    /// Not a valid value of its kind (a date, a number).
    Malformed,
    /// A moment before the moment in the field `earliest` of the same
    /// input (a decision before the organisation became aware).
    BeforeEarliest {
        /// The field it may not precede.
        earliest: &'static str,
    },
    /// A moment that has not happened yet, where only a past one makes sense.
    InFuture,
}

impl From<Refusal> for CoreError {
    fn from(refusal: Refusal) -> Self {
        CoreError::Refused(refusal)
    }
}

impl From<StoreError> for CoreError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => CoreError::NotFound,
            StoreError::Conflict => CoreError::Conflict,
            StoreError::Unavailable(e) => {
                tracing::warn!(error = %e, "database unavailable");
                CoreError::Unavailable
            }
            other => CoreError::Internal(anyhow::Error::new(other)),
        }
    }
}

/// Result of a core operation.
pub type CoreResult<T> = Result<T, CoreError>;
