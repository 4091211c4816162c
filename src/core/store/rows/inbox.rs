//! Rows of the inbox: one line of a page, and one count per value.

use super::parse::{parse_key, parse_uuid};
use crate::core::domain::{CaseStatus, Category, DeadlineKind, Severity};
use crate::core::store::model::inbox::{InboxKey, InboxLine};
use crate::core::store::model::{StoreError, StoreResult};

/// An `inbox_entries` row with what the line shows from its case.
#[derive(sqlx::FromRow)]
pub(crate) struct InboxLineRow {
    case_id: String,
    category: String,
    severity: String,
    status: String,
    received_at: i64,
    deadline_sort: i64,
    seq: i64,
    next_deadline_at: Option<i64>,
    next_deadline_kind: Option<String>,
    reporter_seq: i64,
    seen_seq: i64,
    retaliation_reported_at: Option<i64>,
    retaliation_answered_at: Option<i64>,
}

impl TryFrom<InboxLineRow> for InboxLine {
    type Error = StoreError;

    fn try_from(r: InboxLineRow) -> StoreResult<Self> {
        let case_id = parse_uuid(&r.case_id)?;
        let next_deadline = match (r.next_deadline_at, r.next_deadline_kind) {
            (Some(at), Some(kind)) => Some((
                at,
                parse_key("next_deadline_kind", &kind, DeadlineKind::parse)?,
            )),
            _ => None,
        };
        Ok(InboxLine {
            case_id,
            category: parse_key("category", &r.category, Category::parse)?,
            severity: parse_key("severity", &r.severity, Severity::parse)?,
            status: parse_key("status", &r.status, CaseStatus::parse)?,
            received_at: r.received_at,
            next_deadline,
            unread: r.seen_seq < r.reporter_seq,
            retaliation: r.retaliation_reported_at.is_some() && r.retaliation_answered_at.is_none(),
            key: InboxKey {
                deadline_sort: r.deadline_sort,
                received_at: r.received_at,
                seq: r.seq,
            },
        })
    }
}

/// One value of a column and how many lines have it.
#[derive(sqlx::FromRow)]
pub(crate) struct CountRow {
    pub(crate) value: String,
    pub(crate) n: i64,
}
