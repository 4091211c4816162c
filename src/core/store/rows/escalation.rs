//! Rows of escalation decisions, the escalation register and case closures.

use super::parse::{optional_uuid, parse_key, parse_uuid};
use crate::core::domain::{Authority, Decision, LegalBasis, Outcome};
use crate::core::store::model::escalation::{Closure, EscalationRecord, RegisterEntry};
use crate::core::store::model::{StoreError, StoreResult};

/// An `escalation_decisions` row.
#[derive(sqlx::FromRow)]
pub(crate) struct DecisionRow {
    id: String,
    case_id: String,
    authority: String,
    decision: String,
    legal_basis: String,
    /// Absent (and so empty) in the register, which never loads it.
    #[sqlx(default)]
    rationale: Vec<u8>,
    aware_at: i64,
    decided_at: i64,
    notified_at: Option<i64>,
    decided_by: String,
    authority_reference: Option<String>,
    confirmed_by: Option<String>,
    confirmed_at: Option<i64>,
    recorded_at: i64,
}

/// The `escalation_decisions` columns (qualified with `d.`) of a
/// [`DecisionRow`] (a literal, for `concat!`).
macro_rules! decision_columns {
    () => {
        "d.id, d.case_id, d.authority, d.decision, d.legal_basis, d.rationale, d.aware_at, \
         d.decided_at, d.notified_at, d.decided_by, d.authority_reference, d.confirmed_by, \
         d.confirmed_at, d.recorded_at"
    };
}
pub(crate) use decision_columns;

impl TryFrom<DecisionRow> for EscalationRecord {
    type Error = StoreError;

    fn try_from(r: DecisionRow) -> StoreResult<Self> {
        Ok(EscalationRecord {
            id: parse_uuid(&r.id)?,
            case_id: parse_uuid(&r.case_id)?,
            authority: parse_key("authority", &r.authority, Authority::parse)?,
            decision: parse_key("decision", &r.decision, Decision::parse)?,
            legal_basis: parse_key("legal_basis", &r.legal_basis, LegalBasis::parse)?,
            rationale: r.rationale,
            aware_at: r.aware_at,
            decided_at: r.decided_at,
            notified_at: r.notified_at,
            decided_by: parse_uuid(&r.decided_by)?,
            authority_reference: r.authority_reference,
            confirmed_by: optional_uuid(r.confirmed_by)?,
            confirmed_at: r.confirmed_at,
            recorded_at: r.recorded_at,
        })
    }
}

/// A register line: a decision without its rationale, with the names of the
/// contact points (`decided_by_name`, `confirmed_by_name`).
#[derive(sqlx::FromRow)]
pub(crate) struct RegisterRow {
    #[sqlx(flatten)]
    decision: DecisionRow,
    decided_by_name: String,
    confirmed_by_name: Option<String>,
}

impl TryFrom<RegisterRow> for RegisterEntry {
    type Error = StoreError;

    fn try_from(r: RegisterRow) -> StoreResult<Self> {
        Ok(RegisterEntry {
            record: EscalationRecord::try_from(r.decision)?,
            decided_by_name: r.decided_by_name,
            confirmed_by_name: r.confirmed_by_name,
        })
    }
}

/// A `case_closures` row.
#[derive(sqlx::FromRow)]
pub(crate) struct ClosureRow {
    id: String,
    case_id: String,
    closed_at: i64,
    closed_by: String,
    outcome: String,
    evaluation: Vec<u8>,
    reopened_at: Option<i64>,
    reopened_by: Option<String>,
    reopen_reason: Option<Vec<u8>>,
}

impl TryFrom<ClosureRow> for Closure {
    type Error = StoreError;

    fn try_from(r: ClosureRow) -> StoreResult<Self> {
        Ok(Closure {
            id: parse_uuid(&r.id)?,
            case_id: parse_uuid(&r.case_id)?,
            closed_at: r.closed_at,
            closed_by: parse_uuid(&r.closed_by)?,
            outcome: parse_key("outcome", &r.outcome, Outcome::parse)?,
            evaluation: r.evaluation,
            reopened_at: r.reopened_at,
            reopened_by: optional_uuid(r.reopened_by)?,
            reopen_reason: r.reopen_reason,
        })
    }
}
