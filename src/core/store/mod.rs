//! Persistence behind one trait, with a SQLite and a PostgreSQL implementation
//! chosen at run time from the database URL (`sqlite://…` or `postgres://…`).
//!
//! The store never sees plaintext case content: report bodies, messages,
//! attachment names and key wraps arrive as age files and are kept as bytes.
//!
//! Every query is written once, with `$N` placeholders, and runs on both
//! backends; [`dialect`] holds the few things that truly differ and expands
//! each module's implementation for both store types.

mod base;
mod deadlines;
mod dialect;
mod escalation;
mod groups;
mod notifications;
mod routing;
mod rows;
mod statistics;

use std::sync::Arc;

use async_trait::async_trait;
use uuid::Uuid;

pub use crate::core::audit::AuditEntry;
use crate::core::domain::{CaseStatus, Category, Role, Severity, SubtypeKey};

pub use self::deadlines::{DeadlineStore, StoredDeadlineFacts, StoredFeedbackExtension};
pub use self::dialect::{PostgresStore, SqliteStore};
pub use self::escalation::{Closure, EscalationRecord, EscalationStore, RegisterEntry};
pub use self::groups::{Group, GroupStore, StoredRule};
pub use self::notifications::{
    CaseToRemind, DeadlineNotice, DeliveryState, DueNotification, NewNotification,
    NotificationCounts, NotificationKind, NotificationStore, OutboxEntry,
};
pub use self::routing::{Retriage, RoutingStore, TriageFacts};
pub use self::statistics::StatisticsStore;

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
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
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

/// A new case with its key wraps and the handlers the reporter excluded,
/// stored in one transaction.
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
    /// Excluded handlers (conflict of interest).
    pub excluded: Vec<Uuid>,
    /// Attachments submitted with the report (their files already committed).
    pub attachments: Vec<Attachment>,
}

