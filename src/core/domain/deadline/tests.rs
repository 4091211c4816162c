use time::macros::datetime;

use super::*;
use crate::core::clock::{Clock, ManualClock};
use crate::core::domain::{CategoryKey, SubtypeKey, Taxonomy};

const NONE: SubtypeFlags = SubtypeFlags {
    personal_data_breach: false,
    security_act: false,
    penal_196: false,
};

fn settings() -> DeadlineSettings {
    DeadlineSettings::default()
}

fn ordinary(received_at: OffsetDateTime) -> CaseFacts {
    CaseFacts::received(received_at, Severity::Middels, NONE)
}

fn due_of(facts: &CaseFacts, kind: DeadlineKind) -> Option<OffsetDateTime> {
    all_deadlines(facts, &settings())
        .into_iter()
        .find(|d| d.kind == kind)
        .map(|d| d.due)
}

/// When feedback on the case is due.
fn feedback_due(facts: &CaseFacts) -> Option<OffsetDateTime> {
    due_of(facts, DeadlineKind::Feedback)
}

/// A moment written `"2025-03-07 10:00"`, in UTC (for tables of cases).
fn utc(moment: &str) -> OffsetDateTime {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    time::PrimitiveDateTime::parse(moment, format)
        .expect("a test moment")
        .assume_utc()
}

fn kinds(facts: &CaseFacts) -> Vec<DeadlineKind> {
    all_deadlines(facts, &settings())
        .into_iter()
        .map(|d| d.kind)
        .collect()
}

/// The kinds of the deadlines open at `now`, in the order they are listed.
fn open_kinds(facts: &CaseFacts, now: OffsetDateTime) -> Vec<DeadlineKind> {
    open_deadlines(facts, &settings(), now)
        .into_iter()
        .map(|(d, _)| d.kind)
        .collect()
}

fn flags_of(category: &str, subtype: &str) -> SubtypeFlags {
    let taxonomy = Taxonomy::default_norwegian();
    let category = CategoryKey::parse(category).expect("category key");
    let subtype = SubtypeKey::parse(subtype).expect("subtype key");
    taxonomy
        .subtype(&category, &subtype)
        .expect("default subtype")
        .flags
}

// --- settings ---

#[test]
fn settings_defaults_match_the_spec() {
    let s = DeadlineSettings::default();
    assert_eq!(s.acknowledge_days, 7);
    assert_eq!(s.feedback_months, 3);
    assert_eq!(s.feedback_extended_months, 6);
    assert_eq!(s.breach_decision_hours, 72);
    assert_eq!(s.critical_decision_hours, 24);
    assert_eq!(s.due_soon_hours, 48);
    assert_eq!(s.reminder_before_hours, 24);
    assert_eq!(s.security_act_grace_minutes, 60);
    assert_eq!(s.validate(), Ok(()));
}

#[test]
fn settings_out_of_range_are_rejected() {
    let bad = |f: fn(&mut DeadlineSettings)| {
        let mut s = DeadlineSettings::default();
        f(&mut s);
        s.validate()
    };
    assert_eq!(
        bad(|s| s.acknowledge_days = 0),
        Err(DeadlineSettingsError::OutOfRange {
            setting: "acknowledge_days",
            min: 1,
            max: 30
        })
    );
    assert!(bad(|s| s.breach_decision_hours = 73).is_err(), "GDPR max");
    assert!(bad(|s| s.breach_decision_hours = 0).is_err());
    assert!(bad(|s| s.feedback_months = 0).is_err());
    assert!(bad(|s| s.feedback_extended_months = 13).is_err());
    assert!(bad(|s| s.critical_decision_hours = 0).is_err());
    assert!(bad(|s| s.due_soon_hours = 10_000).is_err());
    assert_eq!(
        bad(|s| s.feedback_extended_months = 3),
        Err(DeadlineSettingsError::ExtensionNotLonger)
    );
    assert!(bad(|s| s.breach_decision_hours = 48).is_ok());
    assert!(bad(|s| s.reminder_before_hours = 0).is_ok());
    assert!(bad(|s| s.security_act_grace_minutes = 0).is_ok());
    assert!(bad(|s| s.security_act_grace_minutes = 24 * 60).is_ok());
    assert!(bad(|s| s.security_act_grace_minutes = 24 * 60 + 1).is_err());
    let message = bad(|s| s.acknowledge_days = 31)
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        message.as_deref(),
        Some("deadlines.acknowledge_days must be between 1 and 30")
    );
}

