//! Persistence behind one trait, with a SQLite and a PostgreSQL implementation
//! chosen at run time from the database URL (`sqlite://…` or `postgres://…`).
//!
//! The store never sees plaintext case content: report bodies, messages,
//! attachment names and key wraps arrive as age files and are kept as bytes.
//!
//! Every query is written once, with `$N` placeholders, and runs on both
//! backends; [`dialect`] holds the few things that truly differ and expands
//! each module's implementation for both store types.

mod accounts;
pub mod backup;
mod base;
mod batch;
mod cache;
mod deadlines;
mod dialect;
mod escalation;
mod exec;
mod groups;
mod identity;
mod inbox;
mod interface;
mod limits;
mod model;
mod notes;
mod notifications;
mod operations;
mod own_account;
mod protection;
mod receipts;
mod retention;
mod routing;
mod rows;
mod sessions;
mod sso;
mod statistics;
mod two_factor;
mod writer;

use std::sync::Arc;

pub use crate::core::audit::AuditEntry;

pub use self::accounts::{AccountStore, Deactivation, DeactivationRefused};
pub use self::cache::Snapshot;
pub use self::deadlines::DeadlineStore;
pub use self::dialect::{PostgresStore, SqliteStore};
pub use self::escalation::EscalationStore;
pub use self::groups::GroupStore;
pub use self::identity::{
    IdentityDecision, IdentityRequest, IdentityStore, RequestState, StoredIdentity,
};
pub use self::inbox::InboxStore;
pub use self::interface::Store;
pub use self::limits::LimitStore;
pub use self::model::deadlines::{StoredDeadlineFacts, StoredFeedbackExtension};
pub use self::model::escalation::{Closure, EscalationRecord, RegisterEntry};
pub use self::model::groups::{Group, StoredRule};
pub use self::model::inbox::{
    DeadlineBand, InboxCounts, InboxFilter, InboxKey, InboxLine, InboxPageQuery, InboxSort,
    NextDeadlineOf, PageSide, RetaliationFilter, NO_DEADLINE,
};
pub use self::model::notifications::{
    CaseToRemind, DeadlineNotice, DeliveryState, DueNotification, NewNotification,
    NotificationCounts, NotificationKind, OutboxEntry,
};
pub use self::model::protection::{Measure, MessageKind};
pub use self::model::retention::{ClosedCase, PurgedFigures, StoredLegalHold};
pub use self::model::routing::{Retriage, TriageFacts};
pub use self::model::sessions::{NewSession, SessionSubject, SessionUser, StoredSession};
pub use self::model::{
    Attachment, AuditRecord, Author, Case, Holder, KeyWrap, Message, NewCase, StoreError,
    StoreResult, User,
};
pub use self::notes::{Note, NoteStore};
pub use self::notifications::NotificationStore;
pub use self::operations::{OperationCounts, OperationsStore, PoolStats, Readiness};
pub use self::own_account::{KeyUpgrade, OwnAccountStore, RecoveredKey, UserSession};
pub use self::protection::ProtectionStore;
pub use self::receipts::ReceiptStore;
pub use self::retention::{RetentionStore, CASE_TABLES};
pub use self::routing::RoutingStore;
pub use self::sessions::SessionStore;
pub use self::sso::{OidcLink, PassphraseTry, SsoStore};
pub use self::statistics::StatisticsStore;
pub use self::two_factor::{PendingLogin, StoredTwoFactor, TwoFactorStore};

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
