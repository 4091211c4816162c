//! Small-cell suppression: no published count may single out a reporter.
//!
//! The rule, applied to every table of a [`Report`](super::Report) at once:
//!
//! 1. **Primary.** A count from 1 to `min_cell - 1` is not shown: the page
//!    says "< min_cell" and the CSV leaves the count empty. Zero is shown: it
//!    describes nobody.
//! 2. **Complementary.** Each table is a set of additive *lines*: a row and
//!    its total, a column and its total, the column totals and the grand
//!    total, the month totals and the grand total. Tables share the month
//!    totals and the grand total, so what one hides the others hide too. A
//!    reader who knows this rule knows that a small cell lies in
//!    `1..min_cell` and that a complementary cell is at least `min_cell`. A
//!    line *discloses* when the hidden members (cells and total) that are not
//!    zero can be worked out exactly: when only one is hidden, or when they
//!    can only take their extreme values (two hidden cells of 4 where the
//!    shown total leaves exactly 8 for them; four hidden 1s under a hidden
//!    total of 4). A disclosing line gets one more hidden member: its
//!    smallest shown non-zero cell; if it has none, its total; if the total
//!    is already hidden as small, it is shown as hidden instead of
//!    "< min_cell", which removes its upper bound. This repeats over all
//!    lines until none discloses; each pass hides at least one more cell or
//!    widens one bound, so it ends.
//!
//! The check is per line; it does not solve the whole table as a linear
//! programme, which for tables this size (months × a handful of keys) the
//! line rule covers in practice. It needs `min_cell >= 3` (a "< 2" is a 1),
//! which the configuration enforces.

/// Why a count is not shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suppression {
    /// The count itself is below the minimum ("< 5").
    Small,
    /// Hidden so that a small count cannot be worked out from totals.
    Complementary,
}

/// A published count: the number, or why it is hidden.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    value: u64,
    suppression: Option<Suppression>,
}

impl Cell {
    /// A count under primary suppression only (for counts outside any table).
    pub fn primary(value: u64, min_cell: u64) -> Self {
        Cell {
            value,
            suppression: is_small(value, min_cell).then_some(Suppression::Small),
        }
    }

    /// The count, if it may be shown.
    pub fn shown(&self) -> Option<u64> {
        match self.suppression {
            None => Some(self.value),
            Some(_) => None,
        }
    }

    /// Why the count is hidden, if it is.
    pub fn suppression(&self) -> Option<Suppression> {
        self.suppression
    }

    /// The count before suppression (for checks inside this module tree).
    #[cfg(test)]
    pub(crate) fn raw(&self) -> u64 {
        self.value
    }
}

/// Whether `value` is a small count under `min_cell`.
fn is_small(value: u64, min_cell: u64) -> bool {
    value > 0 && value < min_cell
}

/// An additive relation a reader can use: `members` sum to `total` (indices
/// into the cell list).
#[derive(Debug, Clone)]
pub(crate) struct Line {
    /// The cells of the row or column.
    pub members: Vec<usize>,
    /// Its total.
    pub total: usize,
}

/// What a reader who knows the rule can tell about a hidden cell: a lower
/// bound and an upper bound (`None`: unbounded). The bounds are the tightest
/// true ones, so the check assumes the best-informed reader.
fn bounds(value: u64, suppression: Suppression, min_cell: u64) -> (i128, Option<i128>) {
    match suppression {
        Suppression::Small => (1, Some(i128::from(min_cell) - 1)),
        Suppression::Complementary if value == 0 => (0, None),
        Suppression::Complementary if value < min_cell => (1, None),
        Suppression::Complementary => (i128::from(min_cell), None),
    }
}

