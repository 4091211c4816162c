//! Row shapes and their conversions: the one place where what a query
//! returns becomes a store value. The feature modules hold SQL only.
//!
//! Both schemas are the same apart from the blob type, so a row decodes the
//! same way from either backend. Rows decode by column name, so a query's
//! columns are named (aliased where computed) after the row's fields.

mod deadlines;
mod escalation;
mod groups;
mod notifications;
mod routing;
mod statistics;

use std::collections::HashMap;

use uuid::Uuid;

pub(super) use self::deadlines::{DeadlineFactsRow, FeedbackExtensionRow};
pub(super) use self::escalation::{decision_columns, ClosureRow, DecisionRow, RegisterRow};
pub(super) use self::groups::{
    groups_of, rules_of, MembershipRow, RuleGroupRow, RuleRow, StaffGroupRow,
};
pub(super) use self::notifications::{
    cases_with_holders, CountsRow, DueRow, HolderRow, NoticeRow, OutboxRow, RemindRow,
};
pub(super) use self::routing::TriageFactsRow;
pub(super) use self::statistics::{EscalationCountRow, FiguresRow};
use super::{Attachment, AuditEntry, Author, Case, Holder, Message, StoreError, User};

/// Maps a database error, turning unique violations into [`StoreError::Conflict`].
pub(super) fn db_err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict,
        _ => StoreError::Database(e),
    }
}

/// `NotFound` unless the statement changed a row: what it names must exist.
pub(super) fn found(rows_affected: u64) -> Result<(), StoreError> {
    if rows_affected == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

/// A decoding failure for a stored value the store cannot interpret.
fn decode_err(what: &str, value: &str) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(
        format!("invalid stored {what}: {value:?}").into(),
    ))
}

/// Parses a stored (hyphenated) UUID.
pub(super) fn parse_uuid(s: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(s).map_err(|_| decode_err("uuid", s))
}

/// Parses an optional stored UUID.
fn optional_uuid(s: Option<String>) -> Result<Option<Uuid>, StoreError> {
    s.as_deref().map(parse_uuid).transpose()
}

/// Parses a stored author.
fn parse_author(s: &str) -> Result<Author, StoreError> {
    Author::from_db(s).ok_or_else(|| decode_err("author", s))
}

/// The stored form of a list of keys (roles, severities): comma-separated.
pub(super) fn join_list(keys: &[String]) -> String {
    keys.join(",")
}

