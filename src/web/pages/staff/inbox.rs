//! The inbox: one page of the cases routed to the user, with an unread
//! marker, the nearest open deadline of any kind (marked when due soon or
//! overdue), filters with a count per value (a GET form, no JavaScript
//! needed), two sortable columns and links to the next and previous pages.
//! Closed cases are listed only when the status filter asks for them.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest};
use askama::Template;

use super::deadline_view::{kind_label, marker};
use super::{case_worker, label, reference, render, show_day, show_moment, StaffNav, StaffResult};
use crate::core::domain::{CaseStatus, Category, Severity};
use crate::core::i18n::Translator;
use crate::core::inbox::{
    self, band_key, DeadlineBand, InboxFilter, InboxOrder, InboxRequest, RetaliationFilter,
};
use crate::web::http::{ErrorKind, Visitor};
use crate::web::state::AppState;

/// One line of the inbox table.
struct Row {
    href: String,
    reference: String,
    unread: bool,
    retaliation: bool,
    category: String,
    severity: String,
    status: String,
    received: String,
    due: Option<String>,
    deadline_kind: Option<String>,
    marker: Option<(&'static str, String)>,
}

/// A column header, sortable or not.
struct Column {
    label: String,
    /// The link that sorts by it, for a sortable column not sorted by now.
    href: Option<String>,
    aria_sort: Option<&'static str>,
}

/// One option of a filter.
struct Choice {
    value: &'static str,
    label: String,
    selected: bool,
}

/// One filter: a labelled `<select>`.
struct Filter {
    name: &'static str,
    label: String,
    choices: Vec<Choice>,
}

/// The inbox page.
#[derive(Template)]
#[template(path = "staff/inbox.html")]
struct InboxPage {
    t: Translator,
    csrf: String,
    nav: StaffNav,
    sort: &'static str,
    filters: Vec<Filter>,
    filtered: bool,
    columns: Vec<Column>,
    rows: Vec<Row>,
    prev: Option<String>,
    next: Option<String>,
    notice: Option<String>,
}

/// The notice a redirect asked for (`notice=rerouted`), as a locale key.
fn notice_of(query: &str) -> Option<&'static str> {
    query
        .split('&')
        .any(|pair| pair == "notice=rerouted")
        .then_some("staff.inbox.rerouted")
}

/// The query string of the inbox in `order` with `filter` (keys only,
/// nothing to escape), and `cursor` if given.
fn href(order: InboxOrder, filter: &InboxFilter, cursor: Option<&str>) -> String {
    let mut params: Vec<(&str, &str)> = vec![("sort", order.key())];
    if let Some(s) = filter.status {
        params.push(("status", s.key()));
    }
    if let Some(c) = filter.category {
        params.push(("category", c.key()));
    }
    if let Some(s) = filter.severity {
        params.push(("severity", s.key()));
    }
    if let Some(d) = filter.deadline {
        params.push(("deadline", band_key(d)));
    }
    if let Some(r) = filter.retaliation {
        params.push(("retaliation", r.key()));
    }
    if let Some(c) = cursor {
        params.push(("cursor", c));
    }
    let query: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("/staff/inbox?{}", query.join("&"))
}

/// A filter's options: "all" (the first, an empty value) with the number of
/// open cases, and each value with its count.
fn filter<T: Copy + PartialEq>(
    t: &Translator,
    name: &'static str,
    (all_key, all): (&str, i64),
    counts: &[(T, i64)],
    current: Option<T>,
    key: impl Fn(T) -> &'static str,
    label_of: impl Fn(T) -> String,
) -> Filter {
    let mut choices = vec![Choice {
        value: "",
        label: t.f(
            "staff.inbox.filter.counted",
            &[("label", &t.t(all_key)), ("count", &all.to_string())],
        ),
        selected: current.is_none(),
    }];
    choices.extend(counts.iter().map(|(value, n)| Choice {
        value: key(*value),
        label: t.f(
            "staff.inbox.filter.counted",
            &[("label", &label_of(*value)), ("count", &n.to_string())],
        ),
        selected: current == Some(*value),
    }));
    Filter {
        name,
        label: t.t(&format!("staff.inbox.filter.{name}")),
        choices,
    }
}

