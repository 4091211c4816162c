//! Case deadlines (SPEC §2, §4): which apply to a case, when each is due,
//! whether it is met, and what is due soon or overdue at a given instant.
//!
//! Pure functions of [`CaseFacts`], [`DeadlineSettings`] and a `now` taken
//! from a [`Clock`](crate::core::clock::Clock); nothing here reads the clock, the
//! database or the network.
//!
//! | deadline | applies to | due | met by |
//! | --- | --- | --- | --- |
//! | [`Acknowledge`](DeadlineKind::Acknowledge) | every case | receipt + 7 days | acknowledgement |
//! | [`Feedback`](DeadlineKind::Feedback) | every case | acknowledgement (or day 7) + 3 calendar months, 6 once extended | feedback |
//! | [`BreachDecision`](DeadlineKind::BreachDecision) | personal-data breach | receipt + 72 hours | Datatilsynet decision |
//! | [`CriticalEscalationDecision`](DeadlineKind::CriticalEscalationDecision) | `kritisk` | receipt + 24 hours | first escalation decision |
//! | [`SecurityActNotice`](DeadlineKind::SecurityActNotice) | Security Act sub-type | the end of the day of receipt ("straks"; receipt is known to the day) + a short grace (1 hour) | NSM decision |
//! | [`RetaliationResponse`](DeadlineKind::RetaliationResponse) | an unanswered retaliation report | report + 7 days | a staff reply or protective measure |
//!
//! "Decision" means a recorded escalate or do-not-escalate decision; deferring
//! decides nothing. Which stored decisions fill which fact is decided once,
//! in `crate::core::deadlines`.
//!
//! A deadline is reached at the instant `due`: from then on it is overdue
//! unless met, while a deadline met at `due` exactly still counts as in time.

use serde::{Deserialize, Serialize};
use time::{Date, Duration, Month, OffsetDateTime};

use super::{Severity, SubtypeFlags, TextField, TextFieldError};

#[cfg(test)]
mod tests;

/// Configurable deadline lengths (`[deadlines]` in the configuration).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeadlineSettings {
    /// Days after receipt by which receipt must be acknowledged (directive
    /// 2019/1937 art. 9(1)(b): 7).
    pub acknowledge_days: u32,
    /// Calendar months after acknowledgement (or the last acknowledgement
    /// day, if none was sent) by which feedback is due (art. 9(1)(f): 3).
    pub feedback_months: u32,
    /// The feedback deadline once extended, from the same start (6).
    pub feedback_extended_months: u32,
    /// Hours after receipt by which a personal-data breach needs a decision
    /// on notifying Datatilsynet (GDPR art. 33: 72, the legal maximum).
    pub breach_decision_hours: u32,
    /// Hours after receipt by which a `kritisk` case needs an escalation
    /// decision (24).
    pub critical_decision_hours: u32,
    /// Hours before a deadline from which it is shown as due soon (48).
    pub due_soon_hours: u32,
    /// Hours before a deadline at which handlers are reminded (24).
    pub reminder_before_hours: u32,
    /// Days after a reporter's retaliation report (arbeidsmiljøloven
    /// § 2 A-4) by which a handler responds with a reply or a protective
    /// measure (7).
    pub retaliation_response_days: u32,
    /// Minutes after receipt before a Security-Act notice (sikkerhetsloven
    /// § 4-5, "straks") reads overdue (60): the law says "immediately", but
    /// no one can decide in the second a case arrives. 0 makes it due at
    /// receipt.
    pub security_act_grace_minutes: u32,
}

impl Default for DeadlineSettings {
    fn default() -> Self {
        DeadlineSettings {
            acknowledge_days: 7,
            feedback_months: 3,
            feedback_extended_months: 6,
            breach_decision_hours: 72,
            critical_decision_hours: 24,
            due_soon_hours: 48,
            reminder_before_hours: 24,
            retaliation_response_days: 7,
            security_act_grace_minutes: 60,
        }
    }
}

/// Why deadline settings were rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeadlineSettingsError {
    /// A setting outside its allowed range.
    #[error("deadlines.{setting} must be between {min} and {max}")]
    OutOfRange {
        /// The setting's name.
        setting: &'static str,
        /// Smallest allowed value.
        min: u32,
        /// Largest allowed value.
        max: u32,
    },
    /// The extended feedback deadline is not longer than the ordinary one.
    #[error("deadlines.feedback_extended_months must be greater than deadlines.feedback_months")]
    ExtensionNotLonger,
}

