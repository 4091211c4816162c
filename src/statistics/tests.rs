use time::macros::date;

use super::*;

const DAY: i64 = 86_400;

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
        category: category.to_owned(),
        severity: severity.to_owned(),
        received_at: at(received),
        // Acknowledged in the afternoon of that day.
        acknowledged_at: ack_after_days.map(|d| at(received) + d * DAY + 15 * 3_600),
    }
}

const RULES: Rules = Rules {
    min_cell: 5,
    acknowledge_days: 7,
};

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
        Period::previous_year(date!(2026 - 02 - 10)),
        Period::Year(2025)
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
    let report = Report::compute(&sample(), Period::Year(2025), RULES, date!(2026 - 02 - 01));
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
    let report = Report::compute(&sample(), Period::Year(2025), RULES, date!(2026 - 02 - 01));
    let c = &report.by_category;
    let (mar, jun) = (2, 5);
    let (varsling, avvik, sikkerhet) = (0, 1, 2);
    assert_eq!(
        c.cells[mar][varsling].suppression(),
        Some(Suppression::Small)
    );
    // Alone in its row, 2 would follow from 8 - 6: the 6 is hidden too.
    // (Each row still has 8 = hidden + hidden with one at least 5 and one
    // in 1..5, which does not pin either.)
    assert_eq!(
        c.cells[mar][avvik].suppression(),
        Some(Suppression::Complementary)
    );
    assert_eq!(
        c.cells[jun][sikkerhet].suppression(),
        Some(Suppression::Small)
    );
    assert_eq!(
        c.cells[jun][avvik].suppression(),
        Some(Suppression::Complementary)
    );
    assert_eq!(c.cells[mar][sikkerhet].shown(), Some(0));
    assert_eq!(c.column_totals[avvik].shown(), Some(13));
    assert_eq!(
        c.column_totals[varsling].suppression(),
        Some(Suppression::Small)
    );
    assert_eq!(
        c.column_totals[sikkerhet].suppression(),
        Some(Suppression::Small)
    );

    // Severity: the 6 lav in March are alone in their column, so the lav
    // total goes too; likewise the 7 hoy in June.
    let s = &report.by_severity;
    let (lav, middels, hoy, kritisk) = (0, 1, 2, 3);
    assert_eq!(
        s.cells[mar][middels].suppression(),
        Some(Suppression::Small)
    );
    assert_eq!(
        s.cells[mar][lav].suppression(),
        Some(Suppression::Complementary)
    );
    assert_eq!(
        s.column_totals[lav].suppression(),
        Some(Suppression::Complementary)
    );
    assert_eq!(
        s.cells[jun][kritisk].suppression(),
        Some(Suppression::Small)
    );
    assert_eq!(
        s.cells[jun][hoy].suppression(),
        Some(Suppression::Complementary)
    );
    assert_eq!(
        s.column_totals[hoy].suppression(),
        Some(Suppression::Complementary)
    );
    // Both tables show the same month totals.
    assert_eq!(report.by_severity.row_totals, report.by_category.row_totals);
}

#[test]
fn a_higher_minimum_hides_more() {
    let rules = Rules {
        min_cell: 10,
        ..RULES
    };
    let report = Report::compute(&sample(), Period::Year(2025), rules, date!(2026 - 02 - 01));
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
    let report = Report::compute(&sample(), Period::All, RULES, date!(2026 - 02 - 01));
    assert_eq!(report.months().first(), Some(&month(2024, 12)));
    assert_eq!(report.months().last(), Some(&month(2025, 6)));
    assert_eq!(report.months().len(), 7);
    assert_eq!(report.by_category.total.shown(), Some(17));
    let empty = Report::compute(&[], Period::All, RULES, date!(2026 - 02 - 01));
    assert!(empty.months().is_empty());
    assert_eq!(empty.by_category.total.shown(), Some(0));
    assert_eq!(empty.acknowledgement.met_percent, Figure::NoData);
    assert_eq!(empty.time_to_acknowledge.median_days, Figure::NoData);
}

