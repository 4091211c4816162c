//! Follow-up of the reporter (SPEC §4): the reporter reports retaliation in
//! their case, handlers record what they did to protect the reporter, and
//! the reporter sees the dates they are owed.
//!
//! - A retaliation report is a thread message of its own kind
//!   ([`MessageKind::Retaliation`]), sealed to the case like any message.
//!   It starts the [`RetaliationResponse`](crate::core::domain::DeadlineKind::RetaliationResponse)
//!   deadline (`deadlines.retaliation_response_days`, 7 by default) unless
//!   an earlier report is still unanswered; the first staff reply or
//!   protective measure after it meets the deadline. The deadline takes
//!   part in the stored nearest deadline the inbox orders by, and in the
//!   reminders, like every other. It runs only while the case is open.
//! - A protective measure is sealed to the case; the handler chooses
//!   whether the reporter sees it. The audit log records its id and that
//!   choice, never its text.

use anyhow::Context;
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;
use zeroize::Zeroize;

use crate::core::actor::{Reporter, StaffMember};
use crate::core::audit::{action, AuditActor, AuditEvent};
use crate::core::audit_log;
use crate::core::clock::day_of;
use crate::core::deadlines;
use crate::core::domain::{all_deadlines, DeadlineKind, TextField};
use crate::core::error::{CoreError, CoreResult};
use crate::core::keys;
use crate::core::open::{self, OpenCase};
use crate::core::service::Core;
use crate::core::store::{Author, Measure, Message, MessageKind};

/// Stores the reporter's report of retaliation in their case's thread and
/// starts the retaliation response deadline.
pub async fn report_retaliation(
    state: &Core,
    reporter: &Reporter,
    body: &TextField,
) -> CoreResult<()> {
    let case_id = reporter.case_id;
    let recipient = reporter.recipient();
    // Like every reporter time: the day only.
    let at = day_of(state.clock.now().unix_timestamp());
    let message = Message {
        id: Uuid::new_v4(),
        case_id,
        seq: 0,
        author: Author::Reporter,
        author_user_id: None,
        created_at: at,
        body: keys::seal(&recipient, body.as_str().as_bytes())?,
        kind: MessageKind::Retaliation,
    };
    audit_log::record(
        &*state.store,
        state.now(),
        AuditEvent::new(AuditActor::Reporter, action::CASE_RETALIATION_REPORTED)
            .on_case(case_id)
            .with_detail(json!({ "message_id": message.id })),
    )
    .await?;
    state
        .store
        .add_thread_entry(case_id, Author::Reporter, at, Some(&message), &[], 0)
        .await?;
    deadlines::refresh_one(state, case_id).await?;
    Ok(())
}

/// Records a measure taken to protect the reporter of a case routed to
/// `staff`, sealed to the case, shown to the reporter if
/// `visible_to_reporter`. It answers an unanswered retaliation report.
/// Returns the measure's id.
pub async fn record_measure(
    state: &Core,
    staff: &StaffMember,
    case_id: Uuid,
    text: &TextField,
    visible_to_reporter: bool,
) -> CoreResult<Uuid> {
    let OpenCase { case, .. } = open::staff_case(state, staff, case_id).await?;
    let recipient = keys::recipient(&case.recipient)?;
    let measure = Measure {
        id: Uuid::new_v4(),
        case_id,
        author_user_id: Some(staff.user_id),
        created_at: state.clock.now().unix_timestamp(),
        visible_to_reporter,
        body: keys::seal(&recipient, text.as_str().as_bytes())?,
    };
    audit_log::record(
        &*state.store,
        state.now(),
        staff
            .event_on(action::CASE_MEASURE_RECORDED, case_id)
            .with_detail(json!({
                "measure_id": measure.id,
                "visible_to_reporter": visible_to_reporter,
            })),
    )
    .await?;
    state.store.add_measure(&measure).await?;
    deadlines::refresh_one(state, case_id).await?;
    Ok(measure.id)
}