impl DeadlineSettings {
    /// Checks that every length is sane. The breach decision may not exceed
    /// GDPR's 72 hours; the others are bounded to catch typos (a year of
    /// feedback time, a month to acknowledge).
    pub fn validate(&self) -> Result<(), DeadlineSettingsError> {
        let ranges: [(&'static str, u32, u32, u32); 9] = [
            ("acknowledge_days", self.acknowledge_days, 1, 30),
            ("feedback_months", self.feedback_months, 1, 12),
            (
                "feedback_extended_months",
                self.feedback_extended_months,
                1,
                12,
            ),
            ("breach_decision_hours", self.breach_decision_hours, 1, 72),
            (
                "critical_decision_hours",
                self.critical_decision_hours,
                1,
                168,
            ),
            ("due_soon_hours", self.due_soon_hours, 0, 720),
            ("reminder_before_hours", self.reminder_before_hours, 0, 720),
            (
                "retaliation_response_days",
                self.retaliation_response_days,
                1,
                30,
            ),
            (
                "security_act_grace_minutes",
                self.security_act_grace_minutes,
                0,
                24 * 60,
            ),
        ];
        for (setting, value, min, max) in ranges {
            if !(min..=max).contains(&value) {
                return Err(DeadlineSettingsError::OutOfRange { setting, min, max });
            }
        }
        if self.feedback_extended_months <= self.feedback_months {
            return Err(DeadlineSettingsError::ExtensionNotLonger);
        }
        Ok(())
    }

    fn acknowledge(&self) -> Duration {
        Duration::days(i64::from(self.acknowledge_days))
    }

    fn due_soon(&self) -> Duration {
        Duration::hours(i64::from(self.due_soon_hours))
    }

    fn reminder_before(&self) -> Duration {
        Duration::hours(i64::from(self.reminder_before_hours))
    }

    pub(crate) fn security_act_grace(&self) -> Duration {
        Duration::minutes(i64::from(self.security_act_grace_minutes))
    }
}

/// Longest reason for extending the feedback deadline, in characters.
pub const MAX_EXTENSION_REASON_CHARS: usize = 2_000;

/// Why the feedback deadline was extended: trimmed, non-empty, at most
/// [`MAX_EXTENSION_REASON_CHARS`]. It may describe the case, so it is treated
/// as case content: no `Display`, a redacted `Debug`, zeroized on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct ExtensionReason(String);

impl ExtensionReason {
    /// Parses a reason.
    pub fn parse(input: &str) -> Result<Self, TextFieldError> {
        let text = TextField::parse(input, MAX_EXTENSION_REASON_CHARS)?;
        Ok(ExtensionReason(text.as_str().to_owned()))
    }

    /// The reason.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ExtensionReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ExtensionReason(..)")
    }
}

impl Drop for ExtensionReason {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

/// The one extension of the feedback deadline a case may have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedbackExtension {
    /// Why.
    pub reason: ExtensionReason,
    /// When it was decided.
    pub at: OffsetDateTime,
}

/// What the deadline rules need to know about a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFacts {
    /// When the report was received.
    pub received_at: OffsetDateTime,
    /// When receipt was acknowledged to the reporter.
    pub acknowledged_at: Option<OffsetDateTime>,
    /// When feedback was given to the reporter.
    pub feedback_given_at: Option<OffsetDateTime>,
    /// The extension of the feedback deadline, if one was made.
    pub feedback_extension: Option<FeedbackExtension>,
    /// The current severity.
    pub severity: Severity,
    /// The duties of the case's current sub-type.
    pub flags: SubtypeFlags,
    /// When the first escalation decision of any kind was recorded.
    pub escalation_decided_at: Option<OffsetDateTime>,
    /// When the decision on notifying Datatilsynet was recorded.
    pub breach_decision_at: Option<OffsetDateTime>,
    /// When the decision on notifying NSM (sikkerhetsloven § 4-5) was recorded.
    pub security_act_decision_at: Option<OffsetDateTime>,
    /// Whether the case is closed.
    pub closed: bool,
    /// The current retaliation report, if the reporter made one: when it
    /// was made, and when a handler first answered it (a reply or a
    /// protective measure).
    pub retaliation: Option<RetaliationFacts>,
}

/// The latest retaliation episode of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetaliationFacts {
    /// When the reporter reported retaliation (the day).
    pub reported_at: OffsetDateTime,
    /// When a handler first replied or recorded a measure after it.
    pub answered_at: Option<OffsetDateTime>,
}

