//! Rows of case triage.

use super::optional_subtype;
use crate::core::store::{StoreError, StoreResult, TriageFacts};

/// The triage columns of a `cases` row.
#[derive(sqlx::FromRow)]
pub(in crate::core::store) struct TriageFactsRow {
    subtype: Option<String>,
    risk_probability: Option<i64>,
    risk_consequence: Option<i64>,
}

impl TryFrom<TriageFactsRow> for TriageFacts {
    type Error = StoreError;

    fn try_from(r: TriageFactsRow) -> StoreResult<Self> {
        Ok(TriageFacts {
            subtype: optional_subtype(r.subtype)?,
            risk_probability: r.risk_probability,
            risk_consequence: r.risk_consequence,
        })
    }
}
