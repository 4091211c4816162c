//! Escalation decisions and closing a case (SPEC §4), independent of HTML or
//! JSON. Contact points record, for each authority, whether the case is to be
//! escalated, on what legal basis and why (the rationale sealed to the case);
//! a second contact point may confirm. A handler or contact point on the case
//! closes it with an outcome and a written evaluation (sealed to the case) and
//! may reopen it with a reason. A case whose sub-type falls under
//! straffeloven § 196 cannot be closed until a police or PST decision
//! (escalate or do not escalate; "defer" is not a decision) is recorded.
//! Every change is written to the audit log, never the sealed texts.

use anyhow::Context;
use serde_json::json;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time};
use uuid::Uuid;
use varsel_crypto::AnyIdentity;

use crate::core::actor::StaffMember;
use crate::core::audit::{action, AuditActor, AuditEvent};
use crate::core::audit_log;
use crate::core::authz::{self, Permission};
use crate::core::casework::now_in;
use crate::core::domain::{
    Authority, CaseStatus, Decision, LegalBasis, Outcome, TextField, TextFieldError,
};
use crate::core::error::{CoreError, CoreResult, FieldError, FieldProblem, Refusal};
use crate::core::keys;
use crate::core::open::{self, OpenCase};
use crate::core::service::Core;
use crate::core::store::{Case, Closure, EscalationRecord, RegisterEntry, StoreError};

/// Characters an authority's reference may have.
pub const MAX_REFERENCE_CHARS: usize = 64;

/// A validated decision to record.
pub struct DecisionInput {
    /// The authority.
    pub authority: Authority,
    /// The decision.
    pub decision: Decision,
    /// Its legal basis.
    pub legal_basis: LegalBasis,
    /// Why (sealed to the case).
    pub rationale: TextField,
    /// When the organisation became aware (UNIX seconds).
    pub aware_at: i64,
    /// When it decided.
    pub decided_at: i64,
    /// When it notified the authority.
    pub notified_at: Option<i64>,
    /// The authority's reference, at most [`MAX_REFERENCE_CHARS`].
    pub authority_reference: Option<TextField>,
}

/// A decision as submitted: every field as the text it arrived as.
#[derive(Debug, Default, Clone, Copy)]
pub struct DecisionDraft<'a> {
    /// Authority key.
    pub authority: &'a str,
    /// Decision key.
    pub decision: &'a str,
    /// Legal-basis key.
    pub legal_basis: &'a str,
    /// Why.
    pub rationale: &'a str,
    /// When the organisation became aware ([`parse_moment`]).
    pub aware_at: &'a str,
    /// When it decided.
    pub decided_at: &'a str,
    /// When it notified the authority; empty if it did not.
    pub notified_at: &'a str,
    /// The authority's reference; empty if none.
    pub authority_reference: &'a str,
}