impl CaseFacts {
    /// A case just received: nothing done yet.
    pub fn received(received_at: OffsetDateTime, severity: Severity, flags: SubtypeFlags) -> Self {
        CaseFacts {
            received_at,
            acknowledged_at: None,
            feedback_given_at: None,
            feedback_extension: None,
            severity,
            flags,
            escalation_decided_at: None,
            breach_decision_at: None,
            security_act_decision_at: None,
            closed: false,
            retaliation: None,
        }
    }

    /// Whether the contact points must be alerted as soon as the case
    /// arrives or is reclassified (SPEC §4: `kritisk` and Security-Act cases).
    pub fn alerts_contact_points_at_once(&self) -> bool {
        self.severity == Severity::Kritisk || self.flags.security_act
    }
}

/// A kind of deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineKind {
    /// Acknowledge receipt to the reporter.
    Acknowledge,
    /// Give the reporter feedback.
    Feedback,
    /// Decide whether to notify Datatilsynet of a personal-data breach.
    BreachDecision,
    /// Decide on escalating a `kritisk` case.
    CriticalEscalationDecision,
    /// Decide on notifying NSM under sikkerhetsloven § 4-5.
    SecurityActNotice,
    /// Respond to the reporter's report of retaliation (arbeidsmiljøloven
    /// § 2 A-4).
    RetaliationResponse,
}

impl DeadlineKind {
    /// Every kind, in the order [`all_deadlines`] lists them.
    pub const ALL: [DeadlineKind; 6] = [
        DeadlineKind::Acknowledge,
        DeadlineKind::Feedback,
        DeadlineKind::BreachDecision,
        DeadlineKind::CriticalEscalationDecision,
        DeadlineKind::SecurityActNotice,
        DeadlineKind::RetaliationResponse,
    ];

    /// The stored and transmitted key (stable).
    pub fn key(self) -> &'static str {
        match self {
            DeadlineKind::Acknowledge => "acknowledge",
            DeadlineKind::Feedback => "feedback",
            DeadlineKind::BreachDecision => "breach_decision",
            DeadlineKind::CriticalEscalationDecision => "critical_escalation_decision",
            DeadlineKind::SecurityActNotice => "security_act_notice",
            DeadlineKind::RetaliationResponse => "retaliation_response",
        }
    }

    /// Parses a key; `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key() == s)
    }
}

/// Where a deadline stands at some instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineState {
    /// Met (in time or late; see [`Deadline::met_in_time`]).
    Met,
    /// Not met, and more than `due_soon_hours` away.
    Open,
    /// Not met, and due within `due_soon_hours`.
    DueSoon,
    /// Not met, and the due instant has been reached.
    Overdue,
}

impl DeadlineState {
    /// The stored and transmitted key (stable).
    pub fn key(self) -> &'static str {
        match self {
            DeadlineState::Met => "met",
            DeadlineState::Open => "open",
            DeadlineState::DueSoon => "due_soon",
            DeadlineState::Overdue => "overdue",
        }
    }
}

/// One deadline of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    /// What is due.
    pub kind: DeadlineKind,
    /// When.
    pub due: OffsetDateTime,
    /// When it was met, if it was.
    pub met: Option<OffsetDateTime>,
}

impl Deadline {
    /// The deadline's own state at `now`. It does not know whether the case
    /// is closed: use [`open_deadlines`] or [`next_open`] for what needs doing.
    pub fn state(&self, settings: &DeadlineSettings, now: OffsetDateTime) -> DeadlineState {
        if self.met.is_some() {
            DeadlineState::Met
        } else if now >= self.due {
            DeadlineState::Overdue
        } else if now >= self.due.saturating_sub(settings.due_soon()) {
            DeadlineState::DueSoon
        } else {
            DeadlineState::Open
        }
    }

    /// `Some(true)` if met by `due`, `Some(false)` if met late, `None` if not met.
    pub fn met_in_time(&self) -> Option<bool> {
        self.met.map(|met| met <= self.due)
    }
}

