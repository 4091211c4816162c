//! What statistics know about a case.

use crate::core::domain::{Category, Severity};

/// What statistics know about a case: no content, no identifiers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFigures {
    /// Category.
    pub category: Category,
    /// Current severity.
    pub severity: Severity,
    /// UNIX seconds, truncated to the day.
    pub received_at: i64,
    /// UNIX seconds of the acknowledgement, if sent.
    pub acknowledged_at: Option<i64>,
    /// UNIX seconds of the first time feedback was given, if it was.
    pub feedback_given_at: Option<i64>,
    /// UNIX seconds of the extension of the feedback deadline, if extended.
    pub feedback_extended_at: Option<i64>,
}