impl DecisionDraft<'_> {
    /// The decision, or every problem: first the texts (`rationale`,
    /// `authority_reference`), then the keys and moments, in form order.
    /// `decided_at` may not precede `aware_at` nor lie after `now` (UNIX
    /// seconds): a decision is recorded once it is made.
    pub fn parse(&self, max_text: usize, now: i64) -> Result<DecisionInput, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut fail = |field: &'static str, problem: FieldProblem| {
            errors.push(FieldError { field, problem });
        };
        let text = |e: TextFieldError| match e {
            TextFieldError::Empty => FieldProblem::Required,
            TextFieldError::TooLong { max } => FieldProblem::TooLong { max },
        };
        let rationale = TextField::parse(self.rationale, max_text)
            .map_err(|e| fail("rationale", text(e)))
            .ok();
        let authority_reference =
            TextField::parse_optional(self.authority_reference, MAX_REFERENCE_CHARS)
                .map_err(|e| fail("authority_reference", text(e)))
                .ok();
        let notified_at = match self.notified_at.trim() {
            "" => Some(None),
            s => parse_moment(s).map(Some).or_else(|| {
                fail("notified_at", FieldProblem::Malformed);
                None
            }),
        };
        let authority = Authority::parse(self.authority.trim()).or_else(|| {
            fail("authority", FieldProblem::Unknown);
            None
        });
        let decision = Decision::parse(self.decision.trim()).or_else(|| {
            fail("decision", FieldProblem::Unknown);
            None
        });
        let legal_basis = LegalBasis::parse(self.legal_basis.trim()).or_else(|| {
            fail("legal_basis", FieldProblem::Unknown);
            None
        });
        let aware_at = parse_moment(self.aware_at).or_else(|| {
            fail("aware_at", FieldProblem::Malformed);
            None
        });
        let decided_at = match parse_moment(self.decided_at) {
            None => {
                fail("decided_at", FieldProblem::Malformed);
                None
            }
            Some(decided) if aware_at.is_some_and(|aware| decided < aware) => {
                fail(
                    "decided_at",
                    FieldProblem::BeforeEarliest {
                        earliest: "aware_at",
                    },
                );
                None
            }
            Some(decided) if decided > now => {
                fail("decided_at", FieldProblem::InFuture);
                None
            }
            decided => decided,
        };
        // Each value is missing exactly when its problem was recorded.
        let input = || {
            Some(DecisionInput {
                authority: authority?,
                decision: decision?,
                legal_basis: legal_basis?,
                rationale: rationale?,
                aware_at: aware_at?,
                decided_at: decided_at?,
                notified_at: notified_at?,
                authority_reference: authority_reference?,
            })
        };
        match input() {
            Some(input) if errors.is_empty() => Ok(input),
            _ => Err(errors),
        }
    }
}

/// A moment from a form: a date (`2026-03-07`, taken as its start, UTC) or a
/// date and time (`2026-03-07T14:30`, UTC). `None` for anything else.
pub fn parse_moment(input: &str) -> Option<i64> {
    let s = input.trim();
    let date = format_description!("[year]-[month]-[day]");
    let minutes = format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let seconds = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    if let Ok(d) = Date::parse(s, date) {
        return Some(d.with_time(Time::MIDNIGHT).assume_utc().unix_timestamp());
    }
    PrimitiveDateTime::parse(s, minutes)
        .or_else(|_| PrimitiveDateTime::parse(s, seconds))
        .ok()
        .map(|t| t.assume_utc().unix_timestamp())
}

/// A decision with its rationale opened.
pub struct DecisionView {
    /// The stored decision.
    pub record: EscalationRecord,
    /// The rationale.
    pub rationale: String,
    /// The decider's display name.
    pub decided_by_name: String,
    /// The confirmer's display name.
    pub confirmed_by_name: Option<String>,
}

/// The case's current closure, texts opened.
pub struct ClosureView {
    /// How the case ended.
    pub outcome: Outcome,
    /// When.
    pub closed_at: i64,
    /// Who closed it.
    pub closed_by_name: String,
    /// The written evaluation.
    pub evaluation: String,
}

/// What the case page shows of escalation and closing.
pub struct CaseEscalation {
    /// Decisions, in the order they were decided (only for contact points; empty otherwise).
    pub decisions: Vec<DecisionView>,
    /// The current closure, when the case is closed.
    pub closure: Option<ClosureView>,
    /// Closing is refused until a police or PST decision is recorded.
    pub police_decision_missing: bool,
}

async fn audited(state: &Core, event: AuditEvent) -> CoreResult<()> {
    audit_log::record(&*state.store, state.now(), event)
        .await
        .context("cannot write the audit log")?;
    Ok(())
}

fn contact(staff: &StaffMember) -> CoreResult<()> {
    if authz::staff_may(staff, Permission::DecideEscalation) {
        Ok(())
    } else {
        Err(CoreError::Forbidden)
    }
}

async fn display_name(state: &Core, id: Uuid) -> CoreResult<String> {
    Ok(state
        .store
        .user_by_id(id)
        .await?
        .map(|u| u.display_name)
        .unwrap_or_default())
}