/// GET /staff/inbox?sort=&status=&category=&severity=&deadline=&cursor=
pub(super) async fn page(
    state: web::Data<AppState>,
    visitor: Visitor,
    req: HttpRequest,
) -> StaffResult {
    let staff = case_worker(&visitor)?;
    let query = web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map_err(|_| visitor.error(ErrorKind::BadRequest))?;
    // The page's own links and form make every value it sends; anything
    // else (a tampered cursor, an unknown filter value) is a bad request.
    let request = InboxRequest::parse(
        |name| {
            query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        },
        state.settings.inbox.max_page_size,
    )
    .map_err(|_| visitor.error(ErrorKind::BadRequest))?;
    let result = inbox::inbox(&state, staff, &request)
        .await
        .map_err(|e| visitor.fail(e))?;
    let t = visitor.t();
    let rows = result
        .items
        .iter()
        .map(|item| Row {
            href: format!("/staff/cases/{}", item.case_id),
            reference: t.f(
                "staff.inbox.reference",
                &[("ref", &reference(item.case_id))],
            ),
            unread: item.unread,
            retaliation: item.retaliation,
            category: label(&t, "category", item.category.key()),
            severity: label(&t, "severity", item.severity.key()),
            status: label(&t, "status", item.status.key()),
            received: show_day(item.received_at),
            due: item.next.map(|n| show_moment(n.due.unix_timestamp())),
            deadline_kind: item.next.map(|n| kind_label(&t, n.kind)),
            marker: item.next.and_then(|n| marker(&t, n.state)),
        })
        .collect();
    let (order, f) = (request.order, request.filter);
    let counts = &result.counts;
    // Every "all" option covers the open cases (closed ones only when the
    // status filter asks for them).
    let open: i64 = counts
        .status
        .iter()
        .filter(|(s, _)| *s != CaseStatus::Closed)
        .map(|(_, n)| n)
        .sum();
    let filters = vec![
        filter(
            &t,
            "status",
            ("staff.inbox.filter.open_cases", open),
            &counts.status,
            f.status,
            CaseStatus::key,
            |s| label(&t, "status", s.key()),
        ),
        filter(
            &t,
            "category",
            ("staff.inbox.filter.all", open),
            &counts.category,
            f.category,
            Category::key,
            |c| label(&t, "category", c.key()),
        ),
        filter(
            &t,
            "severity",
            ("staff.inbox.filter.all", open),
            &counts.severity,
            f.severity,
            Severity::key,
            |s| label(&t, "severity", s.key()),
        ),
        filter(
            &t,
            "deadline",
            ("staff.inbox.filter.all", open),
            &counts.deadline,
            f.deadline,
            band_key,
            |b: DeadlineBand| t.t(&format!("staff.inbox.band.{}", band_key(b))),
        ),
        filter(
            &t,
            "retaliation",
            ("staff.inbox.filter.all", open),
            &counts.retaliation,
            f.retaliation,
            RetaliationFilter::key,
            |r: RetaliationFilter| t.t(&format!("staff.followup.filter_{}", r.key())),
        ),
    ];
    let column = |key: &str, sortable: Option<InboxOrder>| {
        let current = sortable == Some(order);
        Column {
            label: t.t(&format!("staff.inbox.column.{key}")),
            href: sortable.filter(|_| !current).map(|o| href(o, &f, None)),
            aria_sort: sortable.filter(|_| current).map(|o| {
                if o.descending() {
                    "descending"
                } else {
                    "ascending"
                }
            }),
        }
    };
    let columns = vec![
        column("category", None),
        column("severity", None),
        column("status", None),
        column("received", Some(InboxOrder::Received)),
        column("deadline", Some(InboxOrder::Deadline)),
    ];
    let page = InboxPage {
        t,
        csrf: visitor.csrf().unwrap_or_default().to_owned(),
        nav: StaffNav::new(&t, staff, false),
        sort: order.key(),
        filtered: f != InboxFilter::default(),
        filters,
        columns,
        rows,
        prev: result.prev_cursor.map(|c| href(order, &f, Some(&c))),
        next: result.next_cursor.map(|c| href(order, &f, Some(&c))),
        notice: notice_of(req.query_string()).map(|key| t.t(key)),
    };
    render(&visitor, &page, StatusCode::OK)
}
