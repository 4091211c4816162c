//! The deadline figures of a report: how far the acknowledgement deadline was
//! met, and how long acknowledgement took (median and 90th percentile).
//! The feedback deadline will reuse [`DeadlineShare`] once feedback times are
//! stored.

use time::Date;

use super::{CaseFigures, Cell, Rules};

/// Seconds in a day.
const DAY: i64 = 86_400;

/// A figure derived from counts (a share or a number of days).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Figure {
    /// The value.
    Value(f64),
    /// Not shown: its base count is below the minimum.
    Suppressed,
    /// No cases to compute it from.
    NoData,
}

impl Figure {
    /// `value` computed from `base` cases, suppressed when `base` is small.
    pub(super) fn of(base: u64, min_cell: u64, value: impl FnOnce() -> Option<f64>) -> Self {
        if base == 0 {
            Figure::NoData
        } else if base < min_cell {
            Figure::Suppressed
        } else {
            value().map_or(Figure::NoData, Figure::Value)
        }
    }
}

/// How far a deadline was met: the share of the cases it was due for.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadlineShare {
    /// Cases whose deadline has passed or that were answered (the base).
    pub due: Cell,
    /// Share met in time, in percent.
    pub met_percent: Figure,
}

/// How long answers took, in whole days from the day of receipt.
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerTimes {
    /// Cases answered (the base).
    pub answered: Cell,
    /// Median.
    pub median_days: Figure,
    /// 90th percentile, nearest rank.
    pub p90_days: Figure,
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
/// day the reporter is told to expect it). A case not acknowledged counts
/// once that day has passed; before then it is pending and left out.
pub(super) fn acknowledgement_share(
    cases: &[&CaseFigures],
    rules: Rules,
    today: Date,
) -> DeadlineShare {
    let allowed = i64::from(rules.acknowledge_days);
    let today = day_number(today.midnight().assume_utc().unix_timestamp());
    let mut due = 0u64;
    let mut met = 0u64;
    for case in cases {
        match days_to_acknowledge(case) {
            Some(days) => {
                due += 1;
                if days <= allowed {
                    met += 1;
                }
            }
            None if today > day_number(case.received_at) + allowed => due += 1,
            None => {}
        }
    }
    DeadlineShare {
        due: Cell::primary(due, rules.min_cell),
        met_percent: Figure::of(due, rules.min_cell, || {
            Some(met as f64 * 100.0 / due as f64)
        }),
    }
}

/// Median and 90th percentile of the days to acknowledge.
pub(super) fn time_to_acknowledge(cases: &[&CaseFigures], min_cell: u64) -> AnswerTimes {
    let mut days: Vec<i64> = cases
        .iter()
        .filter_map(|c| days_to_acknowledge(c))
        .collect();
    days.sort_unstable();
    let n = days.len() as u64;
    AnswerTimes {
        answered: Cell::primary(n, min_cell),
        median_days: Figure::of(n, min_cell, || median(&days)),
        p90_days: Figure::of(n, min_cell, || nearest_rank(&days, 90).map(|d| d as f64)),
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
