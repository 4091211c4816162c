//! Small-cell suppression: no published count may single out a reporter.
//!
//! The rule, applied to every table of a [`Report`](super::Report) at once:
//!
//! 1. **Primary.** A count from 1 to `min_cell - 1` is not shown: the page
//!    says "< min_cell" and the CSV leaves the count empty. Zero is shown: it
//!    describes nobody.
//! 2. **Complementary.** Each table is a set of additive *lines*: a row and
//!    its total, a column and its total, the column totals and the grand
//!    total, the month totals and the grand total, met + missed = due, due +
//!    not yet due = all cases. Tables share the month totals and the grand
//!    total, so what one hides the others hide too. A reader who knows this
//!    rule knows that a small cell lies in `1..min_cell` and that a
//!    complementary cell is at least `min_cell`. A line *discloses* when the
//!    hidden members (cells and total) that are not zero can be worked out
//!    exactly: when only one is hidden, or when they can only take their
//!    extreme values (two hidden cells of 4 where the shown total leaves
//!    exactly 8 for them; four hidden 1s under a hidden total of 4). A
//!    disclosing line gets one more hidden member: its smallest shown
//!    non-zero cell; if it has none, its total; if the total is already
//!    hidden as small, it is shown as hidden instead of "< min_cell", which
//!    removes its upper bound. This repeats over all lines until none
//!    discloses.
//! 3. **Across lines.** A reader can also chain lines: a shown total of 7
//!    with a hidden part of at least 5 leaves at most 2 for the other part,
//!    and if that part is two hidden small counts, each is 1. So once no
//!    single line discloses, the bounds of every hidden count are narrowed
//!    by every line in turn, until nothing changes, as such a reader would
//!    ([`Counts::ranges`]). If that pins a hidden count that is not zero to one
//!    value, one more count is hidden (the first, nearest to it, whose
//!    hiding unpins it: a shown count before a total, smaller before
//!    larger; else a small one shown as hidden), and the rule starts again
//!    at 2.
//!
//! Some counts are never published but follow from published ones (the
//! cases acknowledged late: acknowledged − met). They take part as
//! *derived* counts: a reader knows nothing of them but what the lines
//! give, and they must not be worked out exactly when they are small (a big
//! one may be). Each pass hides at least one more count or widens one bound,
//! so the rule ends.
//!
//! Narrowing bounds line by line is not a full linear programme: it can
//! miss what only solving several lines together gives. For the deadline
//! figures an exhaustive check in the tests finds nothing it misses. It
//! needs `min_cell >= 3` (a "< 2" is a 1), which the configuration
//! enforces.

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

/// Applies the rule of this module to `values` related by `lines`. The
/// counts at the indices `derived` are never published (their cells come
/// back hidden); the others are.
pub(crate) fn suppress(
    values: &[u64],
    lines: &[Line],
    derived: &[usize],
    min_cell: u64,
) -> Vec<Cell> {
    let mut is_derived = vec![false; values.len()];
    for &i in derived {
        if let Some(d) = is_derived.get_mut(i) {
            *d = true;
        }
    }
    let mut marks: Vec<Option<Suppression>> = values
        .iter()
        .zip(&is_derived)
        .map(|(&v, &d)| (!d && is_small(v, min_cell)).then_some(Suppression::Small))
        .collect();
    // The per-line rule works on the lines of published counts only.
    let published: Vec<&Line> = lines
        .iter()
        .filter(|l| !is_derived[l.total] && l.members.iter().all(|&i| !is_derived[i]))
        .collect();
    let counts = Counts {
        values,
        lines,
        published: &published,
        derived: &is_derived,
        min_cell,
    };
    loop {
        hide_per_line(values, &published, &mut marks, min_cell);
        let Some(pinned) = counts.first_pinned(&marks) else {
            break;
        };
        let Some(next) = counts.unpinning(pinned, &marks) else {
            break;
        };
        marks[next] = Some(Suppression::Complementary);
    }
    values
        .iter()
        .zip(marks)
        .zip(&is_derived)
        .map(|((&value, suppression), &derived)| Cell {
            value,
            suppression: if derived {
                Some(Suppression::Complementary)
            } else {
                suppression
            },
        })
        .collect()
}

