//! The decision whether to notify Datatilsynet of a personal-data breach
//! (GDPR art. 33, SPEC §4), recorded by whoever the case reaches.
//!
//! A breach case carries a 72-hour deadline to decide, but it alerts no
//! contact point (only `kritisk` and Security-Act cases do), and escalation
//! decisions are the contact points' (`DecideEscalation`). So the handler
//! who receives a breach case records this one decision themselves: notify
//! or do not notify, why (sealed to the case) and when it was decided. It is
//! stored as an escalation decision about Datatilsynet on the legal basis
//! GDPR art. 33/34, so it meets the breach deadline by the one rule of
//! [`crate::core::deadlines`], appears in the contact points' escalation
//! register (every breach is documented, art. 33(5)) and in the statistics'
//! decision counts, and a contact point may confirm it. See
//! `docs/breach-decision.md` for why this was chosen over routing breach
//! cases to the contact points.

use anyhow::Context;
use serde_json::json;
use uuid::Uuid;
use varsel_crypto::AnyIdentity;

use crate::core::actor::StaffMember;
use crate::core::audit::action;
use crate::core::audit_log;
use crate::core::authz::{self, Permission};
use crate::core::casework::now_in;
use crate::core::deadlines;
use crate::core::domain::{Authority, Decision, LegalBasis, TextField, TextFieldError};
use crate::core::error::{CoreError, CoreResult, FieldError, FieldProblem};
use crate::core::escalation::parse_moment;
use crate::core::keys;
use crate::core::open::{self, OpenCase};
use crate::core::service::Core;
use crate::core::store::EscalationRecord;

/// Whether Datatilsynet is to be notified: the decision's stored key is that
/// of [`Decision::Escalate`] (`notify`) or [`Decision::DoNotEscalate`].
pub const CHOICES: [(&str, Decision); 2] = [
    ("notify", Decision::Escalate),
    ("do_not_notify", Decision::DoNotEscalate),
];

/// A breach decision as submitted, every field as text.
#[derive(Debug, Default, Clone, Copy)]
pub struct BreachDecisionDraft<'a> {
    /// `notify` or `do_not_notify`.
    pub decision: &'a str,
    /// Why.
    pub rationale: &'a str,
    /// When it was decided (`YYYY-MM-DD` or `YYYY-MM-DDTHH:MM`, UTC).
    pub decided_at: &'a str,
}

/// A valid breach decision.
pub struct BreachDecisionInput {
    /// [`Decision::Escalate`] (notify) or [`Decision::DoNotEscalate`].
    pub decision: Decision,
    /// Why (sealed to the case).
    pub rationale: TextField,
    /// When it was decided (UNIX seconds).
    pub decided_at: i64,
}

impl BreachDecisionDraft<'_> {
    /// The decision, or every problem (`rationale`, `decision`,
    /// `decided_at`). `decided_at` may not lie after `now`; that it does not
    /// precede the case's receipt is checked by [`record`].
    pub fn parse(&self, max_text: usize, now: i64) -> Result<BreachDecisionInput, Vec<FieldError>> {
        let mut errors = Vec::new();
        let rationale = match TextField::parse(self.rationale, max_text) {
            Ok(t) => Some(t),
            Err(e) => {
                errors.push(FieldError {
                    field: "rationale",
                    problem: match e {
                        TextFieldError::Empty => FieldProblem::Required,
                        TextFieldError::TooLong { max } => FieldProblem::TooLong { max },
                    },
                });
                None
            }
        };
        let decision = CHOICES
            .iter()
            .find(|(key, _)| *key == self.decision.trim())
            .map(|(_, d)| *d);
        if decision.is_none() {
            errors.push(FieldError {
                field: "decision",
                problem: FieldProblem::Unknown,
            });
        }
        let decided_at = match parse_moment(self.decided_at) {
            None => {
                errors.push(FieldError {
                    field: "decided_at",
                    problem: FieldProblem::Malformed,
                });
                None
            }
            Some(at) if at > now => {
                errors.push(FieldError {
                    field: "decided_at",
                    problem: FieldProblem::InFuture,
                });
                None
            }
            at => at,
        };
        match (decision, rationale, decided_at) {
            (Some(decision), Some(rationale), Some(decided_at)) if errors.is_empty() => {
                Ok(BreachDecisionInput {
                    decision,
                    rationale,
                    decided_at,
                })
            }
            _ => Err(errors),
        }
    }
}

/// The form key of a stored decision (`notify` or `do_not_notify`).
pub fn choice_key(decision: Decision) -> &'static str {
    CHOICES
        .iter()
        .find(|(_, d)| *d == decision)
        .map_or("do_not_notify", |(key, _)| key)
}

/// A recorded Datatilsynet decision, its rationale opened.
pub struct BreachDecisionView {
    /// The decision's id.
    pub id: Uuid,
    /// Notify or not.
    pub decision: Decision,
    /// Why.
    pub rationale: String,
    /// When it was decided (UNIX seconds).
    pub decided_at: i64,
    /// Who recorded it.
    pub decided_by_name: String,
}

/// What a case worker sees of the breach decision of a case.
pub struct BreachDecisions {
    /// Whether the case is a personal-data breach (the form is offered).
    pub applies: bool,
    /// The deciding Datatilsynet decisions recorded so far, oldest first.
    pub decisions: Vec<BreachDecisionView>,
}

