use time::macros::{date, datetime};

use super::*;
use crate::core::domain::{Authority, Decision};

const DAY: i64 = 86_400;

/// Hidden because the count itself is small.
const SMALL: Option<Suppression> = Some(Suppression::Small);

/// Hidden because it would give a small count away.
const COMPLEMENTARY: Option<Suppression> = Some(Suppression::Complementary);

fn at(d: Date) -> i64 {
    d.midnight().assume_utc().unix_timestamp()
}

fn case(
    category: &str,
    severity: &str,
    received: Date,
    ack_after_days: Option<i64>,
) -> CaseFigures {
    CaseFigures {
        category: Category::parse(category).expect("category"),
        severity: Severity::parse(severity).expect("severity"),
        received_at: at(received),
        // Acknowledged in the afternoon of that day.
        acknowledged_at: ack_after_days.map(|d| at(received) + d * DAY + 15 * 3_600),
        feedback_given_at: None,
        feedback_extended_at: None,
        settled_feedback: None,
    }
}

/// The default rules: minimum 5, the default deadlines.
fn rules() -> Rules {
    Rules {
        min_cell: 5,
        deadlines: DeadlineSettings::default(),
    }
}

/// The report of `cases` without escalations, at the start of `today`.
fn compute_on(cases: &[CaseFigures], period: Period, rules: Rules, today: Date) -> Report {
    Report::compute(cases, &[], period, rules, today.midnight().assume_utc())
}

/// The report of the year 2025 with the default rules and without
/// escalations, at the start of `today`.
fn year_2025_on(cases: &[CaseFigures], today: Date) -> Report {
    compute_on(cases, Period::Year(2025), rules(), today)
}

/// The report of the year 2025 with the default rules, computed at `now`.
fn year_2025(
    cases: &[CaseFigures],
    escalations: &[EscalationCount],
    now: OffsetDateTime,
) -> Report {
    Report::compute(cases, escalations, Period::Year(2025), rules(), now)
}

fn month(year: i32, month: u8) -> YearMonth {
    YearMonth { year, month }
}

#[test]
fn the_median_of_odd_and_even_counts() {
    assert_eq!(median(&[]), None);
    assert_eq!(median(&[4]), Some(4.0));
    assert_eq!(median(&[1, 2, 9]), Some(2.0));
    assert_eq!(median(&[1, 2, 3, 10]), Some(2.5));
    assert_eq!(median(&[0, 0, 7, 7]), Some(3.5));
}

#[test]
fn the_90th_percentile_is_the_nearest_rank() {
    let ten: Vec<i64> = (1..=10).collect();
    assert_eq!(nearest_rank(&ten, 90), Some(9), "rank ⌈9.0⌉ = 9");
    let eleven: Vec<i64> = (1..=11).collect();
    assert_eq!(nearest_rank(&eleven, 90), Some(10), "rank ⌈9.9⌉ = 10");
    assert_eq!(nearest_rank(&[5], 90), Some(5));
    assert_eq!(nearest_rank(&[1, 2], 90), Some(2), "rank ⌈1.8⌉ = 2");
    assert_eq!(nearest_rank(&ten, 100), Some(10));
    assert_eq!(nearest_rank(&ten, 50), Some(5));
    assert_eq!(nearest_rank(&[], 90), None);
}

#[test]
fn periods_parse_and_cover_their_year() {
    assert_eq!(Period::parse("2025"), Some(Period::Year(2025)));
    assert_eq!(Period::parse("all"), Some(Period::All));
    for bad in ["", "25", "20255", "-202", "2O25", "ALL", "1969"] {
        assert_eq!(Period::parse(bad), None, "{bad:?}");
    }
    assert_eq!(
        Period::current_year(date!(2026 - 02 - 10)),
        Period::Year(2026)
    );
    let range = Period::Year(2025).received_range();
    assert_eq!(range.start, at(date!(2025 - 01 - 01)));
    assert_eq!(range.end, at(date!(2026 - 01 - 01)));
    assert_eq!(Period::Year(2025).key(), "2025");
    assert_eq!(Period::All.key(), "all");
    assert_eq!(month(2025, 3).to_string(), "2025-03");
}

/// March: 6 avvik/lav and 2 varsling/middels; June: 7 avvik/hoy and
/// 1 sikkerhet/kritisk; one 2024 case outside the period.
fn sample() -> Vec<CaseFigures> {
    let mut cases = Vec::new();
    for _ in 0..6 {
        cases.push(case("avvik", "lav", date!(2025 - 03 - 04), Some(1)));
    }
    for _ in 0..2 {
        cases.push(case("varsling", "middels", date!(2025 - 03 - 20), Some(2)));
    }
    for _ in 0..7 {
        cases.push(case("avvik", "hoy", date!(2025 - 06 - 02), Some(3)));
    }
    cases.push(case("sikkerhet", "kritisk", date!(2025 - 06 - 30), None));
    cases.push(case("avvik", "lav", date!(2024 - 12 - 31), Some(1)));
    cases
}