fn open_text(identity: &AnyIdentity, sealed: &[u8]) -> CoreResult<String> {
    let bytes = keys::open(identity, sealed)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Escalation decisions (for contact points) and the current closure of a
/// case routed to `staff`.
pub async fn case_escalation(
    state: &Core,
    staff: &StaffMember,
    case_id: Uuid,
) -> CoreResult<CaseEscalation> {
    let opened = open::staff_case(state, staff, case_id).await?;
    escalation_of(state, staff, &opened).await
}

/// [`case_escalation`] of a case already opened by `staff`.
pub async fn escalation_of(
    state: &Core,
    staff: &StaffMember,
    opened: &OpenCase,
) -> CoreResult<CaseEscalation> {
    let (case, identity, case_id) = (&opened.case, &opened.identity, opened.case.id);
    let mut decisions = Vec::new();
    if authz::staff_may(staff, Permission::DecideEscalation) {
        for record in state.store.decisions(case_id).await? {
            let rationale = open_text(identity, &record.rationale)?;
            let decided_by_name = display_name(state, record.decided_by).await?;
            let confirmed_by_name = match record.confirmed_by {
                Some(id) => Some(display_name(state, id).await?),
                None => None,
            };
            decisions.push(DecisionView {
                record,
                rationale,
                decided_by_name,
                confirmed_by_name,
            });
        }
    }
    let closure = if case.status == CaseStatus::Closed {
        match state
            .store
            .closures(case_id)
            .await?
            .into_iter()
            .rev()
            .find(|c| c.reopened_at.is_none())
        {
            Some(c) => Some(ClosureView {
                evaluation: open_text(identity, &c.evaluation)?,
                closed_by_name: display_name(state, c.closed_by).await?,
                outcome: c.outcome,
                closed_at: c.closed_at,
            }),
            None => None,
        }
    } else {
        None
    };
    let police_decision_missing = police_decision_missing(state, case).await?;
    Ok(CaseEscalation {
        decisions,
        closure,
        police_decision_missing,
    })
}

/// Records a contact point's decision on a case routed to them.
pub async fn record_decision(
    state: &Core,
    staff: &StaffMember,
    case_id: Uuid,
    input: &DecisionInput,
) -> CoreResult<Uuid> {
    contact(staff)?;
    let OpenCase { case, .. } = open::staff_case(state, staff, case_id).await?;
    let recipient = keys::recipient(&case.recipient)?;
    let record = EscalationRecord {
        id: Uuid::new_v4(),
        case_id,
        authority: input.authority,
        decision: input.decision,
        legal_basis: input.legal_basis,
        rationale: keys::seal(&recipient, input.rationale.as_str().as_bytes())?,
        aware_at: input.aware_at,
        decided_at: input.decided_at,
        notified_at: input.notified_at,
        decided_by: staff.user_id,
        authority_reference: input
            .authority_reference
            .as_ref()
            .map(|r| r.as_str().to_owned()),
        confirmed_by: None,
        confirmed_at: None,
        recorded_at: now_in(state),
    };
    audited(
        state,
        staff
            .event_on(action::ESCALATION_DECIDED, case_id)
            .with_detail(json!({
                "decision_id": record.id,
                "authority": record.authority.key(),
                "decision": record.decision.key(),
                "legal_basis": record.legal_basis.key(),
            })),
    )
    .await?;
    state.store.insert_decision(&record).await?;
    crate::core::deadlines::refresh_one(state, case_id).await?;
    Ok(record.id)
}

/// A second contact point confirms another's decision.
pub async fn confirm_decision(
    state: &Core,
    staff: &StaffMember,
    case_id: Uuid,
    decision_id: Uuid,
) -> CoreResult<()> {
    contact(staff)?;
    open::staff_case(state, staff, case_id).await?;
    let decisions = state.store.decisions(case_id).await?;
    let confirmable = decisions
        .iter()
        .any(|d| d.id == decision_id && d.decided_by != staff.user_id && d.confirmed_by.is_none());
    if !confirmable {
        return Err(CoreError::Refused(Refusal::CannotConfirm));
    }
    audited(
        state,
        staff
            .event_on(action::ESCALATION_CONFIRMED, case_id)
            .with_detail(json!({ "decision_id": decision_id })),
    )
    .await?;
    match state
        .store
        .confirm_decision(case_id, decision_id, staff.user_id, now_in(state))
        .await
    {
        Ok(()) => Ok(()),
        Err(StoreError::NotFound) => Err(CoreError::Refused(Refusal::CannotConfirm)),
        Err(e) => Err(e.into()),
    }
}

/// Whether the case's sub-type requires a police/PST decision before closing.
async fn needs_police_decision(state: &Core, case: &Case) -> CoreResult<bool> {
    let facts = state.store.triage_facts(case.id).await?.unwrap_or_default();
    Ok(state
        .settings
        .taxonomy
        .flags_of(case.category, facts.subtype.as_ref())
        .requires_police_decision_before_close())
}

/// True when the case's sub-type falls under § 196 and no police or PST
/// decision (other than "defer") is recorded.
async fn police_decision_missing(state: &Core, case: &Case) -> CoreResult<bool> {
    if !needs_police_decision(state, case).await? {
        return Ok(false);
    }
    let decided = state
        .store
        .decisions(case.id)
        .await?
        .iter()
        .any(|d| d.authority.satisfies_penal_196() && d.decision != Decision::Defer);
    Ok(!decided)
}

/// Closes a case with an outcome and a written evaluation. Refused for a
/// § 196 case without a police or PST decision.
pub async fn close_case(
    state: &Core,
    staff: &StaffMember,
    case_id: Uuid,
    outcome: Outcome,
    evaluation: &TextField,
) -> CoreResult<()> {
    let OpenCase { case, .. } = open::staff_case(state, staff, case_id).await?;
    if case.status == CaseStatus::Closed {
        return Err(CoreError::Refused(Refusal::AlreadyClosed));
    }
    if police_decision_missing(state, &case).await? {
        return Err(CoreError::Refused(Refusal::NeedsPoliceDecision));
    }
    let recipient = keys::recipient(&case.recipient)?;
    let closure = Closure {
        id: Uuid::new_v4(),
        case_id,
        closed_at: now_in(state),
        closed_by: staff.user_id,
        outcome,
        evaluation: keys::seal(&recipient, evaluation.as_str().as_bytes())?,
        reopened_at: None,
        reopened_by: None,
        reopen_reason: None,
    };
    audited(
        state,
        staff
            .event_on(action::CASE_CLOSED, case_id)
            .with_detail(json!({
                "from": case.status.key(),
                "outcome": closure.outcome.key(),
                "closure_id": closure.id,
            })),
    )
    .await?;
    state.store.close_case(&closure, CaseStatus::Closed).await?;
    crate::core::deadlines::refresh_one(state, case_id).await?;
    Ok(())
}

/// Reopens a closed case with a reason; it goes back to "under investigation".
pub async fn reopen_case(
    state: &Core,
    staff: &StaffMember,
    case_id: Uuid,
    reason: &TextField,
) -> CoreResult<()> {
    let OpenCase { case, .. } = open::staff_case(state, staff, case_id).await?;
    if case.status != CaseStatus::Closed {
        return Err(CoreError::Refused(Refusal::NotClosed));
    }
    let recipient = keys::recipient(&case.recipient)?;
    let sealed = keys::seal(&recipient, reason.as_str().as_bytes())?;
    let status = CaseStatus::UnderInvestigation;
    audited(
        state,
        staff
            .event_on(action::CASE_REOPENED, case_id)
            .with_detail(json!({ "to": status.key() })),
    )
    .await?;
    match state
        .store
        .reopen_case(case_id, staff.user_id, now_in(state), &sealed, status)
        .await
    {
        Ok(()) => Ok(crate::core::deadlines::refresh_one(state, case_id).await?),
        Err(StoreError::NotFound) => Err(CoreError::Refused(Refusal::NotClosed)),
        Err(e) => Err(e.into()),
    }
}

/// Which decisions the register lists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RegisterFilter {
    /// Only this authority.
    pub authority: Option<Authority>,
    /// Only this decision.
    pub decision: Option<Decision>,
    /// Only this legal basis.
    pub legal_basis: Option<LegalBasis>,
    /// Only decisions made in this calendar year (UTC).
    pub year: Option<i32>,
}