/// Whether the non-zero hidden members of `line` can be worked out exactly.
fn discloses(line: &Line, values: &[u64], marks: &[Option<Suppression>], min_cell: u64) -> bool {
    let hidden: Vec<(u64, Suppression)> = line
        .members
        .iter()
        .chain(std::iter::once(&line.total))
        .filter_map(|&i| marks[i].map(|s| (values[i], s)))
        .collect();
    if hidden.iter().all(|&(value, _)| value == 0) {
        // Nothing hidden, or only zeros, which describe nobody.
        return false;
    }
    if hidden.len() == 1 {
        return true;
    }
    // The reader knows: (sum of hidden members) - (total, if hidden) = known.
    let visible: i128 = line
        .members
        .iter()
        .filter(|&&i| marks[i].is_none())
        .map(|&i| i128::from(values[i]))
        .sum();
    let total_hidden = marks[line.total];
    let shown_total = match total_hidden {
        Some(_) => 0,
        None => i128::from(values[line.total]),
    };
    let known = shown_total - visible;
    let mut lo = Some(0i128);
    let mut hi = Some(0i128);
    for &i in &line.members {
        if let Some(s) = marks[i] {
            let (l, h) = bounds(values[i], s, min_cell);
            lo = lo.map(|x| x + l);
            hi = hi.and_then(|x| h.map(|h| x + h));
        }
    }
    if let Some(s) = total_hidden {
        let (l, h) = bounds(values[line.total], s, min_cell);
        lo = lo.and_then(|x| h.map(|h| x - h));
        hi = hi.map(|x| x - l);
    }
    lo == Some(known) || hi == Some(known)
}

/// The member to hide next in a disclosing line (or, for a total hidden as
/// small, to show as hidden instead): the smallest shown non-zero cell, else
/// the shown total, else a total hidden as small.
fn next_to_hide(line: &Line, values: &[u64], marks: &[Option<Suppression>]) -> Option<usize> {
    let shown = |i: usize| marks[i].is_none();
    line.members
        .iter()
        .copied()
        .filter(|&i| shown(i) && values[i] > 0)
        .min_by_key(|&i| values[i])
        .or_else(|| (shown(line.total) && values[line.total] > 0).then_some(line.total))
        .or_else(|| (marks[line.total] == Some(Suppression::Small)).then_some(line.total))
}

