//! The deadline rules ([`crate::core::domain::deadline`]) applied to stored cases:
//! one conversion from what the store records to [`CaseFacts`], used by the
//! inbox, the case pages, the JSON API and the reminder scheduler alike, and
//! the one extension of the feedback deadline.
//!
//! # Which decision meets which deadline
//!
//! Only a recorded *escalate* or *do not escalate* decision decides anything;
//! *defer* meets no deadline. Each deadline is met at the earliest
//! `decided_at` of a decision that answers its question:
//!
//! | deadline | met by a decision about |
//! | --- | --- |
//! | personal-data breach, 72 hours | Datatilsynet (GDPR art. 33) |
//! | `kritisk`, 24 hours | any authority |
//! | Security Act notice, at once | NSM (sikkerhetsloven § 4-5) |
//!
//! A decision about the police does not answer whether Datatilsynet or NSM
//! must be notified, so it meets only the `kritisk` deadline.
//!
//! Every "now" comes from the application's [`Clock`](crate::core::clock::Clock)
//! (`state.clock`), so tests move deadlines by moving a manual clock.

use std::collections::HashMap;

use anyhow::{anyhow, Context};
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;
use zeroize::Zeroize;

use crate::core::actor::StaffMember;
use crate::core::audit::action;
use crate::core::audit_log;
use crate::core::domain::deadline::{answer_expected_by, ExtensionReason, FeedbackExtension};
use crate::core::domain::{
    all_deadlines, extend_feedback as extend, next_open, CaseFacts, CaseStatus, Deadline,
    DeadlineKind, DeadlineSettings, DeadlineState, ExtensionError, RetaliationFacts, SubtypeKey,
    Taxonomy,
};
use crate::core::error::{CoreError, CoreResult, Refusal};
use crate::core::keys;
use crate::core::open::{self, OpenCase};
use crate::core::service::Core;
use crate::core::store::{Case, StoreError, StoredDeadlineFacts};
use sha2::{Digest, Sha256};

/// Stands in for the reason of a recorded extension, which is sealed to the
/// case and never opened to compute a deadline: the deadline depends only on
/// whether, and when, the extension was made.
const SEALED_REASON: &str = "(sealed to the case)";

fn instant(t: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(t).ok()
}

/// The deadline facts of a stored case, its sub-type's duties taken from
/// `taxonomy`; `None` if the stored receipt time cannot be represented.
pub fn facts_of(stored: &StoredDeadlineFacts, taxonomy: &Taxonomy) -> Option<CaseFacts> {
    let flags = taxonomy.flags_of(stored.category, stored.subtype.as_ref());
    let mut facts = CaseFacts::received(instant(stored.received_at)?, stored.severity, flags);
    facts.acknowledged_at = stored.acknowledged_at.and_then(instant);
    facts.feedback_given_at = stored.feedback_given_at.and_then(instant);
    facts.feedback_extension = stored
        .feedback_extended_at
        .and_then(instant)
        .and_then(|at| {
            Some(FeedbackExtension {
                reason: ExtensionReason::parse(SEALED_REASON).ok()?,
                at,
            })
        });
    facts.escalation_decided_at = stored.first_decision_at.and_then(instant);
    facts.breach_decision_at = stored.datatilsynet_decision_at.and_then(instant);
    facts.security_act_decision_at = stored.nsm_decision_at.and_then(instant);
    facts.closed = stored.status == CaseStatus::Closed;
    facts.retaliation = stored
        .retaliation_reported_at
        .and_then(instant)
        .map(|reported_at| RetaliationFacts {
            reported_at,
            answered_at: stored.retaliation_answered_at.and_then(instant),
        });
    Some(facts)
}

/// The nearest open deadline of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NextDeadline {
    /// What is due.
    pub kind: DeadlineKind,
    /// When.
    pub due: OffsetDateTime,
    /// Where it stands now.
    pub state: DeadlineState,
}

/// One deadline of a case and where it stands now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeadlineStatus {
    /// The deadline.
    pub deadline: Deadline,
    /// Its state now; `None` for a deadline left unmet when the case was
    /// closed (it no longer runs).
    pub state: Option<DeadlineState>,
}

impl DeadlineStatus {
    /// The stable key of the state: a [`DeadlineState`] key, or `closed`.
    pub fn state_key(&self) -> &'static str {
        self.state.map_or("closed", DeadlineState::key)
    }
}