#[test]
fn a_year_has_twelve_months_and_exact_big_counts() {
    let report = year_2025_on(&sample(), date!(2026 - 02 - 01));
    assert_eq!(report.months().len(), 12);
    assert_eq!(report.months()[0], month(2025, 1));
    assert_eq!(report.months()[11], month(2025, 12));
    let totals: Vec<Option<u64>> = report.month_totals().iter().map(Cell::shown).collect();
    assert_eq!(
        totals,
        vec![
            Some(0),
            Some(0),
            Some(8),
            Some(0),
            Some(0),
            Some(8),
            Some(0),
            Some(0),
            Some(0),
            Some(0),
            Some(0),
            Some(0)
        ]
    );
    assert_eq!(report.by_category.total.shown(), Some(16));
    assert_eq!(report.by_severity.total.shown(), Some(16));
    assert_eq!(
        report.by_category.columns,
        vec!["varsling", "avvik", "sikkerhet"]
    );
    assert_eq!(
        report.by_severity.columns,
        vec!["lav", "middels", "hoy", "kritisk"]
    );
}

#[test]
fn small_cells_and_their_complements_are_hidden() {
    let report = year_2025_on(&sample(), date!(2026 - 02 - 01));
    let c = &report.by_category;
    let (mar, jun) = (2, 5);
    let (varsling, avvik, sikkerhet) = (0, 1, 2);
    assert_eq!(c.cells[mar][varsling].suppression(), SMALL);
    // Alone in its row, 2 would follow from 8 - 6: the 6 is hidden too.
    // (Each row still has 8 = hidden + hidden with one at least 5 and one
    // in 1..5, which does not pin either.)
    assert_eq!(c.cells[mar][avvik].suppression(), COMPLEMENTARY);
    assert_eq!(c.cells[jun][sikkerhet].suppression(), SMALL);
    assert_eq!(c.cells[jun][avvik].suppression(), COMPLEMENTARY);
    assert_eq!(c.cells[mar][sikkerhet].shown(), Some(0));
    assert_eq!(c.column_totals[avvik].shown(), Some(13));
    assert_eq!(c.column_totals[varsling].suppression(), SMALL);
    assert_eq!(c.column_totals[sikkerhet].suppression(), SMALL);

    // Severity: the 6 lav in March are alone in their column, so the lav
    // total goes too; likewise the 7 hoy in June.
    let s = &report.by_severity;
    let (lav, middels, hoy, kritisk) = (0, 1, 2, 3);
    assert_eq!(s.cells[mar][middels].suppression(), SMALL);
    assert_eq!(s.cells[mar][lav].suppression(), COMPLEMENTARY);
    assert_eq!(s.column_totals[lav].suppression(), COMPLEMENTARY);
    assert_eq!(s.cells[jun][kritisk].suppression(), SMALL);
    assert_eq!(s.cells[jun][hoy].suppression(), COMPLEMENTARY);
    assert_eq!(s.column_totals[hoy].suppression(), COMPLEMENTARY);
    // Both tables show the same month totals.
    assert_eq!(report.by_severity.row_totals, report.by_category.row_totals);
}

#[test]
fn a_higher_minimum_hides_more() {
    let rules = Rules {
        min_cell: 10,
        ..rules()
    };
    let report = compute_on(&sample(), Period::Year(2025), rules, date!(2026 - 02 - 01));
    assert_eq!(report.month_totals()[2].shown(), None, "8 < 10");
    assert_eq!(report.by_category.total.shown(), Some(16));
    assert!(report
        .by_category
        .cells
        .iter()
        .flatten()
        .all(|c| c.shown() == Some(0) || c.shown().is_none()));
}

#[test]
fn all_time_runs_from_the_first_month_to_the_last() {
    let report = compute_on(&sample(), Period::All, rules(), date!(2026 - 02 - 01));
    assert_eq!(report.months().first(), Some(&month(2024, 12)));
    assert_eq!(report.months().last(), Some(&month(2025, 6)));
    assert_eq!(report.months().len(), 7);
    assert_eq!(report.by_category.total.shown(), Some(17));
    let empty = compute_on(&[], Period::All, rules(), date!(2026 - 02 - 01));
    assert!(empty.months().is_empty());
    assert_eq!(empty.by_category.total.shown(), Some(0));
    assert_eq!(empty.acknowledgement.met_percent, Figure::NoData);
    assert_eq!(empty.time_to_acknowledge.median_days, Figure::NoData);
}

/// Received 3 March 2025: met 0, 1, 1, 2, 3, 5 and 7 days after (day 7 is
/// the last day allowed), late 8, 8, 10, 12 and 14 days after, and 5 never
/// acknowledged; received 28 December: 5 not acknowledged yet.
fn acknowledgement_known_set() -> Vec<CaseFigures> {
    let received = date!(2025 - 03 - 03);
    let mut cases: Vec<CaseFigures> = [0, 1, 1, 2, 3, 5, 7, 8, 8, 10, 12, 14]
        .into_iter()
        .map(|d| case("avvik", "lav", received, Some(d)))
        .collect();
    for _ in 0..5 {
        cases.push(case("avvik", "lav", received, None));
        cases.push(case("avvik", "lav", date!(2025 - 12 - 28), None));
    }
    cases
}