#[test]
fn settings_deserialize_with_defaults_and_reject_unknown_keys() {
    let s: DeadlineSettings = toml::from_str("acknowledge_days = 5\n").expect("parses");
    assert_eq!(s.acknowledge_days, 5);
    assert_eq!(s.feedback_months, 3);
    assert!(toml::from_str::<DeadlineSettings>("acknowledge_dayz = 5\n").is_err());
    assert!(toml::from_str::<DeadlineSettings>("acknowledge_days = -1\n").is_err());
}

// --- the rules ---

#[test]
fn ordinary_case_has_only_acknowledge_and_feedback() {
    let facts = ordinary(datetime!(2025-03-03 09:00 UTC));
    assert_eq!(
        kinds(&facts),
        vec![DeadlineKind::Acknowledge, DeadlineKind::Feedback]
    );
    assert!(!facts.alerts_contact_points_at_once());
}

#[test]
fn acknowledgement_is_due_seven_days_after_receipt() {
    let facts = ordinary(datetime!(2025-03-03 09:15 UTC));
    assert_eq!(
        due_of(&facts, DeadlineKind::Acknowledge),
        Some(datetime!(2025-03-10 09:15 UTC))
    );
    let mut acknowledged = facts.clone();
    acknowledged.acknowledged_at = Some(datetime!(2025-03-05 14:00 UTC));
    let ack = all_deadlines(&acknowledged, &settings())[0];
    assert_eq!(ack.met, Some(datetime!(2025-03-05 14:00 UTC)));
    assert_eq!(ack.met_in_time(), Some(true));
}

#[test]
fn feedback_is_due_three_calendar_months_after_acknowledgement() {
    let mut facts = ordinary(datetime!(2025-03-03 09:00 UTC));
    facts.acknowledged_at = Some(datetime!(2025-03-04 13:30 UTC));
    assert_eq!(feedback_due(&facts), Some(datetime!(2025-06-04 13:30 UTC)));
}

#[test]
fn feedback_clamps_to_month_end() {
    for (received, acknowledged, due) in [
        // Received 30 Nov, acknowledged on day 7 (7 Dec): feedback 7 Mar.
        ("2024-11-30 10:00", "2024-12-07 10:00", "2025-03-07 10:00"),
        // Acknowledged 31 Jan: April has 30 days.
        ("2025-01-29 08:00", "2025-01-31 16:00", "2025-04-30 16:00"),
        // Acknowledged 30 Nov: February, in a common and a leap year.
        ("2024-11-25 08:00", "2024-11-30 08:00", "2025-02-28 08:00"),
        ("2023-11-25 08:00", "2023-11-30 08:00", "2024-02-29 08:00"),
        // Acknowledged 31 Dec: March has 31 days; the year rolls over.
        ("2024-12-28 08:00", "2024-12-31 23:59", "2025-03-31 23:59"),
    ] {
        let mut facts = ordinary(utc(received));
        facts.acknowledged_at = Some(utc(acknowledged));
        assert_eq!(
            feedback_due(&facts),
            Some(utc(due)),
            "acknowledged {acknowledged}"
        );
    }
}

#[test]
fn calendar_months_keep_time_and_offset_and_saturate() {
    assert_eq!(
        add_calendar_months(datetime!(2025-08-31 12:00 +02:00), 3),
        datetime!(2025-11-30 12:00 +02:00)
    );
    assert_eq!(
        add_calendar_months(datetime!(2025-05-15 00:00 UTC), 0),
        datetime!(2025-05-15 00:00 UTC)
    );
    assert_eq!(
        add_calendar_months(datetime!(2025-05-15 00:00 UTC), 12),
        datetime!(2026-05-15 00:00 UTC)
    );
    assert_eq!(
        add_calendar_months(datetime!(2024-02-29 00:00 UTC), 24),
        datetime!(2026-02-28 00:00 UTC)
    );
    assert_eq!(
        add_calendar_months(datetime!(9999-11-30 00:00 UTC), 6).date(),
        Date::MAX
    );
    assert_eq!(
        add_calendar_months(datetime!(2025-01-01 00:00 UTC), u32::MAX).date(),
        Date::MAX
    );
}

