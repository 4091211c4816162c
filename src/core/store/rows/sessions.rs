//! Rows of sessions.

use super::parse::{optional_uuid, parse_list};
use crate::core::domain::Role;
use crate::core::store::model::sessions::{SessionSubject, SessionUser, StoredSession};
use crate::core::store::model::StoreError;

/// A `sessions` row joined with its staff member's `users` row.
#[derive(sqlx::FromRow)]
pub(crate) struct SessionRow {
    kind: String,
    user_id: Option<String>,
    case_id: Option<String>,
    api: bool,
    sealed_identity: Vec<u8>,
    created_at: i64,
    last_seen: i64,
    idle_seconds: i64,
    expires_at: Option<i64>,
    ends_at: i64,
    username: Option<String>,
    display_name: Option<String>,
    roles: Option<String>,
    active: Option<bool>,
}

/// The stored kind of a session's subject.
pub(crate) fn kind_of(subject: &SessionSubject) -> &'static str {
    match subject {
        SessionSubject::Staff(_) => "staff",
        SessionSubject::Reporter(_) => "reporter",
    }
}

impl TryFrom<SessionRow> for StoredSession {
    type Error = StoreError;

    fn try_from(row: SessionRow) -> Result<Self, StoreError> {
        let corrupt = || StoreError::Corrupt {
            column: "sessions.kind",
            value: row.kind.clone(),
        };
        let user_id = optional_uuid(row.user_id.clone())?;
        let case_id = optional_uuid(row.case_id.clone())?;
        let (subject, user) = match (row.kind.as_str(), user_id, case_id) {
            ("staff", Some(id), None) => {
                let user = match (&row.username, &row.display_name, &row.roles, row.active) {
                    (Some(username), Some(display_name), Some(roles), Some(active)) => {
                        Some(SessionUser {
                            username: username.clone(),
                            display_name: display_name.clone(),
                            roles: parse_list("roles", roles, Role::parse)?,
                            active,
                        })
                    }
                    _ => None,
                };
                (SessionSubject::Staff(id), user)
            }
            ("reporter", None, Some(id)) => (SessionSubject::Reporter(id), None),
            _ => return Err(corrupt()),
        };
        Ok(StoredSession {
            subject,
            api: row.api,
            sealed_identity: row.sealed_identity,
            created_at: row.created_at,
            last_seen: row.last_seen,
            idle_seconds: row.idle_seconds,
            expires_at: row.expires_at,
            ends_at: row.ends_at,
            user,
        })
    }
}
