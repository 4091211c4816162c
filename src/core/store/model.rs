//! The store's values: what its methods take and return, with the error
//! they fail with. Nothing here knows SQL or rows; each feature's records are
//! in a child module (`model::deadlines`, …).

pub(super) mod deadlines;
pub(super) mod escalation;
pub(super) mod groups;
pub(super) mod inbox;
pub(super) mod notifications;
pub(super) mod protection;
pub(super) mod retention;
pub(super) mod routing;
pub(super) mod sessions;

use uuid::Uuid;

use crate::core::domain::{CaseStatus, Category, DeadlineKind, Role, Severity, SubtypeKey};

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule was violated (for example a taken username).
    #[error("already exists")]
    Conflict,
    /// The row to change does not exist.
    #[error("not found")]
    NotFound,
    /// The case already has the most attachments allowed.
    #[error("limit reached")]
    LimitReached,
    /// The database URL names no supported backend.
    #[error("unsupported database URL (use sqlite://… or postgres://…)")]
    UnsupportedUrl,
    /// The database cannot be reached now (connection refused or lost, no
    /// free connection in time, the server shutting down): worth retrying
    /// shortly, unlike [`StoreError::Database`].
    #[error("database unavailable: {0}")]
    Unavailable(sqlx::Error),
    /// The database failed.
    #[error("database error: {0}")]
    Database(sqlx::Error),
    /// Applying migrations failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored value is not one this version knows (a key, a list of keys
    /// or an id): the row cannot become a store value.
    #[error("corrupt stored {column}: {value:?}")]
    Corrupt {
        /// The column (or what it holds).
        column: &'static str,
        /// The value as stored.
        value: String,
    },
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if is_unavailable(&e) {
            StoreError::Unavailable(e)
        } else {
            StoreError::Database(e)
        }
    }
}

/// True if `e` says the database cannot be reached now rather than that a
/// statement failed: no connection in time, a broken or refused connection,
/// or a PostgreSQL server refusing connections or shutting down (SQLSTATE
/// class 08, 57P01–57P03, 53300, and 55000 for a database not accepting
/// connections).
pub(crate) fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(d) => d.code().is_some_and(|code| {
            code.starts_with("08")
                || matches!(
                    code.as_ref(),
                    "57P01" | "57P02" | "57P03" | "53300" | "55000"
                )
        }),
        _ => false,
    }
}

/// An audit entry to append in the same transaction as the write it records
/// (see [`crate::core::audit_log::prepare`]); the store chains it.
#[derive(Debug, Clone)]
pub struct AuditRecord {
    /// UNIX seconds (the day only for reporter events).
    pub at: i64,
    /// Who, as stored.
    pub actor: String,
    /// What.
    pub action: &'static str,
    /// On which case.
    pub case_id: Option<Uuid>,
    /// The detail, as JSON text.
    pub detail: String,
}

/// Result of a store operation.
pub type StoreResult<T> = Result<T, StoreError>;

/// A staff account.
#[derive(Debug, Clone)]
pub struct User {
    /// Stable id.
    pub id: Uuid,
    /// Login name, unique.
    pub username: String,
    /// Name shown to colleagues and, for handlers, in the reporter's exclusion list.
    pub display_name: String,
    /// Roles.
    pub roles: Vec<Role>,
    /// The user's age recipient (`age1…`).
    pub recipient: String,
    /// The user's X25519 identity, age-encrypted under their password (scrypt).
    pub wrapped_identity: Vec<u8>,
    /// Where notifications go, if anywhere.
    pub email: Option<String>,
    /// Inactive accounts cannot log in and receive no new cases.
    pub active: bool,
    /// Group names.
    pub groups: Vec<String>,
    /// UNIX seconds.
    pub created_at: i64,
}

/// Who holds a wrap of a case identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    /// A staff member.
    User(Uuid),
    /// The reporter, through their case-code-derived key.
    Reporter,
    /// The organisation's recovery key.
    Recovery,
}

impl Holder {
    /// The stored form: `user:<uuid>`, `reporter` or `recovery`.
    pub fn as_db(&self) -> String {
        match self {
            Holder::User(id) => format!("user:{id}"),
            Holder::Reporter => "reporter".to_owned(),
            Holder::Recovery => "recovery".to_owned(),
        }
    }