fn open_text(identity: &AnyIdentity, sealed: &[u8]) -> CoreResult<String> {
    let bytes = keys::open(identity, sealed)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Whether the opened case is a personal-data breach under the taxonomy.
async fn is_breach(state: &Core, case_id: Uuid) -> CoreResult<(bool, i64)> {
    let stored = state
        .store
        .deadline_facts(case_id)
        .await?
        .ok_or(CoreError::NotFound)?;
    let flags = state
        .settings
        .taxonomy
        .flags_of(stored.category, stored.subtype.as_ref());
    Ok((flags.personal_data_breach, stored.received_at))
}

/// The breach decisions of a case `staff` has opened.
pub async fn decisions_of(
    state: &Core,
    staff: &StaffMember,
    opened: &OpenCase,
) -> CoreResult<BreachDecisions> {
    if !authz::staff_may(staff, Permission::WorkCases) {
        return Err(CoreError::Forbidden);
    }
    let case_id = opened.case.id;
    let (applies, _) = is_breach(state, case_id).await?;
    let mut decisions = Vec::new();
    for record in state.store.decisions(case_id).await? {
        if record.authority != Authority::Datatilsynet
            || !Decision::DECIDING.contains(&record.decision)
        {
            continue;
        }
        let decided_by_name = state
            .store
            .user_by_id(record.decided_by)
            .await?
            .map(|u| u.display_name)
            .unwrap_or_default();
        decisions.push(BreachDecisionView {
            id: record.id,
            decision: record.decision,
            rationale: open_text(&opened.identity, &record.rationale)?,
            decided_at: record.decided_at,
            decided_by_name,
        });
    }
    Ok(BreachDecisions { applies, decisions })
}

/// The breach decisions of a case routed to `staff`.
pub async fn case_decisions(
    state: &Core,
    staff: &StaffMember,
    case_id: Uuid,
) -> CoreResult<BreachDecisions> {
    if !authz::staff_may(staff, Permission::WorkCases) {
        return Err(CoreError::Forbidden);
    }
    let opened = open::staff_case(state, staff, case_id).await?;
    decisions_of(state, staff, &opened).await
}

/// Records the Datatilsynet decision of a personal-data-breach case routed
/// to `staff` (any case worker it reaches). `Conflict` if the case is not a
/// breach case; `Invalid` (`decided_at`) if the decision predates receipt.
/// The organisation is taken to have become aware at receipt.
pub async fn record(
    state: &Core,
    staff: &StaffMember,
    case_id: Uuid,
    input: &BreachDecisionInput,
) -> CoreResult<Uuid> {
    if !authz::staff_may(staff, Permission::WorkCases) {
        return Err(CoreError::Forbidden);
    }
    let OpenCase { case, .. } = open::staff_case(state, staff, case_id).await?;
    let (applies, received_at) = is_breach(state, case_id).await?;
    if !applies {
        return Err(CoreError::Conflict);
    }
    if input.decided_at < received_at {
        return Err(CoreError::Invalid(vec![FieldError {
            field: "decided_at",
            problem: FieldProblem::BeforeEarliest {
                earliest: "received_at",
            },
        }]));
    }
    let recipient = keys::recipient(&case.recipient)?;
    let record = EscalationRecord {
        id: Uuid::new_v4(),
        case_id,
        authority: Authority::Datatilsynet,
        decision: input.decision,
        legal_basis: LegalBasis::Gdpr3334,
        rationale: keys::seal(&recipient, input.rationale.as_str().as_bytes())?,
        aware_at: received_at,
        decided_at: input.decided_at,
        notified_at: None,
        decided_by: staff.user_id,
        authority_reference: None,
        confirmed_by: None,
        confirmed_at: None,
        recorded_at: now_in(state),
    };
    audit_log::record(
        &*state.store,
        state.now(),
        staff
            .event_on(action::ESCALATION_DECIDED, case_id)
            .with_detail(json!({
                "decision_id": record.id,
                "authority": record.authority.key(),
                "decision": record.decision.key(),
                "legal_basis": record.legal_basis.key(),
                "form": "breach_decision",
            })),
    )
    .await
    .context("cannot write the audit log")?;
    state.store.insert_decision(&record).await?;
    deadlines::refresh_one(state, case_id).await?;
    Ok(record.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_breach_decision_needs_a_choice_a_reason_and_a_past_moment() {
        let now = 86_400 * 10;
        let ok = BreachDecisionDraft {
            decision: "do_not_notify",
            rationale: "Krypterte data, ingen risiko",
            decided_at: "1970-01-10T00:00",
        }
        .parse(100, now)
        .ok()
        .map(|i| i.decision);
        assert_eq!(ok, Some(Decision::DoNotEscalate));
        let errors = BreachDecisionDraft {
            decision: "escalate",
            rationale: " ",
            decided_at: "1970-01-11T00:01",
        }
        .parse(100, now)
        .err()
        .unwrap_or_default();
        let fields: Vec<_> = errors
            .iter()
            .map(|e| (e.field, e.problem.clone()))
            .collect();
        assert_eq!(
            fields,
            [
                ("rationale", FieldProblem::Required),
                ("decision", FieldProblem::Unknown),
                ("decided_at", FieldProblem::InFuture),
            ]
        );
        assert_eq!(choice_key(Decision::Escalate), "notify");
    }
}