#[test]
fn feedback_falls_back_to_day_seven_without_acknowledgement() {
    // Day 7 is 31 Jan; three months later is clamped to 30 Apr.
    let facts = ordinary(datetime!(2025-01-24 10:00 UTC));
    assert_eq!(feedback_due(&facts), Some(datetime!(2025-04-30 10:00 UTC)));
    let facts = ordinary(datetime!(2024-11-30 10:00 UTC));
    assert_eq!(feedback_due(&facts), Some(datetime!(2025-03-07 10:00 UTC)));
}

#[test]
fn late_acknowledgement_starts_the_feedback_period() {
    // Directive art. 9(1)(f): three months from the acknowledgement when one
    // was sent, even a late one.
    let mut facts = ordinary(datetime!(2025-03-03 09:00 UTC));
    facts.acknowledged_at = Some(datetime!(2025-03-12 09:00 UTC));
    let ack = all_deadlines(&facts, &settings())[0];
    assert_eq!(ack.met_in_time(), Some(false));
    assert_eq!(ack.state(&settings(), ack.due), DeadlineState::Met);
    assert_eq!(feedback_due(&facts), Some(datetime!(2025-06-12 09:00 UTC)));
}

#[test]
fn configured_lengths_are_used() {
    let s = DeadlineSettings {
        acknowledge_days: 3,
        feedback_months: 2,
        ..DeadlineSettings::default()
    };
    let facts = ordinary(datetime!(2025-01-01 00:00 UTC));
    let deadlines = all_deadlines(&facts, &s);
    assert_eq!(deadlines[0].due, datetime!(2025-01-04 00:00 UTC));
    assert_eq!(deadlines[1].due, datetime!(2025-03-04 00:00 UTC));
}

// --- extension ---

#[test]
fn feedback_can_be_extended_once_to_six_months() {
    let mut facts = ordinary(datetime!(2025-01-20 09:00 UTC));
    facts.acknowledged_at = Some(datetime!(2025-01-31 09:00 UTC));
    assert_eq!(feedback_due(&facts), Some(datetime!(2025-04-30 09:00 UTC)));
    let now = datetime!(2025-04-01 12:00 UTC);
    let extension = extend_feedback(
        &mut facts,
        "  Venter på ekstern gransking  ",
        &settings(),
        now,
    )
    .expect("first extension");
    assert_eq!(extension.reason.as_str(), "Venter på ekstern gransking");
    assert_eq!(extension.at, now);
    // Six months from the same start, clamped to 31 July.
    assert_eq!(feedback_due(&facts), Some(datetime!(2025-07-31 09:00 UTC)));
    assert_eq!(
        extend_feedback(&mut facts, "igjen", &settings(), now).err(),
        Some(ExtensionError::AlreadyExtended)
    );
    assert_eq!(feedback_due(&facts), Some(datetime!(2025-07-31 09:00 UTC)));
}

#[test]
fn extension_needs_a_bounded_reason() {
    let now = datetime!(2025-01-21 09:00 UTC);
    let mut facts = ordinary(datetime!(2025-01-20 09:00 UTC));
    assert_eq!(
        extend_feedback(&mut facts, "", &settings(), now).err(),
        Some(ExtensionError::Reason(TextFieldError::Empty))
    );
    assert_eq!(
        extend_feedback(&mut facts, " \n\t ", &settings(), now).err(),
        Some(ExtensionError::Reason(TextFieldError::Empty))
    );
    let long = "å".repeat(MAX_EXTENSION_REASON_CHARS + 1);
    assert_eq!(
        extend_feedback(&mut facts, &long, &settings(), now).err(),
        Some(ExtensionError::Reason(TextFieldError::TooLong {
            max: MAX_EXTENSION_REASON_CHARS
        }))
    );
    assert!(
        facts.feedback_extension.is_none(),
        "failed tries leave no trace"
    );
    let longest = "å".repeat(MAX_EXTENSION_REASON_CHARS);
    assert!(extend_feedback(&mut facts, &longest, &settings(), now).is_ok());
}