    /// The user id, for user holders.
    pub fn user_id(&self) -> Option<Uuid> {
        match self {
            Holder::User(id) => Some(*id),
            _ => None,
        }
    }
}

/// The case identity wrapped (age-encrypted) to one holder.
#[derive(Debug, Clone)]
pub struct KeyWrap {
    /// Who can unwrap it.
    pub holder: Holder,
    /// The age file.
    pub wrapped: Vec<u8>,
}

/// A case as stored. `report` is an age file encrypted to `recipient`.
#[derive(Debug, Clone)]
pub struct Case {
    /// Stable id, never shown to the reporter.
    pub id: Uuid,
    /// The case's age recipient.
    pub recipient: String,
    /// Category.
    pub category: Category,
    /// Current severity.
    pub severity: Severity,
    /// The severity the reporter suggested.
    pub suggested_severity: Severity,
    /// Status.
    pub status: CaseStatus,
    /// UNIX seconds, truncated to the day.
    pub received_at: i64,
    /// UNIX seconds of the acknowledgement, if sent.
    pub acknowledged_at: Option<i64>,
    /// UNIX seconds; reporter activity is truncated to the day.
    pub updated_at: i64,
    /// Counter raised on every reporter action; drives the unread marker.
    pub reporter_seq: i64,
    /// The encrypted report.
    pub report: Vec<u8>,
}

/// A new case with its key wraps and the handlers the reporter excluded
/// (sealed to the case), stored in one transaction.
#[derive(Debug, Clone)]
pub struct NewCase {
    /// The case row.
    pub case: Case,
    /// The sub-type the reporter chose, if any.
    pub subtype: Option<SubtypeKey>,
    /// The 32-byte lookup tag derived from the case code.
    pub lookup_tag: [u8; 32],
    /// Wraps of the case identity.
    pub wraps: Vec<KeyWrap>,
    /// The excluded handlers (conflict of interest), sealed to the case key
    /// (`core::exclusions::seal`); `None` stores no row.
    pub sealed_exclusions: Option<Vec<u8>>,
    /// Attachments submitted with the report (their files already committed).
    pub attachments: Vec<Attachment>,
    /// Its nearest open deadline, by `crate::core::deadlines::stored_next`.
    pub next_deadline: Option<(i64, DeadlineKind)>,
    /// The fingerprint of the rules `next_deadline` was computed under;
    /// `None` leaves it to be computed at the next startup.
    pub deadline_rules: Option<String>,
    /// The keyed hash of the form's submission token, stored with the case
    /// so that the same form never files a second one (`Conflict`).
    pub submission: Option<[u8; 32]>,
}

/// Who wrote a message or attachment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Author {
    /// The reporter.
    Reporter,
    /// A staff member.
    Staff,
}

impl Author {
    /// The stored form.
    pub fn as_db(self) -> &'static str {
        match self {
            Author::Reporter => "reporter",
            Author::Staff => "staff",
        }
    }

    /// Parses the stored form.
    pub fn from_db(s: &str) -> Option<Self> {
        match s {
            "reporter" => Some(Author::Reporter),
            "staff" => Some(Author::Staff),
            _ => None,
        }
    }
}

/// A message in a case thread; `body` is an age file encrypted to the case.
#[derive(Debug, Clone)]
pub struct Message {
    /// Stable id.
    pub id: Uuid,
    /// The case.
    pub case_id: Uuid,
    /// Position in the thread, from 1, assigned by the store.
    pub seq: i64,
    /// Who wrote it.
    pub author: Author,
    /// The staff author, if any.
    pub author_user_id: Option<Uuid>,
    /// UNIX seconds (reporter messages: truncated to the day).
    pub created_at: i64,
    /// The encrypted body.
    pub body: Vec<u8>,
    /// What it is: a message, or a report of retaliation.
    pub kind: protection::MessageKind,
}

/// An attachment's metadata; the content is an age file in the data directory.
#[derive(Debug, Clone)]
pub struct Attachment {
    /// Stable id; also the name of the content file.
    pub id: Uuid,
    /// The case.
    pub case_id: Uuid,
    /// Who uploaded it.
    pub author: Author,
    /// The original file name, age-encrypted to the case.
    pub name: Vec<u8>,
    /// Size of the encrypted content in bytes.
    pub size: i64,
    /// UNIX seconds (reporter uploads: truncated to the day).
    pub created_at: i64,
}