/// Every deadline of `facts` with its state at `now`, in
/// [`DeadlineKind::ALL`] order.
pub fn statuses(
    facts: &CaseFacts,
    settings: &DeadlineSettings,
    now: OffsetDateTime,
) -> Vec<DeadlineStatus> {
    all_deadlines(facts, settings)
        .into_iter()
        .map(|deadline| DeadlineStatus {
            deadline,
            state: (!facts.closed || deadline.met.is_some()).then(|| deadline.state(settings, now)),
        })
        .collect()
}

/// The nearest open deadline of each of `case_ids` that has one, at the
/// clock's time, from one read of the store.
pub async fn next_deadlines(
    state: &Core,
    case_ids: &[Uuid],
) -> anyhow::Result<HashMap<Uuid, NextDeadline>> {
    let now = state.clock.now();
    let settings = &state.settings.deadlines;
    let stored = state
        .store
        .deadline_facts_of(case_ids)
        .await
        .context("cannot read deadline facts")?;
    Ok(stored
        .iter()
        .filter_map(|s| {
            let facts = facts_of(s, &state.settings.taxonomy)?;
            let (deadline, state) = next_open(&facts, settings, now)?;
            Some((
                s.case_id,
                NextDeadline {
                    kind: deadline.kind,
                    due: deadline.due,
                    state,
                },
            ))
        })
        .collect())
}

/// A fingerprint of the rules a stored nearest deadline depends on: the
/// deadline settings and the taxonomy (which sub-types trigger which
/// duties). A stored deadline computed under another fingerprint is stale.
pub fn rules_fingerprint(settings: &DeadlineSettings, taxonomy: &Taxonomy) -> String {
    let mut hash = Sha256::new();
    hash.update(serde_json::to_vec(settings).unwrap_or_default());
    hash.update([0]);
    hash.update(serde_json::to_vec(taxonomy).unwrap_or_default());
    hex::encode(&hash.finalize()[..8])
}

/// The nearest open deadline of a stored case (UNIX seconds and kind), by
/// the same rules as everything else ([`facts_of`], [`next_open`]): what the
/// store keeps in `cases.next_deadline_at` for the inbox's order.
pub fn stored_next(
    stored: &StoredDeadlineFacts,
    settings: &DeadlineSettings,
    taxonomy: &Taxonomy,
) -> Option<(i64, DeadlineKind)> {
    let facts = facts_of(stored, taxonomy)?;
    // The state (which depends on "now") is not stored, only the deadline.
    next_open(&facts, settings, facts.received_at).map(|(d, _)| (d.due.unix_timestamp(), d.kind))
}

/// The nearest open deadline of a case about to be stored, and the
/// fingerprint of the rules it was computed under (for [`NewCase`]).
///
/// [`NewCase`]: crate::core::store::NewCase
pub fn of_new_case(
    case: &Case,
    subtype: Option<&SubtypeKey>,
    settings: &DeadlineSettings,
    taxonomy: &Taxonomy,
) -> (Option<(i64, DeadlineKind)>, String) {
    let stored = StoredDeadlineFacts {
        case_id: case.id,
        category: case.category,
        subtype: subtype.cloned(),
        severity: case.severity,
        status: case.status,
        received_at: case.received_at,
        acknowledged_at: case.acknowledged_at,
        feedback_given_at: None,
        feedback_extended_at: None,
        first_decision_at: None,
        datatilsynet_decision_at: None,
        nsm_decision_at: None,
        retaliation_reported_at: None,
        retaliation_answered_at: None,
    };
    (
        stored_next(&stored, settings, taxonomy),
        rules_fingerprint(settings, taxonomy),
    )
}

/// Recomputes and stores the nearest open deadline of `case_ids` (in
/// batches of 500). Called by every operation that changes a deadline
/// fact, after its change is stored.
pub async fn refresh_stored(core: &Core, case_ids: &[Uuid]) -> anyhow::Result<()> {
    let (settings, taxonomy) = (&core.settings.deadlines, &core.settings.taxonomy);
    let rules = rules_fingerprint(settings, taxonomy);
    let next = |f: &StoredDeadlineFacts| stored_next(f, settings, taxonomy);
    for chunk in case_ids.chunks(500) {
        core.store
            .refresh_next_deadlines(chunk, &rules, &next)
            .await
            .context("cannot store the nearest deadline")?;
    }
    Ok(())
}