/// Parses the stored form of a list of keys.
fn split_list(keys: &str) -> Vec<String> {
    keys.split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Parses a stored holder (`user:<uuid>`, `reporter`, `recovery`).
pub(super) fn parse_holder(s: &str) -> Option<Holder> {
    match s {
        "reporter" => Some(Holder::Reporter),
        "recovery" => Some(Holder::Recovery),
        _ => s
            .strip_prefix("user:")
            .and_then(|id| Uuid::parse_str(id).ok())
            .map(Holder::User),
    }
}

/// A `users` row.
#[derive(sqlx::FromRow)]
pub(super) struct UserRow {
    id: String,
    username: String,
    display_name: String,
    roles: String,
    recipient: String,
    wrapped_identity: Vec<u8>,
    email: Option<String>,
    active: bool,
    created_at: i64,
}

/// The `users` columns, in [`UserRow`] order (a literal, for `concat!`).
macro_rules! user_columns {
    () => {
        "id, username, display_name, roles, recipient, wrapped_identity, email, active, created_at"
    };
}
pub(super) use user_columns;

impl UserRow {
    /// The stored id.
    pub(super) fn id(&self) -> &str {
        &self.id
    }

    /// The user, with the given groups (sorted here).
    pub(super) fn into_user(self, mut groups: Vec<String>) -> Result<User, StoreError> {
        groups.sort();
        groups.dedup();
        Ok(User {
            id: parse_uuid(&self.id)?,
            username: self.username,
            display_name: self.display_name,
            roles: split_list(&self.roles),
            recipient: self.recipient,
            wrapped_identity: self.wrapped_identity,
            email: self.email,
            active: self.active,
            groups,
            created_at: self.created_at,
        })
    }
}

/// Joins users with their groups, keeping the users' order.
pub(super) fn users_with_groups(
    users: Vec<UserRow>,
    groups: Vec<MembershipRow>,
) -> Result<Vec<User>, StoreError> {
    let mut by_user: HashMap<String, Vec<String>> = HashMap::new();
    for g in groups {
        by_user.entry(g.user_id).or_default().push(g.group_name);
    }
    users
        .into_iter()
        .map(|u| {
            let groups = by_user.remove(&u.id).unwrap_or_default();
            u.into_user(groups)
        })
        .collect()
}

/// Group names from `user_groups` rows.
pub(super) fn group_names(groups: Vec<MembershipRow>) -> Vec<String> {
    groups.into_iter().map(|g| g.group_name).collect()
}

/// A `cases` row.
#[derive(sqlx::FromRow)]
pub(super) struct CaseRow {
    id: String,
    recipient: String,
    category: String,
    severity: String,
    suggested_severity: String,
    status: String,
    received_at: i64,
    acknowledged_at: Option<i64>,
    updated_at: i64,
    reporter_seq: i64,
    report: Vec<u8>,
}

/// The `cases` columns (qualified with `c.`), in [`CaseRow`] order (a literal,
/// for `concat!`).
macro_rules! case_columns {
    () => {
        "c.id, c.recipient, c.category, c.severity, c.suggested_severity, c.status, \
         c.received_at, c.acknowledged_at, c.updated_at, c.reporter_seq, c.report"
    };
}
pub(super) use case_columns;

impl TryFrom<CaseRow> for Case {
    type Error = StoreError;

    fn try_from(r: CaseRow) -> Result<Self, StoreError> {
        Ok(Case {
            id: parse_uuid(&r.id)?,
            recipient: r.recipient,
            category: r.category,
            severity: r.severity,
            suggested_severity: r.suggested_severity,
            status: r.status,
            received_at: r.received_at,
            acknowledged_at: r.acknowledged_at,
            updated_at: r.updated_at,
            reporter_seq: r.reporter_seq,
            report: r.report,
        })
    }
}

/// An inbox row: the case and the user's last seen `reporter_seq` (0 if never).
#[derive(sqlx::FromRow)]
pub(super) struct InboxRow {
    #[sqlx(flatten)]
    case: CaseRow,
    seen_seq: i64,
}

impl TryFrom<InboxRow> for super::InboxEntry {
    type Error = StoreError;

    fn try_from(r: InboxRow) -> Result<Self, StoreError> {
        let case = Case::try_from(r.case)?;
        let unread = r.seen_seq < case.reporter_seq;
        Ok(super::InboxEntry { case, unread })
    }
}

/// A `messages` row.
#[derive(sqlx::FromRow)]
pub(super) struct MessageRow {
    id: String,
    case_id: String,
    seq: i64,
    author: String,
    author_user_id: Option<String>,
    created_at: i64,
    body: Vec<u8>,
}

/// The `messages` columns, in [`MessageRow`] order (a literal, for `concat!`).
macro_rules! message_columns {
    () => {
        "id, case_id, seq, author, author_user_id, created_at, body"
    };
}
pub(super) use message_columns;

impl TryFrom<MessageRow> for Message {
    type Error = StoreError;

    fn try_from(r: MessageRow) -> Result<Self, StoreError> {
        Ok(Message {
            id: parse_uuid(&r.id)?,
            case_id: parse_uuid(&r.case_id)?,
            seq: r.seq,
            author: parse_author(&r.author)?,
            author_user_id: r.author_user_id.as_deref().map(parse_uuid).transpose()?,
            created_at: r.created_at,
            body: r.body,
        })
    }
}

/// An `attachments` row.
#[derive(sqlx::FromRow)]
pub(super) struct AttachmentRow {
    id: String,
    case_id: String,
    author: String,
    name: Vec<u8>,
    size: i64,
    created_at: i64,
}

/// The `attachments` columns, in [`AttachmentRow`] order (a literal, for `concat!`).
macro_rules! attachment_columns {
    () => {
        "id, case_id, author, name, size, created_at"
    };
}
pub(super) use attachment_columns;

impl TryFrom<AttachmentRow> for Attachment {
    type Error = StoreError;

    fn try_from(r: AttachmentRow) -> Result<Self, StoreError> {
        Ok(Attachment {
            id: parse_uuid(&r.id)?,
            case_id: parse_uuid(&r.case_id)?,
            author: parse_author(&r.author)?,
            name: r.name,
            size: r.size,
            created_at: r.created_at,
        })
    }
}

/// An `audit_log` row; every field is kept as stored so that verification
/// sees exactly what is in the database.
#[derive(sqlx::FromRow)]
pub(super) struct AuditRow {
    seq: i64,
    at: i64,
    actor: String,
    action: String,
    case_id: Option<String>,
    detail: String,
    prev_hash: Vec<u8>,
    hash: Vec<u8>,
}

/// The `audit_log` columns, in [`AuditRow`] order (a literal, for `concat!`).
macro_rules! audit_columns {
    () => {
        "seq, at, actor, action, case_id, detail, prev_hash, hash"
    };
}
pub(super) use audit_columns;

impl From<AuditRow> for AuditEntry {
    fn from(r: AuditRow) -> Self {
        AuditEntry {
            seq: r.seq,
            at: r.at,
            actor: r.actor,
            action: r.action,
            case_id: r.case_id,
            detail: r.detail,
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

/// Converts every row, failing on the first bad one.
pub(super) fn convert<R, T>(rows: Vec<R>) -> Result<Vec<T>, StoreError>
where
    T: TryFrom<R, Error = StoreError>,
{
    rows.into_iter().map(T::try_from).collect()
}
