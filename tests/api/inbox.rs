//! The paged inbox (issue 9, item 4): keyset pages in deadline order that
//! list every case once, deadlines that move a case when they change,
//! filters with their counts, closed cases only on request, refused
//! cursors, and the page and the API listing alike.

use std::collections::HashSet;

use reqwest::StatusCode;
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::app::{Backend, SeededCase, TestApp};
use crate::for_each_backend;

for_each_backend!(
    pages_list_every_case_once_in_deadline_order,
    a_case_moves_when_its_deadline_changes,
    filters_select_and_counts_count,
    a_tampered_cursor_or_bad_parameter_is_a_clear_400,
    the_page_and_the_api_list_alike,
    stale_stored_deadlines_are_recomputed,
);

/// One API page: its case ids and its body.
async fn api_page(app: &TestApp, token: &str, query: &str) -> (Vec<Uuid>, Value) {
    let r = app
        .api_get(&format!("/staff/cases{query}"), Some(token))
        .await;
    let body = r.expect(StatusCode::OK);
    let ids = body["cases"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|c| Uuid::parse_str(c["id"].as_str().expect("an id")).expect("a UUID"))
        .collect();
    (ids, body)
}

/// Every page from the first, following `next_cursor`; the pages' ids and
/// the last page's body.
async fn walk_forward(app: &TestApp, token: &str, query: &str) -> (Vec<Vec<Uuid>>, Value) {
    let mut pages = Vec::new();
    let (ids, mut body) = api_page(app, token, &format!("?{query}")).await;
    assert!(
        body["prev_cursor"].is_null(),
        "the first page has no previous"
    );
    pages.push(ids);
    while let Some(cursor) = body["next_cursor"].as_str().map(str::to_owned) {
        let (ids, next) = api_page(app, token, &format!("?{query}&cursor={cursor}")).await;
        pages.push(ids);
        body = next;
        assert!(pages.len() < 100, "the pages end");
    }
    (pages, body)
}

fn day(days_ago: i64) -> time::Date {
    (OffsetDateTime::now_utc() - Duration::days(days_ago)).date()
}

async fn pages_list_every_case_once_in_deadline_order(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let kari = app.add_user("kari", "Kari", &["handler"]).await;
    let other = app.add_user("ola", "Ola", &["handler"]).await;
    let held = [kari];
    let mut seeded = Vec::new();
    // Ties: six cases received the same day share their deadline.
    for _ in 0..6 {
        let case = SeededCase::new("avvik", "lav")
            .received(day(2))
            .held_by(&held);
        seeded.push(app.seed_case(case).await.0);
    }
    for _ in 0..5 {
        let case = SeededCase::new("varsling", "middels")
            .received(day(3))
            .held_by(&held);
        seeded.push(app.seed_case(case).await.0);
    }
    for _ in 0..4 {
        let case = SeededCase::new("avvik", "hoy")
            .received(day(4))
            .acknowledged_after_days(1)
            .held_by(&held);
        seeded.push(app.seed_case(case).await.0);
    }
    let mut critical = Vec::new();
    for _ in 0..2 {
        let case = SeededCase::new("sikkerhet", "kritisk")
            .received(day(0))
            .held_by(&held);
        critical.push(app.seed_case(case).await.0);
    }
    seeded.extend(&critical);
    // Someone else's case is never listed.
    let others = [other];
    let foreign = app
        .seed_case(SeededCase::new("avvik", "lav").held_by(&others))
        .await
        .0;

    let t = app.staff_token("kari").await;
    let (pages, last) = walk_forward(&app, &t, "limit=4").await;
    assert_eq!(pages.len(), 5, "17 cases, 4 a page");
    assert!(pages[..4].iter().all(|p| p.len() == 4) && pages[4].len() == 1);
    assert!(last["next_cursor"].is_null());
    let listed: Vec<Uuid> = pages.concat();
    assert_eq!(listed.len(), seeded.len(), "every case once");
    let unique: HashSet<Uuid> = listed.iter().copied().collect();
    assert_eq!(unique, seeded.iter().copied().collect::<HashSet<_>>());
    assert!(!unique.contains(&foreign));

    // The order: the 24-hour decisions of the critical cases first, then the
    // acknowledgement deadlines oldest first, the acknowledged ones (feedback
    // in three months) last; equal deadlines by order of arrival.
    let first_two = listed[..2].to_vec();
    let want_critical = critical.clone();
    assert_eq!(first_two, want_critical, "ties broken by order of arrival");
    let want_middle = seeded[6..11].to_vec();
    assert_eq!(
        listed[2..7],
        want_middle[..],
        "received 3 days ago, by order of arrival"
    );
    let want_next = seeded[..6].to_vec();
    assert_eq!(
        listed[7..13],
        want_next[..],
        "received 2 days ago, by order of arrival"
    );
    let want_last = seeded[11..15].to_vec();
    assert_eq!(listed[13..], want_last[..]);
    assert_eq!(listed[..2], want_critical[..]);

    // Backwards from the last page, with `prev_cursor`, the same pages.
    let mut body = last;
    let mut back = vec![pages[4].clone()];
    while let Some(cursor) = body["prev_cursor"].as_str().map(str::to_owned) {
        let (ids, previous) = api_page(&app, &t, &format!("?limit=4&cursor={cursor}")).await;
        back.push(ids);
        body = previous;
        assert!(back.len() < 100);
    }
    back.reverse();
    assert_eq!(back, pages, "previous pages are the same pages");

    // Newest first is paged as well.
    let (by_received, _) = walk_forward(&app, &t, "sort=received&limit=5").await;
    let by_received = by_received.concat();
    assert_eq!(by_received.len(), seeded.len());
    let mut want: Vec<Uuid> = critical.clone();
    let rest = seeded[..6].to_vec();
    want.extend(rest);
    assert_eq!(
        by_received[..8],
        want[..],
        "newest first, then by order of arrival"
    );
    app.teardown().await;
}

