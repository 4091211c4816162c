//! Values of retention and legal holds.

use uuid::Uuid;

use crate::core::domain::{Category, Severity};
use crate::core::statistics::{CaseFigures, SettledFeedback};

/// A closed case that is neither on legal hold nor deferred.
#[derive(Debug, Clone)]
pub struct ClosedCase {
    /// The case.
    pub case_id: Uuid,
    /// When its (current) closing was recorded, UNIX seconds.
    pub closed_at: i64,
    /// What statistics count of it.
    pub figures: CaseFigures,
}

/// What statistics keep of a purged case, without its id.
#[derive(Debug, Clone)]
pub struct PurgedFigures {
    /// The day of receipt, UNIX seconds.
    pub received_at: i64,
    /// Category.
    pub category: Category,
    /// Severity.
    pub severity: Severity,
    /// Whole days from receipt to acknowledgement; `None` if never.
    pub acknowledged_after_days: Option<i64>,
    /// The settled feedback outcome.
    pub feedback: SettledFeedback,
}

/// A legal hold on a case.
#[derive(Debug, Clone)]
pub struct StoredLegalHold {
    /// Who placed it.
    pub placed_by: Uuid,
    /// Their display name.
    pub placed_by_name: String,
    /// When, UNIX seconds.
    pub placed_at: i64,
    /// The reason, sealed to the case.
    pub reason: Vec<u8>,
}