impl RegisterFilter {
    fn keeps(&self, r: &EscalationRecord) -> bool {
        self.authority.is_none_or(|a| a == r.authority)
            && self.decision.is_none_or(|d| d == r.decision)
            && self.legal_basis.is_none_or(|b| b == r.legal_basis)
            && self.year.is_none_or(|y| {
                OffsetDateTime::from_unix_timestamp(r.decided_at).is_ok_and(|t| t.year() == y)
            })
    }
}

/// The escalation register (contact points only): every decision matching
/// `filter`, without rationales. The reading is audited.
pub async fn register(
    state: &Core,
    staff: &StaffMember,
    filter: &RegisterFilter,
) -> CoreResult<Vec<RegisterEntry>> {
    contact(staff)?;
    let entries = state
        .store
        .escalation_register()
        .await?
        .into_iter()
        .filter(|e| filter.keeps(&e.record))
        .collect();
    audited(
        state,
        AuditEvent::new(
            AuditActor::User(staff.user_id),
            action::ESCALATION_REGISTER_READ,
        ),
    )
    .await?;
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_are_dates_or_date_times() {
        assert_eq!(parse_moment("1970-01-02"), Some(86_400));
        assert_eq!(parse_moment("1970-01-02T01:30"), Some(86_400 + 5_400));
        assert_eq!(parse_moment(" 1970-01-02T01:30:10 "), Some(86_400 + 5_410));
        assert_eq!(parse_moment("02.01.1970"), None);
        assert_eq!(parse_moment(""), None);
    }

    #[test]
    fn a_decision_is_made_after_awareness_and_not_in_the_future() {
        let draft = |aware_at, decided_at| DecisionDraft {
            authority: "datatilsynet",
            decision: "do_not_escalate",
            legal_basis: "gdpr_33_34",
            rationale: "Ingen risiko",
            aware_at,
            decided_at,
            ..DecisionDraft::default()
        };
        let now = 86_400 * 10 + 3_600; // 1970-01-11T01:00
        let problems = |aware, decided| match draft(aware, decided).parse(100, now) {
            Ok(_) => Vec::new(),
            Err(errors) => errors,
        };
        assert!(
            problems("1970-01-10", "1970-01-10").is_empty(),
            "same moment"
        );
        assert!(problems("1970-01-10", "1970-01-11T01:00").is_empty(), "now");
        assert_eq!(
            problems("1970-01-10T12:00", "1970-01-10T11:59"),
            [FieldError {
                field: "decided_at",
                problem: FieldProblem::BeforeEarliest {
                    earliest: "aware_at"
                },
            }]
        );
        assert_eq!(
            problems("1970-01-10", "1970-01-11T01:01"),
            [FieldError {
                field: "decided_at",
                problem: FieldProblem::InFuture,
            }]
        );
    }

    #[test]
    fn the_filter_keeps_matching_decisions() {
        let record = EscalationRecord {
            id: Uuid::nil(),
            case_id: Uuid::nil(),
            authority: Authority::Politi,
            decision: Decision::Escalate,
            legal_basis: LegalBasis::Straffeloven196,
            rationale: Vec::new(),
            aware_at: 0,
            decided_at: 86_400 * 365,
            notified_at: None,
            decided_by: Uuid::nil(),
            authority_reference: None,
            confirmed_by: None,
            confirmed_at: None,
            recorded_at: 0,
        };
        assert!(RegisterFilter::default().keeps(&record));
        let politi = RegisterFilter {
            authority: Some(Authority::Politi),
            year: Some(1971),
            ..RegisterFilter::default()
        };
        assert!(politi.keeps(&record));
        let nsm = RegisterFilter {
            authority: Some(Authority::Nsm),
            ..RegisterFilter::default()
        };
        assert!(!nsm.keeps(&record));
        let other_year = RegisterFilter {
            year: Some(1970),
            ..RegisterFilter::default()
        };
        assert!(!other_year.keeps(&record));
    }
}