#[test]
fn acknowledgement_counts_share_and_times_for_a_known_set() {
    let report = year_2025_on(&acknowledgement_known_set(), date!(2025 - 12 - 31));
    let ack = &report.acknowledgement;
    assert_eq!(ack.met.shown(), Some(7));
    assert_eq!(ack.missed.shown(), Some(10), "5 late + 5 never");
    assert_eq!(ack.due.shown(), Some(17));
    assert_eq!(ack.not_yet_due.shown(), Some(5), "3 days after receipt");
    let Figure::Value(share) = ack.met_percent else {
        panic!("share shown: {:?}", ack.met_percent)
    };
    assert!((share - 700.0 / 17.0).abs() < 1e-9, "{share}");
    assert_eq!(report.by_category.total.shown(), Some(22));
    let times = &report.time_to_acknowledge;
    assert_eq!(times.answered.shown(), Some(12));
    assert_eq!(times.median_days, Figure::Value(6.0), "(5 + 7) / 2");
    assert_eq!(times.p90_days, Figure::Value(12.0), "rank 11 of 12");
}

#[test]
fn small_acknowledgement_counts_hide_what_would_give_them_away() {
    // Met 7 (0–7 days), late 3 (8, 10, 14 days), 1 never acknowledged, 1
    // not yet due: 12 cases. Before, 11 due and a share of 63.6 % were
    // shown, which gave away 7 met and 4 missed; 12 − 11 gave away the one
    // not yet due, and 11 − 10 acknowledged the one never acknowledged.
    let received = date!(2025 - 03 - 03);
    let mut cases: Vec<CaseFigures> = [0, 1, 1, 2, 3, 5, 7, 8, 10, 14]
        .into_iter()
        .map(|d| case("avvik", "lav", received, Some(d)))
        .collect();
    cases.push(case("avvik", "lav", received, None));
    cases.push(case("avvik", "lav", date!(2025 - 12 - 28), None));
    let report = compute_on(&cases, Period::Year(2025), rules(), date!(2025 - 12 - 31));
    let ack = &report.acknowledgement;
    assert_eq!(ack.missed.suppression(), SMALL);
    assert_eq!(ack.not_yet_due.suppression(), SMALL);
    assert_eq!(ack.met.suppression(), COMPLEMENTARY);
    assert_eq!(ack.due.suppression(), COMPLEMENTARY);
    assert_eq!(ack.met_percent, Figure::Suppressed);
    let times = &report.time_to_acknowledge;
    assert_eq!(times.answered.suppression(), COMPLEMENTARY);
    assert_eq!(times.median_days, Figure::Suppressed);
    assert_eq!(times.p90_days, Figure::Suppressed);
    // The total stays; December (1 case) and so March are hidden.
    assert_eq!(report.by_category.total.shown(), Some(12));
    assert_eq!(report.month_totals()[11].suppression(), SMALL);
    assert_eq!(report.month_totals()[2].shown(), None);
}

#[test]
fn the_acknowledgement_deadline_uses_the_configured_days() {
    // Five cases each acknowledged after 2, 3, 5 and 9 days.
    let received = date!(2025 - 05 - 05);
    let cases: Vec<CaseFigures> = [2, 3, 5, 9]
        .into_iter()
        .flat_map(|d| std::iter::repeat_n(d, 5))
        .map(|d| case("avvik", "lav", received, Some(d)))
        .collect();
    let three_days = Rules {
        deadlines: DeadlineSettings {
            acknowledge_days: 3,
            ..DeadlineSettings::default()
        },
        ..rules()
    };
    let report = compute_on(
        &cases,
        Period::Year(2025),
        three_days,
        date!(2026 - 01 - 05),
    );
    assert_eq!(report.acknowledgement.met.shown(), Some(10));
    assert_eq!(report.acknowledgement.met_percent, Figure::Value(50.0));
    let report = compute_on(&cases, Period::Year(2025), rules(), date!(2026 - 01 - 05));
    assert_eq!(report.acknowledgement.met.shown(), Some(15));
    assert_eq!(report.acknowledgement.missed.shown(), Some(5));
    assert_eq!(report.acknowledgement.met_percent, Figure::Value(75.0));
}

#[test]
fn figures_on_a_small_base_are_suppressed() {
    let cases: Vec<CaseFigures> = [1, 2, 3, 20]
        .into_iter()
        .map(|d| case("avvik", "lav", date!(2025 - 04 - 01), Some(d)))
        .collect();
    let report = compute_on(&cases, Period::Year(2025), rules(), date!(2026 - 01 - 05));
    assert_eq!(report.acknowledgement.due.shown(), None);
    assert_eq!(report.acknowledgement.met_percent, Figure::Suppressed);
    assert_eq!(report.time_to_acknowledge.answered.shown(), None);
    assert_eq!(report.time_to_acknowledge.median_days, Figure::Suppressed);
    assert_eq!(report.time_to_acknowledge.p90_days, Figure::Suppressed);
}