/// [`refresh_stored`] of one case.
pub async fn refresh_one(core: &Core, case_id: Uuid) -> anyhow::Result<()> {
    refresh_stored(core, &[case_id]).await
}

/// Recomputes every stored nearest deadline that was not computed under
/// the running rules: rows from before migration 0010, and all of them
/// after the deadline settings or the taxonomy changed. Runs at startup, in
/// batches, so memory stays flat. Returns how many cases it updated.
pub async fn reconcile_stored(core: &Core) -> anyhow::Result<u64> {
    let rules = rules_fingerprint(&core.settings.deadlines, &core.settings.taxonomy);
    let mut done = 0;
    loop {
        let stale = core
            .store
            .cases_with_stale_deadline(&rules, 500)
            .await
            .context("cannot list stale deadlines")?;
        if stale.is_empty() {
            return Ok(done);
        }
        refresh_stored(core, &stale).await?;
        done += stale.len() as u64;
    }
}

async fn stored_facts(state: &Core, case_id: Uuid) -> anyhow::Result<Option<CaseFacts>> {
    let stored = state
        .store
        .deadline_facts(case_id)
        .await
        .context("cannot read deadline facts")?;
    Ok(stored.and_then(|s| facts_of(&s, &state.settings.taxonomy)))
}

/// When the reporter should next hear from the organisation (an extended
/// feedback deadline included); `None` once answered or closed.
pub async fn answer_due(state: &Core, case_id: Uuid) -> anyhow::Result<Option<OffsetDateTime>> {
    Ok(stored_facts(state, case_id)
        .await?
        .and_then(|facts| answer_expected_by(&facts, &state.settings.deadlines)))
}

/// Every deadline of a case with its state at the clock's time. The caller
/// has checked that the case is theirs.
pub async fn deadline_statuses(state: &Core, case_id: Uuid) -> anyhow::Result<Vec<DeadlineStatus>> {
    Ok(stored_facts(state, case_id)
        .await?
        .map(|facts| statuses(&facts, &state.settings.deadlines, state.clock.now()))
        .unwrap_or_default())
}

/// The recorded extension of a feedback deadline, its reason opened.
pub struct ExtensionView {
    /// When it was made (UNIX seconds).
    pub at: i64,
    /// Who made it (their display name), if the account still exists.
    pub by_name: Option<String>,
    /// Why.
    pub reason: String,
}

impl Drop for ExtensionView {
    fn drop(&mut self) {
        self.reason.zeroize();
    }
}

/// What the staff case page and API show of a case's deadlines.
pub struct CaseDeadlines {
    /// Every deadline and its state now.
    pub statuses: Vec<DeadlineStatus>,
    /// The extension of the feedback deadline, if one was made.
    pub extension: Option<ExtensionView>,
    /// Whether the feedback deadline may be extended now (given a reason).
    pub can_extend: bool,
}

/// The deadlines of a case routed to `staff`, with the extension's reason
/// opened with the case key.
pub async fn case_deadlines(
    state: &Core,
    staff: &StaffMember,
    case_id: Uuid,
) -> CoreResult<CaseDeadlines> {
    let opened = open::staff_case(state, staff, case_id).await?;
    deadlines_of(state, &opened).await
}

/// [`case_deadlines`] of a case already opened.
pub async fn deadlines_of(state: &Core, opened: &OpenCase) -> CoreResult<CaseDeadlines> {
    let (identity, case_id) = (&opened.identity, opened.case.id);
    let settings = &state.settings.deadlines;
    let now = state.clock.now();
    let facts = stored_facts(state, case_id).await?;
    let extension = match state.store.feedback_extension(case_id).await? {
        Some(stored) => {
            let reason = keys::open(identity, &stored.reason)?;
            let by_name = match stored.by {
                Some(id) => state.store.user_by_id(id).await?.map(|u| u.display_name),
                None => None,
            };
            Some(ExtensionView {
                at: stored.at,
                by_name,
                reason: String::from_utf8_lossy(&reason).into_owned(),
            })
        }
        None => None,
    };
    let Some(facts) = facts else {
        return Ok(CaseDeadlines {
            statuses: Vec::new(),
            extension,
            can_extend: false,
        });
    };
    // A dry run of the rules: would an extension with a reason be accepted?
    let can_extend = extend(&mut facts.clone(), SEALED_REASON, settings, now).is_ok();
    Ok(CaseDeadlines {
        statuses: statuses(&facts, settings, now),
        extension,
        can_extend,
    })
}

