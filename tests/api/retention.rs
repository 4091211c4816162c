//! Retention by crypto-shredding, under a manual clock on both backends: a
//! case closed longer ago than the retention period is gone — no row of any
//! table with a `case_id` column (found by reading the schema, so a table
//! added later is covered too), no attachment file, no wrap; the code no
//! longer logs in, the handler gets "not found" — while the audit chain
//! still verifies and holds the purge, and the statistics count it as
//! before. A case on legal hold, a deferred one, a recently closed one and
//! an open one stay; `varsel purge` lists and deletes; a category keeps its
//! own period.

use std::sync::Arc;

use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::{json, Value};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;
use varsel::core::clock::ManualClock;

use crate::app::{rule, Backend, TestApp};
use crate::for_each_backend;

for_each_backend!(
    a_case_closed_long_enough_ago_is_gone_but_still_counted,
    held_deferred_recent_and_open_cases_stay,
    varsel_purge_lists_with_dry_run_then_deletes,
    a_category_keeps_its_own_period,
);

/// When the cases of these tests are filed.
const START: OffsetDateTime = datetime!(2022-01-10 09:00 UTC);

/// A service on `clock` where security cases above `lav` reach the group
/// `sikkerhet` (Hanne) and the contact points (Kari), with an auditor (Aud).
async fn app_at(backend: Backend, clock: &ManualClock, months: Option<u32>) -> TestApp {
    let app = TestApp::spawn_with_clock(backend, Arc::new(clock.clone()), |s| {
        s.routing.rules = vec![rule("sikkerhet", "sikkerhet"), rule("avvik", "sikkerhet")];
        s.statistics.min_cell_count = 3;
        if let Some(m) = months {
            s.retention.months = m;
        }
        s.retention.categories.insert("avvik".into(), 6);
    })
    .await;
    app.add_user_in("hanne", "Hanne Handler", &["handler"], &["sikkerhet"])
        .await;
    app.add_user("kari", "Kari Kontakt", &["contact"]).await;
    app.add_user("aud", "Aud Revisor", &["auditor"]).await;
    app
}

/// Files a report of `category` through the API; the case id and its code.
async fn file(app: &TestApp, hanne: &str, category: &str, text: &str) -> (Uuid, String) {
    let before = app.api_case_ids(hanne).await;
    let code = app
        .report(&json!({
            "category": category,
            "subtype": if category == "sikkerhet" { "innsideaktivitet" } else { "rutinebrudd" },
            "severity": "hoy",
            "description": text,
        }))
        .await;
    let id = app
        .api_case_ids(hanne)
        .await
        .into_iter()
        .find(|id| !before.contains(id))
        .expect("the new case reaches Hanne");
    (id, code)
}