#[test]
fn times_need_the_minimum_of_acknowledged_cases() {
    for min_cell in [3u64, 5, 10] {
        let rules = Rules {
            min_cell,
            ..rules()
        };
        // All in time, so nothing else hides them: just below the minimum
        // they are hidden, at it they are shown.
        let set = |n: u64| -> Vec<CaseFigures> {
            (0..n)
                .map(|d| case("avvik", "lav", date!(2025 - 04 - 01), Some((d % 7) as i64)))
                .collect()
        };
        let below = compute_on(
            &set(min_cell - 1),
            Period::Year(2025),
            rules.clone(),
            date!(2026 - 01 - 05),
        );
        let times = &below.time_to_acknowledge;
        assert_eq!(times.answered.suppression(), SMALL, "{min_cell}");
        assert_eq!(times.median_days, Figure::Suppressed, "{min_cell}");
        assert_eq!(times.p90_days, Figure::Suppressed, "{min_cell}");
        let at = compute_on(
            &set(min_cell),
            Period::Year(2025),
            rules,
            date!(2026 - 01 - 05),
        );
        let times = &at.time_to_acknowledge;
        assert_eq!(times.answered.shown(), Some(min_cell));
        assert!(matches!(times.median_days, Figure::Value(_)), "{min_cell}");
        assert!(matches!(times.p90_days, Figure::Value(_)), "{min_cell}");
    }
}

#[test]
fn times_are_hidden_when_they_would_tell_met_from_late() {
    // Minimum 3: 1 met (1 day), 2 late (8 days). The 3 acknowledged may be
    // shown, but a median of 8 days would say that at least 2 of the 3 were
    // late, so that (met being at least 1) exactly 1 was met.
    let rules = Rules {
        min_cell: 3,
        ..rules()
    };
    let report = compute_on(
        &acknowledgement_set([1, 2, 0, 0]),
        Period::Year(2025),
        rules,
        date!(2025 - 03 - 20),
    );
    let times = &report.time_to_acknowledge;
    assert_eq!(report.acknowledgement.met.suppression(), SMALL);
    assert_eq!(times.answered.shown(), Some(3));
    assert_eq!(times.median_days, Figure::Suppressed);
    assert_eq!(times.p90_days, Figure::Suppressed);
}

#[test]
fn a_chain_of_lines_cannot_pin_a_small_count() {
    // 1 met, 1 overdue, 5 not yet due: 7 cases. The 7 is shown and the 5
    // hidden (at least 5), so due is at most 2; with met and missed each at
    // least 1, both would be exactly 1. No single line shows it; the rule
    // narrows across lines and hides the total too.
    let report = year_2025_on(&acknowledgement_set([1, 0, 1, 5]), date!(2025 - 03 - 20));
    let ack = &report.acknowledgement;
    assert_eq!(ack.met.suppression(), SMALL);
    assert_eq!(ack.missed.suppression(), SMALL);
    assert_eq!(ack.not_yet_due.shown(), None);
    assert_eq!(report.by_category.total.shown(), None);
    let candidates = consistent_sets(&report, 40);
    assert!(candidates.iter().any(|c| c[0] != 1), "{candidates:?}");
}

#[test]
fn a_row_pinned_at_the_minimum_hides_its_total() {
    // June: 5 avvik + 1 sikkerhet = 6. With the 5 hidden as a complement
    // (so at least 5) and the 1 as small (at least 1), a shown 6 pins both:
    // the month total goes, and with it another month's.
    let mut cases = Vec::new();
    for _ in 0..5 {
        cases.push(case("avvik", "lav", date!(2025 - 06 - 02), None));
    }
    cases.push(case("sikkerhet", "lav", date!(2025 - 06 - 03), None));
    for _ in 0..9 {
        cases.push(case("avvik", "lav", date!(2025 - 09 - 02), None));
    }
    let report = compute_on(&cases, Period::Year(2025), rules(), date!(2026 - 01 - 05));
    let totals = report.month_totals();
    assert_eq!(totals[5].suppression(), COMPLEMENTARY);
    assert_eq!(totals[8].suppression(), COMPLEMENTARY);
    assert_eq!(report.by_category.total.shown(), Some(15));
}

/// Seconds of an instant.
fn secs(t: OffsetDateTime) -> i64 {
    t.unix_timestamp()
}

/// A case received on 3 March 2025, acknowledged on 4 March at 15:00 (so
/// feedback is due 4 June at 15:00, or 4 September once extended).
fn acknowledged_case(given: Option<OffsetDateTime>, extended: bool) -> CaseFigures {
    CaseFigures {
        feedback_given_at: given.map(secs),
        feedback_extended_at: extended.then(|| secs(datetime!(2025-04-01 09:00 UTC))),
        acknowledged_at: Some(secs(datetime!(2025-03-04 15:00 UTC))),
        ..case("avvik", "lav", date!(2025 - 03 - 03), None)
    }
}