/// After a staff reply: a reply may have answered a retaliation report, so
/// the stored nearest deadline is computed again.
pub async fn after_staff_reply(state: &Core, case_id: Uuid) -> CoreResult<()> {
    deadlines::refresh_one(state, case_id).await?;
    Ok(())
}

/// A protective measure, its text opened.
pub struct MeasureView {
    /// Its id.
    pub id: Uuid,
    /// When it was recorded (UNIX seconds; the reporter is shown the day).
    pub created_at: i64,
    /// Who recorded it (staff only; `None` for the reporter or a removed account).
    pub author_name: Option<String>,
    /// Whether the reporter sees it.
    pub visible_to_reporter: bool,
    /// What was done.
    pub body: String,
}

impl Drop for MeasureView {
    fn drop(&mut self) {
        self.body.zeroize();
    }
}

async fn open_measures(
    state: &Core,
    identity: &varsel_crypto::AnyIdentity,
    case_id: Uuid,
    reporter_only: bool,
) -> CoreResult<Vec<MeasureView>> {
    let mut out = Vec::new();
    for m in state.store.measures(case_id, reporter_only).await? {
        let body = keys::open(identity, &m.body)?;
        let author_name = match (reporter_only, m.author_user_id) {
            (false, Some(id)) => state.store.user_by_id(id).await?.map(|u| u.display_name),
            _ => None,
        };
        out.push(MeasureView {
            id: m.id,
            created_at: m.created_at,
            author_name,
            visible_to_reporter: m.visible_to_reporter,
            body: String::from_utf8_lossy(&body).into_owned(),
        });
    }
    Ok(out)
}

/// Every measure of a case already opened by a staff member (reading is
/// part of the case read the caller audits).
pub async fn staff_measures(state: &Core, opened: &OpenCase) -> CoreResult<Vec<MeasureView>> {
    open_measures(state, &opened.identity, opened.case.id, false).await
}

/// The measures of the reporter's case that the handlers chose to show them.
pub async fn reporter_measures(state: &Core, reporter: &Reporter) -> CoreResult<Vec<MeasureView>> {
    let identity = reporter.identity().ok_or(CoreError::NotFound)?;
    open_measures(state, identity, reporter.case_id, true).await
}

/// Whether a case has a retaliation report no staff member has answered.
pub async fn retaliation_unanswered(state: &Core, case_id: Uuid) -> CoreResult<bool> {
    Ok(state.store.retaliation_unanswered(case_id).await?)
}

/// The dates the reporter's case page shows next to each other (SPEC §4,
/// directive 2019/1937 art. 9(1)(b) and (f)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReporterDates {
    /// When receipt was acknowledged.
    pub acknowledged_at: Option<OffsetDateTime>,
    /// By when receipt is to be acknowledged.
    pub acknowledge_due: Option<OffsetDateTime>,
    /// By when feedback is due: the configured months after the
    /// acknowledgement, or after the acknowledgement deadline if receipt
    /// was not acknowledged; later once extended.
    pub feedback_due: Option<OffsetDateTime>,
    /// When feedback was given.
    pub feedback_given_at: Option<OffsetDateTime>,
}

/// The acknowledgement and feedback dates of a case, by the same deadline
/// rules as everything else ([`deadlines::facts_of`], [`all_deadlines`]).
pub async fn reporter_dates(state: &Core, case_id: Uuid) -> CoreResult<ReporterDates> {
    let stored = state
        .store
        .deadline_facts(case_id)
        .await
        .context("cannot read deadline facts")?
        .ok_or(CoreError::NotFound)?;
    let Some(facts) = deadlines::facts_of(&stored, &state.settings.taxonomy) else {
        return Ok(ReporterDates::default());
    };
    let mut dates = ReporterDates::default();
    for d in all_deadlines(&facts, &state.settings.deadlines) {
        match d.kind {
            DeadlineKind::Acknowledge => {
                dates.acknowledged_at = d.met;
                dates.acknowledge_due = Some(d.due);
            }
            DeadlineKind::Feedback => {
                dates.feedback_given_at = d.met;
                dates.feedback_due = Some(d.due);
            }
            _ => {}
        }
    }
    Ok(dates)
}