/// Applies the rule of this module to `values` related by `lines`.
pub(crate) fn suppress(values: &[u64], lines: &[Line], min_cell: u64) -> Vec<Cell> {
    let mut marks: Vec<Option<Suppression>> = values
        .iter()
        .map(|&v| is_small(v, min_cell).then_some(Suppression::Small))
        .collect();
    loop {
        let mut changed = false;
        for line in lines {
            if discloses(line, values, &marks, min_cell) {
                if let Some(i) = next_to_hide(line, values, &marks) {
                    marks[i] = Some(Suppression::Complementary);
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    values
        .iter()
        .zip(marks)
        .map(|(&value, suppression)| Cell { value, suppression })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One row `cells` with its total appended; returns (values, lines).
    fn row(cells: &[u64]) -> (Vec<u64>, Vec<Line>) {
        let mut values = cells.to_vec();
        values.push(cells.iter().sum());
        let line = Line {
            members: (0..cells.len()).collect(),
            total: cells.len(),
        };
        (values, vec![line])
    }

    fn marks(cells: &[Cell]) -> Vec<Option<Suppression>> {
        cells.iter().map(Cell::suppression).collect()
    }

    const S: Option<Suppression> = Some(Suppression::Small);
    const C: Option<Suppression> = Some(Suppression::Complementary);

    #[test]
    fn counts_below_the_minimum_are_small_and_zero_is_shown() {
        assert_eq!(Cell::primary(0, 5).shown(), Some(0));
        assert_eq!(Cell::primary(1, 5).suppression(), S);
        assert_eq!(Cell::primary(4, 5).shown(), None);
        assert_eq!(Cell::primary(5, 5).shown(), Some(5));
        assert_eq!(Cell::primary(4, 3).shown(), Some(4));
    }

    #[test]
    fn a_lone_small_cell_hides_the_next_smallest_in_its_line() {
        let (values, lines) = row(&[3, 9, 7, 20]);
        let cells = suppress(&values, &lines, 5);
        assert_eq!(marks(&cells), vec![S, None, C, None, None]);
        assert_eq!(cells[4].shown(), Some(39), "the total stays");
    }

    #[test]
    fn a_line_without_small_cells_is_untouched() {
        let (values, lines) = row(&[5, 0, 12]);
        let cells = suppress(&values, &lines, 5);
        assert!(cells.iter().all(|c| c.suppression().is_none()));
    }

    #[test]
    fn two_small_cells_that_are_not_pinned_need_nothing_more() {
        // 3 + 2 = 5 could be 1 + 4, 2 + 3, …
        let (values, lines) = row(&[3, 2, 10]);
        let cells = suppress(&values, &lines, 5);
        assert_eq!(marks(&cells), vec![S, S, None, None]);
    }

    #[test]
    fn small_cells_pinned_at_their_extremes_are_protected() {
        // 1 + 1 = 2 with both at least 1: both are exactly 1.
        let (values, lines) = row(&[1, 1, 10]);
        let cells = suppress(&values, &lines, 5);
        assert_eq!(marks(&cells), vec![S, S, C, None]);
        // 4 + 4 = 8 with both at most 4, and nothing else to hide: drop the total.
        let (values, lines) = row(&[4, 4, 0]);
        let cells = suppress(&values, &lines, 5);
        assert_eq!(marks(&cells), vec![S, S, None, C]);
    }

    #[test]
    fn ones_pinned_under_a_small_total_show_the_total_as_hidden() {
        // Four hidden 1s under a "< 5" total of 4: each must be 1.
        let (values, lines) = row(&[1, 1, 1, 1]);
        let cells = suppress(&values, &lines, 5);
        assert_eq!(marks(&cells), vec![S, S, S, S, C]);
    }

    #[test]
    fn a_small_total_with_one_small_cell_is_not_disclosing() {
        // x = T with both in 1..5: neither is known.
        let (values, lines) = row(&[0, 3, 0]);
        let cells = suppress(&values, &lines, 5);
        assert_eq!(marks(&cells), vec![None, S, None, S]);
    }

    #[test]
    fn complementary_suppression_cascades_across_rows_and_columns() {
        // 2×2 table with margins:      a=2  b=6 | 8
        //                              c=7  d=9 | 16
        //                              ---------+---
        //                                9   15 | 24
        let values = vec![2, 6, 7, 9, 8, 16, 9, 15, 24];
        let line = |members: Vec<usize>, total| Line { members, total };
        let lines = vec![
            line(vec![0, 1], 4),
            line(vec![2, 3], 5),
            line(vec![0, 2], 6),
            line(vec![1, 3], 7),
            line(vec![4, 5], 8),
            line(vec![6, 7], 8),
        ];
        let cells = suppress(&values, &lines, 5);
        // a is small; b (row) and c (column) are hidden with it, and then d
        // (b's column and c's row); every line has two hidden members.
        assert_eq!(marks(&cells)[..4], [S, C, C, C]);
        for l in &lines {
            let m = marks(&cells);
            assert!(!discloses(l, &values, &m, 5));
        }
        assert!(cells[4..].iter().all(|c| c.suppression().is_none()));
    }

    /// A tiny deterministic generator for the property check below.
    fn next(seed: &mut u64) -> u64 {
        *seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        *seed >> 33
    }

    #[test]
    fn no_line_of_a_random_table_discloses_after_suppression() {
        let mut seed = 7;
        for _ in 0..300 {
            let rows = 1 + (next(&mut seed) % 6) as usize;
            let cols = 1 + (next(&mut seed) % 4) as usize;
            let mut values: Vec<u64> = (0..rows * cols)
                .map(|_| match next(&mut seed) % 4 {
                    0 => 0,
                    1 => 1 + next(&mut seed) % 4,
                    _ => next(&mut seed) % 15,
                })
                .collect();
            let row_totals: Vec<usize> = (0..rows)
                .map(|r| {
                    values.push((0..cols).map(|c| values[r * cols + c]).sum());
                    values.len() - 1
                })
                .collect();
            let col_totals: Vec<usize> = (0..cols)
                .map(|c| {
                    values.push((0..rows).map(|r| values[r * cols + c]).sum());
                    values.len() - 1
                })
                .collect();
            values.push((0..rows * cols).map(|i| values[i]).sum());
            let grand = values.len() - 1;
            let mut lines: Vec<Line> = (0..rows)
                .map(|r| Line {
                    members: (0..cols).map(|c| r * cols + c).collect(),
                    total: row_totals[r],
                })
                .collect();
            lines.extend((0..cols).map(|c| Line {
                members: (0..rows).map(|r| r * cols + c).collect(),
                total: col_totals[c],
            }));
            lines.push(Line {
                members: row_totals.clone(),
                total: grand,
            });
            lines.push(Line {
                members: col_totals.clone(),
                total: grand,
            });
            let cells = suppress(&values, &lines, 5);
            let m = marks(&cells);
            for (cell, &v) in cells.iter().zip(&values) {
                assert_eq!(cell.raw(), v);
                if is_small(v, 5) {
                    assert_eq!(cell.shown(), None, "every small count is hidden");
                }
            }
            for l in &lines {
                assert!(!discloses(l, &values, &m, 5), "{values:?} {m:?}");
            }
        }
    }
}
