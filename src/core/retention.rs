//! Retention by crypto-shredding (SPEC §4, `docs/retention.md`): a closed
//! case is deleted once `[retention]` months have passed since its closing —
//! every key wrap, every ciphertext row and every attachment file — leaving
//! only the audit entry `case.purged` (the day only) and its day-granular
//! figures in the statistics aggregates.
//!
//! A case stays while a contact point holds it on legal hold, while the
//! current escalation decision of any authority is `defer`, and while its
//! feedback deadline is still ahead and unmet (so that the statistics count
//! it as they would have). Store side: [`crate::core::store::RetentionStore`].

use anyhow::Context;
use serde_json::json;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::core::actor::StaffMember;
use crate::core::audit::{action, AuditActor, AuditEvent};
use crate::core::audit_log;
use crate::core::authz::{self, Permission};
use crate::core::clock::day_of;
use crate::core::domain::{add_calendar_months, TextField, TextFieldError};
use crate::core::error::{CoreError, CoreResult, FieldError, FieldProblem};
use crate::core::keys;
use crate::core::open::{self, OpenCase};
use crate::core::service::Core;
use crate::core::statistics::settled_feedback;
use crate::core::store::{ClosedCase, PurgedFigures, StoreError};

/// Seconds in a day.
const DAY: i64 = 86_400;

/// A case retention deleted (or, in a dry run, would delete).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purged {
    /// The case.
    pub case_id: Uuid,
    /// The day it was closed (UTC).
    pub closed_on: Date,
}

/// Who runs retention, as the audit log names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runner {
    /// The daily pass of the scheduler (actor `system`).
    Scheduler,
    /// `varsel purge` (actor `cli`).
    Cli,
}

impl Runner {
    fn actor(self) -> AuditActor {
        match self {
            Runner::Scheduler => AuditActor::System,
            Runner::Cli => AuditActor::Cli,
        }
    }
}

/// The day of a UNIX time (UTC).
fn date_of(at: i64) -> Option<Date> {
    OffsetDateTime::from_unix_timestamp(at)
        .ok()
        .map(|t| t.date())
}

/// Whether the case's retention period has run out at `now`, and its
/// feedback outcome if it has and no longer changes.
fn due(state: &Core, case: &ClosedCase, now: OffsetDateTime) -> Option<PurgedFigures> {
    let months = state.settings.retention.months_for(case.figures.category);
    let closed = OffsetDateTime::from_unix_timestamp(case.closed_at).ok()?;
    if add_calendar_months(closed, months) > now {
        return None;
    }
    let feedback = settled_feedback(&case.figures, &state.settings.deadlines, now)?;
    let f = &case.figures;
    Some(PurgedFigures {
        received_at: day_of(f.received_at),
        category: f.category,
        severity: f.severity,
        acknowledged_after_days: f
            .acknowledged_at
            .map(|a| (a.div_euclid(DAY) - f.received_at.div_euclid(DAY)).max(0)),
        feedback,
    })
}