/// An inbox line: a case routed to the user.
#[derive(Debug, Clone)]
pub struct InboxEntry {
    /// The case.
    pub case: Case,
    /// True if the reporter acted since the user last opened the case.
    pub unread: bool,
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

/// The storage interface. Every method is one transaction.
#[async_trait]
pub trait Store:
    DeadlineStore
    + EscalationStore
    + GroupStore
    + NotificationStore
    + RoutingStore
    + StatisticsStore
    + Send
    + Sync
{
    /// Applies pending migrations.
    async fn migrate(&self) -> StoreResult<()>;

    /// Creates a user with their groups; `Conflict` if the username is taken.
    async fn create_user(&self, user: &User) -> StoreResult<()>;
    /// Finds a user by login name.
    async fn user_by_username(&self, username: &str) -> StoreResult<Option<User>>;
    /// Finds a user by id.
    async fn user_by_id(&self, id: Uuid) -> StoreResult<Option<User>>;
    /// All users, ordered by username.
    async fn list_users(&self) -> StoreResult<Vec<User>>;
    /// Number of users.
    async fn count_users(&self) -> StoreResult<i64>;

    /// A setting's value.
    async fn setting(&self, key: &str) -> StoreResult<Option<String>>;
    /// Sets a setting.
    async fn set_setting(&self, key: &str, value: &str) -> StoreResult<()>;

    /// Stores a new case, its wraps and exclusions atomically; `Conflict` on a
    /// lookup-tag collision.
    async fn create_case(&self, case: &NewCase) -> StoreResult<()>;
    /// Finds a case by the lookup tag derived from its code.
    async fn case_by_tag(&self, tag: &[u8; 32]) -> StoreResult<Option<Case>>;
    /// Finds a case by id.
    async fn case_by_id(&self, id: Uuid) -> StoreResult<Option<Case>>;
    /// The wrap of a case's identity for `holder`, if there is one.
    async fn key_wrap(&self, case_id: Uuid, holder: &Holder) -> StoreResult<Option<Vec<u8>>>;
    /// Every holder of a wrap of the case's identity.
    async fn key_holders(&self, case_id: Uuid) -> StoreResult<Vec<Holder>>;
    /// The handlers the reporter excluded from the case.
    async fn exclusions(&self, case_id: Uuid) -> StoreResult<Vec<Uuid>>;
    /// The cases whose identity is wrapped to `user_id`, newest first.
    async fn inbox(&self, user_id: Uuid) -> StoreResult<Vec<InboxEntry>>;
    /// Sets a case's status; `NotFound` if there is no such case.
    ///
    /// `feedback_given_at` is given when the caller has decided that this
    /// change gives the reporter feedback; the store records it unless a
    /// feedback time is recorded already (the first one stands, as for the
    /// acknowledgement), and `None` leaves the recorded time as it is.
    async fn set_status(
        &self,
        case_id: Uuid,
        status: CaseStatus,
        at: i64,
        feedback_given_at: Option<i64>,
    ) -> StoreResult<()>;
    /// Records the acknowledgement (first one only) and sets the status;
    /// `feedback_given_at` as for [`Store::set_status`].
    async fn acknowledge(
        &self,
        case_id: Uuid,
        status: CaseStatus,
        at: i64,
        feedback_given_at: Option<i64>,
    ) -> StoreResult<()>;
    /// Records that `user_id` has seen the case as it is now.
    async fn mark_read(&self, case_id: Uuid, user_id: Uuid) -> StoreResult<()>;

    /// Appends a message, assigning its `seq` (the given one is ignored) and
    /// returning it; a reporter message raises the case's `reporter_seq`.
    async fn add_message(&self, message: &Message) -> StoreResult<i64> {
        self.add_thread_entry(
            message.case_id,
            message.author,
            message.created_at,
            Some(message),
            &[],
            usize::MAX,
        )
        .await?
        .ok_or(StoreError::NotFound)
    }
    /// Adds a message and/or attachments to a case's thread in one
    /// transaction: all or nothing. Refuses with `LimitReached` if the case
    /// would then hold more than `max_attachments` attachments. Raises the
    /// case's `reporter_seq` once for a reporter entry. Returns the message's
    /// `seq`, if there is a message.
    async fn add_thread_entry(
        &self,
        case_id: Uuid,
        author: Author,
        at: i64,
        message: Option<&Message>,
        attachments: &[Attachment],
        max_attachments: usize,
    ) -> StoreResult<Option<i64>>;
    /// A case's messages in thread order.
    async fn messages(&self, case_id: Uuid) -> StoreResult<Vec<Message>>;

    /// Records an attachment whose content is already on disk; a reporter
    /// upload raises the case's `reporter_seq`.
    async fn add_attachment(&self, attachment: &Attachment) -> StoreResult<()> {
        self.add_thread_entry(
            attachment.case_id,
            attachment.author,
            attachment.created_at,
            None,
            std::slice::from_ref(attachment),
            usize::MAX,
        )
        .await
        .map(|_| ())
    }
    /// A case's attachments, oldest first.
    async fn attachments(&self, case_id: Uuid) -> StoreResult<Vec<Attachment>>;
    /// One attachment.
    async fn attachment(&self, id: Uuid) -> StoreResult<Option<Attachment>>;

    /// Appends an entry to the audit log, chained to the last one by
    /// [`AuditEntry::next`]; writers are serialised so the chain never forks.
    /// Returns the new entry's `seq`.
    async fn append_audit(
        &self,
        at: i64,
        actor: &str,
        action: &str,
        case_id: Option<Uuid>,
        detail: &str,
    ) -> StoreResult<i64>;
    /// The whole audit log, ordered by `seq`.
    async fn audit_entries(&self) -> StoreResult<Vec<AuditEntry>>;
}

/// Opens the store the URL names, creating a SQLite file (and its directory) if needed.
pub async fn connect(url: &str) -> StoreResult<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PostgresStore::connect(url).await?))
    } else {
        Err(StoreError::UnsupportedUrl)
    }
}
