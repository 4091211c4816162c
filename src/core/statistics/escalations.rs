//! Escalation decisions of a period by authority (rows) and decision
//! (columns), with totals both ways, suppressed like the month tables.
//!
//! Only the keys are counted: never a case, a rationale or a reference. A
//! count is of decisions, so a case decided about twice for one authority
//! (deferred, then escalated) counts once in each cell.

use super::suppression::{suppress, Line};
use super::table::{keys, push, EscalationTable, Layout};
use crate::core::domain::{Authority, Decision};

/// How many decisions of the period had one outcome for one authority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscalationCount {
    /// Authority key.
    pub authority: String,
    /// Decision key.
    pub decision: String,
    /// Decisions.
    pub count: u64,
}

/// The suppressed table of `counts`: every known authority and decision in
/// their order, then any other stored key.
pub(super) fn table(counts: &[EscalationCount], min_cell: u64) -> EscalationTable {
    let known_authorities: Vec<&str> = Authority::ALL.iter().map(|a| a.key()).collect();
    let known_decisions: Vec<&str> = Decision::ALL.iter().map(|d| d.key()).collect();
    let authorities = keys(&known_authorities, counts.iter().map(|c| &c.authority));
    let decisions = keys(&known_decisions, counts.iter().map(|c| &c.decision));
    let mut grid = vec![vec![0u64; decisions.len()]; authorities.len()];
    for count in counts {
        let row = authorities.iter().position(|k| *k == count.authority);
        let col = decisions.iter().position(|k| *k == count.decision);
        if let (Some(r), Some(c)) = (row, col) {
            grid[r][c] += count.count;
        }
    }
    let mut values: Vec<u64> = Vec::new();
    let mut lines: Vec<Line> = Vec::new();
    let row_totals: Vec<usize> = grid
        .iter()
        .map(|row| push(&mut values, row.iter().sum()))
        .collect();
    let everything = values.iter().sum();
    let grand = push(&mut values, everything);
    lines.push(Line {
        members: row_totals.clone(),
        total: grand,
    });
    let layout = Layout::add(&mut values, &mut lines, &grid, &row_totals, grand);
    let cells = suppress(&values, &lines, &[], min_cell);
    layout.table(&cells, &authorities, decisions)
}