async fn a_case_moves_when_its_deadline_changes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let kari = app.add_user("kari", "Kari", &["handler", "contact"]).await;
    let held = [kari];
    let mut ids = Vec::new();
    for _ in 0..3 {
        let case = SeededCase::new("avvik", "lav")
            .received(day(1))
            .held_by(&held);
        ids.push(app.seed_case(case).await.0);
    }
    let [a, b, c] = [ids[0], ids[1], ids[2]];
    let t = app.staff_token("kari").await;
    let order = |query: &'static str| {
        let (app, t) = (&app, &t);
        async move { api_page(app, t, query).await.0 }
    };
    assert_eq!(
        order("").await,
        [a, b, c],
        "equal deadlines, by order of arrival"
    );

    // Acknowledged: the next deadline is feedback, months away.
    app.api_acknowledge(&t, b).await.expect(StatusCode::OK);
    assert_eq!(order("").await, [a, c, b]);
    app.api_acknowledge(&t, a).await.expect(StatusCode::OK);
    let now = order("").await;
    assert_eq!(now[0], c, "the one still to acknowledge");
    let line = app.api_inbox_line(&t, a).await;
    assert_eq!(line["next_deadline_kind"], "feedback");

    // Extended: b's feedback is due three months later, after a's.
    let r = app.api_extend_feedback(&t, b, "Trenger mer tid.").await;
    assert!(r.status.is_success(), "{}", r.body);
    assert_eq!(order("").await, [c, a, b]);

    // Closed: it leaves the inbox, and the closed filter shows it.
    let closure = json!({"outcome": "not_substantiated", "evaluation": "Ikke grunnlag."});
    let r = app.api_close(&t, c, &closure).await;
    assert!(r.status.is_success(), "{}", r.body);
    let (open, body) = api_page(&app, &t, "").await;
    assert_eq!(open, [a, b]);
    assert_eq!(body["counts"]["status"]["closed"], 1);
    let (closed, body) = api_page(&app, &t, "?status=closed").await;
    assert_eq!(closed, [c]);
    assert!(body["cases"][0]["next_deadline"].is_null());

    // Reopened: back, with its acknowledgement deadline.
    let r = app.api_reopen(&t, c, "Nye opplysninger.").await;
    assert!(r.status.is_success(), "{}", r.body);
    assert_eq!(order("").await, [c, a, b]);
    assert!(order("?status=closed").await.is_empty());
    let (_, body) = api_page(&app, &t, "").await;
    assert_eq!(body["counts"]["status"]["closed"], 0);
    app.teardown().await;
}