/// Extends the feedback deadline of a case routed to `staff` once, to
/// `feedback_extended_months` from the same start, with a reason sealed to
/// the case. Checked against the rules at the clock's time; the audit log
/// records who and when, never the reason. Returns the new due instant.
pub async fn extend_feedback(
    state: &Core,
    staff: &StaffMember,
    case_id: Uuid,
    reason: &str,
) -> CoreResult<OffsetDateTime> {
    let OpenCase { case, .. } = open::staff_case(state, staff, case_id).await?;
    let settings = &state.settings.deadlines;
    let now = state.clock.now();
    let mut facts = stored_facts(state, case_id)
        .await?
        .ok_or_else(|| anyhow!("the case's deadline facts are not valid"))?;
    let previous_due = feedback_due(&facts, settings);
    let extension = extend(&mut facts, reason, settings, now).map_err(Refusal::Extension)?;
    let recipient = keys::recipient(&case.recipient)?;
    let sealed = keys::seal(&recipient, extension.reason.as_str().as_bytes())?;
    let due = feedback_due(&facts, settings).ok_or_else(|| anyhow!("no feedback deadline"))?;
    audit_log::record(
        &*state.store,
        state.now(),
        staff
            .event_on(action::CASE_FEEDBACK_EXTENDED, case_id)
            .with_detail(json!({
                "from": previous_due.map(OffsetDateTime::unix_timestamp),
                "to": due.unix_timestamp(),
            })),
    )
    .await
    .context("cannot write the audit log")?;
    match state
        .store
        .extend_feedback(case_id, staff.user_id, now.unix_timestamp(), &sealed)
        .await
    {
        Ok(()) => {
            refresh_one(state, case_id).await?;
            Ok(due)
        }
        // Extended by someone else since the facts were read.
        Err(StoreError::Conflict) => {
            Err(Refusal::Extension(ExtensionError::AlreadyExtended).into())
        }
        Err(StoreError::NotFound) => Err(CoreError::NotFound),
        Err(e) => Err(e.into()),
    }
}

