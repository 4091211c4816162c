//! Rows of retention and legal holds.

use super::parse::{parse_key, parse_uuid};
use crate::core::domain::{Category, Severity};
use crate::core::statistics::CaseFigures;
use crate::core::store::model::retention::{ClosedCase, StoredLegalHold};
use crate::core::store::model::{StoreError, StoreResult};

/// A closed case with the columns statistics count.
#[derive(sqlx::FromRow)]
pub(crate) struct ClosedCaseRow {
    id: String,
    category: String,
    severity: String,
    received_at: i64,
    acknowledged_at: Option<i64>,
    feedback_given_at: Option<i64>,
    feedback_extended_at: Option<i64>,
    closed_at: Option<i64>,
}

impl TryFrom<ClosedCaseRow> for ClosedCase {
    type Error = StoreError;

    fn try_from(r: ClosedCaseRow) -> StoreResult<Self> {
        Ok(ClosedCase {
            case_id: parse_uuid(&r.id)?,
            // A closed case without its closing row is kept (as if closed now).
            closed_at: r.closed_at.unwrap_or(i64::MAX),
            figures: CaseFigures {
                category: parse_key("category", &r.category, Category::parse)?,
                severity: parse_key("severity", &r.severity, Severity::parse)?,
                received_at: r.received_at,
                acknowledged_at: r.acknowledged_at,
                feedback_given_at: r.feedback_given_at,
                feedback_extended_at: r.feedback_extended_at,
                settled_feedback: None,
            },
        })
    }
}

/// A legal hold with the name of who placed it.
#[derive(sqlx::FromRow)]
pub(crate) struct LegalHoldRow {
    placed_by: String,
    placed_by_name: String,
    placed_at: i64,
    reason: Vec<u8>,
}

impl TryFrom<LegalHoldRow> for StoredLegalHold {
    type Error = StoreError;

    fn try_from(r: LegalHoldRow) -> StoreResult<Self> {
        Ok(StoredLegalHold {
            placed_by: parse_uuid(&r.placed_by)?,
            placed_by_name: r.placed_by_name,
            placed_at: r.placed_at,
            reason: r.reason,
        })
    }
}
