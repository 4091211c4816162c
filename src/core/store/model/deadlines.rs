//! The deadline facts of a case and its feedback extension.

use uuid::Uuid;

use crate::core::domain::{CaseStatus, Category, Severity, SubtypeKey};

/// The stored facts of one case that its deadlines depend on. Times are UNIX
/// seconds; nothing here is case content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDeadlineFacts {
    /// The case.
    pub case_id: Uuid,
    /// Category.
    pub category: Category,
    /// Sub-type, if one was set.
    pub subtype: Option<SubtypeKey>,
    /// Severity.
    pub severity: Severity,
    /// Status.
    pub status: CaseStatus,
    /// When the report was received (day granularity).
    pub received_at: i64,
    /// When receipt was first acknowledged.
    pub acknowledged_at: Option<i64>,
    /// When feedback was first given.
    pub feedback_given_at: Option<i64>,
    /// When the feedback deadline was extended.
    pub feedback_extended_at: Option<i64>,
    /// The earliest `decided_at` of an escalate or do-not-escalate decision
    /// about any authority ("defer" decides nothing).
    pub first_decision_at: Option<i64>,
    /// The same, for decisions about Datatilsynet.
    pub datatilsynet_decision_at: Option<i64>,
    /// The same, for decisions about NSM.
    pub nsm_decision_at: Option<i64>,
    /// When the current retaliation report was made (the day).
    pub retaliation_reported_at: Option<i64>,
    /// When a handler first answered it.
    pub retaliation_answered_at: Option<i64>,
}

/// The extension of a case's feedback deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFeedbackExtension {
    /// When it was made.
    pub at: i64,
    /// Who made it (`None` if the account is gone).
    pub by: Option<Uuid>,
    /// Why, an age file sealed to the case.
    pub reason: Vec<u8>,
}