#[test]
fn extension_is_refused_when_closed_answered_or_too_late() {
    let received = datetime!(2025-01-20 09:00 UTC);
    let original_due = datetime!(2025-04-27 09:00 UTC);
    assert_eq!(
        due_of(&ordinary(received), DeadlineKind::Feedback),
        Some(original_due)
    );

    let mut closed = ordinary(received);
    closed.closed = true;
    assert_eq!(
        extend_feedback(&mut closed, "grunn", &settings(), received).err(),
        Some(ExtensionError::Closed)
    );
    let mut answered = ordinary(received);
    answered.feedback_given_at = Some(received);
    assert_eq!(
        extend_feedback(&mut answered, "grunn", &settings(), received).err(),
        Some(ExtensionError::FeedbackGiven)
    );
    let mut late = ordinary(received);
    assert_eq!(
        extend_feedback(&mut late, "grunn", &settings(), original_due).err(),
        Some(ExtensionError::TooLate { due: original_due })
    );
    assert!(extend_feedback(
        &mut late,
        "grunn",
        &settings(),
        original_due - Duration::seconds(1)
    )
    .is_ok());
}

#[test]
fn extension_reason_is_not_printed() {
    let reason = ExtensionReason::parse("Navnet på den varslede").expect("valid");
    let debug = format!("{reason:?}");
    assert!(!debug.contains("Navnet"));
    let mut facts = ordinary(datetime!(2025-01-20 09:00 UTC));
    facts.feedback_extension = Some(FeedbackExtension {
        reason,
        at: datetime!(2025-01-21 09:00 UTC),
    });
    assert!(!format!("{facts:?}").contains("Navnet"));
}

// --- duties from severity and sub-type ---

#[test]
fn personal_data_breach_needs_a_decision_within_72_hours() {
    let received = datetime!(2025-06-06 16:45 UTC);
    let mut facts = CaseFacts::received(
        received,
        Severity::Lav,
        flags_of("avvik", "personvernbrudd"),
    );
    assert_eq!(
        due_of(&facts, DeadlineKind::BreachDecision),
        Some(datetime!(2025-06-09 16:45 UTC))
    );
    assert!(!facts.alerts_contact_points_at_once());
    facts.breach_decision_at = Some(datetime!(2025-06-07 10:00 UTC));
    let breach = all_deadlines(&facts, &settings())
        .into_iter()
        .find(|d| d.kind == DeadlineKind::BreachDecision)
        .expect("breach deadline");
    assert_eq!(breach.met_in_time(), Some(true));
    // An escalation decision to someone else does not meet it.
    let mut other = CaseFacts::received(
        received,
        Severity::Lav,
        flags_of("avvik", "personvernbrudd"),
    );
    other.escalation_decided_at = Some(received);
    assert!(open_deadlines(&other, &settings(), received)
        .iter()
        .any(|(d, _)| d.kind == DeadlineKind::BreachDecision));
}

#[test]
fn kritisk_needs_an_escalation_decision_within_24_hours() {
    let received = datetime!(2025-06-06 16:45 UTC);
    let mut facts = CaseFacts::received(received, Severity::Kritisk, NONE);
    assert_eq!(
        due_of(&facts, DeadlineKind::CriticalEscalationDecision),
        Some(datetime!(2025-06-07 16:45 UTC))
    );
    assert!(facts.alerts_contact_points_at_once());
    for severity in [Severity::Lav, Severity::Middels, Severity::Hoy] {
        facts.severity = severity;
        assert_eq!(
            due_of(&facts, DeadlineKind::CriticalEscalationDecision),
            None
        );
    }
}