#[test]
fn the_feedback_deadline_is_the_domain_rule() {
    let settings = DeadlineSettings::default();
    let due = |c: &CaseFigures| deadlines::feedback_deadline(c, &settings).map(|d| d.due);
    assert_eq!(
        due(&acknowledged_case(None, false)),
        Some(datetime!(2025-06-04 15:00 UTC)),
        "3 months after acknowledgement"
    );
    assert_eq!(
        due(&acknowledged_case(None, true)),
        Some(datetime!(2025-09-04 15:00 UTC)),
        "6 months once extended"
    );
    // Never acknowledged: 3 months after the acknowledgement deadline.
    assert_eq!(
        due(&case("avvik", "lav", date!(2025 - 03 - 03), None)),
        Some(datetime!(2025-06-10 0:00 UTC))
    );
    let longer = DeadlineSettings {
        feedback_months: 2,
        feedback_extended_months: 4,
        ..DeadlineSettings::default()
    };
    assert_eq!(
        deadlines::feedback_deadline(&acknowledged_case(None, true), &longer).map(|d| d.due),
        Some(datetime!(2025-07-04 15:00 UTC)),
        "the configured lengths"
    );
}

#[test]
fn a_feedback_deadline_is_met_missed_or_not_yet_due() {
    use deadlines::{feedback_outcome, Outcome::*};
    let settings = DeadlineSettings::default();
    let before = datetime!(2025-06-04 14:59 UTC);
    let at_due = datetime!(2025-06-04 15:00 UTC);
    let after = datetime!(2025-06-04 15:01 UTC);
    let outcome = |given, extended, now| {
        feedback_outcome(&acknowledged_case(given, extended), &settings, now)
    };
    assert_eq!(
        outcome(Some(at_due), false, after),
        Met,
        "at the due instant"
    );
    assert_eq!(outcome(Some(after), false, after), Late, "a minute late");
    assert_eq!(outcome(None, false, before), NotYetDue);
    assert_eq!(outcome(None, false, at_due), Overdue, "reached unmet");
    assert_eq!(outcome(Some(after), true, after), Met, "extended");
    assert_eq!(
        outcome(None, true, after),
        NotYetDue,
        "extended and still ahead"
    );
    assert_eq!(
        outcome(None, true, datetime!(2025-09-04 15:00 UTC)),
        Overdue
    );
}

#[test]
fn feedback_counts_and_share_for_a_known_set() {
    // 8 in time, 3 late, 2 never given and overdue, 2 still ahead.
    let mut cases = Vec::new();
    for _ in 0..8 {
        cases.push(acknowledged_case(
            Some(datetime!(2025-05-20 10:00 UTC)),
            false,
        ));
    }
    for _ in 0..3 {
        cases.push(acknowledged_case(
            Some(datetime!(2025-06-05 10:00 UTC)),
            false,
        ));
    }
    for _ in 0..2 {
        cases.push(acknowledged_case(None, false));
    }
    for _ in 0..2 {
        cases.push(acknowledged_case(None, true));
    }
    let report = year_2025(&cases, &[], datetime!(2025-07-01 12:00 UTC));
    let f = &report.feedback;
    assert_eq!(f.met.shown(), Some(8));
    assert_eq!(f.not_yet_due.suppression(), SMALL);
    // The 2 still ahead are small; the due count beside them would give
    // them away (15 - 13), so it is hidden too, and then the missed count
    // (13 - 8). The share would give the missed count away with the base.
    assert_eq!(f.due.suppression(), COMPLEMENTARY);
    assert_eq!(f.missed.suppression(), COMPLEMENTARY);
    assert_eq!(f.met_percent, Figure::Suppressed);
    assert_eq!(report.by_category.total.shown(), Some(15));

    // Once they are due too (both missed): 8 of 15 in time.
    let report = year_2025(&cases, &[], datetime!(2025-09-05 0:00 UTC));
    let f = &report.feedback;
    assert_eq!(f.met.shown(), Some(8));
    assert_eq!(f.missed.shown(), Some(7));
    assert_eq!(f.due.shown(), Some(15));
    assert_eq!(f.not_yet_due.shown(), Some(0));
    let Figure::Value(share) = f.met_percent else {
        panic!("share shown: {:?}", f.met_percent)
    };
    assert!((share - 800.0 / 15.0).abs() < 1e-9, "{share}");
}

