//! Cross tables of suppressed counts, and where their counts sit in the
//! list of values suppressed together.

use super::suppression::{Cell, Line};

/// Counts by month (rows) and a key such as the category (columns), with
/// totals. Every count is already suppressed.
#[derive(Debug, Clone, PartialEq)]
pub struct CrossTable<R> {
    /// Row keys, in order.
    pub rows: Vec<R>,
    /// Column keys, in order.
    pub columns: Vec<String>,
    /// `cells[row][column]`.
    pub cells: Vec<Vec<Cell>>,
    /// Per row.
    pub row_totals: Vec<Cell>,
    /// Per column.
    pub column_totals: Vec<Cell>,
    /// Everything.
    pub total: Cell,
}

/// Escalation decisions by authority (rows) and decision (columns).
pub type EscalationTable = CrossTable<String>;

/// Appends a value and returns its index.
pub(super) fn push(values: &mut Vec<u64>, value: u64) -> usize {
    values.push(value);
    values.len() - 1
}

/// The keys of every value of a type, in its order: a table's columns or rows.
pub(super) fn keys<T: Copy>(all: &[T], key: fn(T) -> &'static str) -> Vec<String> {
    all.iter().map(|&v| key(v).to_owned()).collect()
}

/// Where `value` is among every value of its type.
pub(super) fn position<T: PartialEq>(all: &[T], value: T) -> Option<usize> {
    all.iter().position(|v| *v == value)
}

/// A list of values suppressed together, begun with a table's row totals and
/// their grand total.
pub(super) struct CellList {
    /// The values.
    pub(super) values: Vec<u64>,
    /// The lines that tie them.
    pub(super) lines: Vec<Line>,
    /// Where each row total sits.
    pub(super) row_totals: Vec<usize>,
    /// Where the grand total sits.
    pub(super) grand: usize,
}

impl CellList {
    /// Begins with the row totals of `counts`, then their grand total, with
    /// the line that ties them.
    pub(super) fn with_row_totals(counts: &[Vec<u64>]) -> Self {
        let mut values = Vec::new();
        let row_totals: Vec<usize> = counts
            .iter()
            .map(|row| push(&mut values, row.iter().sum()))
            .collect();
        let everything = values.iter().sum();
        let grand = push(&mut values, everything);
        let lines = vec![Line {
            members: row_totals.clone(),
            total: grand,
        }];
        CellList {
            values,
            lines,
            row_totals,
            grand,
        }
    }
}

/// Where a cross table's counts sit in the shared cell list.
pub(super) struct Layout {
    cells: Vec<Vec<usize>>,
    row_totals: Vec<usize>,
    column_totals: Vec<usize>,
    total: usize,
}

impl Layout {
    /// Adds a table of `counts` whose rows total to the (already added)
    /// `row_totals` and everything to `total`, with its lines.
    pub(super) fn add(
        values: &mut Vec<u64>,
        lines: &mut Vec<Line>,
        counts: &[Vec<u64>],
        row_totals: &[usize],
        total: usize,
    ) -> Self {
        let columns = counts.first().map_or(0, Vec::len);
        let cells: Vec<Vec<usize>> = counts
            .iter()
            .map(|row| row.iter().map(|&v| push(values, v)).collect())
            .collect();
        let column_totals: Vec<usize> = (0..columns)
            .map(|c| {
                let sum = counts.iter().map(|row| row[c]).sum();
                push(values, sum)
            })
            .collect();
        for (row, &row_total) in cells.iter().zip(row_totals) {
            lines.push(Line {
                members: row.clone(),
                total: row_total,
            });
        }
        for (c, &column_total) in column_totals.iter().enumerate() {
            lines.push(Line {
                members: cells.iter().map(|row| row[c]).collect(),
                total: column_total,
            });
        }
        lines.push(Line {
            members: column_totals.clone(),
            total,
        });
        Layout {
            cells,
            row_totals: row_totals.to_vec(),
            column_totals,
            total,
        }
    }

    /// The suppressed table.
    pub(super) fn table<R: Clone>(
        &self,
        cells: &[Cell],
        rows: &[R],
        columns: Vec<String>,
    ) -> CrossTable<R> {
        let at = |i: usize| cells[i];
        CrossTable {
            rows: rows.to_vec(),
            columns,
            cells: self
                .cells
                .iter()
                .map(|row| row.iter().map(|&i| at(i)).collect())
                .collect(),
            row_totals: self.row_totals.iter().map(|&i| at(i)).collect(),
            column_totals: self.column_totals.iter().map(|&i| at(i)).collect(),
            total: at(self.total),
        }
    }
}
