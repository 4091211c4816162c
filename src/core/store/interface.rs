//! The storage interface: [`Store`] and the feature traits it extends.

use async_trait::async_trait;
use uuid::Uuid;

use super::accounts::AccountStore;
use super::cache::Snapshot;
use super::deadlines::DeadlineStore;
use super::escalation::EscalationStore;
use super::groups::GroupStore;
use super::identity::IdentityStore;
use super::inbox::InboxStore;
use super::limits::LimitStore;
use super::model::notifications::NewNotification;
use super::model::{
    Attachment, AuditRecord, Author, Case, Holder, Message, NewCase, StoreError, StoreResult, User,
};
use super::notes::NoteStore;
use super::notifications::NotificationStore;
use super::operations::OperationsStore;
use super::own_account::OwnAccountStore;
use super::protection::ProtectionStore;
use super::receipts::ReceiptStore;
use super::retention::RetentionStore;
use super::routing::RoutingStore;
use super::sessions::SessionStore;
use super::sso::SsoStore;
use super::statistics::StatisticsStore;
use super::two_factor::TwoFactorStore;
use crate::core::audit::AuditEntry;
use crate::core::domain::CaseStatus;

/// The storage interface. Every method is one transaction.
#[async_trait]
pub trait Store:
    AccountStore
    + DeadlineStore
    + EscalationStore
    + GroupStore
    + IdentityStore
    + InboxStore
    + LimitStore
    + NoteStore
    + NotificationStore
    + OperationsStore
    + OwnAccountStore
    + ProtectionStore
    + ReceiptStore
    + RetentionStore
    + RoutingStore
    + SessionStore
    + StatisticsStore
    + SsoStore
    + TwoFactorStore
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
    /// All users, ordered by username (from the cache, see `store::cache`).
    async fn list_users(&self) -> StoreResult<Vec<User>>;
    /// All users, ordered by username, shared with the cache (no copy).
    async fn users_shared(&self) -> StoreResult<std::sync::Arc<Vec<User>>>;
    /// Users, stored routing rules and the setting `key`, from the cache
    /// under one version check (what a submission needs).
    async fn snapshot(&self, key: &str) -> StoreResult<Snapshot>;
    /// How long the cache is trusted before the version row is read again
    /// (zero: on every use).
    fn set_cache_check_interval(&self, interval: std::time::Duration);
    /// Number of users.
    async fn count_users(&self) -> StoreResult<i64>;

    /// A setting's value (from the cache, see `store::cache`).
    async fn setting(&self, key: &str) -> StoreResult<Option<String>>;
    /// Sets a setting.
    async fn set_setting(&self, key: &str, value: &str) -> StoreResult<()>;

    /// The setting `key`, first set to `candidate` if it has no value yet.
    /// Instances racing to initialise it all get the one value that won, so
    /// a shared secret (such as the CSRF key) is made once for every
    /// instance on the database.
    async fn setting_or_init(&self, key: &str, candidate: &str) -> StoreResult<String>;

    /// Stores a new case, its wraps and exclusions atomically; `Conflict` on a
    /// lookup-tag collision.
    async fn create_case(&self, case: &NewCase) -> StoreResult<()>;
    /// Stores a new case as [`Store::create_case`] does and appends its audit
    /// entry in the same transaction: both or neither are stored. Concurrent
    /// calls share a commit (group commit, see `store::batch`); each returns
    /// once the commit holding its case is done.
    /// The new-case notifications `notices` go into the same transaction.
    async fn submit_case(
        &self,
        case: &NewCase,
        audit: AuditRecord,
        notices: &[NewNotification],
    ) -> StoreResult<()>;
    /// Turns group commit on (the default) or off (each case commits alone;
    /// for measuring).
    fn set_group_commit(&self, enabled: bool);
    /// Those of `ids` that name a stored attachment.
    async fn existing_attachments(&self, ids: &[Uuid]) -> StoreResult<Vec<Uuid>>;
    /// Finds a case by the lookup tag derived from its code.
    async fn case_by_tag(&self, tag: &[u8; 32]) -> StoreResult<Option<Case>>;
    /// Finds a case by id.
    async fn case_by_id(&self, id: Uuid) -> StoreResult<Option<Case>>;
    /// The wrap of a case's identity for `holder`, if there is one.
    async fn key_wrap(&self, case_id: Uuid, holder: &Holder) -> StoreResult<Option<Vec<u8>>>;
    /// Every holder of a wrap of the case's identity.
    async fn key_holders(&self, case_id: Uuid) -> StoreResult<Vec<Holder>>;
    /// The handlers the reporter excluded from the case, sealed to the case
    /// key (`core::exclusions::open`); `None` for a case without the row.
    async fn sealed_exclusions(&self, case_id: Uuid) -> StoreResult<Option<Vec<u8>>>;
    /// Exclusions still stored in plaintext by an older version: (case,
    /// excluded user) pairs, ordered by case.
    async fn plaintext_exclusions(&self) -> StoreResult<Vec<(Uuid, Uuid)>>;
    /// Replaces a case's plaintext exclusions with `sealed`, in one
    /// transaction.
    async fn seal_plaintext_exclusions(&self, case_id: Uuid, sealed: &[u8]) -> StoreResult<()>;
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
    /// Queues a reporter's entry (the day only) to join the chain later
    /// ([`Store::append_queued_audit`]).
    async fn queue_audit(&self, record: &AuditRecord) -> StoreResult<()>;
    /// Appends every queued entry stamped before `before` to the chain, in
    /// a random order, and removes them from the queue, in one transaction.
    /// Returns how many.
    async fn append_queued_audit(&self, before: i64) -> StoreResult<usize>;
    /// The queued entries (`at`, actor, action, case), in no order.
    async fn queued_audit(&self) -> StoreResult<Vec<(i64, String, String, Option<String>)>>;
}
