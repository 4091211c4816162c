//! Rows of case triage.

use super::parse::optional_subtype;
use crate::core::store::model::routing::TriageFacts;
use crate::core::store::model::{StoreError, StoreResult};

/// The triage columns of a `cases` row.
#[derive(sqlx::FromRow)]
pub(crate) struct TriageFactsRow {
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
