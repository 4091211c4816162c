//! What the inbox asks the store for and gets back: one page of a staff
//! member's cases in an indexed order, and the counts per filter value.

use uuid::Uuid;

use crate::core::domain::{CaseStatus, Category, DeadlineKind, Severity};

/// `deadline_sort` of a case without an open deadline: such cases sort last.
pub const NO_DEADLINE: i64 = i64::MAX;

/// The two orders the inbox keeps an index for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboxSort {
    /// Nearest deadline first (none last), then newest, then by id.
    Deadline,
    /// Newest first, then by id.
    Received,
}

/// A band of the nearest deadline, relative to "now".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadlineBand {
    /// Reached and not met.
    Overdue,
    /// Due within the "due soon" window.
    DueSoon,
    /// Due later than that.
    Later,
    /// No open deadline.
    None,
}

impl DeadlineBand {
    /// Every band, in the order of the filter.
    pub const ALL: [DeadlineBand; 4] = [
        DeadlineBand::Overdue,
        DeadlineBand::DueSoon,
        DeadlineBand::Later,
        DeadlineBand::None,
    ];
}

/// Which of a staff member's cases a page or count covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InboxFilter {
    /// One status; `None` for every status but `closed`.
    pub status: Option<CaseStatus>,
    /// One category.
    pub category: Option<Category>,
    /// One severity.
    pub severity: Option<Severity>,
    /// One band of the nearest deadline.
    pub deadline: Option<DeadlineBand>,
    /// Only cases with a retaliation report no staff member has answered.
    pub retaliation: Option<RetaliationFilter>,
}

/// The value of the retaliation filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetaliationFilter {
    /// A retaliation report no staff member has answered yet.
    Unanswered,
}

impl RetaliationFilter {
    /// The query value (stable).
    pub fn key(self) -> &'static str {
        match self {
            RetaliationFilter::Unanswered => "unanswered",
        }
    }

    /// Parses a query value; `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        (s == "unanswered").then_some(RetaliationFilter::Unanswered)
    }
}

/// A position in an order: the sort key of one inbox line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InboxKey {
    /// The nearest deadline (UNIX seconds), [`NO_DEADLINE`] if none.
    pub deadline_sort: i64,
    /// When the case was received.
    pub received_at: i64,
    /// The case's order of arrival (the tie-break; unique).
    pub seq: i64,
}

/// Which side of a key a page lies on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageSide {
    /// The lines after the key, in order.
    After,
    /// The lines before the key, read backwards from it (nearest first).
    Before,
}

/// One page request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxPageQuery {
    /// Whose inbox.
    pub user_id: Uuid,
    /// The order.
    pub sort: InboxSort,
    /// Which cases.
    pub filter: InboxFilter,
    /// Where the page starts; `None` for the first page.
    pub from: Option<(PageSide, InboxKey)>,
    /// How many lines at most.
    pub limit: u32,
    /// "Now" (UNIX seconds), for the deadline bands.
    pub now: i64,
    /// The end of the "due soon" window (UNIX seconds).
    pub soon: i64,
}

/// One line of an inbox page; no case content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxLine {
    /// The case.
    pub case_id: Uuid,
    /// Category.
    pub category: Category,
    /// Severity.
    pub severity: Severity,
    /// Status.
    pub status: CaseStatus,
    /// When it was received.
    pub received_at: i64,
    /// The nearest open deadline: when, and what.
    pub next_deadline: Option<(i64, DeadlineKind)>,
    /// Reporter activity since the user last opened it.
    pub unread: bool,
    /// A retaliation report no staff member has answered yet.
    pub retaliation: bool,
    /// Its position in the order.
    pub key: InboxKey,
}

/// How many of a staff member's cases have each filter value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InboxCounts {
    /// Per status, closed ones included.
    pub status: Vec<(CaseStatus, i64)>,
    /// Per category, of the open cases.
    pub category: Vec<(Category, i64)>,
    /// Per severity, of the open cases.
    pub severity: Vec<(Severity, i64)>,
    /// Per band of the nearest deadline, of the open cases.
    pub deadline: Vec<(DeadlineBand, i64)>,
    /// Open cases with an unanswered retaliation report.
    pub retaliation: Vec<(RetaliationFilter, i64)>,
}

/// What the deadline rules say of one case: its nearest open deadline.
pub type NextDeadlineOf<'a> = dyn Fn(&super::deadlines::StoredDeadlineFacts) -> Option<(i64, DeadlineKind)>
    + Send
    + Sync
    + 'a;