async fn filters_select_and_counts_count(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let kari = app.add_user("kari", "Kari", &["handler"]).await;
    let held = [kari];
    let seed = |category: &'static str, severity: &'static str, days_ago: i64| {
        let app = &app;
        let held = &held;
        async move {
            let case = SeededCase::new(category, severity)
                .received(day(days_ago))
                .held_by(held);
            app.seed_case(case).await.0
        }
    };
    // Acknowledgement due in 7 days: 10 days ago is overdue, 6 days ago is
    // due within 48 hours, 1 day ago is later.
    let overdue = [
        seed("avvik", "lav", 10).await,
        seed("avvik", "hoy", 10).await,
    ];
    let due_soon = [seed("varsling", "lav", 6).await];
    let later = [
        seed("varsling", "middels", 1).await,
        seed("avvik", "lav", 1).await,
    ];
    let t = app.staff_token("kari").await;
    // Feedback given: no open deadline.
    let answered = seed("varsling", "lav", 1).await;
    app.api_acknowledge(&t, answered)
        .await
        .expect(StatusCode::OK);
    app.api_set_status(&t, answered, "feedback_given")
        .await
        .expect(StatusCode::OK);
    app.api_set_status(&t, later[0], "under_investigation")
        .await
        .expect(StatusCode::OK);

    let (all, body) = api_page(&app, &t, "").await;
    assert_eq!(all.len(), 6);
    let counts = &body["counts"];
    assert_eq!(
        counts["status"],
        json!({"received": 4, "acknowledged": 0, "under_investigation": 1,
               "feedback_given": 1, "closed": 0})
    );
    assert_eq!(
        counts["category"],
        json!({"varsling": 3, "avvik": 3, "sikkerhet": 0})
    );
    assert_eq!(
        counts["severity"],
        json!({"lav": 4, "middels": 1, "hoy": 1, "kritisk": 0})
    );
    assert_eq!(
        counts["deadline"],
        json!({"overdue": 2, "due_soon": 1, "open": 2, "none": 1})
    );

    let set = |ids: &[Uuid]| ids.iter().copied().collect::<HashSet<Uuid>>();
    let listed = |query: &'static str| {
        let (app, t) = (&app, &t);
        async move { set(&api_page(app, t, query).await.0) }
    };
    assert_eq!(listed("?deadline=overdue").await, set(&overdue));
    assert_eq!(listed("?deadline=due_soon").await, set(&due_soon));
    assert_eq!(listed("?deadline=open").await, set(&later));
    assert_eq!(listed("?deadline=none").await, set(&[answered]));
    assert_eq!(
        listed("?category=avvik").await,
        set(&[overdue[0], overdue[1], later[1]])
    );
    assert_eq!(listed("?severity=hoy").await, set(&[overdue[1]]));
    assert_eq!(
        listed("?status=under_investigation").await,
        set(&[later[0]])
    );
    assert_eq!(
        listed("?category=avvik&severity=lav&deadline=overdue").await,
        set(&[overdue[0]])
    );
    assert!(listed("?category=sikkerhet").await.is_empty());

    // The page shows each count next to its option, and keeps the choice.
    let session = app.staff_login("kari").await;
    let page = app.get(&session, "/staff/inbox?category=avvik").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains(r#"<label for="filter-category">"#));
    assert!(page.text.contains(r#"<option value="avvik" selected>"#));
    assert!(page.text.contains("(3)"));
    assert!(page
        .text
        .contains(r#"<form method="get" action="/staff/inbox""#));
    for id in [overdue[0], overdue[1], later[1]] {
        assert!(page.text.contains(&id.to_string()));
    }
    assert!(!page.text.contains(&due_soon[0].to_string()));
    app.teardown().await;
}

async fn a_tampered_cursor_or_bad_parameter_is_a_clear_400(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let kari = app.add_user("kari", "Kari", &["handler"]).await;
    let held = [kari];
    for _ in 0..3 {
        app.seed_case(SeededCase::new("avvik", "lav").held_by(&held))
            .await;
    }
    let t = app.staff_token("kari").await;
    let (_, body) = api_page(&app, &t, "?limit=1").await;
    let cursor = body["next_cursor"].as_str().expect("more pages").to_owned();
    let mut flipped = cursor.clone().into_bytes();
    flipped[4] = if flipped[4] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).unwrap();
    let refused = [
        ("?cursor=not-a-cursor".to_owned(), "invalid_cursor"),
        (format!("?cursor={flipped}"), "invalid_cursor"),
        (format!("?cursor={cursor}x"), "invalid_cursor"),
        (format!("?sort=received&cursor={cursor}"), "invalid_cursor"),
        ("?limit=0".to_owned(), "invalid_limit"),
        ("?limit=100000".to_owned(), "invalid_limit"),
        ("?limit=ten".to_owned(), "invalid_limit"),
        ("?status=done".to_owned(), "unknown_inbox_filter"),
        ("?deadline=tomorrow".to_owned(), "unknown_inbox_filter"),
        ("?sort=severity".to_owned(), "unknown_sort"),
    ];
    for (query, code) in refused {
        let r = app.api_get(&format!("/staff/cases{query}"), Some(&t)).await;
        let error = r.expect_error(StatusCode::BAD_REQUEST, code);
        assert!(
            error["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{query}"
        );
    }
    let session = app.staff_login("kari").await;
    for query in ["?cursor=not-a-cursor", "?status=done", "?limit=0"] {
        let page = app.get(&session, &format!("/staff/inbox{query}")).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{query}");
    }
    let page = app
        .get(&session, &format!("/staff/inbox?cursor={cursor}"))
        .await;
    assert_eq!(
        page.status,
        StatusCode::OK,
        "the API's cursor works on the page"
    );
    app.teardown().await;
}

/// The case ids a page lists, in order.
fn page_ids(html: &str) -> Vec<Uuid> {
    html.split("href=\"/staff/cases/")
        .skip(1)
        .filter_map(|rest| rest.get(..36))
        .filter_map(|id| Uuid::parse_str(id).ok())
        .collect()
}

/// The target of the page's link with `rel`, unescaped.
fn link(html: &str, rel: &str) -> Option<String> {
    let end = html.find(&format!("\" rel=\"{rel}\""))?;
    let start = html[..end].rfind("href=\"")? + "href=\"".len();
    Some(
        html[start..end]
            .replace("&amp;", "&")
            .replace("&#38;", "&")
            .replace("&#x3D;", "=")
            .replace("&#x2f;", "/")
            .replace("&#47;", "/"),
    )
}

async fn the_page_and_the_api_list_alike(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.inbox.page_size = 3).await;
    let kari = app.add_user("kari", "Kari", &["handler"]).await;
    let held = [kari];
    for days_ago in [1, 1, 2, 2, 3, 5, 9] {
        let case = SeededCase::new("avvik", "lav")
            .received(day(days_ago))
            .held_by(&held);
        app.seed_case(case).await;
    }
    let t = app.staff_token("kari").await;
    let session = app.staff_login("kari").await;
    let (api_pages, _) = walk_forward(&app, &t, "").await;
    assert_eq!(api_pages.len(), 3, "the configured page size");
    let mut html_pages = Vec::new();
    let mut path = Some("/staff/inbox".to_owned());
    while let Some(p) = path {
        let page = app.get(&session, &p).await;
        assert_eq!(page.status, StatusCode::OK);
        html_pages.push(page_ids(&page.text));
        path = link(&page.text, "next");
        assert!(html_pages.len() < 10, "{path:?} {}", page.text);
    }
    assert_eq!(html_pages, api_pages);
    // And back from the last page.
    let last = app
        .get(
            &session,
            &link(&app.get(&session, "/staff/inbox").await.text, "next").unwrap(),
        )
        .await;
    let prev = link(&last.text, "prev").expect("a previous page");
    assert_eq!(page_ids(&app.get(&session, &prev).await.text), api_pages[0]);
    let filtered = app.get(&session, "/staff/inbox?sort=received").await;
    let (api_received, _) = api_page(&app, &t, "?sort=received").await;
    assert_eq!(page_ids(&filtered.text), api_received);
    app.teardown().await;
}

async fn stale_stored_deadlines_are_recomputed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let kari = app.add_user("kari", "Kari", &["handler"]).await;
    let held = [kari];
    let (id, _) = app
        .seed_case(SeededCase::new("avvik", "lav").held_by(&held))
        .await;
    let t = app.staff_token("kari").await;
    let before = app.api_inbox_line(&t, id).await;
    assert_eq!(before["next_deadline_kind"], "acknowledge");

    // As a row from before the stored deadline (or from other rules) is.
    app.store
        .refresh_next_deadlines(&[id], "other rules", &|_| None)
        .await
        .unwrap();
    let (_, body) = api_page(&app, &t, "?deadline=none").await;
    assert_eq!(body["cases"][0]["id"], id.to_string());
    assert!(body["cases"][0]["next_deadline"].is_null());

    // What startup runs: every stale row is computed again.
    let core = &app.state.core;
    let done = varsel::core::deadlines::reconcile_stored(core)
        .await
        .unwrap();
    assert_eq!(done, 1);
    assert_eq!(app.api_inbox_line(&t, id).await, before);
    assert_eq!(
        varsel::core::deadlines::reconcile_stored(core)
            .await
            .unwrap(),
        0,
        "nothing left to do"
    );
    app.teardown().await;
}