/// Rule 2: hides more until no line of `lines` discloses.
fn hide_per_line(
    values: &[u64],
    lines: &[&Line],
    marks: &mut [Option<Suppression>],
    min_cell: u64,
) {
    loop {
        let mut changed = false;
        for line in lines {
            if discloses(line, values, marks, min_cell) {
                if let Some(i) = next_to_hide(line, values, marks) {
                    marks[i] = Some(Suppression::Complementary);
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
}

/// A range of whole numbers; `None` above: unbounded.
type Range = (i128, Option<i128>);

/// The counts under suppression and what relates them (rule 3).
struct Counts<'a> {
    values: &'a [u64],
    lines: &'a [Line],
    /// The lines of published counts only (rule 2).
    published: &'a [&'a Line],
    derived: &'a [bool],
    min_cell: u64,
}

impl Counts<'_> {
    /// What a reader can tell about every count: a shown count exactly, a
    /// hidden one within the bounds of the rule, a derived one only that it
    /// is not negative; then narrowed by every line in turn until nothing
    /// changes. Every step keeps the true value in range, and every range
    /// only shrinks, so it ends.
    fn ranges(&self, marks: &[Option<Suppression>]) -> Vec<Range> {
        let mut ranges: Vec<Range> = self
            .values
            .iter()
            .zip(marks)
            .zip(self.derived)
            .map(|((&v, mark), &derived)| match (derived, mark) {
                (true, _) => (0, None),
                (false, None) => (i128::from(v), Some(i128::from(v))),
                (false, Some(s)) => bounds(v, *s, self.min_cell),
            })
            .collect();
        let open = |i: usize| self.derived[i] || marks[i].is_some();
        let lines: Vec<&Line> = self
            .lines
            .iter()
            .filter(|l| open(l.total) || l.members.iter().any(|&i| open(i)))
            .collect();
        // Each pass that changes anything moves a bound by at least one
        // towards the true value, so for tables of this kind a few passes
        // do. The cap only guards against a pathological slow crawl; the
        // ranges it would leave are still true, just wider than a reader
        // could make them.
        for _ in 0..(64 + 4 * self.values.len()) {
            let mut changed = false;
            for line in &lines {
                changed |= narrow(line, &mut ranges);
            }
            if !changed {
                break;
            }
        }
        ranges
    }

    /// Whether the reader could work out the count at `i` from `ranges`
    /// and it matters: a hidden count that is not zero, or a derived one
    /// that is small.
    fn disclosed(&self, i: usize, marks: &[Option<Suppression>], ranges: &[Range]) -> bool {
        let (lo, hi) = ranges[i];
        let pinned = hi == Some(lo);
        if self.derived[i] {
            pinned && is_small(self.values[i], self.min_cell)
        } else {
            pinned && marks[i].is_some() && self.values[i] > 0
        }
    }

    /// The first count that [`Counts::disclosed`] finds.
    fn first_pinned(&self, marks: &[Option<Suppression>]) -> Option<usize> {
        if !marks.iter().any(Option::is_some) && !self.derived.iter().any(|&d| d) {
            return None;
        }
        let ranges = self.ranges(marks);
        (0..self.values.len()).find(|&i| self.disclosed(i, marks, &ranges))
    }

    /// The count to hide (or to show as hidden instead of small) so that
    /// the count at `pinned` can no longer be worked out: of the
    /// [`Counts::candidates`], the first whose hiding, with what rule 2
    /// then hides, does it; else the first shown one (or, if none is
    /// shown, the first), and the next pass goes on from there.
    fn unpinning(&self, pinned: usize, marks: &[Option<Suppression>]) -> Option<usize> {
        /// How many candidates are tried before settling.
        const TRIALS: usize = 24;
        let candidates = self.candidates(pinned, marks);
        for &c in candidates.iter().take(TRIALS) {
            let mut trial = marks.to_vec();
            trial[c] = Some(Suppression::Complementary);
            hide_per_line(self.values, self.published, &mut trial, self.min_cell);
            if !self.disclosed(pinned, &trial, &self.ranges(&trial)) {
                return Some(c);
            }
        }
        candidates
            .iter()
            .find(|&&c| marks[c].is_none())
            .or(candidates.first())
            .copied()
    }

    /// The published counts that hiding could help protect the count at
    /// `pinned`, nearest first: those in its lines, then in the lines of
    /// the hidden counts of those lines, and so on. At each distance: shown
    /// non-zero members, shown non-zero totals (each smallest first), then
    /// small totals and small members (to be shown as hidden).
    fn candidates(&self, pinned: usize, marks: &[Option<Suppression>]) -> Vec<usize> {
        let hidden = |i: usize| self.derived[i] || marks[i].is_some();
        let mut seen = vec![false; self.values.len()];
        let mut used = vec![false; self.lines.len()];
        seen[pinned] = true;
        let mut frontier = vec![pinned];
        let mut out: Vec<usize> = Vec::new();
        while !frontier.is_empty() {
            let mut ring: Vec<&Line> = Vec::new();
            for (n, line) in self.lines.iter().enumerate() {
                let touches = frontier
                    .iter()
                    .any(|&f| line.total == f || line.members.contains(&f));
                if touches && !used[n] {
                    used[n] = true;
                    ring.push(line);
                }
            }
            let mut kinds: [Vec<usize>; 4] = Default::default();
            let mut next = Vec::new();
            for line in &ring {
                let cells = line
                    .members
                    .iter()
                    .map(|&i| (i, false))
                    .chain(std::iter::once((line.total, true)));
                for (i, is_total) in cells {
                    if self.derived[i] {
                        // Nothing to hide; but what it is tied to may help.
                    } else if marks[i].is_none() && self.values[i] > 0 {
                        kinds[usize::from(is_total)].push(i);
                    } else if marks[i] == Some(Suppression::Small) {
                        kinds[if is_total { 2 } else { 3 }].push(i);
                    }
                    if hidden(i) && !seen[i] {
                        seen[i] = true;
                        next.push(i);
                    }
                }
            }
            for mut kind in kinds {
                kind.sort_by_key(|&i| self.values[i]);
                for i in kind {
                    if !out.contains(&i) {
                        out.push(i);
                    }
                }
            }
            frontier = next;
        }
        out
    }
}

/// Narrows the ranges of a line's members and total by what the others
/// allow; whether any changed.
fn narrow(line: &Line, ranges: &mut [Range]) -> bool {
    let mut changed = false;
    // The total lies between the sums of the members' bounds.
    let low: i128 = line.members.iter().map(|&i| ranges[i].0).sum();
    let high: Option<i128> = line.members.iter().map(|&i| ranges[i].1).sum();
    changed |= tighten(&mut ranges[line.total], low, high);
    // Each member is the total less the others.
    for &j in &line.members {
        let (total_lo, total_hi) = ranges[line.total];
        let others = || line.members.iter().filter(move |&&k| k != j);
        let others_lo: i128 = others().map(|&k| ranges[k].0).sum();
        let others_hi: Option<i128> = others().map(|&k| ranges[k].1).sum();
        let low = others_hi.map_or(0, |h| total_lo - h);
        let high = total_hi.map(|h| h - others_lo);
        changed |= tighten(&mut ranges[j], low, high);
    }
    changed
}

/// Raises the lower bound of `range` to `low` and lowers its upper bound to
/// `high`, where they are tighter; whether it changed.
fn tighten(range: &mut Range, low: i128, high: Option<i128>) -> bool {
    let mut changed = false;
    if low > range.0 {
        range.0 = low;
        changed = true;
    }
    if let Some(h) = high {
        if range.1.is_none_or(|old| h < old) {
            range.1 = Some(h);
            changed = true;
        }
    }
    changed
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
        let cells = suppress(&values, &lines, &[], 5);
        assert_eq!(marks(&cells), vec![S, None, C, None, None]);
        assert_eq!(cells[4].shown(), Some(39), "the total stays");
    }

    #[test]
    fn a_line_without_small_cells_is_untouched() {
        let (values, lines) = row(&[5, 0, 12]);
        let cells = suppress(&values, &lines, &[], 5);
        assert!(cells.iter().all(|c| c.suppression().is_none()));
    }

    #[test]
    fn two_small_cells_that_are_not_pinned_need_nothing_more() {
        // 3 + 2 = 5 could be 1 + 4, 2 + 3, …
        let (values, lines) = row(&[3, 2, 10]);
        let cells = suppress(&values, &lines, &[], 5);
        assert_eq!(marks(&cells), vec![S, S, None, None]);
    }

    #[test]
    fn small_cells_pinned_at_their_extremes_are_protected() {
        // 1 + 1 = 2 with both at least 1: both are exactly 1.
        let (values, lines) = row(&[1, 1, 10]);
        let cells = suppress(&values, &lines, &[], 5);
        assert_eq!(marks(&cells), vec![S, S, C, None]);
        // 4 + 4 = 8 with both at most 4, and nothing else to hide: drop the total.
        let (values, lines) = row(&[4, 4, 0]);
        let cells = suppress(&values, &lines, &[], 5);
        assert_eq!(marks(&cells), vec![S, S, None, C]);
    }

    #[test]
    fn ones_pinned_under_a_small_total_show_the_total_as_hidden() {
        // Four hidden 1s under a "< 5" total of 4: each must be 1.
        let (values, lines) = row(&[1, 1, 1, 1]);
        let cells = suppress(&values, &lines, &[], 5);
        assert_eq!(marks(&cells), vec![S, S, S, S, C]);
    }

    #[test]
    fn a_small_total_with_one_small_cell_is_not_disclosing() {
        // x = T with both in 1..5: neither is known.
        let (values, lines) = row(&[0, 3, 0]);
        let cells = suppress(&values, &lines, &[], 5);
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
        let cells = suppress(&values, &lines, &[], 5);
        // a is small; b (row) and c (column) are hidden with it, and then d
        // (b's column and c's row); every line has two hidden members.
        assert_eq!(marks(&cells)[..4], [S, C, C, C]);
        for l in &lines {
            let m = marks(&cells);
            assert!(!discloses(l, &values, &m, 5));
        }
        assert!(cells[4..].iter().all(|c| c.suppression().is_none()));
    }

    #[test]
    fn a_count_pinned_across_lines_is_protected() {
        // met 1 + missed 1 = due 2; due 2 + not yet due 5 = all 7. The 5 is
        // hidden beside the small 2 (at least 5), so with 7 shown the due is
        // at most 2 and both its parts are 1: no line alone shows it.
        let values = vec![1, 1, 2, 5, 7];
        let lines = vec![
            Line {
                members: vec![0, 1],
                total: 2,
            },
            Line {
                members: vec![2, 3],
                total: 4,
            },
        ];
        let cells = suppress(&values, &lines, &[], 5);
        assert_eq!(marks(&cells), vec![S, S, S, C, C]);
    }

    #[test]
    fn a_small_derived_count_is_protected_and_a_big_one_may_follow() {
        // shown 10 + derived = shown total: a derived 3 would follow.
        let line = vec![Line {
            members: vec![0, 1],
            total: 2,
        }];
        let cells = suppress(&[10, 3, 13], &line, &[1], 5);
        assert_eq!(marks(&cells), vec![C, C, None], "the 10 goes");
        // A derived 7 may be worked out: nothing is hidden for it.
        let cells = suppress(&[10, 7, 17], &line, &[1], 5);
        assert_eq!(marks(&cells), vec![None, C, None]);
        // A derived count is never shown, whatever its size.
        assert_eq!(cells[1].shown(), None);
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
            let cells = suppress(&values, &lines, &[], 5);
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
            // Nor does narrowing across lines pin any hidden count.
            let published: Vec<&Line> = lines.iter().collect();
            let derived = vec![false; values.len()];
            let counts = Counts {
                values: &values,
                lines: &lines,
                published: &published,
                derived: &derived,
                min_cell: 5,
            };
            assert_eq!(counts.first_pinned(&m), None, "{values:?} {m:?}");
        }
    }
}
