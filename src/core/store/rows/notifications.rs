//! Rows of the notification outbox and of the cases the scheduler reminds
//! about.

use std::collections::HashMap;

use super::parse::{parse_key, parse_uuid};
use crate::core::domain::{CaseStatus, DeadlineKind, Severity};
use crate::core::store::model::notifications::{
    CaseToRemind, DeadlineNotice, DeliveryState, DueNotification, NotificationCounts,
    NotificationKind, OutboxEntry,
};
use crate::core::store::model::{StoreError, StoreResult};

/// An undelivered `notifications` row with the recipient's `display_name`.
#[derive(sqlx::FromRow)]
pub(crate) struct OutboxRow {
    id: String,
    display_name: String,
    kind: String,
    attempts: i64,
    last_error: Option<String>,
    created_at: i64,
    next_attempt_at: i64,
    failed_at: Option<i64>,
}

impl OutboxRow {
    /// The entry; `None` for a kind this version does not know.
    pub(crate) fn into_entry(self) -> StoreResult<Option<OutboxEntry>> {
        let Some(kind) = NotificationKind::parse(&self.kind) else {
            return Ok(None);
        };
        let state = if self.failed_at.is_some() {
            DeliveryState::Failed
        } else if self.attempts > 0 {
            DeliveryState::Retrying
        } else {
            DeliveryState::Pending
        };
        Ok(Some(OutboxEntry {
            id: parse_uuid(&self.id)?,
            display_name: self.display_name,
            kind,
            state,
            attempts: self.attempts,
            last_error: self.last_error,
            created_at: self.created_at,
            next_attempt_at: self.next_attempt_at,
            failed_at: self.failed_at,
        }))
    }
}

/// A due `notifications` row with the recipient's current `email`.
#[derive(sqlx::FromRow)]
pub(crate) struct DueRow {
    id: String,
    user_id: String,
    email: Option<String>,
    attempts: i64,
}

impl TryFrom<DueRow> for DueNotification {
    type Error = StoreError;

    fn try_from(r: DueRow) -> StoreResult<Self> {
        Ok(DueNotification {
            id: parse_uuid(&r.id)?,
            user_id: parse_uuid(&r.user_id)?,
            email: r.email,
            attempts: r.attempts,
        })
    }
}

/// The latest notice (`last_at`) about one deadline of one case.
#[derive(sqlx::FromRow)]
pub(crate) struct NoticeRow {
    case_id: String,
    deadline: String,
    last_at: i64,
}

impl NoticeRow {
    /// The notice; `None` for a deadline kind this version does not know,
    /// which cannot be due.
    pub(crate) fn into_notice(self) -> StoreResult<Option<DeadlineNotice>> {
        let Some(deadline) = DeadlineKind::parse(&self.deadline) else {
            return Ok(None);
        };
        Ok(Some(DeadlineNotice {
            case_id: parse_uuid(&self.case_id)?,
            deadline,
            last_at: self.last_at,
        }))
    }
}

/// The counts of notifications in each state.
#[derive(sqlx::FromRow)]
pub(crate) struct CountsRow {
    pending: i64,
    sent: i64,
    retrying: i64,
    failed: i64,
}

impl From<CountsRow> for NotificationCounts {
    fn from(r: CountsRow) -> Self {
        NotificationCounts {
            pending: r.pending,
            sent: r.sent,
            retrying: r.retrying,
            failed: r.failed,
        }
    }
}

/// The columns of a `cases` row the scheduler needs.
#[derive(sqlx::FromRow)]
pub(crate) struct RemindRow {
    id: String,
    severity: String,
    status: String,
    received_at: i64,
    acknowledged_at: Option<i64>,
    updated_at: i64,
}

/// A staff member holding a wrap of a case's identity.
#[derive(sqlx::FromRow)]
pub(crate) struct HolderRow {
    case_id: String,
    user_id: String,
}

/// The cases, in their rows' order, each with its holders in theirs.
pub(crate) fn cases_with_holders(
    cases: Vec<RemindRow>,
    holders: Vec<HolderRow>,
) -> StoreResult<Vec<CaseToRemind>> {
    let mut out: Vec<CaseToRemind> = Vec::with_capacity(cases.len());
    let mut index: HashMap<uuid::Uuid, usize> = HashMap::with_capacity(cases.len());
    for r in cases {
        let id = parse_uuid(&r.id)?;
        index.insert(id, out.len());
        out.push(CaseToRemind {
            id,
            severity: parse_key("severity", &r.severity, Severity::parse)?,
            status: parse_key("status", &r.status, CaseStatus::parse)?,
            received_at: r.received_at,
            acknowledged_at: r.acknowledged_at,
            updated_at: r.updated_at,
            holders: Vec::new(),
        });
    }
    for h in holders {
        let case_id = parse_uuid(&h.case_id)?;
        let user_id = parse_uuid(&h.user_id)?;
        if let Some(case) = index.get(&case_id).and_then(|&i| out.get_mut(i)) {
            case.holders.push(user_id);
        }
    }
    Ok(out)
}
