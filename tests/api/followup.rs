//! Follow-up of the reporter (SPEC §4): a retaliation report is flagged to
//! the handlers with its own deadline until a reply or a protective measure
//! answers it; measures are shown to the reporter only when the handler
//! chooses; the reporter's case page shows the external channels, the
//! protection against retaliation and the feedback date next to the
//! acknowledgement. Both pages and API, on both backends, with a manual clock.

use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};
use varsel::core::clock::{Clock, ManualClock};
use varsel::core::domain::deadline::add_calendar_months;

use crate::app::{deadline, Backend, TestApp};
use crate::for_each_backend;

for_each_backend!(
    a_retaliation_report_has_its_own_deadline_until_answered,
    measures_reach_the_reporter_only_when_chosen,
    the_case_page_shows_channels_protection_and_the_feedback_date,
);

const RETALIATION_PAGE: &str = "RetaliationMarkerPage: sjefen flyttet meg til nattskift";
const RETALIATION_API: &str = "RetaliationMarkerApi: jeg ble holdt utenfor møtet";
const SHOWN: &str = "MeasureMarkerShown: ny leder for avdelingen";
const HIDDEN: &str = "MeasureMarkerHidden: samtale med mellomlederen";

/// A date as the reporter pages show it: dd.mm.yyyy.
fn day(t: OffsetDateTime) -> String {
    format!("{:02}.{:02}.{}", t.day(), u8::from(t.month()), t.year())
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

fn midnight(t: OffsetDateTime) -> OffsetDateTime {
    t.date().midnight().assume_utc()
}

fn report() -> Value {
    json!({
        "category": "varsling",
        "severity": "middels",
        "description": "Leder trakasserer en kollega.",
    })
}

async fn spawn(backend: Backend) -> (TestApp, ManualClock) {
    // Midday, so a reporter's day and the staff's times differ.
    let start = midnight(OffsetDateTime::now_utc()) + Duration::hours(12);
    let clock = ManualClock::new(start);
    let app = TestApp::spawn_with_clock(backend, Arc::new(clock.clone()), |_| {}).await;
    (app, clock)
}

async fn a_retaliation_report_has_its_own_deadline_until_answered(backend: Backend) {
    let (app, clock) = spawn(backend).await;
    let hanne = app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let code = app.report(&report()).await;
    let t = app.staff_token("hanne").await;
    let id = app.api_only_case(&t).await;
    app.api_acknowledge(&t, id).await.expect(StatusCode::OK);
    let line = app.api_inbox_line(&t, id).await;
    assert_eq!(line["retaliation_unanswered"], false);
    assert_eq!(line["next_deadline_kind"], "feedback");

    // An empty report is explained, and nothing is stored.
    let reporter = app.reporter_login(&code).await;
    let r = app
        .post_form(&reporter, "/case/retaliation", &[("retaliation", "   ")])
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text.contains("Skriv hva som har skjedd."), "{}", r.text);
    assert!(app.store.messages(id).await.unwrap().is_empty());

    // The reporter reports retaliation from the case page, a day later.
    clock.advance(Duration::days(1));
    let reported = midnight(clock.now());
    let r = app
        .post_form(
            &reporter,
            "/case/retaliation",
            &[("retaliation", RETALIATION_PAGE)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let page = app.page(&reporter, "/case").await;
    assert!(page.contains(RETALIATION_PAGE));
    assert!(page.contains("<strong class=\"flag\">Gjengjeldelse</strong>"));
    let stored = app.store.messages(id).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].created_at % 86_400, 0, "a reporter time is a day");

    // The handler sees it flagged, with a deadline of 7 days from the report
    // that orders the inbox.
    let due = reported + Duration::days(7);
    let line = app.api_inbox_line(&t, id).await;
    assert_eq!(line["retaliation_unanswered"], true);
    assert_eq!(line["next_deadline_kind"], "retaliation_response");
    assert_eq!(line["next_deadline_due"], rfc3339(due));
    let case = app.api_case(&t, id).await.expect(StatusCode::OK);
    assert_eq!(case["retaliation_unanswered"], true);
    assert_eq!(case["messages"][0]["kind"], "retaliation");
    assert_eq!(case["messages"][0]["body"], RETALIATION_PAGE);
    let response = deadline(&case, "retaliation_response");
    assert_eq!(response["due"], rfc3339(due));
    assert_eq!(response["state"], "open");
    let staff = app.staff_login("hanne").await;
    let row = app.inbox_row(&staff, id).await;
    assert!(row.contains("Gjengjeldelse"), "{row}");
    let filtered = app
        .api_get("/staff/cases?retaliation=unanswered", Some(&t))
        .await
        .expect(StatusCode::OK);
    assert_eq!(filtered["cases"][0]["id"], id.to_string());
    assert_eq!(filtered["counts"]["retaliation"]["unanswered"], 1);
    app.api_get("/staff/cases?retaliation=maybe", Some(&t))
        .await
        .expect_error(StatusCode::BAD_REQUEST, "unknown_inbox_filter");
    let inbox = app
        .page(&staff, "/staff/inbox?retaliation=unanswered")
        .await;
    assert!(inbox.contains(&format!("/staff/cases/{id}")), "{inbox}");
    assert!(
        inbox.contains("Ubesvart melding om gjengjeldelse (1)"),
        "{inbox}"
    );
    let page = app.page(&staff, &format!("/staff/cases/{id}")).await;
    assert!(page.contains("id=\"retaliation-open\""), "{page}");
    assert!(page.contains("Svare på melding om gjengjeldelse"));

    // Unanswered past its due time it is overdue.
    clock.advance(Duration::days(8));
    let case = app.api_case(&t, id).await.expect(StatusCode::OK);
    assert_eq!(deadline(&case, "retaliation_response")["state"], "overdue");

    // A reply meets it (late).
    app.api_reply(&t, id, "Vi ser på dette nå.")
        .await
        .expect(StatusCode::CREATED);
    let case = app.api_case(&t, id).await.expect(StatusCode::OK);
    assert_eq!(case["retaliation_unanswered"], false);
    let response = deadline(&case, "retaliation_response");
    assert_eq!(response["state"], "met");
    assert_eq!(response["met_in_time"], false);
    let line = app.api_inbox_line(&t, id).await;
    assert_eq!(line["retaliation_unanswered"], false);
    assert_eq!(line["next_deadline_kind"], "feedback");
    let row = app.inbox_row(&staff, id).await;
    assert!(!row.contains("Gjengjeldelse"), "{row}");
    let filtered = app
        .api_get("/staff/cases?retaliation=unanswered", Some(&t))
        .await
        .expect(StatusCode::OK);
    assert_eq!(filtered["cases"], json!([]));
    assert_eq!(filtered["counts"]["retaliation"]["unanswered"], 0);

    // A new report through the API starts a new deadline; a measure meets it.
    let token = app.reporter_token(&code).await;
    let body = app
        .api_post(
            "/reporter/case/retaliation",
            Some(&token),
            &json!({ "body": RETALIATION_API }),
        )
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(body["kind"], "retaliation");
    let again = midnight(clock.now()) + Duration::days(7);
    let line = app.api_inbox_line(&t, id).await;
    assert_eq!(line["retaliation_unanswered"], true);
    assert_eq!(line["next_deadline_due"], rfc3339(again));
    let seen = app.api_reporter_case(&token).await.expect(StatusCode::OK);
    assert_eq!(seen["messages"][2]["kind"], "retaliation");
    assert_eq!(seen["messages"][1]["kind"], "message");
    let r = app
        .post_form(
            &staff,
            &format!("/staff/cases/{id}/measures"),
            &[("measure", HIDDEN)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let case = app.api_case(&t, id).await.expect(StatusCode::OK);
    assert_eq!(case["retaliation_unanswered"], false);
    let response = deadline(&case, "retaliation_response");
    assert_eq!(response["due"], rfc3339(again));
    assert_eq!(response["met_in_time"], true);

    // Audited, without the text; nothing readable in the database.
    let entries = app.audit_entries_after_the_day().await;
    let reports: Vec<_> = entries
        .iter()
        .filter(|e| e.action == "case.retaliation_reported")
        .collect();
    assert_eq!(reports.len(), 2);
    assert!(reports.iter().all(|e| e.actor == "reporter"));
    let measures: Vec<_> = entries
        .iter()
        .filter(|e| e.action == "case.measure_recorded")
        .collect();
    assert_eq!(measures.len(), 1);
    assert_eq!(measures[0].actor, format!("user:{hanne}"));
    assert_eq!(measures[0].case_id, Some(id.to_string()));
    assert!(entries.iter().all(|e| !e.detail.contains("Marker")));
    assert_eq!(varsel::core::audit::verify(&entries), Ok(entries.len()));
    let needles = ["RetaliationMarker".to_owned(), "MeasureMarker".to_owned()];
    let hits = app.db.readable(&needles).await;
    assert!(hits.is_empty(), "{hits:?}");
    app.teardown().await;
}

async fn measures_reach_the_reporter_only_when_chosen(backend: Backend) {
    let (app, clock) = spawn(backend).await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    app.add_user("revisor", "Rita Revisor", &["auditor"]).await;
    let code = app.report(&report()).await;
    let t = app.staff_token("hanne").await;
    let id = app.api_only_case(&t).await;
    let path = format!("/staff/cases/{id}/measures");

    // One shown through the API, one hidden through the page.
    let r = app
        .api_post(
            &path,
            Some(&t),
            &json!({ "body": SHOWN, "visible_to_reporter": true }),
        )
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(r["visible_to_reporter"], true);
    clock.advance(Duration::minutes(5));
    let staff = app.staff_login("hanne").await;
    let r = app.post_form(&staff, &path, &[("measure", HIDDEN)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    // An empty measure is explained on the case page and stores nothing.
    let r = app.post_form(&staff, &path, &[("measure", " ")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text.contains("Beskriv tiltaket."), "{}", r.text);
    app.api_post(
        &path,
        Some(&t),
        &json!({ "body": "", "visible_to_reporter": true }),
    )
    .await
    .expect_error(StatusCode::BAD_REQUEST, "text_required");
    // Someone who does not work cases cannot record one.
    let rita = app.staff_token("revisor").await;
    let r = app
        .api_post(
            &path,
            Some(&rita),
            &json!({ "body": "x", "visible_to_reporter": true }),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Staff see both, and which the reporter sees.
    let case = app.api_case(&t, id).await.expect(StatusCode::OK);
    let measures = case["measures"].as_array().unwrap();
    assert_eq!(measures.len(), 2);
    assert_eq!(measures[0]["body"], SHOWN);
    assert_eq!(measures[0]["visible_to_reporter"], true);
    assert_eq!(measures[0]["author_name"], "Hanne Handler");
    assert_eq!(measures[1]["body"], HIDDEN);
    assert_eq!(measures[1]["visible_to_reporter"], false);
    let page = app.page(&staff, &format!("/staff/cases/{id}")).await;
    assert!(page.contains(SHOWN) && page.contains(HIDDEN));
    assert!(page.contains("vises ikke for varsleren"));

    // The reporter sees only the one shown to them, on the page and in the API.
    let page = app.reporter_case_page(&code).await;
    assert!(page.contains(SHOWN), "{page}");
    assert!(!page.contains(HIDDEN));
    let token = app.reporter_token(&code).await;
    let seen = app.api_reporter_case(&token).await.expect(StatusCode::OK);
    let measures = seen["measures"].as_array().unwrap();
    assert_eq!(measures.len(), 1);
    assert_eq!(measures[0]["body"], SHOWN);
    assert!(measures[0].get("author_name").is_none());
    assert!(!seen.to_string().contains("MeasureMarkerHidden"));

    let hits = app.db.readable(&["MeasureMarker".to_owned()]).await;
    assert!(hits.is_empty(), "{hits:?}");
    let recorded = app
        .audit_actions()
        .await
        .iter()
        .filter(|a| *a == "case.measure_recorded")
        .count();
    assert_eq!(recorded, 2);
    app.teardown().await;
}

async fn the_case_page_shows_channels_protection_and_the_feedback_date(backend: Backend) {
    let (app, clock) = spawn(backend).await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let code = app.report(&report()).await;
    let received = midnight(clock.now());
    let reporter = app.reporter_login(&code).await;

    // Before acknowledgement: the acknowledgement deadline, and feedback 3
    // months after it (directive 2019/1937 art. 9(1)(f)).
    let page = app.page(&reporter, "/case").await;
    for text in [
        "Arbeidstilsynet",
        "https://www.arbeidstilsynet.no",
        "Datatilsynet",
        "https://www.datatilsynet.no",
        "Politiet",
        "https://www.politiet.no",
        "§ 2 A-4",
        "sannsynliggjøre",
        "oppreisning",
        "§ 2 A-5",
        "action=\"/case/retaliation\"",
    ] {
        assert!(page.contains(text), "the case page shows {text}");
    }
    let acknowledge_by = received + Duration::days(7);
    assert!(page.contains("Ikke bekreftet ennå."), "{page}");
    let feedback_by = add_calendar_months(acknowledge_by, 3);
    assert!(page.contains(&day(feedback_by)), "{page}");

    // Acknowledged two days later: feedback is due 3 months after that.
    clock.advance(Duration::days(2));
    let t = app.staff_token("hanne").await;
    let id = app.api_only_case(&t).await;
    app.api_acknowledge(&t, id).await.expect(StatusCode::OK);
    let acknowledged = clock.now();
    let feedback_by = add_calendar_months(acknowledged, 3);
    let page = app.page(&reporter, "/case").await;
    let dates = &page[page.find("id=\"acknowledged-date\"").unwrap()..];
    assert!(dates.starts_with(&format!("id=\"acknowledged-date\">{}", day(acknowledged))));
    let feedback = &page[page.find("id=\"feedback-date\"").unwrap()..];
    assert!(
        feedback.starts_with(&format!("id=\"feedback-date\">{}", day(feedback_by))),
        "{feedback}"
    );
    let token = app.reporter_token(&code).await;
    let seen = app.api_reporter_case(&token).await.expect(StatusCode::OK);
    let iso = |t: OffsetDateTime| format!("{}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day());
    assert_eq!(seen["dates"]["acknowledged_on"], iso(acknowledged));
    assert_eq!(seen["dates"]["feedback_due"], iso(feedback_by));
    assert_eq!(seen["dates"]["feedback_given_on"], Value::Null);

    // In English too.
    let en = app.page(&reporter, "/case?lang=en").await;
    assert!(en.contains("You are protected against retaliation"));
    assert!(en.contains("Feedback by"));
    app.teardown().await;
}