#[test]
fn a_small_met_or_missed_count_hides_the_share() {
    // 1 late of 12: the share (11/12) would give the 1 away.
    let mut cases = vec![acknowledged_case(
        Some(datetime!(2025-06-05 10:00 UTC)),
        false,
    )];
    for _ in 0..11 {
        cases.push(acknowledged_case(
            Some(datetime!(2025-05-20 10:00 UTC)),
            false,
        ));
    }
    let report = year_2025(&cases, &[], datetime!(2026-01-01 0:00 UTC));
    let f = &report.feedback;
    assert_eq!(f.missed.suppression(), SMALL);
    assert_eq!(f.met.shown(), None, "12 - 11 would give the 1 away");
    assert_eq!(f.due.shown(), Some(12));
    assert_eq!(f.met_percent, Figure::Suppressed);
    let empty = year_2025(&[], &[], datetime!(2026-01-01 0:00 UTC));
    assert_eq!(empty.feedback.met_percent, Figure::NoData);
    assert_eq!(empty.feedback.due.shown(), Some(0));
}

/// The escalation table of 2025 (computed at the start of 2026) for these
/// `(authority, decision, count)` rows.
fn escalations_2025(rows: &[(&str, &str, u64)]) -> EscalationTable {
    let counts: Vec<EscalationCount> = rows
        .iter()
        .map(|&(authority, decision, count)| EscalationCount {
            authority: Authority::parse(authority).expect("authority"),
            decision: Decision::parse(decision).expect("decision"),
            count,
        })
        .collect();
    year_2025(&[], &counts, datetime!(2026-01-01 0:00 UTC)).escalations
}

#[test]
fn escalations_are_counted_by_authority_and_decision() {
    let e = escalations_2025(&[
        ("politi", "escalate", 7),
        ("politi", "do_not_escalate", 5),
        ("nsm", "escalate", 6),
        ("datatilsynet", "do_not_escalate", 9),
        ("datatilsynet", "defer", 5),
    ]);
    assert_eq!(
        e.rows,
        [
            "politi",
            "pst",
            "nsm",
            "datatilsynet",
            "arbeidstilsynet",
            "other"
        ]
    );
    assert_eq!(e.columns, ["escalate", "do_not_escalate", "defer"]);
    let shown = |row: &[Cell]| row.iter().map(Cell::shown).collect::<Vec<_>>();
    assert_eq!(shown(&e.cells[0]), [Some(7), Some(5), Some(0)]);
    assert_eq!(shown(&e.cells[1]), [Some(0), Some(0), Some(0)]);
    assert_eq!(shown(&e.cells[3]), [Some(0), Some(9), Some(5)]);
    assert_eq!(
        shown(&e.row_totals),
        [Some(12), Some(0), Some(6), Some(14), Some(0), Some(0)]
    );
    assert_eq!(shown(&e.column_totals), [Some(13), Some(14), Some(5)]);
    assert_eq!(e.total.shown(), Some(32));
}

#[test]
fn a_small_escalation_count_cannot_be_recovered_from_totals() {
    // PST: 2 escalated (small) beside 9 not escalated; politi 6 escalated.
    let e = escalations_2025(&[
        ("pst", "escalate", 2),
        ("pst", "do_not_escalate", 9),
        ("politi", "escalate", 6),
        ("politi", "defer", 8),
        ("other", "escalate", 5),
    ]);
    assert_eq!(e.rows.last().map(String::as_str), Some("other"));
    let (politi, pst) = (0, 1);
    let (escalate, do_not) = (0, 1);
    assert_eq!(e.cells[pst][escalate].suppression(), SMALL);
    // Its row (11 - 9) and its column (13 - 6 - 5) would give it away.
    assert_eq!(e.cells[pst][do_not].shown(), None);
    // The column (13 - 6 - 5) hides the smallest other cell, then more.
    assert_eq!(e.cells[5][escalate].shown(), None);
    assert_eq!(e.cells[politi][escalate].shown(), None);
    assert_eq!(e.total.shown(), Some(30));
    // Whatever is hidden, no line lets a reader work a hidden count out:
    // rows, columns, and both sets of totals against the grand total.
    for (r, row) in e.cells.iter().enumerate() {
        assert_line_safe(row, e.row_totals[r]);
    }
    for c in 0..e.columns.len() {
        let column: Vec<Cell> = e.cells.iter().map(|row| row[c]).collect();
        assert_line_safe(&column, e.column_totals[c]);
    }
    assert_line_safe(&e.row_totals, e.total);
    assert_line_safe(&e.column_totals, e.total);
}

/// A line is safe when a hidden non-zero count is never alone in it and a
/// shown total never equals what the shown members leave plus the least
/// the hidden ones could be (which would pin them).
#[track_caller]
fn assert_line_safe(members: &[Cell], total: Cell) {
    let hidden: Vec<&Cell> = members
        .iter()
        .chain(std::iter::once(&total))
        .filter(|c| c.shown().is_none())
        .collect();
    if hidden.iter().all(|c| c.raw() == 0) {
        return;
    }
    assert!(
        hidden.len() >= 2,
        "a lone hidden count in {members:?} / {total:?}"
    );
    if let Some(t) = total.shown() {
        let visible: u64 = members.iter().filter_map(Cell::shown).sum();
        let least: u64 = members
            .iter()
            .filter(|c| c.shown().is_none())
            .map(|c| match c.suppression() {
                SMALL => 1,
                _ => 5,
            })
            .sum();
        assert_ne!(t - visible, least, "pinned: {members:?} / {total:?}");
    }
}