/// `t` plus `months` calendar months, at the same time of day and offset; a
/// day that the target month lacks is clamped to its last day (31 January
/// plus one month is 28 or 29 February). Saturates at the last representable
/// date.
pub fn add_calendar_months(t: OffsetDateTime, months: u32) -> OffsetDateTime {
    let date = t.date();
    let month_index = i64::from(u8::from(date.month())) - 1 + i64::from(months);
    let year = i64::from(date.year()) + month_index.div_euclid(12);
    let month = Month::January.nth_next(u8::try_from(month_index.rem_euclid(12)).unwrap_or(0));
    let target = i32::try_from(year).ok().and_then(|year| {
        Date::from_calendar_date(year, month, date.day().min(month.length(year))).ok()
    });
    t.replace_date(target.unwrap_or(Date::MAX))
}

fn acknowledge_due(facts: &CaseFacts, settings: &DeadlineSettings) -> OffsetDateTime {
    facts.received_at.saturating_add(settings.acknowledge())
}

/// When feedback is due: `feedback_months` (or `feedback_extended_months`,
/// once extended) after acknowledgement, or after the acknowledgement
/// deadline if receipt has not been acknowledged.
fn feedback_due(facts: &CaseFacts, settings: &DeadlineSettings, extended: bool) -> OffsetDateTime {
    let start = facts
        .acknowledged_at
        .unwrap_or_else(|| acknowledge_due(facts, settings));
    let months = if extended {
        settings.feedback_extended_months
    } else {
        settings.feedback_months
    };
    add_calendar_months(start, months)
}

/// Every deadline that applies to the case, met or not, in
/// [`DeadlineKind::ALL`] order. A closed case keeps its deadlines (for the
/// record and statistics); it just has none open.
pub fn all_deadlines(facts: &CaseFacts, settings: &DeadlineSettings) -> Vec<Deadline> {
    let received = facts.received_at;
    let mut out = vec![
        Deadline {
            kind: DeadlineKind::Acknowledge,
            due: acknowledge_due(facts, settings),
            met: facts.acknowledged_at,
        },
        Deadline {
            kind: DeadlineKind::Feedback,
            due: feedback_due(facts, settings, facts.feedback_extension.is_some()),
            met: facts.feedback_given_at,
        },
    ];
    if facts.flags.personal_data_breach {
        out.push(Deadline {
            kind: DeadlineKind::BreachDecision,
            due: received
                .saturating_add(Duration::hours(i64::from(settings.breach_decision_hours))),
            met: facts.breach_decision_at,
        });
    }
    if facts.severity == Severity::Kritisk {
        out.push(Deadline {
            kind: DeadlineKind::CriticalEscalationDecision,
            due: received
                .saturating_add(Duration::hours(i64::from(settings.critical_decision_hours))),
            met: facts.escalation_decided_at,
        });
    }
    if facts.flags.security_act {
        out.push(Deadline {
            kind: DeadlineKind::SecurityActNotice,
            due: security_act_due(received, settings),
            met: facts.security_act_decision_at,
        });
    }
    if let Some(retaliation) = facts.retaliation {
        out.push(Deadline {
            kind: DeadlineKind::RetaliationResponse,
            due: retaliation
                .reported_at
                .saturating_add(Duration::days(i64::from(
                    settings.retaliation_response_days,
                ))),
            met: retaliation.answered_at,
        });
    }
    out
}

/// The unmet deadlines of an open case with their state at `now`, earliest
/// due first; nothing for a closed case.
pub fn open_deadlines(
    facts: &CaseFacts,
    settings: &DeadlineSettings,
    now: OffsetDateTime,
) -> Vec<(Deadline, DeadlineState)> {
    if facts.closed {
        return Vec::new();
    }
    let mut open: Vec<(Deadline, DeadlineState)> = all_deadlines(facts, settings)
        .into_iter()
        .filter(|d| d.met.is_none())
        .map(|d| (d, d.state(settings, now)))
        .collect();
    // Stable: equal due instants keep the ALL order.
    open.sort_by_key(|(d, _)| d.due);
    open
}

/// The earliest unmet deadline of an open case, with its state at `now`.
pub fn next_open(
    facts: &CaseFacts,
    settings: &DeadlineSettings,
    now: OffsetDateTime,
) -> Option<(Deadline, DeadlineState)> {
    open_deadlines(facts, settings, now).into_iter().next()
}

/// When the reporter should next hear from the organisation: the
/// acknowledgement deadline until receipt is acknowledged, then the feedback
/// deadline until feedback is given; `None` once both are met or the case is
/// closed.
pub fn answer_expected_by(
    facts: &CaseFacts,
    settings: &DeadlineSettings,
) -> Option<OffsetDateTime> {
    if facts.closed {
        return None;
    }
    all_deadlines(facts, settings)
        .into_iter()
        .find(|d| {
            matches!(d.kind, DeadlineKind::Acknowledge | DeadlineKind::Feedback) && d.met.is_none()
        })
        .map(|d| d.due)
}

