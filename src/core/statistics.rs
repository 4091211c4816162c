//! Aggregate statistics for the management review (SPEC §1, §4): counts by
//! category, severity and month, the acknowledgement and feedback deadlines,
//! the time to acknowledge, and escalation decisions by authority, for one
//! calendar year or for all time.
//!
//! Only the non-content columns of a case ([`CaseFigures`]) and the keys of
//! escalation decisions ([`EscalationCount`]) are ever read, and every count
//! goes through [`suppression`] before anyone sees it.

mod deadlines;
mod escalations;
mod figures;
mod suppression;
mod table;

use std::collections::BTreeSet;
use std::fmt;
use std::ops::Range;

use time::{Date, Month, OffsetDateTime, UtcOffset};

use self::deadlines::{
    acknowledgement_days, acknowledgement_outcome, feedback_outcome, OutcomeCounts,
};
pub use self::deadlines::{median, nearest_rank, AnswerTimes, DeadlineOutcomes, Figure};
pub use self::escalations::EscalationCount;
pub use self::figures::{CaseFigures, SettledFeedback};
use self::suppression::{suppress, Line};
pub use self::suppression::{Cell, Suppression};
use self::table::{keys, position, push, CellList, Layout};
pub use self::table::{CrossTable, EscalationTable};
use crate::core::domain::{Category, DeadlineSettings, Severity};

/// The cases a report covers, by the day they were received (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// One calendar year.
    Year(i32),
    /// Every case.
    All,
}

/// Earliest and latest year a period may name.
const YEARS: std::ops::RangeInclusive<i32> = 1970..=9998;

impl Period {
    /// The default: the current calendar year, so the page opens on what
    /// is happening now; the previous year (which the management review in
    /// the first quarter looks back on) is one choice away.
    pub fn current_year(today: Date) -> Self {
        Period::Year(today.year())
    }

    /// Parses `all` or a four-digit year.
    pub fn parse(s: &str) -> Option<Self> {
        if s == "all" {
            return Some(Period::All);
        }
        if s.len() != 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let year: i32 = s.parse().ok()?;
        YEARS.contains(&year).then_some(Period::Year(year))
    }

    /// The form [`Period::parse`] reads.
    pub fn key(self) -> String {
        match self {
            Period::Year(y) => y.to_string(),
            Period::All => "all".to_owned(),
        }
    }

    /// The `received_at` values (UNIX seconds) of the cases it covers.
    pub fn received_range(self) -> Range<i64> {
        self.range()
    }

    /// The instants (UNIX seconds) it covers, such as the `decided_at` of
    /// the escalation decisions it counts.
    pub fn range(self) -> Range<i64> {
        match self {
            Period::Year(y) => new_year(y).unwrap_or(i64::MIN)..new_year(y + 1).unwrap_or(i64::MAX),
            Period::All => i64::MIN..i64::MAX,
        }
    }
}

/// UNIX seconds of 1 January of `year`, 00:00 UTC.
fn new_year(year: i32) -> Option<i64> {
    Date::from_calendar_date(year, Month::January, 1)
        .ok()
        .map(|d| d.midnight().assume_utc().unix_timestamp())
}

/// A calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    /// The year.
    pub year: i32,
    /// The month, 1 to 12.
    pub month: u8,
}

impl YearMonth {
    /// The month of a UNIX time (UTC).
    pub fn of(at: i64) -> Option<Self> {
        let t = OffsetDateTime::from_unix_timestamp(at).ok()?;
        Some(YearMonth {
            year: t.year(),
            month: u8::from(t.month()),
        })
    }

    /// The month after this one.
    fn next(self) -> Self {
        if self.month >= 12 {
            YearMonth {
                year: self.year + 1,
                month: 1,
            }
        } else {
            YearMonth {
                year: self.year,
                month: self.month + 1,
            }
        }
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// The rules a report is computed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    /// Smallest count that may be shown (`statistics.min_cell_count`).
    pub min_cell: u64,
    /// The deadline lengths (`[deadlines]`).
    pub deadlines: DeadlineSettings,
}

/// The statistics of one period.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The period.
    pub period: Period,
    /// The rules used.
    pub rules: Rules,
    /// Cases by month and category; its row totals are the cases per month.
    pub by_category: CrossTable<YearMonth>,
    /// Cases by month and severity; the same row totals.
    pub by_severity: CrossTable<YearMonth>,
    /// The acknowledgement deadline of the cases received in the period.
    pub acknowledgement: DeadlineOutcomes,
    /// Time to acknowledge, with the number of cases acknowledged.
    pub time_to_acknowledge: AnswerTimes,
    /// The feedback deadline of the cases received in the period.
    pub feedback: DeadlineOutcomes,
    /// Escalation decisions made in the period (by `decided_at`).
    pub escalations: EscalationTable,
}

