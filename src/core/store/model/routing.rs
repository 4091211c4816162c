//! Case triage and the re-routing it causes.

use uuid::Uuid;

use super::KeyWrap;
use crate::core::domain::{Category, Severity, SubtypeKey};

/// What triage recorded on a case beyond its category and severity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TriageFacts {
    /// The sub-type, if one was set.
    pub subtype: Option<SubtypeKey>,
    /// Risk probability (1–5), if recorded.
    pub risk_probability: Option<i64>,
    /// Risk consequence (1–5), if recorded.
    pub risk_consequence: Option<i64>,
}

/// A re-classification and the re-routing it causes, stored in one transaction.
#[derive(Debug, Clone)]
pub struct Retriage {
    /// The case.
    pub case_id: Uuid,
    /// New category.
    pub category: Category,
    /// New severity.
    pub severity: Severity,
    /// Sub-type and risk.
    pub facts: TriageFacts,
    /// UNIX seconds.
    pub at: i64,
    /// Wraps for staff members the case now reaches (user holders only).
    pub added: Vec<KeyWrap>,
    /// Staff members who lose their wrap.
    pub removed: Vec<Uuid>,
}