/// Why the feedback deadline could not be extended.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExtensionError {
    /// The case is closed.
    #[error("the case is closed")]
    Closed,
    /// Feedback has already been given.
    #[error("feedback has already been given")]
    FeedbackGiven,
    /// The deadline was extended before; it may be extended only once.
    #[error("the feedback deadline has already been extended")]
    AlreadyExtended,
    /// The original deadline has been reached; an extension must be decided
    /// before it, not used to excuse a missed one.
    #[error("the feedback deadline has already been reached")]
    TooLate {
        /// The deadline that was reached.
        due: OffsetDateTime,
    },
    /// The reason is empty or too long.
    #[error("the reason is empty or too long")]
    Reason(TextFieldError),
}

/// Extends the feedback deadline of `facts` to `feedback_extended_months`
/// (from the same start), recording `reason` and `now`. Allowed once, on an
/// open case without feedback, before the original deadline is reached.
pub fn extend_feedback<'f>(
    facts: &'f mut CaseFacts,
    reason: &str,
    settings: &DeadlineSettings,
    now: OffsetDateTime,
) -> Result<&'f FeedbackExtension, ExtensionError> {
    if facts.closed {
        return Err(ExtensionError::Closed);
    }
    if facts.feedback_given_at.is_some() {
        return Err(ExtensionError::FeedbackGiven);
    }
    if facts.feedback_extension.is_some() {
        return Err(ExtensionError::AlreadyExtended);
    }
    let due = feedback_due(facts, settings, false);
    if now >= due {
        return Err(ExtensionError::TooLate { due });
    }
    let reason = ExtensionReason::parse(reason).map_err(ExtensionError::Reason)?;
    Ok(facts
        .feedback_extension
        .insert(FeedbackExtension { reason, at: now }))
}

/// What to send about a deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReminderAction {
    /// Remind the case's handlers that the deadline is near.
    Remind,
    /// The deadline is overdue: escalate to the responsible group.
    Escalate,
}

/// A reminder or escalation that should be sent now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReminderDue {
    /// The deadline concerned.
    pub deadline: Deadline,
    /// What to send.
    pub action: ReminderAction,
}

/// When a Security-Act ("straks") notice reads overdue: the grace after the
/// end of the day of receipt. Receipt is stored to the day only (SPEC §3.5:
/// no record places a reporter within the day), so counting the grace from
/// the stored receipt would make a case that arrived in the afternoon
/// overdue on arrival; counting it from the day's end gives every case at
/// least the grace, and at most a day more, without the hour it arrived.
/// The contact points are alerted at once all the same.
pub fn security_act_due(received: OffsetDateTime, settings: &DeadlineSettings) -> OffsetDateTime {
    let day_end = received
        .date()
        .next_day()
        .map_or(received, |d| d.midnight().assume_offset(received.offset()));
    day_end.saturating_add(settings.security_act_grace())
}

/// The reminders and escalations to send at `now`, given when a notice about
/// each kind of deadline was last sent (`last_sent`). A reminder is due once
/// `reminder_before_hours` before a deadline, an escalation once when it is
/// reached; each is sent once, so a job may call this as often as it likes.
/// A Security-Act notice, due at the end of its short grace period, is
/// escalated then; its reminder falls due at receipt.
pub fn reminders_due(
    facts: &CaseFacts,
    settings: &DeadlineSettings,
    now: OffsetDateTime,
    last_sent: &[(DeadlineKind, OffsetDateTime)],
) -> Vec<ReminderDue> {
    let sent_since = |kind: DeadlineKind, since: OffsetDateTime| {
        last_sent.iter().any(|&(k, at)| k == kind && at >= since)
    };
    open_deadlines(facts, settings, now)
        .into_iter()
        .filter_map(|(deadline, _)| {
            let remind_from = deadline.due.saturating_sub(settings.reminder_before());
            let action = if now >= deadline.due {
                (!sent_since(deadline.kind, deadline.due)).then_some(ReminderAction::Escalate)
            } else if now >= remind_from {
                (!sent_since(deadline.kind, remind_from)).then_some(ReminderAction::Remind)
            } else {
                None
            };
            action.map(|action| ReminderDue { deadline, action })
        })
        .collect()
}
