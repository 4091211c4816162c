//! Escalation decisions of a period by authority (rows) and decision
//! (columns), with totals both ways, suppressed like the month tables.
//!
//! Only the keys are counted: never a case, a rationale or a reference. A
//! count is of decisions, so a case decided about twice for one authority
//! (deferred, then escalated) counts once in each cell.

use super::suppression::suppress;
use super::table::{keys, position, CellList, EscalationTable, Layout};
use crate::core::domain::{Authority, Decision};

/// How many decisions of the period had one outcome for one authority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscalationCount {
    /// The authority.
    pub authority: Authority,
    /// The decision.
    pub decision: Decision,
    /// Decisions.
    pub count: u64,
}

/// The suppressed table of `counts`: every authority and decision in their
/// order.
pub(super) fn table(counts: &[EscalationCount], min_cell: u64) -> EscalationTable {
    let mut grid = vec![vec![0u64; Decision::ALL.len()]; Authority::ALL.len()];
    for count in counts {
        let row = position(Authority::ALL, count.authority);
        let col = position(Decision::ALL, count.decision);
        if let (Some(r), Some(c)) = (row, col) {
            grid[r][c] += count.count;
        }
    }
    let CellList {
        mut values,
        mut lines,
        row_totals,
        grand,
    } = CellList::with_row_totals(&grid);
    let layout = Layout::add(&mut values, &mut lines, &grid, &row_totals, grand);
    let cells = suppress(&values, &lines, &[], min_cell);
    layout.table(
        &cells,
        &keys(Authority::ALL, Authority::key),
        keys(Decision::ALL, Decision::key),
    )
}
