//! The deadline figures of a report: how far the acknowledgement and
//! feedback deadlines were met, and how long acknowledgement took (median
//! and 90th percentile).
//!
//! Both deadlines are judged the same way: each case gets one [`Outcome`],
//! [`OutcomeCounts`] tallies them, and the report suppresses the counts
//! together with its tables before [`DeadlineOutcomes`] derives the share
//! from what may be shown. The feedback deadline is the one
//! [`all_deadlines`] gives a case (the domain's rule, not a copy of it),
//! judged at the report's `now`.

use time::{Date, OffsetDateTime};

use super::figures::{CaseFigures, SettledFeedback};
use super::suppression::Cell;
use crate::core::domain::{
    all_deadlines, CaseFacts, Deadline, DeadlineKind, DeadlineSettings, DeadlineState,
    ExtensionReason, FeedbackExtension, SubtypeFlags,
};

/// Seconds in a day.
const DAY: i64 = 86_400;

/// A figure derived from counts (a share or a number of days).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Figure {
    /// The value.
    Value(f64),
    /// Not shown: a count it rests on or would give away is not shown
    /// (so also whenever its base is below the minimum).
    Suppressed,
    /// No cases to compute it from.
    NoData,
}

impl Figure {
    /// `value` computed from the cases counted in `base`, which also gives
    /// away the counts `revealed` (a share gives away its parts with its
    /// base): shown only when `base` is shown and at least `min_cell` (a
    /// shown count always is, unless it is zero) and every count in
    /// `revealed` is shown too. Whether it is shown thus depends only on
    /// what the cells already show, and it says no more than they do.
    pub(super) fn of(
        base: Cell,
        revealed: &[Cell],
        min_cell: u64,
        value: impl FnOnce() -> Option<f64>,
    ) -> Self {
        match base.shown() {
            Some(0) => Figure::NoData,
            Some(n) if n >= min_cell && revealed.iter().all(|c| c.shown().is_some()) => {
                value().map_or(Figure::NoData, Figure::Value)
            }
            _ => Figure::Suppressed,
        }
    }
}

/// How far a deadline was met, with the counts behind the share: the same
/// figures for the acknowledgement and the feedback deadline. The counts
/// are suppressed together with the report's tables (met + missed = due,
/// due + not yet due = all cases of the period).
#[derive(Debug, Clone, PartialEq)]
pub struct DeadlineOutcomes {
    /// Cases whose deadline was met in time.
    pub met: Cell,
    /// Cases whose deadline was met late or has passed unmet.
    pub missed: Cell,
    /// Met and missed: the base of the share.
    pub due: Cell,
    /// Cases whose deadline is still ahead and unmet: left out of the share.
    pub not_yet_due: Cell,
    /// Share met in time, in percent; shown only when the met and missed
    /// counts are, since with the base it would give them away.
    pub met_percent: Figure,
}

impl DeadlineOutcomes {
    /// The figures from suppressed counts.
    pub(super) fn new(
        met: Cell,
        missed: Cell,
        due: Cell,
        not_yet_due: Cell,
        min_cell: u64,
    ) -> Self {
        let met_percent = Figure::of(due, &[met, missed], min_cell, || {
            let (m, d) = (met.shown()?, due.shown()?);
            Some(m as f64 * 100.0 / d as f64)
        });
        DeadlineOutcomes {
            met,
            missed,
            due,
            not_yet_due,
            met_percent,
        }
    }
}

/// How long answers took, in whole days from the day of receipt.
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerTimes {
    /// Cases answered (the base), suppressed together with the report's
    /// tables and the deadline counts (answered in time + answered late =
    /// answered; answered + not answered = all cases).
    pub answered: Cell,
    /// Median; shown only when `answered` and the cases answered in time are.
    pub median_days: Figure,
    /// 90th percentile, nearest rank; shown only when `answered` and the
    /// cases answered in time are.
    pub p90_days: Figure,
}

impl AnswerTimes {
    /// The figures of the `sorted` days of the cases counted in the
    /// (suppressed) `answered`, of which `in_time` were answered by the
    /// deadline. A time says on which side of the deadline its case fell
    /// (a median past the deadline: at least half were late), so with the
    /// base it narrows down the cases answered in time and late; it is
    /// shown only when those counts are known anyway.
    pub(super) fn new(answered: Cell, in_time: Cell, sorted: &[i64], min_cell: u64) -> Self {
        AnswerTimes {
            answered,
            median_days: Figure::of(answered, &[in_time], min_cell, || median(sorted)),
            p90_days: Figure::of(answered, &[in_time], min_cell, || {
                nearest_rank(sorted, 90).map(|d| d as f64)
            }),
        }
    }
}

/// Where a case stands against one deadline. The acknowledgement and the
/// feedback deadline both sort every case into exactly one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    /// Answered by the deadline.
    Met,
    /// Answered after the deadline.
    Late,
    /// The deadline has passed without an answer.
    Overdue,
    /// The deadline is ahead and no answer yet.
    NotYetDue,
}

/// How many cases had each [`Outcome`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct OutcomeCounts {
    /// Answered by the deadline.
    pub met: u64,
    /// Answered after it.
    pub late: u64,
    /// Passed without an answer.
    pub overdue: u64,
    /// Still ahead, no answer.
    pub not_yet_due: u64,
}

