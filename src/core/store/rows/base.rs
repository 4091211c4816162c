//! Rows of accounts, cases, threads, attachments and the audit log.

use std::collections::HashMap;

use super::groups::MembershipRow;
use super::parse::{optional_uuid, parse_author, parse_key, parse_list, parse_uuid};
use crate::core::audit::AuditEntry;
use crate::core::domain::{CaseStatus, Category, Role, Severity};
use crate::core::store::model::{Attachment, Case, Message, StoreError, User};

/// A `users` row.
#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
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
pub(crate) use user_columns;

impl UserRow {
    /// The stored id.
    pub(crate) fn id(&self) -> &str {
        &self.id
    }

    /// The user, with the given groups (sorted here).
    pub(crate) fn into_user(self, mut groups: Vec<String>) -> Result<User, StoreError> {
        groups.sort();
        groups.dedup();
        Ok(User {
            id: parse_uuid(&self.id)?,
            username: self.username,
            display_name: self.display_name,
            roles: parse_list("roles", &self.roles, Role::parse)?,
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
pub(crate) fn users_with_groups(
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
pub(crate) fn group_names(groups: Vec<MembershipRow>) -> Vec<String> {
    groups.into_iter().map(|g| g.group_name).collect()
}

/// A `cases` row.
#[derive(sqlx::FromRow)]
pub(crate) struct CaseRow {
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
pub(crate) use case_columns;

impl TryFrom<CaseRow> for Case {
    type Error = StoreError;

    fn try_from(r: CaseRow) -> Result<Self, StoreError> {
        Ok(Case {
            id: parse_uuid(&r.id)?,
            recipient: r.recipient,
            category: parse_key("category", &r.category, Category::parse)?,
            severity: parse_key("severity", &r.severity, Severity::parse)?,
            suggested_severity: parse_key(
                "suggested_severity",
                &r.suggested_severity,
                Severity::parse,
            )?,
            status: parse_key("status", &r.status, CaseStatus::parse)?,
            received_at: r.received_at,
            acknowledged_at: r.acknowledged_at,
            updated_at: r.updated_at,
            reporter_seq: r.reporter_seq,
            report: r.report,
        })
    }
}

/// A `messages` row.
#[derive(sqlx::FromRow)]
pub(crate) struct MessageRow {
    id: String,
    case_id: String,
    seq: i64,
    author: String,
    author_user_id: Option<String>,
    created_at: i64,
    body: Vec<u8>,
    kind: String,
}

/// The `messages` columns, in [`MessageRow`] order (a literal, for `concat!`).
macro_rules! message_columns {
    () => {
        "id, case_id, seq, author, author_user_id, created_at, body, kind"
    };
}
pub(crate) use message_columns;

impl TryFrom<MessageRow> for Message {
    type Error = StoreError;

    fn try_from(r: MessageRow) -> Result<Self, StoreError> {
        Ok(Message {
            id: parse_uuid(&r.id)?,
            case_id: parse_uuid(&r.case_id)?,
            seq: r.seq,
            author: parse_author(&r.author)?,
            author_user_id: optional_uuid(r.author_user_id)?,
            created_at: r.created_at,
            body: r.body,
            kind: crate::core::store::MessageKind::from_db(&r.kind),
        })
    }
}

/// An `attachments` row.
#[derive(sqlx::FromRow)]
pub(crate) struct AttachmentRow {
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
pub(crate) use attachment_columns;

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
pub(crate) struct AuditRow {
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
pub(crate) use audit_columns;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::store::rows::parse::join_keys;
    use uuid::Uuid;

    fn case_row(status: &str) -> CaseRow {
        CaseRow {
            id: Uuid::nil().to_string(),
            recipient: "age1case".to_owned(),
            category: "avvik".to_owned(),
            severity: "hoy".to_owned(),
            suggested_severity: "lav".to_owned(),
            status: status.to_owned(),
            received_at: 0,
            acknowledged_at: None,
            updated_at: 0,
            reporter_seq: 1,
            report: Vec::new(),
        }
    }

    fn user_row(roles: &str) -> UserRow {
        UserRow {
            id: Uuid::nil().to_string(),
            username: "u".to_owned(),
            display_name: "U".to_owned(),
            roles: roles.to_owned(),
            recipient: String::new(),
            wrapped_identity: Vec::new(),
            email: None,
            active: true,
            created_at: 0,
        }
    }

    fn corrupt_column<T>(r: Result<T, StoreError>) -> Option<(&'static str, String)> {
        match r {
            Err(StoreError::Corrupt { column, value }) => Some((column, value)),
            _ => None,
        }
    }

    #[test]
    fn a_case_row_becomes_typed_values() {
        let case = Case::try_from(case_row("under_investigation")).expect("valid row");
        assert_eq!(case.category, Category::Avvik);
        assert_eq!(case.severity, Severity::Hoy);
        assert_eq!(case.suggested_severity, Severity::Lav);
        assert_eq!(case.status, CaseStatus::UnderInvestigation);
    }

    #[test]
    fn an_unknown_stored_key_is_corrupt_not_a_default() {
        assert_eq!(
            corrupt_column(Case::try_from(case_row("ny"))),
            Some(("status", "ny".to_owned()))
        );
        let mut row = case_row("received");
        row.category = "miljo".to_owned();
        assert_eq!(
            corrupt_column(Case::try_from(row)),
            Some(("category", "miljo".to_owned()))
        );
        assert_eq!(
            corrupt_column(user_row("handler,sjef").into_user(Vec::new())),
            Some(("roles", "sjef".to_owned()))
        );
    }

    #[test]
    fn roles_round_trip_through_their_stored_list() {
        let user = user_row(" contact,handler ").into_user(Vec::new());
        let roles = user.expect("valid row").roles;
        assert_eq!(roles, [Role::Contact, Role::Handler]);
        assert_eq!(join_keys(roles.iter().map(|r| r.key())), "contact,handler");
        let none = user_row("").into_user(Vec::new()).expect("valid row");
        assert!(none.roles.is_empty());
    }
}