/// Closes `case` as Hanne.
async fn close(app: &TestApp, hanne: &str, case: Uuid) {
    let r = app
        .api_close(
            hanne,
            case,
            &json!({"outcome": "substantiated", "evaluation": "Rutinen er endret."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

/// Every table with a `case_id` column, from the schema.
async fn case_tables(app: &TestApp) -> Vec<String> {
    let sql = match app.db.backend() {
        Backend::Sqlite => {
            "SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND p.name = 'case_id'"
        }
        Backend::Postgres => {
            "SELECT table_name::text FROM information_schema.columns \
             WHERE table_schema = 'public' AND column_name = 'case_id'"
        }
    };
    let tables: Vec<String> = app
        .db
        .text_rows(sql)
        .await
        .into_iter()
        .filter_map(|r| r.into_iter().next())
        .collect();
    assert!(tables.len() > 10, "the schema was read: {tables:?}");
    tables
}

/// The tables (among those with a `case_id` column, and `cases`) that
/// still hold a row of `case`. The audit log and its queue keep their
/// entries by design: the chain must still verify.
async fn rows_left(app: &TestApp, case: Uuid) -> Vec<String> {
    let mut left = Vec::new();
    for table in case_tables(app).await {
        if table == "audit_log" || table == "audit_queue" {
            continue;
        }
        let rows = app
            .db
            .text_rows(&format!(
                "SELECT case_id FROM {table} WHERE case_id = '{case}'"
            ))
            .await;
        if !rows.is_empty() {
            left.push(table);
        }
    }
    if !app
        .db
        .text_rows(&format!("SELECT id FROM cases WHERE id = '{case}'"))
        .await
        .is_empty()
    {
        left.push("cases".into());
    }
    left
}

/// The statistics CSV of `year` (`all` or a year), as the auditor reads it.
async fn statistics(app: &TestApp, auditor: &crate::app::PageSession, year: &str) -> String {
    let page = app.get(auditor, &format!("/stats.csv?year={year}")).await;
    assert_eq!(page.status, StatusCode::OK);
    page.text
}

async fn a_case_closed_long_enough_ago_is_gone_but_still_counted(backend: Backend) {
    let clock = ManualClock::new(START);
    let app = app_at(backend, &clock, None).await;
    let hanne = app.staff_token("hanne").await;
    let kari = app.staff_token("kari").await;

    // Three alike cases (so the statistics show their counts), one with a
    // thread, an attachment, an escalation decision and a legal hold that
    // was lifted again.
    let mut cases = Vec::new();
    for n in 0..3 {
        cases.push(
            file(
                &app,
                &hanne,
                "sikkerhet",
                &format!("Innsidesak {n}: kopierte filer."),
            )
            .await,
        );
    }
    let (case, code) = cases[0].clone();
    let reporter = app.reporter_token(&code).await;
    let form = Form::new().part(
        "attachment",
        Part::bytes(b"bevis".to_vec()).file_name("bevis.txt"),
    );
    let uploaded = app
        .api_upload("/reporter/case/attachments", Some(&reporter), form)
        .await
        .expect(StatusCode::CREATED);
    let attachment: Uuid = uploaded[0]["id"].as_str().unwrap().parse().unwrap();
    let file_path =
        varsel::core::attachments::path(&app.settings.storage.attachments_dir(), attachment);
    assert!(file_path.exists());
    app.api_reporter_reply(&reporter, "Mer informasjon.")
        .await
        .expect(StatusCode::CREATED);
    app.api_reply(&hanne, case, "Takk.")
        .await
        .expect(StatusCode::CREATED);
    for (c, _) in &cases {
        app.api_acknowledge(&hanne, c).await.expect(StatusCode::OK);
    }
    let r = app
        .api_decide(
            &kari,
            case,
            &json!({
                "authority": "politi", "decision": "escalate", "legal_basis": "other",
                "rationale": "Anmeldt.", "aware_at": "2022-01-10", "decided_at": "2022-01-10T09:00",
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    app.api_place_hold(&kari, case, "Mulig sivil sak.")
        .await
        .expect(StatusCode::OK);
    let r = app.api_lift_hold(&kari, case).await;
    assert_eq!(
        r.body,
        json!({"held": false, "placed_at": null, "placed_by": null, "reason": null})
    );
    for (c, _) in &cases {
        close(&app, &hanne, *c).await;
    }

    // 24 months after closing (the default) and a day.
    clock.advance(Duration::days(2 * 365 + 2));
    let auditor = app.staff_login("aud").await;
    let before_all = statistics(&app, &auditor, "all").await;
    let before_year = statistics(&app, &auditor, "2022").await;
    assert!(
        before_year
            .lines()
            .any(|l| l.starts_with("category,sikkerhet,,3,")),
        "the three cases are counted: {before_year}"
    );
    assert!(rows_left(&app, case).await.len() > 3, "the case has rows");

    let purged = app.purge().await;
    let mut ids: Vec<Uuid> = purged.iter().map(|p| p.case_id).collect();
    ids.sort();
    let mut expected: Vec<Uuid> = cases.iter().map(|(c, _)| *c).collect();
    expected.sort();
    assert_eq!(ids, expected);
    assert_eq!(purged[0].closed_on.to_string(), "2022-01-10");

    for (c, _) in &cases {
        assert_eq!(rows_left(&app, *c).await, Vec::<String>::new(), "{c}");
    }
    assert!(!file_path.exists(), "the attachment file is gone");
    let r = app
        .api_post("/reporter/session", None, &json!({ "code": code }))
        .await;
    assert_ne!(r.status, StatusCode::CREATED, "the code no longer logs in");
    let r = app.api_case(&hanne, case).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(app.api_case_ids(&hanne).await.is_empty());

    // The audit chain verifies and says the case existed and went that day.
    let out = app.command(&["audit", "verify"]);
    assert!(out.status.success(), "{out:?}");
    let log = app.audit_entries_after_the_day().await;
    let purges: Vec<_> = log.iter().filter(|e| e.action == "case.purged").collect();
    assert_eq!(purges.len(), 3);
    let entry = purges
        .iter()
        .find(|e| e.case_id.as_deref() == Some(case.to_string().as_str()))
        .expect("the case's purge entry");
    assert_eq!(entry.at % 86_400, 0, "the day only");
    assert_eq!(entry.actor, "system");
    let detail: Value = serde_json::from_str(&entry.detail).unwrap();
    assert_eq!(detail["closed_on"], "2022-01-10");

    // Every figure is the same.
    assert_eq!(statistics(&app, &auditor, "all").await, before_all);
    assert_eq!(statistics(&app, &auditor, "2022").await, before_year);
    // Nothing more to do on the next pass.
    assert!(app.purge().await.is_empty());
    app.teardown().await;
}

async fn held_deferred_recent_and_open_cases_stay(backend: Backend) {
    let clock = ManualClock::new(START);
    let app = app_at(backend, &clock, Some(12)).await;
    let hanne = app.staff_token("hanne").await;
    let kari = app.staff_token("kari").await;
    let (held, _) = file(&app, &hanne, "sikkerhet", "Holdt sak.").await;
    let (deferred, _) = file(&app, &hanne, "sikkerhet", "Utsatt sak.").await;
    let (open, _) = file(&app, &hanne, "sikkerhet", "Åpen sak.").await;
    let (recent, _) = file(&app, &hanne, "sikkerhet", "Ny sak.").await;
    let r = app
        .api_decide(
            &kari,
            deferred,
            &json!({
                "authority": "politi", "decision": "defer", "legal_basis": "other",
                "rationale": "Venter.", "aware_at": "2022-01-10", "decided_at": "2022-01-10T09:00",
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // The hold through the page form: it says what it did, and both the
    // contact point's and the handler's case page show it.
    let kari_page = app.staff_login("kari").await;
    let done = app
        .place_hold(&kari_page, held, "Politiet etterforsker.")
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let location = done.headers["location"].to_str().unwrap().to_owned();
    let page = app.get(&kari_page, &location).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("legal-hold-done"), "a confirmation");
    let hanne_page = app.staff_login("hanne").await;
    let page = app.get(&hanne_page, &format!("/staff/cases/{held}")).await;
    assert!(page.text.contains("Politiet etterforsker."));
    assert!(
        !page.text.contains("legal-hold/lift"),
        "handlers do not lift"
    );
    // Handlers may not hold; a second hold is a conflict.
    let r = app.api_place_hold(&hanne, held, "x").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app.api_place_hold(&kari, held, "Igjen.").await;
    assert_eq!(r.status, StatusCode::CONFLICT);

    close(&app, &hanne, held).await;
    close(&app, &hanne, deferred).await;
    clock.advance(Duration::days(400));
    close(&app, &hanne, recent).await;
    clock.advance(Duration::days(30));

    assert!(app.purge().await.is_empty(), "nothing goes");
    for c in [held, deferred, open, recent] {
        assert!(rows_left(&app, c).await.contains(&"cases".to_owned()));
    }

    // Once the hold is lifted, the held case goes.
    let lifted = app.lift_hold(&kari_page, held).await;
    assert_eq!(lifted.status, StatusCode::SEE_OTHER);
    let location = lifted.headers["location"].to_str().unwrap().to_owned();
    assert!(location.contains("hold=lifted"), "{location}");
    let r = app.api_lift_hold(&kari, held).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "not held any more");
    let purged = app.purge().await;
    assert_eq!(
        purged.iter().map(|p| p.case_id).collect::<Vec<_>>(),
        vec![held]
    );
    assert!(rows_left(&app, held).await.is_empty());
    app.teardown().await;
}

async fn varsel_purge_lists_with_dry_run_then_deletes(backend: Backend) {
    // The command line reads the system clock: the case was closed in 2022.
    let clock = ManualClock::new(START);
    let app = app_at(backend, &clock, None).await;
    let hanne = app.staff_token("hanne").await;
    let (case, _) = file(&app, &hanne, "sikkerhet", "Gammel sak.").await;
    close(&app, &hanne, case).await;
    // The feedback deadline has passed, so the case no longer changes.
    clock.advance(Duration::days(200));

    let out = app.command(&["purge", "--dry-run"]);
    assert!(out.status.success(), "{out:?}");
    let listed = String::from_utf8(out.stdout).unwrap();
    assert!(listed.contains(&case.to_string()), "{listed}");
    assert!(listed.contains("2022-01-10"), "{listed}");
    assert!(rows_left(&app, case).await.contains(&"cases".to_owned()));

    let out = app.command(&["purge"]);
    assert!(out.status.success(), "{out:?}");
    let done = String::from_utf8(out.stdout).unwrap();
    assert!(
        done.contains(&format!("deleted case {case} closed 2022-01-10")),
        "{done}"
    );
    assert!(rows_left(&app, case).await.is_empty());
    let log = app.audit_entries_after_the_day().await;
    let entry = log.iter().find(|e| e.action == "case.purged").unwrap();
    assert_eq!(entry.actor, "cli");
    let out = app.command(&["audit", "verify"]);
    assert!(out.status.success(), "{out:?}");
    app.teardown().await;
}

async fn a_category_keeps_its_own_period(backend: Backend) {
    // avvik: 6 months; everything else: 24.
    let clock = ManualClock::new(START);
    let app = app_at(backend, &clock, None).await;
    let hanne = app.staff_token("hanne").await;
    let (avvik, _) = file(&app, &hanne, "avvik", "Rutinebrudd.").await;
    let (sikkerhet, _) = file(&app, &hanne, "sikkerhet", "Innsidesak.").await;
    close(&app, &hanne, avvik).await;
    close(&app, &hanne, sikkerhet).await;

    clock.advance(Duration::days(150));
    assert!(app.purge().await.is_empty(), "five months: both stay");
    clock.advance(Duration::days(40));
    let purged = app.purge().await;
    assert_eq!(
        purged.iter().map(|p| p.case_id).collect::<Vec<_>>(),
        vec![avvik]
    );
    assert!(rows_left(&app, sikkerhet)
        .await
        .contains(&"cases".to_owned()));
    app.teardown().await;
}
