//! Rows of the statistics feature: only the columns statistics need.

use crate::core::statistics::{CaseFigures, EscalationCount};

/// The columns of a `cases` row that statistics count.
#[derive(sqlx::FromRow)]
pub(in crate::core::store) struct FiguresRow {
    category: String,
    severity: String,
    received_at: i64,
    acknowledged_at: Option<i64>,
    feedback_given_at: Option<i64>,
    feedback_extended_at: Option<i64>,
}

impl From<FiguresRow> for CaseFigures {
    fn from(r: FiguresRow) -> Self {
        CaseFigures {
            category: r.category,
            severity: r.severity,
            received_at: r.received_at,
            acknowledged_at: r.acknowledged_at,
            feedback_given_at: r.feedback_given_at,
            feedback_extended_at: r.feedback_extended_at,
        }
    }
}

/// How many decisions there were for one authority and decision
/// (`COUNT(*) AS count`).
#[derive(sqlx::FromRow)]
pub(in crate::core::store) struct EscalationCountRow {
    authority: String,
    decision: String,
    count: i64,
}

impl From<EscalationCountRow> for EscalationCount {
    fn from(r: EscalationCountRow) -> Self {
        EscalationCount {
            authority: r.authority,
            decision: r.decision,
            // A count is never negative; the fallback only satisfies the type.
            count: u64::try_from(r.count).unwrap_or(0),
        }
    }
}