/// The acknowledgement set `[met, late, overdue, pending]`, judged at the
/// start of 20 March 2025: all avvik/lav, received in March; met on day 1,
/// late on day 8 (11 March + 8), overdue never acknowledged since 11 March
/// (day 7 was 18 March), pending received 19 March. Feedback is not yet due
/// for any of them.
fn acknowledgement_set([met, late, overdue, pending]: [usize; 4]) -> Vec<CaseFigures> {
    let early = date!(2025 - 03 - 11);
    std::iter::repeat_n(Some(1), met)
        .chain(std::iter::repeat_n(Some(8), late))
        .chain(std::iter::repeat_n(None, overdue))
        .map(|ack| case("avvik", "lav", early, ack))
        .chain(std::iter::repeat_n(
            case("avvik", "lav", date!(2025 - 03 - 19), None),
            pending,
        ))
        .collect()
}

/// What a reader learns about a count from a published cell: its value,
/// or the range the suppression rule implies (the best-informed reader).
fn admits(cell: Cell, min: u64, candidate: u64) -> bool {
    match (cell.shown(), cell.suppression()) {
        (Some(v), _) => candidate == v,
        (None, SMALL) => (1..min).contains(&candidate),
        // A complement: at least the minimum if it is that big, else at
        // least 1 unless it is 0 (the tightest bounds of the rule).
        (None, _) if cell.raw() >= min => candidate >= min,
        (None, _) if cell.raw() > 0 => candidate >= 1,
        (None, _) => true,
    }
}

/// What a reader learns from a shown figure about the counts behind it.
fn admits_figure(figure: Figure, candidate: Option<f64>) -> bool {
    match figure {
        Figure::Value(v) => candidate == Some(v),
        Figure::Suppressed | Figure::NoData => true,
    }
}

/// Every `[met, late, overdue, pending]` up to `cap` each that agrees with
/// everything the report of `cases` (an [`acknowledgement_set`]) shows: the
/// acknowledgement counts and figures, and every table, month and feedback
/// count that is the total of the period. Solves all the relations at
/// once, which is more than the per-line rule checks.
fn consistent_sets(report: &Report, cap: u64) -> Vec<[u64; 4]> {
    let min = report.rules.min_cell;
    let (march, avvik, lav) = (2, 1, 0);
    let c = &report.by_category;
    let s = &report.by_severity;
    let totals = [
        report.month_totals()[march],
        c.cells[march][avvik],
        c.column_totals[avvik],
        c.total,
        s.cells[march][lav],
        s.column_totals[lav],
        s.total,
        report.feedback.not_yet_due,
    ];
    // Everything else is 0 whatever the counts are, and shown as 0.
    for cell in report
        .month_totals()
        .iter()
        .enumerate()
        .filter(|&(m, _)| m != march)
        .map(|(_, c)| c)
        .chain(c.cells.iter().flatten().filter(|c| c.raw() == 0))
        .chain([
            &report.feedback.met,
            &report.feedback.missed,
            &report.feedback.due,
        ])
    {
        assert_eq!(cell.shown(), Some(0));
    }
    let ack = &report.acknowledgement;
    let times = &report.time_to_acknowledge;
    let mut out = Vec::new();
    for m in (0..=cap).filter(|&m| admits(ack.met, min, m)) {
        for l in (0..=cap).filter(|&l| admits(times.answered, min, m + l)) {
            let days: Vec<i64> = std::iter::repeat_n(1, m as usize)
                .chain(std::iter::repeat_n(8, l as usize))
                .collect();
            let n = days.len() as u64;
            let shown_times = |f: Option<f64>| (n >= min).then_some(f).flatten();
            if !admits_figure(times.median_days, shown_times(median(&days)))
                || !admits_figure(
                    times.p90_days,
                    shown_times(nearest_rank(&days, 90).map(|d| d as f64)),
                )
            {
                continue;
            }
            for o in (0..=cap)
                .filter(|&o| admits(ack.missed, min, l + o) && admits(ack.due, min, m + l + o))
            {
                let due = m + l + o;
                let share = (due > 0).then(|| m as f64 * 100.0 / due as f64);
                if !admits_figure(ack.met_percent, share) {
                    continue;
                }
                for p in (0..=cap).filter(|&p| admits(ack.not_yet_due, min, p)) {
                    let t = due + p;
                    if totals.iter().all(|&cell| admits(cell, min, t)) {
                        out.push([m, l, o, p]);
                    }
                }
            }
        }
    }
    out
}

