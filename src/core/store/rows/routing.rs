//! Rows of case triage.

use crate::core::store::TriageFacts;

/// The triage columns of a `cases` row.
#[derive(sqlx::FromRow)]
pub(in crate::core::store) struct TriageFactsRow {
    subtype: Option<String>,
    risk_probability: Option<i64>,
    risk_consequence: Option<i64>,
}

impl From<TriageFactsRow> for TriageFacts {
    fn from(r: TriageFactsRow) -> Self {
        TriageFacts {
            subtype: r.subtype,
            risk_probability: r.risk_probability,
            risk_consequence: r.risk_consequence,
        }
    }
}
