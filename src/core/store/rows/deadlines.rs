//! Rows of the deadline facts and of the feedback extension.

use super::parse::{optional_subtype, optional_uuid, parse_key, parse_uuid};
use crate::core::domain::{CaseStatus, Category, Severity};
use crate::core::store::model::deadlines::{StoredDeadlineFacts, StoredFeedbackExtension};
use crate::core::store::model::{StoreError, StoreResult};

/// A case's deadline facts: its own columns and, from its escalation
/// decisions, `first_decision_at`, `datatilsynet_decision_at` and
/// `nsm_decision_at`.
#[derive(sqlx::FromRow)]
pub(crate) struct DeadlineFactsRow {
    id: String,
    category: String,
    subtype: Option<String>,
    severity: String,
    status: String,
    received_at: i64,
    acknowledged_at: Option<i64>,
    feedback_given_at: Option<i64>,
    feedback_extended_at: Option<i64>,
    first_decision_at: Option<i64>,
    datatilsynet_decision_at: Option<i64>,
    nsm_decision_at: Option<i64>,
    retaliation_reported_at: Option<i64>,
    retaliation_answered_at: Option<i64>,
}

impl TryFrom<DeadlineFactsRow> for StoredDeadlineFacts {
    type Error = StoreError;

    fn try_from(r: DeadlineFactsRow) -> StoreResult<Self> {
        Ok(StoredDeadlineFacts {
            case_id: parse_uuid(&r.id)?,
            category: parse_key("category", &r.category, Category::parse)?,
            subtype: optional_subtype(r.subtype)?,
            severity: parse_key("severity", &r.severity, Severity::parse)?,
            status: parse_key("status", &r.status, CaseStatus::parse)?,
            received_at: r.received_at,
            acknowledged_at: r.acknowledged_at,
            feedback_given_at: r.feedback_given_at,
            feedback_extended_at: r.feedback_extended_at,
            first_decision_at: r.first_decision_at,
            datatilsynet_decision_at: r.datatilsynet_decision_at,
            nsm_decision_at: r.nsm_decision_at,
            retaliation_reported_at: r.retaliation_reported_at,
            retaliation_answered_at: r.retaliation_answered_at,
        })
    }
}

/// The extension columns of a `cases` row.
#[derive(sqlx::FromRow)]
pub(crate) struct FeedbackExtensionRow {
    feedback_extended_at: Option<i64>,
    feedback_extended_by: Option<String>,
    feedback_extension_reason: Option<Vec<u8>>,
}

impl FeedbackExtensionRow {
    /// The extension, if the case has one (a time and a reason).
    pub(crate) fn into_extension(self) -> StoreResult<Option<StoredFeedbackExtension>> {
        let (Some(at), Some(reason)) = (self.feedback_extended_at, self.feedback_extension_reason)
        else {
            return Ok(None);
        };
        Ok(Some(StoredFeedbackExtension {
            at,
            by: optional_uuid(self.feedback_extended_by)?,
            reason,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_stored_severity_is_corrupt() {
        let row = |severity: &str| DeadlineFactsRow {
            id: uuid::Uuid::nil().to_string(),
            category: "avvik".to_owned(),
            subtype: Some("personvernbrudd".to_owned()),
            severity: severity.to_owned(),
            status: "received".to_owned(),
            received_at: 0,
            acknowledged_at: None,
            feedback_given_at: None,
            feedback_extended_at: None,
            first_decision_at: None,
            datatilsynet_decision_at: None,
            nsm_decision_at: None,
            retaliation_reported_at: None,
            retaliation_answered_at: None,
        };
        let facts = StoredDeadlineFacts::try_from(row("kritisk")).expect("valid row");
        assert_eq!(facts.severity, Severity::Kritisk);
        assert_eq!(
            facts.subtype.as_ref().map(|s| s.as_str()),
            Some("personvernbrudd")
        );
        assert!(matches!(
            StoredDeadlineFacts::try_from(row("ukjent")),
            Err(StoreError::Corrupt {
                column: "severity",
                ..
            })
        ));
    }
}