#[test]
fn acknowledgement_share_and_times_for_a_known_set() {
    let received = date!(2025 - 03 - 03);
    let mut cases: Vec<CaseFigures> = [0, 1, 1, 2, 3, 5, 7, 8, 10, 14]
        .into_iter()
        .map(|d| case("avvik", "lav", received, Some(d)))
        .collect();
    // Never acknowledged, deadline long past: due and missed.
    cases.push(case("avvik", "lav", received, None));
    // Received three days before "today": pending, left out.
    cases.push(case("avvik", "lav", date!(2025 - 12 - 28), None));
    let report = Report::compute(&cases, Period::Year(2025), RULES, date!(2025 - 12 - 31));
    let ack = &report.acknowledgement;
    assert_eq!(ack.due.shown(), Some(11));
    // Met: 0, 1, 1, 2, 3, 5 and 7 days (day 7 is the last day allowed).
    let Figure::Value(share) = ack.met_percent else {
        panic!("share shown: {:?}", ack.met_percent)
    };
    assert!((share - 700.0 / 11.0).abs() < 1e-9, "{share}");
    let times = &report.time_to_acknowledge;
    assert_eq!(times.answered.shown(), Some(10));
    assert_eq!(times.median_days, Figure::Value(4.0), "(3 + 5) / 2");
    assert_eq!(times.p90_days, Figure::Value(10.0), "rank 9 of 10");
    assert_eq!(report.feedback, Recorded::NotYet);
    assert_eq!(report.escalations, Recorded::NotYet);
}

#[test]
fn the_acknowledgement_deadline_uses_the_configured_days() {
    let received = date!(2025 - 05 - 05);
    let cases: Vec<CaseFigures> = [2, 3, 3, 4, 9]
        .into_iter()
        .map(|d| case("avvik", "lav", received, Some(d)))
        .collect();
    let rules = Rules {
        acknowledge_days: 3,
        ..RULES
    };
    let report = Report::compute(&cases, Period::Year(2025), rules, date!(2026 - 01 - 05));
    assert_eq!(report.acknowledgement.met_percent, Figure::Value(60.0));
    let report = Report::compute(&cases, Period::Year(2025), RULES, date!(2026 - 01 - 05));
    assert_eq!(report.acknowledgement.met_percent, Figure::Value(80.0));
}

#[test]
fn figures_on_a_small_base_are_suppressed() {
    let cases: Vec<CaseFigures> = [1, 2, 3, 20]
        .into_iter()
        .map(|d| case("avvik", "lav", date!(2025 - 04 - 01), Some(d)))
        .collect();
    let report = Report::compute(&cases, Period::Year(2025), RULES, date!(2026 - 01 - 05));
    assert_eq!(report.acknowledgement.due.shown(), None);
    assert_eq!(report.acknowledgement.met_percent, Figure::Suppressed);
    assert_eq!(report.time_to_acknowledge.answered.shown(), None);
    assert_eq!(report.time_to_acknowledge.median_days, Figure::Suppressed);
    assert_eq!(report.time_to_acknowledge.p90_days, Figure::Suppressed);
}

#[test]
fn unknown_stored_keys_get_their_own_column() {
    let cases = vec![case("miljo", "lav", date!(2025 - 04 - 01), None)];
    let report = Report::compute(&cases, Period::Year(2025), RULES, date!(2026 - 01 - 05));
    assert_eq!(
        report.by_category.columns,
        vec!["varsling", "avvik", "sikkerhet", "miljo"]
    );
    assert_eq!(report.by_category.cells[3][3].raw(), 1);
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
    let report = Report::compute(&cases, Period::Year(2025), RULES, date!(2026 - 01 - 05));
    let totals = report.month_totals();
    assert_eq!(totals[5].suppression(), Some(Suppression::Complementary));
    assert_eq!(totals[8].suppression(), Some(Suppression::Complementary));
    assert_eq!(report.by_category.total.shown(), Some(15));
}
