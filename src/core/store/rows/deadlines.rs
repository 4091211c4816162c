//! Rows of the deadline facts and of the feedback extension.

use super::{optional_uuid, parse_uuid};
use crate::core::store::{StoreResult, StoredDeadlineFacts, StoredFeedbackExtension};

/// A case's deadline facts: its own columns and, from its escalation
/// decisions, `first_decision_at`, `datatilsynet_decision_at` and
/// `nsm_decision_at`.
#[derive(sqlx::FromRow)]
pub(in crate::core::store) struct DeadlineFactsRow {
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
}

impl TryFrom<DeadlineFactsRow> for StoredDeadlineFacts {
    type Error = crate::core::store::StoreError;

    fn try_from(r: DeadlineFactsRow) -> StoreResult<Self> {
        Ok(StoredDeadlineFacts {
            case_id: parse_uuid(&r.id)?,
            category: r.category,
            subtype: r.subtype,
            severity: r.severity,
            status: r.status,
            received_at: r.received_at,
            acknowledged_at: r.acknowledged_at,
            feedback_given_at: r.feedback_given_at,
            feedback_extended_at: r.feedback_extended_at,
            first_decision_at: r.first_decision_at,
            datatilsynet_decision_at: r.datatilsynet_decision_at,
            nsm_decision_at: r.nsm_decision_at,
        })
    }
}

/// The extension columns of a `cases` row.
#[derive(sqlx::FromRow)]
pub(in crate::core::store) struct FeedbackExtensionRow {
    feedback_extended_at: Option<i64>,
    feedback_extended_by: Option<String>,
    feedback_extension_reason: Option<Vec<u8>>,
}

impl FeedbackExtensionRow {
    /// The extension, if the case has one (a time and a reason).
    pub(in crate::core::store) fn into_extension(
        self,
    ) -> StoreResult<Option<StoredFeedbackExtension>> {
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