impl Report {
    /// Computes the report of `period` from the figures of the cases received
    /// in it and the counts of the escalation decisions made in it; `now`
    /// decides which deadlines are not yet due.
    pub fn compute(
        cases: &[CaseFigures],
        escalations: &[EscalationCount],
        period: Period,
        rules: Rules,
        now: OffsetDateTime,
    ) -> Self {
        let today = now.to_offset(UtcOffset::UTC).date();
        let cases: Vec<&CaseFigures> = cases
            .iter()
            .filter(|c| period.received_range().contains(&c.received_at))
            .collect();
        let months = months_of(period, &cases);
        let count = |columns: usize, column_of: fn(&CaseFigures) -> Option<usize>| {
            let mut counts = vec![vec![0u64; columns]; months.len()];
            for case in &cases {
                let row =
                    YearMonth::of(case.received_at).and_then(|m| months.binary_search(&m).ok());
                if let (Some(r), Some(c)) = (row, column_of(case)) {
                    counts[r][c] += 1;
                }
            }
            counts
        };
        let category_counts = count(Category::ALL.len(), |c| {
            position(&Category::ALL, c.category)
        });
        let severity_counts = count(Severity::ALL.len(), |c| {
            position(&Severity::ALL, c.severity)
        });

        // One cell list for both tables: they share the month totals and the
        // grand total, so suppression in one applies to the other.
        let CellList {
            mut values,
            mut lines,
            row_totals: month_totals,
            grand,
        } = CellList::with_row_totals(&category_counts);
        let category_layout = Layout::add(
            &mut values,
            &mut lines,
            &category_counts,
            &month_totals,
            grand,
        );
        let severity_layout = Layout::add(
            &mut values,
            &mut lines,
            &severity_counts,
            &month_totals,
            grand,
        );
        // The deadline counts: met + missed = due, and due + not yet due =
        // every case of the period, so they join the same cell list. Both
        // deadlines take the same path; the acknowledgement also has the
        // number of cases acknowledged beside it.
        let acknowledgement = OutcomeCounts::tally(&cases, |c| {
            acknowledgement_outcome(c, rules.deadlines.acknowledge_days, today)
        });
        let acknowledgement_layout =
            OutcomeLayout::add(&mut values, &mut lines, acknowledgement, grand);
        let mut derived = Vec::new();
        let acknowledged = acknowledgement_layout.add_answered(
            &mut values,
            &mut lines,
            &mut derived,
            acknowledgement,
            grand,
        );
        let feedback = OutcomeCounts::tally(&cases, |c| feedback_outcome(c, &rules.deadlines, now));
        let feedback_layout = OutcomeLayout::add(&mut values, &mut lines, feedback, grand);
        let cells = suppress(&values, &lines, &derived, rules.min_cell);

        Report {
            by_category: category_layout.table(
                &cells,
                &months,
                keys(&Category::ALL, Category::key),
            ),
            by_severity: severity_layout.table(
                &cells,
                &months,
                keys(&Severity::ALL, Severity::key),
            ),
            acknowledgement: acknowledgement_layout.outcomes(&cells, rules.min_cell),
            time_to_acknowledge: AnswerTimes::new(
                cells[acknowledged],
                cells[acknowledgement_layout.met],
                &acknowledgement_days(&cases),
                rules.min_cell,
            ),
            feedback: feedback_layout.outcomes(&cells, rules.min_cell),
            escalations: escalations::table(escalations, rules.min_cell),
            period,
            rules,
        }
    }

    /// The months covered, in order.
    pub fn months(&self) -> &[YearMonth] {
        &self.by_category.rows
    }