/// The counts a reader could want to know of an acknowledgement set
/// `[met, late, overdue, pending]`: each one published (met, missed, due,
/// not yet due, acknowledged, all cases) and each one they give by
/// subtraction (late, overdue, not acknowledged).
fn acknowledgement_counts([m, l, o, p]: [u64; 4]) -> [(&'static str, u64); 9] {
    [
        ("met", m),
        ("missed", l + o),
        ("due", m + l + o),
        ("not yet due", p),
        ("acknowledged", m + l),
        ("all cases", m + l + o + p),
        ("late", l),
        ("overdue", o),
        ("not acknowledged", o + p),
    ]
}

#[test]
fn no_small_acknowledgement_count_can_be_worked_out() {
    let today = date!(2025 - 03 - 20);
    for min in [3u64, 5] {
        let rules = Rules {
            min_cell: min,
            ..rules()
        };
        let top = min as usize + 2;
        for met in 0..=top {
            for late in 0..=top {
                for overdue in 0..=top {
                    for pending in 0..=top {
                        let set = [met, late, overdue, pending];
                        let cases = acknowledgement_set(set);
                        let report = compute_on(&cases, Period::Year(2025), rules.clone(), today);
                        let truth = set.map(|n| n as u64);
                        let candidates = consistent_sets(&report, 4 * top as u64 + 4);
                        assert!(candidates.contains(&truth), "{set:?}: truth ruled out");
                        for (i, (name, value)) in acknowledgement_counts(truth).iter().enumerate() {
                            if !(1..min).contains(value) {
                                continue;
                            }
                            let pinned = candidates
                                .iter()
                                .all(|&c| acknowledgement_counts(c)[i].1 == *value);
                            assert!(
                                !pinned,
                                "min {min}, {set:?}: {name} = {value} follows from {:#?}",
                                (&report.acknowledgement, &report.time_to_acknowledge)
                            );
                        }
                    }
                }
            }
        }
    }
}

/// The feedback set `[met, missed, not yet due]` on 1 July 2025, all
/// received 3 March and acknowledged the next day: feedback given 20 May
/// (met), 5 June (late), or not given on an extended deadline (not yet due).
fn feedback_set([met, missed, pending]: [usize; 3]) -> Vec<CaseFigures> {
    std::iter::repeat_n(Some(datetime!(2025-05-20 10:00 UTC)), met)
        .chain(std::iter::repeat_n(
            Some(datetime!(2025-06-05 10:00 UTC)),
            missed,
        ))
        .map(|given| acknowledged_case(given, false))
        .chain(std::iter::repeat_n(acknowledged_case(None, true), pending))
        .collect()
}

#[test]
fn no_small_feedback_count_can_be_worked_out() {
    for min in [3u64, 5] {
        let rules = Rules {
            min_cell: min,
            ..rules()
        };
        let top = min as usize + 2;
        for met in 0..=top {
            for missed in 0..=top {
                for pending in 0..=top {
                    let set = [met, missed, pending];
                    let report = Report::compute(
                        &feedback_set(set),
                        &[],
                        Period::Year(2025),
                        rules.clone(),
                        datetime!(2025-07-01 12:00 UTC),
                    );
                    let f = &report.feedback;
                    let ack = &report.acknowledgement;
                    // Every case counts once in these: the total, the
                    // tables, and the acknowledgement (all met, day 1).
                    let totals = [
                        report.month_totals()[2],
                        report.by_category.total,
                        report.by_severity.total,
                        ack.met,
                        ack.due,
                        report.time_to_acknowledge.answered,
                    ];
                    let cap = 4 * top as u64 + 4;
                    let mut candidates = Vec::new();
                    for m in (0..=cap).filter(|&m| admits(f.met, min, m)) {
                        for x in (0..=cap)
                            .filter(|&x| admits(f.missed, min, x) && admits(f.due, min, m + x))
                        {
                            let share = (m + x > 0).then(|| m as f64 * 100.0 / (m + x) as f64);
                            if !admits_figure(f.met_percent, share) {
                                continue;
                            }
                            for p in (0..=cap).filter(|&p| {
                                admits(f.not_yet_due, min, p)
                                    && totals.iter().all(|&c| admits(c, min, m + x + p))
                            }) {
                                candidates.push([m, x, p]);
                            }
                        }
                    }
                    let truth = set.map(|n| n as u64);
                    assert!(candidates.contains(&truth), "{set:?}: truth ruled out");
                    let [m, x, p] = truth;
                    for (name, value, of) in [
                        ("met", m, [1, 0, 0]),
                        ("missed", x, [0, 1, 0]),
                        ("due", m + x, [1, 1, 0]),
                        ("not yet due", p, [0, 0, 1]),
                        ("all cases", m + x + p, [1, 1, 1]),
                    ] {
                        if !(1..min).contains(&value) {
                            continue;
                        }
                        let value_of =
                            |c: &[u64; 3]| c.iter().zip(of).map(|(v, k)| v * k).sum::<u64>();
                        assert!(
                            candidates.iter().any(|c| value_of(c) != value),
                            "min {min}, {set:?}: {name} = {value} follows from {f:#?}"
                        );
                    }
                }
            }
        }
    }
}