#[test]
fn security_act_notice_is_due_after_a_short_grace() {
    let received = datetime!(2025-06-06 16:45 UTC);
    let facts = CaseFacts::received(received, Severity::Lav, flags_of("sikkerhet", "sabotasje"));
    assert!(facts.alerts_contact_points_at_once());
    // Receipt is known to the day: the grace runs from the day's end.
    assert_eq!(
        due_of(&facts, DeadlineKind::SecurityActNotice),
        Some(datetime!(2025-06-07 01:00 UTC))
    );
    let day_start = datetime!(2025-06-06 00:00 UTC);
    let stored = CaseFacts::received(day_start, Severity::Lav, flags_of("sikkerhet", "sabotasje"));
    let (_, state) =
        next_open(&stored, &settings(), datetime!(2025-06-06 23:59 UTC)).expect("open");
    assert_ne!(
        state,
        DeadlineState::Overdue,
        "not overdue on the day of receipt"
    );
    let (_, state) =
        next_open(&stored, &settings(), datetime!(2025-06-07 01:01 UTC)).expect("open");
    assert_eq!(
        state,
        DeadlineState::Overdue,
        "overdue once the day and the grace are over"
    );
    let (next, state) = next_open(&facts, &settings(), received).expect("open");
    assert_eq!(next.kind, DeadlineKind::SecurityActNotice);
    assert_eq!(state, DeadlineState::DueSoon, "not overdue on arrival");
    // A decision about another authority does not meet it ...
    let mut police_only = facts.clone();
    police_only.escalation_decided_at = Some(received + Duration::minutes(20));
    assert_eq!(
        next_open(&police_only, &settings(), received + Duration::hours(1)).map(|(d, _)| d.kind),
        Some(DeadlineKind::SecurityActNotice)
    );
    // ... a decision about NSM does.
    let mut decided = facts.clone();
    decided.security_act_decision_at = Some(received + Duration::minutes(20));
    assert_eq!(
        next_open(&decided, &settings(), received + Duration::hours(1)).map(|(d, _)| d.kind),
        Some(DeadlineKind::Acknowledge)
    );
    let notice = all_deadlines(&decided, &settings())
        .into_iter()
        .find(|d| d.kind == DeadlineKind::SecurityActNotice)
        .expect("notice deadline");
    // Decided within the grace: in time.
    assert_eq!(notice.met_in_time(), Some(true));
    assert_eq!(notice.state(&settings(), received), DeadlineState::Met);
    let mut late = facts.clone();
    late.security_act_decision_at = Some(datetime!(2025-06-07 01:01 UTC));
    let notice = all_deadlines(&late, &settings())
        .into_iter()
        .find(|d| d.kind == DeadlineKind::SecurityActNotice)
        .expect("notice deadline");
    assert_eq!(notice.met_in_time(), Some(false));
}

#[test]
fn security_act_grace_ends_exactly_at_its_configured_length() {
    let received = datetime!(2025-06-06 00:00 UTC);
    let facts = CaseFacts::received(received, Severity::Lav, flags_of("sikkerhet", "spionasje"));
    let notice_state = |settings: &DeadlineSettings, clock: &ManualClock| {
        open_deadlines(&facts, settings, clock.now())
            .into_iter()
            .find(|(d, _)| d.kind == DeadlineKind::SecurityActNotice)
            .map(|(_, s)| s)
    };
    let clock = ManualClock::new(received);
    let default = settings();
    // The grace runs from the end of the day of receipt.
    let day_end = received + Duration::days(1);
    clock.set(day_end + Duration::minutes(60) - Duration::seconds(1));
    assert_eq!(notice_state(&default, &clock), Some(DeadlineState::DueSoon));
    clock.advance(Duration::seconds(1));
    assert_eq!(notice_state(&default, &clock), Some(DeadlineState::Overdue));

    let quarter = DeadlineSettings {
        security_act_grace_minutes: 15,
        ..settings()
    };
    clock.set(day_end + Duration::minutes(15) - Duration::seconds(1));
    assert_eq!(notice_state(&quarter, &clock), Some(DeadlineState::DueSoon));
    clock.advance(Duration::seconds(1));
    assert_eq!(notice_state(&quarter, &clock), Some(DeadlineState::Overdue));

    // No grace: overdue once the day of receipt is over.
    let none = DeadlineSettings {
        security_act_grace_minutes: 0,
        ..settings()
    };
    clock.set(day_end - Duration::seconds(1));
    assert_eq!(notice_state(&none, &clock), Some(DeadlineState::DueSoon));
    clock.set(day_end);
    assert_eq!(notice_state(&none, &clock), Some(DeadlineState::Overdue));
}

#[test]
fn trusler_and_other_subtypes_have_no_immediate_notice() {
    let received = datetime!(2025-06-06 16:45 UTC);
    let threat = CaseFacts::received(received, Severity::Hoy, flags_of("sikkerhet", "trusler"));
    assert!(threat.flags.requires_police_decision_before_close());
    assert_eq!(
        kinds(&threat),
        vec![DeadlineKind::Acknowledge, DeadlineKind::Feedback]
    );
    let approach = CaseFacts::received(
        received,
        Severity::Middels,
        flags_of("sikkerhet", "rekrutteringsforsok"),
    );
    assert_eq!(
        kinds(&approach),
        vec![DeadlineKind::Acknowledge, DeadlineKind::Feedback]
    );
}

