//! A staff member's inbox: the cases routed to them, each with its nearest
//! open deadline, in one of a few orders. The page and the API both take
//! their order from here, so they list cases alike.

use std::cmp::Reverse;

use time::OffsetDateTime;
use uuid::Uuid;

use crate::core::actor::StaffMember;
use crate::core::deadlines::{self, NextDeadline};
use crate::core::domain::{CaseStatus, Category, Severity};
use crate::core::error::CoreResult;
use crate::core::service::Core;
use crate::core::store::Case;

/// One line of a staff inbox.
pub struct InboxItem {
    /// The case.
    pub case: Case,
    /// Reporter activity since the user last opened it.
    pub unread: bool,
    /// The nearest open deadline of any kind.
    pub next: Option<NextDeadline>,
}

/// How the inbox is ordered. Ties go by the nearest deadline (cases without
/// one last), then newest first, then by id, so the order is total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InboxOrder {
    /// Next deadline, nearest first; cases without one last.
    #[default]
    Deadline,
    /// Received, newest first.
    Received,
    /// Severity, most severe first.
    Severity,
    /// Status, in life-cycle order.
    Status,
    /// Category, in the configured order.
    Category,
}

impl InboxOrder {
    /// Every order, in the order of the inbox's columns.
    pub const ALL: [InboxOrder; 5] = [
        InboxOrder::Category,
        InboxOrder::Severity,
        InboxOrder::Status,
        InboxOrder::Received,
        InboxOrder::Deadline,
    ];

    /// The key in a query (`?sort=severity`).
    pub fn key(self) -> &'static str {
        match self {
            InboxOrder::Deadline => "deadline",
            InboxOrder::Received => "received",
            InboxOrder::Severity => "severity",
            InboxOrder::Status => "status",
            InboxOrder::Category => "category",
        }
    }

    /// The order named `key`, if there is one.
    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.key() == key)
    }

    /// The order a query's `sort` value names: the default if there is none
    /// or it is empty, `None` if it names no order.
    pub fn parse_query(value: Option<&str>) -> Option<Self> {
        match value.map(str::trim) {
            None | Some("") => Some(InboxOrder::default()),
            Some(key) => Self::parse(key),
        }
    }

    /// Whether the column runs from the most to the least (newest, most severe).
    pub fn descending(self) -> bool {
        matches!(self, InboxOrder::Received | InboxOrder::Severity)
    }
}

/// Position of `value` among every value of its type.
fn rank<T: PartialEq>(all: &[T], value: T) -> i64 {
    all.iter()
        .position(|x| *x == value)
        .map_or(i64::MAX, |r| r as i64)
}

/// Sorts inbox items by `order`.
pub fn sort(items: &mut [InboxItem], order: InboxOrder) {
    items.sort_by_cached_key(|item| {
        let case = &item.case;
        let primary: i64 = match order {
            InboxOrder::Deadline => 0,
            InboxOrder::Received => -case.received_at,
            // Most severe first.
            InboxOrder::Severity => -rank(&Severity::ALL, case.severity),
            InboxOrder::Status => rank(&CaseStatus::ALL, case.status),
            InboxOrder::Category => rank(&Category::ALL, case.category),
        };
        let due: (bool, Option<OffsetDateTime>) = (item.next.is_none(), item.next.map(|n| n.due));
        (primary, due, Reverse(case.received_at), case.id)
    });
}

/// The cases routed to a staff member, each with its nearest open deadline,
/// in `order`.
pub async fn inbox(
    core: &Core,
    staff: &StaffMember,
    order: InboxOrder,
) -> CoreResult<Vec<InboxItem>> {
    let entries = core.store.inbox(staff.user_id).await?;
    let ids: Vec<Uuid> = entries.iter().map(|e| e.case.id).collect();
    let next = deadlines::next_deadlines(core, &ids).await?;
    let mut items: Vec<InboxItem> = entries
        .into_iter()
        .map(|e| InboxItem {
            next: next.get(&e.case.id).copied(),
            unread: e.unread,
            case: e.case,
        })
        .collect();
    sort(&mut items, order);
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::domain::{DeadlineKind, DeadlineState};
    use time::macros::datetime;

    fn item(
        severity: &str,
        status: &str,
        received_at: i64,
        due: Option<OffsetDateTime>,
    ) -> InboxItem {
        InboxItem {
            case: Case {
                id: Uuid::new_v4(),
                recipient: String::new(),
                category: Category::Avvik,
                severity: Severity::parse(severity).expect("severity"),
                suggested_severity: Severity::parse(severity).expect("severity"),
                status: CaseStatus::parse(status).expect("status"),
                received_at,
                acknowledged_at: None,
                updated_at: received_at,
                reporter_seq: 1,
                report: Vec::new(),
            },
            unread: false,
            next: due.map(|due| NextDeadline {
                kind: DeadlineKind::Acknowledge,
                due,
                state: DeadlineState::Open,
            }),
        }
    }

    fn order(items: &[InboxItem]) -> Vec<i64> {
        items.iter().map(|i| i.case.received_at).collect()
    }

    #[test]
    fn the_default_sort_is_nearest_deadline_first_and_none_last() {
        let mut items = vec![
            item("lav", "closed", 1, None),
            item("lav", "received", 2, Some(datetime!(2026-05-01 00:00 UTC))),
            item("lav", "received", 3, Some(datetime!(2026-04-01 00:00 UTC))),
        ];
        sort(
            &mut items,
            InboxOrder::parse_query(Some("nonsense")).unwrap_or_default(),
        );
        assert_eq!(order(&items), vec![3, 2, 1]);
    }

    #[test]
    fn severity_sorts_most_severe_first_and_status_in_life_cycle_order() {
        let mut items = vec![
            item("lav", "closed", 1, None),
            item("kritisk", "received", 2, None),
            item("middels", "under_investigation", 3, None),
        ];
        sort(&mut items, InboxOrder::Severity);
        assert_eq!(order(&items), vec![2, 3, 1]);
        sort(&mut items, InboxOrder::Status);
        assert_eq!(order(&items), vec![2, 3, 1]);
        sort(&mut items, InboxOrder::Received);
        assert_eq!(order(&items), vec![3, 2, 1]);
    }
}