/// Deletes every closed case whose retention period has run out (by the
/// clock), or with `dry_run` only lists them. Each case goes in its own
/// transaction with its audit entry; its attachment files are removed after
/// the commit (a file left by a crash is an orphan the attachment sweep
/// removes). Returns the cases deleted, oldest closing first.
pub async fn purge(state: &Core, runner: Runner, dry_run: bool) -> CoreResult<Vec<Purged>> {
    let now = state.clock.now();
    let mut due_cases: Vec<(ClosedCase, PurgedFigures)> = state
        .store
        .purgeable_cases()
        .await?
        .into_iter()
        .filter_map(|c| due(state, &c, now).map(|f| (c, f)))
        .collect();
    due_cases.sort_by_key(|(c, _)| (c.closed_at, c.case_id));
    let dir = state.settings.storage.attachments_dir();
    let mut purged = Vec::new();
    for (case, figures) in due_cases {
        let Some(closed_on) = date_of(case.closed_at) else {
            continue;
        };
        if dry_run {
            purged.push(Purged {
                case_id: case.case_id,
                closed_on,
            });
            continue;
        }
        let event = AuditEvent::new(runner.actor(), action::CASE_PURGED)
            .on_case(case.case_id)
            .with_detail(json!({ "by": "retention", "closed_on": closed_on.to_string() }));
        // The day only: the entry says the case existed and went that day.
        let mut record = audit_log::prepare(now.unix_timestamp(), event);
        record.at = day_of(record.at);
        match state
            .store
            .purge_case(case.case_id, &figures, &record)
            .await
        {
            Ok(attachments) => {
                for id in attachments {
                    let file = crate::core::attachments::path(&dir, id);
                    if let Err(e) = tokio::fs::remove_file(&file).await {
                        if e.kind() != std::io::ErrorKind::NotFound {
                            tracing::warn!(error = %e, "cannot remove a purged attachment file");
                        }
                    }
                }
                purged.push(Purged {
                    case_id: case.case_id,
                    closed_on,
                });
            }
            // Reopened, held or deferred since it was listed: it stays.
            Err(StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    if !dry_run && !purged.is_empty() {
        tracing::info!(cases = purged.len(), "retention deleted closed cases");
    }
    Ok(purged)
}

/// A legal hold as its case's page shows it.
#[derive(Debug, Clone)]
pub struct LegalHold {
    /// Who placed it.
    pub placed_by: Uuid,
    /// Their display name.
    pub placed_by_name: String,
    /// When.
    pub placed_at: OffsetDateTime,
    /// The reason, opened with the case key.
    pub reason: String,
}

/// The legal hold on a case already opened, if it has one.
pub async fn hold_of(state: &Core, open: &OpenCase) -> CoreResult<Option<LegalHold>> {
    let Some(stored) = state.store.legal_hold(open.case.id).await? else {
        return Ok(None);
    };
    let reason = keys::open(&open.identity, &stored.reason)?;
    Ok(Some(LegalHold {
        placed_by: stored.placed_by,
        placed_by_name: stored.placed_by_name,
        placed_at: OffsetDateTime::from_unix_timestamp(stored.placed_at)
            .context("a stored hold time is out of range")?,
        reason: String::from_utf8_lossy(&reason).into_owned(),
    }))
}

/// The legal hold on a case `staff` can open.
pub async fn hold(
    state: &Core,
    staff: &StaffMember,
    case_id: Uuid,
) -> CoreResult<Option<LegalHold>> {
    let open = open::staff_case(state, staff, case_id).await?;
    hold_of(state, &open).await
}

/// Places a legal hold on a case a contact point can open, with a reason
/// sealed to the case (it may name an investigation); audited without the
/// reason. `Conflict` if the case is already held.
pub async fn place_hold(
    state: &Core,
    staff: &StaffMember,
    case_id: Uuid,
    reason: &str,
) -> CoreResult<()> {
    if !authz::staff_may(staff, Permission::HoldCases) {
        return Err(CoreError::Forbidden);
    }
    let open = open::staff_case(state, staff, case_id).await?;
    let reason = TextField::parse(reason, state.settings.limits.max_text_chars).map_err(|e| {
        CoreError::Invalid(vec![FieldError {
            field: "reason",
            problem: match e {
                TextFieldError::Empty => FieldProblem::Required,
                TextFieldError::TooLong { max } => FieldProblem::TooLong { max },
            },
        }])
    })?;
    let recipient = keys::recipient(&open.case.recipient)?;
    let sealed = keys::seal(&recipient, reason.as_str().as_bytes())?;
    state
        .store
        .place_legal_hold(case_id, staff.user_id, state.now(), &sealed)
        .await?;
    audit_log::record(
        &*state.store,
        state.now(),
        staff.event_on(action::CASE_HOLD_PLACED, case_id),
    )
    .await
    .context("cannot write the audit log")?;
    Ok(())
}

/// Lifts the legal hold on a case a contact point can open; audited.
/// `Conflict` if the case is not held.
pub async fn lift_hold(state: &Core, staff: &StaffMember, case_id: Uuid) -> CoreResult<()> {
    if !authz::staff_may(staff, Permission::HoldCases) {
        return Err(CoreError::Forbidden);
    }
    open::ensure_staff_case(state, staff, case_id).await?;
    match state.store.lift_legal_hold(case_id).await {
        Ok(()) => {}
        Err(StoreError::NotFound) => return Err(CoreError::Conflict),
        Err(e) => return Err(e.into()),
    }
    audit_log::record(
        &*state.store,
        state.now(),
        staff.event_on(action::CASE_HOLD_LIFTED, case_id),
    )
    .await
    .context("cannot write the audit log")?;
    Ok(())
}