#[test]
fn kritisk_spionasje_case_has_every_deadline_it_should() {
    let received = datetime!(2025-02-10 08:00 UTC);
    let facts = CaseFacts::received(
        received,
        Severity::Kritisk,
        flags_of("sikkerhet", "spionasje"),
    );
    assert!(facts.flags.penal_196);
    assert_eq!(
        kinds(&facts),
        vec![
            DeadlineKind::Acknowledge,
            DeadlineKind::Feedback,
            DeadlineKind::CriticalEscalationDecision,
            DeadlineKind::SecurityActNotice,
        ]
    );
    let open = open_kinds(&facts, received);
    assert_eq!(
        open,
        vec![
            DeadlineKind::SecurityActNotice,
            DeadlineKind::CriticalEscalationDecision,
            DeadlineKind::Acknowledge,
            DeadlineKind::Feedback,
        ]
    );
    // A police decision meets the kritisk deadline, not the NSM notice.
    let mut police = facts.clone();
    police.escalation_decided_at = Some(received + Duration::hours(2));
    let open = open_kinds(&police, received);
    assert_eq!(
        open,
        vec![
            DeadlineKind::SecurityActNotice,
            DeadlineKind::Acknowledge,
            DeadlineKind::Feedback
        ]
    );
    // An NSM decision is also a decision of any authority: it meets both.
    let mut nsm = facts.clone();
    nsm.escalation_decided_at = Some(received + Duration::hours(2));
    nsm.security_act_decision_at = Some(received + Duration::hours(2));
    let open = open_kinds(&nsm, received);
    assert_eq!(
        open,
        vec![DeadlineKind::Acknowledge, DeadlineKind::Feedback]
    );
}

// --- states over time ---

#[test]
fn states_move_as_the_clock_advances() {
    let received = datetime!(2025-03-03 09:00 UTC);
    let ack_due = datetime!(2025-03-10 09:00 UTC);
    let clock = ManualClock::new(received);
    let mut facts = ordinary(received);
    let state = |facts: &CaseFacts, clock: &ManualClock| {
        next_open(facts, &settings(), clock.now()).map(|(d, s)| (d.kind, s))
    };
    assert_eq!(
        state(&facts, &clock),
        Some((DeadlineKind::Acknowledge, DeadlineState::Open))
    );
    clock.set(ack_due - Duration::hours(48) - Duration::seconds(1));
    assert_eq!(
        state(&facts, &clock),
        Some((DeadlineKind::Acknowledge, DeadlineState::Open))
    );
    clock.advance(Duration::seconds(1));
    assert_eq!(
        state(&facts, &clock),
        Some((DeadlineKind::Acknowledge, DeadlineState::DueSoon))
    );
    clock.set(ack_due - Duration::seconds(1));
    assert_eq!(
        state(&facts, &clock),
        Some((DeadlineKind::Acknowledge, DeadlineState::DueSoon))
    );
    clock.advance(Duration::seconds(1));
    assert_eq!(
        state(&facts, &clock),
        Some((DeadlineKind::Acknowledge, DeadlineState::Overdue))
    );
    clock.advance(Duration::days(1));
    facts.acknowledged_at = Some(clock.now());
    let ack = all_deadlines(&facts, &settings())[0];
    assert_eq!(ack.state(&settings(), clock.now()), DeadlineState::Met);
    assert_eq!(ack.met_in_time(), Some(false));
    // Feedback: three months after the (late) acknowledgement, 11 Jun.
    assert_eq!(
        state(&facts, &clock),
        Some((DeadlineKind::Feedback, DeadlineState::Open))
    );
    clock.set(datetime!(2025-06-09 09:00 UTC));
    assert_eq!(
        state(&facts, &clock),
        Some((DeadlineKind::Feedback, DeadlineState::DueSoon))
    );
    clock.set(datetime!(2025-06-11 09:00 UTC));
    assert_eq!(
        state(&facts, &clock),
        Some((DeadlineKind::Feedback, DeadlineState::Overdue))
    );
    facts.feedback_given_at = Some(clock.now());
    assert_eq!(state(&facts, &clock), None);
}