fn feedback_due(facts: &CaseFacts, settings: &DeadlineSettings) -> Option<OffsetDateTime> {
    all_deadlines(facts, settings)
        .into_iter()
        .find(|d| d.kind == DeadlineKind::Feedback)
        .map(|d| d.due)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::domain::{Category, Severity, SubtypeKey};
    use time::macros::datetime;
    use time::Duration;

    fn stored(category: &str, subtype: Option<&str>, severity: &str) -> StoredDeadlineFacts {
        StoredDeadlineFacts {
            case_id: Uuid::nil(),
            category: Category::parse(category).expect("category"),
            subtype: subtype.map(|s| SubtypeKey::parse(s).expect("sub-type")),
            severity: Severity::parse(severity).expect("severity"),
            status: CaseStatus::Received,
            received_at: datetime!(2026-03-02 00:00 UTC).unix_timestamp(),
            acknowledged_at: None,
            feedback_given_at: None,
            feedback_extended_at: None,
            first_decision_at: None,
            datatilsynet_decision_at: None,
            nsm_decision_at: None,
            retaliation_reported_at: None,
            retaliation_answered_at: None,
        }
    }

    fn kinds(facts: &CaseFacts) -> Vec<DeadlineKind> {
        all_deadlines(facts, &DeadlineSettings::default())
            .into_iter()
            .map(|d| d.kind)
            .collect()
    }

    fn met(facts: &CaseFacts, kind: DeadlineKind) -> Option<OffsetDateTime> {
        all_deadlines(facts, &DeadlineSettings::default())
            .into_iter()
            .find(|d| d.kind == kind)
            .and_then(|d| d.met)
    }

    #[test]
    fn sub_type_duties_come_from_the_configured_taxonomy() {
        let taxonomy = Taxonomy::default_norwegian();
        let breach =
            facts_of(&stored("avvik", Some("personvernbrudd"), "lav"), &taxonomy).expect("valid");
        assert!(kinds(&breach).contains(&DeadlineKind::BreachDecision));
        let spy = facts_of(
            &stored("sikkerhet", Some("spionasje"), "kritisk"),
            &taxonomy,
        )
        .expect("valid");
        assert_eq!(
            kinds(&spy),
            vec![
                DeadlineKind::Acknowledge,
                DeadlineKind::Feedback,
                DeadlineKind::CriticalEscalationDecision,
                DeadlineKind::SecurityActNotice,
            ]
        );
        let plain = facts_of(&stored("avvik", None, "hoy"), &taxonomy).expect("valid");
        assert_eq!(
            kinds(&plain),
            vec![DeadlineKind::Acknowledge, DeadlineKind::Feedback]
        );
        // A sub-type the taxonomy no longer has triggers nothing.
        let gone = facts_of(&stored("avvik", Some("borte"), "lav"), &taxonomy).expect("valid");
        assert_eq!(kinds(&gone).len(), 2);
    }

    #[test]
    fn each_decision_meets_the_deadline_it_answers() {
        let taxonomy = Taxonomy::default_norwegian();
        let at = |h: i64| (datetime!(2026-03-02 00:00 UTC) + Duration::hours(h)).unix_timestamp();
        // A police decision: only the kritisk deadline.
        let mut police = stored("sikkerhet", Some("spionasje"), "kritisk");
        police.first_decision_at = Some(at(3));
        let facts = facts_of(&police, &taxonomy).expect("valid");
        assert!(met(&facts, DeadlineKind::CriticalEscalationDecision).is_some());
        assert!(met(&facts, DeadlineKind::SecurityActNotice).is_none());
        // An NSM decision is also the first decision: both.
        let mut nsm = police.clone();
        nsm.nsm_decision_at = Some(at(3));
        let facts = facts_of(&nsm, &taxonomy).expect("valid");
        assert!(met(&facts, DeadlineKind::CriticalEscalationDecision).is_some());
        assert!(met(&facts, DeadlineKind::SecurityActNotice).is_some());
        // A breach is met by Datatilsynet only.
        let mut breach = stored("avvik", Some("personvernbrudd"), "kritisk");
        breach.first_decision_at = Some(at(5));
        let facts = facts_of(&breach, &taxonomy).expect("valid");
        assert!(met(&facts, DeadlineKind::BreachDecision).is_none());
        assert!(met(&facts, DeadlineKind::CriticalEscalationDecision).is_some());
        breach.datatilsynet_decision_at = Some(at(5));
        let facts = facts_of(&breach, &taxonomy).expect("valid");
        assert_eq!(
            met(&facts, DeadlineKind::BreachDecision),
            Some(datetime!(2026-03-02 05:00 UTC))
        );
    }

    #[test]
    fn an_extension_and_feedback_and_closing_are_taken_from_the_store() {
        let taxonomy = Taxonomy::default_norwegian();
        let settings = DeadlineSettings::default();
        let mut s = stored("varsling", None, "middels");
        s.acknowledged_at = Some(datetime!(2026-03-03 10:00 UTC).unix_timestamp());
        let facts = facts_of(&s, &taxonomy).expect("valid");
        assert_eq!(
            answer_expected_by(&facts, &settings),
            Some(datetime!(2026-06-03 10:00 UTC))
        );
        s.feedback_extended_at = Some(datetime!(2026-04-01 09:00 UTC).unix_timestamp());
        let facts = facts_of(&s, &taxonomy).expect("valid");
        assert_eq!(
            answer_expected_by(&facts, &settings),
            Some(datetime!(2026-09-03 10:00 UTC))
        );
        assert!(!format!("{facts:?}").contains(SEALED_REASON));
        s.status = CaseStatus::Closed;
        let facts = facts_of(&s, &taxonomy).expect("valid");
        assert!(facts.closed);
        let now = datetime!(2026-12-01 00:00 UTC);
        let all = statuses(&facts, &settings, now);
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].state, Some(DeadlineState::Met));
        assert_eq!(
            all[1].state, None,
            "a closed case's deadline no longer runs"
        );
        assert_eq!(all[1].state_key(), "closed");
        s.status = CaseStatus::FeedbackGiven;
        s.feedback_given_at = Some(datetime!(2026-05-01 09:00 UTC).unix_timestamp());
        let facts = facts_of(&s, &taxonomy).expect("valid");
        assert_eq!(answer_expected_by(&facts, &settings), None);
    }
}
