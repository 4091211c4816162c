//! Escalation decisions, the escalation register and case closures.

use uuid::Uuid;

use crate::core::domain::{Authority, Decision, LegalBasis, Outcome};

/// One recorded escalation decision; the rationale is sealed to the case.
#[derive(Debug, Clone)]
pub struct EscalationRecord {
    /// Id.
    pub id: Uuid,
    /// The case.
    pub case_id: Uuid,
    /// The authority decided about.
    pub authority: Authority,
    /// What was decided.
    pub decision: Decision,
    /// The legal basis.
    pub legal_basis: LegalBasis,
    /// The rationale, an age file sealed to the case.
    pub rationale: Vec<u8>,
    /// When the organisation became aware (UNIX seconds).
    pub aware_at: i64,
    /// When it decided.
    pub decided_at: i64,
    /// When it notified the authority, if it did.
    pub notified_at: Option<i64>,
    /// The contact point who decided.
    pub decided_by: Uuid,
    /// The authority's reference (plaintext, short).
    pub authority_reference: Option<String>,
    /// The second contact point who confirmed, if any.
    pub confirmed_by: Option<Uuid>,
    /// When they confirmed.
    pub confirmed_at: Option<i64>,
    /// When the decision was recorded.
    pub recorded_at: i64,
}

/// A line of the escalation register: a decision without its rationale, with
/// the names of the contact points.
#[derive(Debug, Clone)]
pub struct RegisterEntry {
    /// The decision (its `rationale` is empty: the register never loads it).
    pub record: EscalationRecord,
    /// Display name of the decider.
    pub decided_by_name: String,
    /// Display name of the confirmer.
    pub confirmed_by_name: Option<String>,
}

/// A closing of a case, possibly reopened since.
#[derive(Debug, Clone)]
pub struct Closure {
    /// Id.
    pub id: Uuid,
    /// The case.
    pub case_id: Uuid,
    /// When it was closed.
    pub closed_at: i64,
    /// Who closed it.
    pub closed_by: Uuid,
    /// How the case ended.
    pub outcome: Outcome,
    /// The written evaluation, sealed to the case.
    pub evaluation: Vec<u8>,
    /// When it was reopened, if it was.
    pub reopened_at: Option<i64>,
    /// Who reopened it.
    pub reopened_by: Option<Uuid>,
    /// Why, sealed to the case.
    pub reopen_reason: Option<Vec<u8>>,
}