impl OutcomeCounts {
    /// The outcome of every case, counted.
    pub(super) fn tally(cases: &[&CaseFigures], outcome: impl Fn(&CaseFigures) -> Outcome) -> Self {
        let mut counts = OutcomeCounts::default();
        for case in cases {
            let slot = match outcome(case) {
                Outcome::Met => &mut counts.met,
                Outcome::Late => &mut counts.late,
                Outcome::Overdue => &mut counts.overdue,
                Outcome::NotYetDue => &mut counts.not_yet_due,
            };
            *slot += 1;
        }
        counts
    }

    /// Late or overdue.
    pub(super) fn missed(&self) -> u64 {
        self.late + self.overdue
    }

    /// Met or missed: the base of the share.
    pub(super) fn due(&self) -> u64 {
        self.met + self.missed()
    }

    /// Answered, in time or late.
    pub(super) fn answered(&self) -> u64 {
        self.met + self.late
    }

    /// Not answered, whether due or not.
    pub(super) fn unanswered(&self) -> u64 {
        self.overdue + self.not_yet_due
    }
}

/// Day number (days since the epoch) of a UNIX time.
fn day_number(at: i64) -> i64 {
    at.div_euclid(DAY)
}

/// Whole days from the day of receipt to the day of acknowledgement.
fn days_to_acknowledge(case: &CaseFigures) -> Option<i64> {
    case.acknowledged_at
        .map(|ack| (day_number(ack) - day_number(case.received_at)).max(0))
}

/// The acknowledgement deadline: due on the day `acknowledge_days` after the
/// day of receipt, and met by an acknowledgement on or before that day (the
/// day the reporter is told to expect it). A case not acknowledged is
/// overdue once that day has passed; before then it is not yet due.
pub(super) fn acknowledgement_outcome(
    case: &CaseFigures,
    acknowledge_days: u32,
    today: Date,
) -> Outcome {
    let allowed = i64::from(acknowledge_days);
    let today = day_number(today.midnight().assume_utc().unix_timestamp());
    match days_to_acknowledge(case) {
        Some(days) if days <= allowed => Outcome::Met,
        Some(_) => Outcome::Late,
        None if today > day_number(case.received_at) + allowed => Outcome::Overdue,
        None => Outcome::NotYetDue,
    }
}

/// The days to acknowledge of the acknowledged cases, sorted.
pub(super) fn acknowledgement_days(cases: &[&CaseFigures]) -> Vec<i64> {
    let mut days: Vec<i64> = cases
        .iter()
        .filter_map(|c| days_to_acknowledge(c))
        .collect();
    days.sort_unstable();
    days
}

/// Stands in for the reason of an extension, which is sealed to the case and
/// never opened here: the deadline depends only on whether there is one.
const UNREAD_REASON: &str = "(not read by statistics)";

/// The feedback deadline of a case, as the deadline rules define it.
pub(super) fn feedback_deadline(
    case: &CaseFigures,
    settings: &DeadlineSettings,
) -> Option<Deadline> {
    let at = |t: i64| OffsetDateTime::from_unix_timestamp(t).ok();
    // The sub-type does not change the feedback deadline.
    let mut facts = CaseFacts::received(
        at(case.received_at)?,
        case.severity,
        SubtypeFlags::default(),
    );
    facts.acknowledged_at = case.acknowledged_at.and_then(at);
    facts.feedback_given_at = case.feedback_given_at.and_then(at);
    facts.feedback_extension = case.feedback_extended_at.and_then(at).and_then(|at| {
        Some(FeedbackExtension {
            reason: ExtensionReason::parse(UNREAD_REASON).ok()?,
            at,
        })
    });
    all_deadlines(&facts, settings)
        .into_iter()
        .find(|d| d.kind == DeadlineKind::Feedback)
}

/// Where the feedback deadline of a case stands at `now`. A closed case is
/// judged like an open one: closing does not give feedback.
pub(super) fn feedback_outcome(
    case: &CaseFigures,
    settings: &DeadlineSettings,
    now: OffsetDateTime,
) -> Outcome {
    match case.settled_feedback {
        Some(SettledFeedback::Met) => return Outcome::Met,
        Some(SettledFeedback::Late) => return Outcome::Late,
        Some(SettledFeedback::Overdue) => return Outcome::Overdue,
        Some(SettledFeedback::NoDeadline) => return Outcome::NotYetDue,
        None => {}
    }
    // A time that cannot be represented is not a deadline anyone missed.
    let Some(deadline) = feedback_deadline(case, settings) else {
        return Outcome::NotYetDue;
    };
    match deadline.met_in_time() {
        Some(true) => Outcome::Met,
        Some(false) => Outcome::Late,
        None if deadline.state(settings, now) == DeadlineState::Overdue => Outcome::Overdue,
        None => Outcome::NotYetDue,
    }
}

/// The median of sorted values: the middle one, or the mean of the two
/// middle ones for an even count.
pub fn median(sorted: &[i64]) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let mid = n / 2;
    if n % 2 == 1 {
        Some(sorted[mid] as f64)
    } else {
        Some((sorted[mid - 1] as f64 + sorted[mid] as f64) / 2.0)
    }
}

/// The `percent`th percentile of sorted values by the nearest-rank method:
/// the value at rank ⌈percent/100 × n⌉ (1-based).
pub fn nearest_rank(sorted: &[i64], percent: u32) -> Option<i64> {
    let n = sorted.len();
    if n == 0 || percent == 0 || percent > 100 {
        return None;
    }
    let rank = (percent as usize * n).div_ceil(100);
    sorted.get(rank.max(1) - 1).copied()
}