    /// Cases per month (the row totals both tables share).
    pub fn month_totals(&self) -> &[Cell] {
        &self.by_category.row_totals
    }
}

/// Where the feedback deadline of `case` stands at `now`, once it no longer
/// changes: `None` while it is ahead and unmet (retention then waits, so
/// that a deleted case counts as it would have).
pub fn settled_feedback(
    case: &CaseFigures,
    settings: &DeadlineSettings,
    now: OffsetDateTime,
) -> Option<SettledFeedback> {
    use self::deadlines::Outcome;
    if deadlines::feedback_deadline(case, settings).is_none() {
        return Some(SettledFeedback::NoDeadline);
    }
    match deadlines::feedback_outcome(case, settings, now) {
        Outcome::Met => Some(SettledFeedback::Met),
        Outcome::Late => Some(SettledFeedback::Late),
        Outcome::Overdue => Some(SettledFeedback::Overdue),
        Outcome::NotYetDue => None,
    }
}

/// The months a report has rows for: the twelve of a year, or every month
/// from the first case to the last.
fn months_of(period: Period, cases: &[&CaseFigures]) -> Vec<YearMonth> {
    let (first, last) = match period {
        Period::Year(year) => (YearMonth { year, month: 1 }, YearMonth { year, month: 12 }),
        Period::All => {
            let seen: BTreeSet<YearMonth> = cases
                .iter()
                .filter_map(|c| YearMonth::of(c.received_at))
                .collect();
            match (seen.first(), seen.last()) {
                (Some(&a), Some(&b)) => (a, b),
                _ => return Vec::new(),
            }
        }
    };
    let mut months = vec![first];
    let mut m = first;
    while m < last {
        m = m.next();
        months.push(m);
    }
    months
}

/// Where the counts of a deadline's outcomes sit in the shared cell list.
struct OutcomeLayout {
    met: usize,
    missed: usize,
    due: usize,
    not_yet_due: usize,
}

impl OutcomeLayout {
    /// Adds the met, missed, due and not-yet-due counts with their lines:
    /// met and missed add up to the cases due, and those and the ones not
    /// yet due to the (already added) `total` of the period.
    fn add(
        values: &mut Vec<u64>,
        lines: &mut Vec<Line>,
        counts: OutcomeCounts,
        total: usize,
    ) -> Self {
        let layout = OutcomeLayout {
            met: push(values, counts.met),
            missed: push(values, counts.missed()),
            due: push(values, counts.due()),
            not_yet_due: push(values, counts.not_yet_due),
        };
        lines.push(Line {
            members: vec![layout.met, layout.missed],
            total: layout.due,
        });
        lines.push(Line {
            members: vec![layout.due, layout.not_yet_due],
            total,
        });
        layout
    }

    /// Adds the number of cases answered (for the acknowledgement: the
    /// cases acknowledged, the base of the time to acknowledge) and returns
    /// where it is. With the outcome counts it gives away the parts of the
    /// missed count (answered − met were late, due − answered are overdue)
    /// and the cases not answered (total − answered), so those join the
    /// cell list too, as derived counts (never shown, pushed to `derived`)
    /// that suppression keeps a reader from working out when they are small.
    fn add_answered(
        &self,
        values: &mut Vec<u64>,
        lines: &mut Vec<Line>,
        derived: &mut Vec<usize>,
        counts: OutcomeCounts,
        total: usize,
    ) -> usize {
        let late = push(values, counts.late);
        let overdue = push(values, counts.overdue);
        let unanswered = push(values, counts.unanswered());
        derived.extend([late, overdue, unanswered]);
        let answered = push(values, counts.answered());
        for (members, total) in [
            (vec![self.met, late], answered),
            (vec![late, overdue], self.missed),
            (vec![answered, overdue], self.due),
            (vec![overdue, self.not_yet_due], unanswered),
            (vec![answered, unanswered], total),
        ] {
            lines.push(Line { members, total });
        }
        answered
    }

    /// The suppressed figures.
    fn outcomes(&self, cells: &[Cell], min_cell: u64) -> DeadlineOutcomes {
        DeadlineOutcomes::new(
            cells[self.met],
            cells[self.missed],
            cells[self.due],
            cells[self.not_yet_due],
            min_cell,
        )
    }
}

#[cfg(test)]
mod tests;
