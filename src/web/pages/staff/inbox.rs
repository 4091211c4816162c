//! The inbox: the cases routed to the user, with an unread marker, the
//! nearest open deadline of any kind (with what is due, marked when due soon
//! or overdue) and sorting by column (plain links, no JavaScript).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest};
use askama::Template;

use super::deadline_view::{kind_label, marker};
use super::{case_worker, label, reference, render, show_day, show_moment, StaffNav, StaffResult};
use crate::core::i18n::Translator;
use crate::core::inbox::{self, InboxOrder};
use crate::web::http::Visitor;
use crate::web::state::AppState;

/// The `sort` query parameter: unknown or missing values give the default
/// order (the links are the page's own, so a stale one is no error).
fn order_of(query: &str) -> InboxOrder {
    let value = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == "sort")
        .map(|(_, v)| v);
    InboxOrder::parse_query(value).unwrap_or_default()
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
    nav: StaffNav,
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

/// GET /staff/inbox?sort=…
pub(super) async fn page(
    state: web::Data<AppState>,
    visitor: Visitor,
    req: HttpRequest,
) -> StaffResult {
    let staff = case_worker(&visitor)?;
    let sort = order_of(req.query_string());
    let items = inbox::inbox(&state, staff, sort)
        .await
        .map_err(|e| visitor.fail(e))?;
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
    let columns = InboxOrder::ALL
        .into_iter()
        .map(|key| Column {
            label: t.t(&format!("staff.inbox.column.{}", key.key())),
            href: format!("/staff/inbox?sort={}", key.key()),
            aria_sort: if key.descending() {
                "descending"
            } else {
                "ascending"
            },
            current: key == sort,
        })
        .collect();
    let page = InboxPage {
        t,
        csrf: visitor.csrf().unwrap_or_default().to_owned(),
        nav: StaffNav::new(&t, staff, false),
        columns,
        rows,
        notice: notice_of(req.query_string()).map(|key| t.t(key)),
    };
    render(&visitor, &page, StatusCode::OK)
}