#[test]
fn closed_cases_have_no_open_deadlines() {
    let received = datetime!(2025-02-10 08:00 UTC);
    let mut facts = CaseFacts::received(
        received,
        Severity::Kritisk,
        flags_of("sikkerhet", "spionasje"),
    );
    facts.closed = true;
    let later = received + Duration::days(400);
    assert!(open_deadlines(&facts, &settings(), later).is_empty());
    assert_eq!(next_open(&facts, &settings(), later), None);
    assert!(reminders_due(&facts, &settings(), later, &[]).is_empty());
    assert_eq!(answer_expected_by(&facts, &settings()), None);
    // The record stays for statistics.
    assert_eq!(all_deadlines(&facts, &settings()).len(), 4);
    // Reopening brings them back.
    facts.closed = false;
    assert_eq!(open_deadlines(&facts, &settings(), later).len(), 4);
}

#[test]
fn due_soon_window_follows_settings() {
    let s = DeadlineSettings {
        due_soon_hours: 0,
        ..DeadlineSettings::default()
    };
    let d = Deadline {
        kind: DeadlineKind::Acknowledge,
        due: datetime!(2025-03-10 09:00 UTC),
        met: None,
    };
    assert_eq!(
        d.state(&s, d.due - Duration::seconds(1)),
        DeadlineState::Open
    );
    assert_eq!(d.state(&s, d.due), DeadlineState::Overdue);
}

#[test]
fn reporter_sees_acknowledgement_then_feedback_date() {
    let received = datetime!(2024-11-30 10:00 UTC);
    let mut facts = ordinary(received);
    assert_eq!(
        answer_expected_by(&facts, &settings()),
        Some(datetime!(2024-12-07 10:00 UTC))
    );
    facts.acknowledged_at = Some(datetime!(2024-12-02 10:00 UTC));
    assert_eq!(
        answer_expected_by(&facts, &settings()),
        Some(datetime!(2025-03-02 10:00 UTC))
    );
    facts.feedback_given_at = Some(datetime!(2025-01-15 10:00 UTC));
    assert_eq!(answer_expected_by(&facts, &settings()), None);
}

// --- reminders ---

#[test]
fn reminders_are_sent_once_before_and_escalations_once_after() {
    let received = datetime!(2025-03-03 09:00 UTC);
    let ack_due = datetime!(2025-03-10 09:00 UTC);
    let facts = ordinary(received);
    let s = settings();
    let actions = |now: OffsetDateTime, sent: &[(DeadlineKind, OffsetDateTime)]| {
        reminders_due(&facts, &s, now, sent)
            .into_iter()
            .map(|r| (r.deadline.kind, r.action))
            .collect::<Vec<_>>()
    };
    assert!(actions(received, &[]).is_empty());
    assert!(actions(ack_due - Duration::hours(25), &[]).is_empty());
    let remind_at = ack_due - Duration::hours(24);
    assert_eq!(
        actions(remind_at, &[]),
        vec![(DeadlineKind::Acknowledge, ReminderAction::Remind)]
    );
    let sent = [(DeadlineKind::Acknowledge, remind_at)];
    assert!(actions(remind_at + Duration::hours(1), &sent).is_empty());
    // A reminder about another deadline does not count.
    assert_eq!(
        actions(remind_at, &[(DeadlineKind::Feedback, remind_at)]).len(),
        1
    );
    assert_eq!(
        actions(ack_due, &sent),
        vec![(DeadlineKind::Acknowledge, ReminderAction::Escalate)]
    );
    let sent = [
        (DeadlineKind::Acknowledge, remind_at),
        (DeadlineKind::Acknowledge, ack_due + Duration::minutes(5)),
    ];
    assert!(actions(ack_due + Duration::days(3), &sent).is_empty());
    // A job that was down during the reminder window only escalates.
    assert_eq!(
        actions(ack_due + Duration::hours(1), &[]),
        vec![(DeadlineKind::Acknowledge, ReminderAction::Escalate)]
    );
}

#[test]
fn security_act_notice_is_reminded_at_receipt_and_escalated_after_the_grace() {
    let received = datetime!(2025-06-06 16:45 UTC);
    let facts = CaseFacts::received(
        received,
        Severity::Middels,
        flags_of("sikkerhet", "spionasje"),
    );
    let due = reminders_due(&facts, &settings(), received, &[]);
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].deadline.kind, DeadlineKind::SecurityActNotice);
    assert_eq!(due[0].action, ReminderAction::Remind);
    let sent = [(DeadlineKind::SecurityActNotice, received)];
    // Escalated once the day of receipt and the grace are over.
    let grace_over = datetime!(2025-06-07 01:00 UTC);
    let before = grace_over - Duration::minutes(1);
    assert!(reminders_due(&facts, &settings(), before, &sent).is_empty());
    let due = reminders_due(&facts, &settings(), grace_over, &sent);
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].action, ReminderAction::Escalate);
}

