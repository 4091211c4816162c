//! The inbox: the cases routed to the user, with an unread marker, the
//! nearest open deadline of any kind (with what is due, marked when due soon
//! or overdue) and sorting by column (plain links, no JavaScript).

use std::cmp::Reverse;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest};
use askama::Template;
use time::OffsetDateTime;

use super::deadlines::{kind_label, marker};
use super::{case_worker, label, render, show_day, show_moment, StaffResult};
use crate::core::casework::{self, InboxItem};
use crate::core::domain::{CaseStatus, Category, Severity};
use crate::core::i18n::Translator;
use crate::web::http::Visitor;
use crate::web::state::AppState;

/// What the inbox is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum SortKey {
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

impl SortKey {
    const ALL: [SortKey; 5] = [
        SortKey::Category,
        SortKey::Severity,
        SortKey::Status,
        SortKey::Received,
        SortKey::Deadline,
    ];

    fn key(self) -> &'static str {
        match self {
            SortKey::Deadline => "deadline",
            SortKey::Received => "received",
            SortKey::Severity => "severity",
            SortKey::Status => "status",
            SortKey::Category => "category",
        }
    }

    /// The `sort` query parameter; anything unknown is the default.
    fn from_query(query: &str) -> Self {
        query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(k, _)| *k == "sort")
            .and_then(|(_, v)| Self::ALL.into_iter().find(|s| s.key() == v))
            .unwrap_or_default()
    }

    /// The `aria-sort` value of the column when the table is sorted by it.
    fn direction(self) -> &'static str {
        match self {
            SortKey::Received | SortKey::Severity => "descending",
            _ => "ascending",
        }
    }
}

/// Position of `value` among every value of its type.
fn rank<T: PartialEq>(all: &[T], value: T) -> i64 {
    all.iter()
        .position(|x| *x == value)
        .map_or(i64::MAX, |r| r as i64)
}

/// Sorts inbox items by `by`; ties go by deadline, then newest first.
fn sort_items(items: &mut [InboxItem], by: SortKey) {
    items.sort_by_cached_key(|item| {
        let case = &item.case;
        let primary: i64 = match by {
            SortKey::Deadline => 0,
            SortKey::Received => -case.received_at,
            // Most severe first.
            SortKey::Severity => -rank(&Severity::ALL, case.severity),
            SortKey::Status => rank(&CaseStatus::ALL, case.status),
            SortKey::Category => rank(&Category::ALL, case.category),
        };
        let due: (bool, Option<OffsetDateTime>) = (item.next.is_none(), item.next.map(|n| n.due));
        (primary, due, Reverse(case.received_at), case.id)
    });
}

/// One line of the inbox table.
struct Row {
    href: String,
    reference: String,
    unread: bool,
    category: String,
    severity: String,
    status: String,
    received: String,
    due: Option<String>,
    deadline_kind: Option<String>,
    marker: Option<(&'static str, String)>,
}

/// A sortable column header.
struct Column {
    label: String,
    href: String,
    aria_sort: &'static str,
    current: bool,
}

/// The inbox page.
#[derive(Template)]
#[template(path = "staff/inbox.html")]
struct InboxPage {
    t: Translator,
    csrf: String,
    signed_in_as: String,
    /// Whether to link the statistics (auditors and administrators).
    show_stats: bool,
    /// Whether to link the escalation register (contact points).
    show_register: bool,
    columns: Vec<Column>,
    rows: Vec<Row>,
    notice: Option<String>,
}

/// The notice a redirect asked for (`notice=rerouted`), as a locale key.
fn notice_of(query: &str) -> Option<&'static str> {
    query
        .split('&')
        .any(|pair| pair == "notice=rerouted")
        .then_some("staff.inbox.rerouted")
}

/// A case's short reference: the first eight hex digits of its id.
pub(super) fn reference(id: uuid::Uuid) -> String {
    id.simple().to_string()[..8].to_uppercase()
}

/// GET /staff/inbox?sort=…
pub(super) async fn page(
    state: web::Data<AppState>,
    visitor: Visitor,
    req: HttpRequest,
) -> StaffResult {
    let staff = case_worker(&visitor)?;
    let sort = SortKey::from_query(req.query_string());
    let mut items = casework::inbox(&state, staff)
        .await
        .map_err(|e| visitor.internal(e))?;
    sort_items(&mut items, sort);
    let t = visitor.t();
    let rows = items
        .iter()
        .map(|item| Row {
            href: format!("/staff/cases/{}", item.case.id),
            reference: t.f(
                "staff.inbox.reference",
                &[("ref", &reference(item.case.id))],
            ),
            unread: item.unread,
            category: label(&t, "category", item.case.category.key()),
            severity: label(&t, "severity", item.case.severity.key()),
            status: label(&t, "status", item.case.status.key()),
            received: show_day(item.case.received_at),
            due: item.next.map(|n| show_moment(n.due.unix_timestamp())),
            deadline_kind: item.next.map(|n| kind_label(&t, n.kind)),
            marker: item.next.and_then(|n| marker(&t, n.state)),
        })
        .collect();
    let columns = SortKey::ALL
        .into_iter()
        .map(|key| Column {
            label: t.t(&format!("staff.inbox.column.{}", key.key())),
            href: format!("/staff/inbox?sort={}", key.key()),
            aria_sort: key.direction(),
            current: key == sort,
        })
        .collect();
    let page = InboxPage {
        t,
        csrf: visitor.csrf().unwrap_or_default().to_owned(),
        signed_in_as: t.f("staff.nav.signed_in_as", &[("name", &staff.display_name)]),
        show_register: crate::core::authz::staff_may(
            staff,
            crate::core::authz::Permission::ReadRegister,
        ),
        show_stats: crate::core::authz::staff_may(
            staff,
            crate::core::authz::Permission::ReadStatistics,
        ),
        columns,
        rows,
        notice: notice_of(req.query_string()).map(|key| t.t(key)),
    };
    render(&visitor, &page, StatusCode::OK)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::deadlines::NextDeadline;
    use crate::core::domain::{DeadlineKind, DeadlineState};
    use crate::core::store::Case;
    use time::macros::datetime;
    use uuid::Uuid;

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
        sort_items(&mut items, SortKey::from_query("lang=en&sort=nonsense"));
        assert_eq!(order(&items), vec![3, 2, 1]);
    }

    #[test]
    fn severity_sorts_most_severe_first_and_status_in_life_cycle_order() {
        let mut items = vec![
            item("lav", "closed", 1, None),
            item("kritisk", "received", 2, None),
            item("middels", "under_investigation", 3, None),
        ];
        sort_items(&mut items, SortKey::from_query("sort=severity"));
        assert_eq!(order(&items), vec![2, 3, 1]);
        sort_items(&mut items, SortKey::from_query("sort=status"));
        assert_eq!(order(&items), vec![2, 3, 1]);
        sort_items(&mut items, SortKey::from_query("sort=received"));
        assert_eq!(order(&items), vec![3, 2, 1]);
    }
}