#[test]
fn an_extension_opens_a_new_reminder_window() {
    let received = datetime!(2025-01-20 09:00 UTC);
    let mut facts = ordinary(received);
    facts.acknowledged_at = Some(datetime!(2025-01-21 09:00 UTC));
    let first_reminder = datetime!(2025-04-20 09:00 UTC);
    let sent = [(DeadlineKind::Feedback, first_reminder)];
    extend_feedback(
        &mut facts,
        "Venter på politiet",
        &settings(),
        first_reminder,
    )
    .expect("extends");
    let new_due = datetime!(2025-07-21 09:00 UTC);
    assert!(reminders_due(&facts, &settings(), new_due - Duration::hours(25), &sent).is_empty());
    let due = reminders_due(&facts, &settings(), new_due - Duration::hours(24), &sent);
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].action, ReminderAction::Remind);
    assert_eq!(due[0].deadline.due, new_due);
}

// --- keys ---

#[test]
fn kind_and_state_keys_are_stable() {
    let keys: Vec<&str> = DeadlineKind::ALL.iter().map(|k| k.key()).collect();
    assert_eq!(
        keys,
        [
            "acknowledge",
            "feedback",
            "breach_decision",
            "critical_escalation_decision",
            "security_act_notice",
            "retaliation_response"
        ]
    );
    for kind in DeadlineKind::ALL {
        assert_eq!(DeadlineKind::parse(kind.key()), Some(kind));
        assert_eq!(
            serde_json::to_string(&kind).ok(),
            Some(format!("\"{}\"", kind.key()))
        );
    }
    assert_eq!(DeadlineKind::parse("Acknowledge"), None);
    for state in [
        DeadlineState::Met,
        DeadlineState::Open,
        DeadlineState::DueSoon,
        DeadlineState::Overdue,
    ] {
        assert_eq!(
            serde_json::to_string(&state).ok(),
            Some(format!("\"{}\"", state.key()))
        );
    }
}

// --- retaliation ---

#[test]
fn a_retaliation_report_is_due_an_answer_within_the_configured_days() {
    let received = datetime!(2026-03-02 00:00 UTC);
    let mut facts = ordinary(received);
    facts.acknowledged_at = Some(received + Duration::hours(5));
    assert!(all_deadlines(&facts, &settings())
        .iter()
        .all(|d| d.kind != DeadlineKind::RetaliationResponse));

    let reported = datetime!(2026-04-10 00:00 UTC);
    facts.retaliation = Some(RetaliationFacts {
        reported_at: reported,
        answered_at: None,
    });
    let (next, state) = next_open(&facts, &settings(), reported).expect("open");
    assert_eq!(next.kind, DeadlineKind::RetaliationResponse);
    assert_eq!(next.due, reported + Duration::days(7));
    assert_eq!(state, DeadlineState::Open);
    let late = reported + Duration::days(7);
    assert_eq!(next.state(&settings(), late), DeadlineState::Overdue);

    let mut shorter = settings();
    shorter.retaliation_response_days = 2;
    let (next, _) = next_open(&facts, &shorter, reported).expect("open");
    assert_eq!(next.due, reported + Duration::days(2));

    // An answer meets it; the feedback deadline is next again.
    facts.retaliation = Some(RetaliationFacts {
        reported_at: reported,
        answered_at: Some(reported + Duration::days(3)),
    });
    let (next, _) = next_open(&facts, &settings(), reported).expect("open");
    assert_eq!(next.kind, DeadlineKind::Feedback);
    let answered = all_deadlines(&facts, &settings())
        .into_iter()
        .find(|d| d.kind == DeadlineKind::RetaliationResponse)
        .expect("kept for the record");
    assert_eq!(answered.met_in_time(), Some(true));

    // A closed case has nothing open, and the setting is bounded.
    facts.retaliation = Some(RetaliationFacts {
        reported_at: reported,
        answered_at: None,
    });
    facts.closed = true;
    assert!(next_open(&facts, &settings(), reported).is_none());
    let mut invalid = settings();
    invalid.retaliation_response_days = 0;
    assert!(invalid.validate().is_err());
}
