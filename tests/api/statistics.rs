//! The statistics page and CSV through HTTP on both backends: who may see
//! them, exact counts for big cells, small cells and their complements
//! suppressed, the acknowledgement figures of a known data set, accessible
//! charts, and no case content.

use reqwest::{Client, StatusCode};
use serde_json::json;
use time::{Date, Month, OffsetDateTime};
use uuid::Uuid;
use varsel::casework::ReportContent;
use varsel::store::{Case, Holder, KeyWrap, NewCase};
use varsel_crypto::CaseCode;

use crate::app::{csrf_of, Backend, TestApp, PASSWORD};
use crate::for_each_backend;

/// Words of the case text that must never appear in statistics.
const SECRET: &str = "Kantinesjefen-Brennevin-7731";

const DAY: i64 = 86_400;

/// The previous calendar year: the default period.
fn last_year() -> i32 {
    OffsetDateTime::now_utc().year() - 1
}

fn day(year: i32, month: Month, d: u8) -> Date {
    Date::from_calendar_date(year, month, d).unwrap()
}

fn unix(d: Date) -> i64 {
    d.midnight().assume_utc().unix_timestamp()
}

/// A case filed as a submission would file it, received on `received` and
/// acknowledged `ack_after_days` later (in the afternoon). Returns its id.
async fn add_case(
    app: &TestApp,
    category: &str,
    severity: &str,
    received: Date,
    ack_after_days: Option<i64>,
) -> Uuid {
    let identity = varsel::keys::new_case_identity();
    let recipient = identity.to_public();
    let report = ReportContent {
        description: format!("{SECRET} tok med seg nøkkelkortet hjem."),
        when: Some("I fjor".to_owned()),
        place: Some("Kantina".to_owned()),
    };
    let json = serde_json::to_vec(&report).unwrap();
    let code = CaseCode::generate();
    let wraps = vec![KeyWrap {
        holder: Holder::Reporter,
        wrapped: varsel::keys::wrap_case_identity(&identity, &code.reporter_identity().to_public())
            .unwrap(),
    }];
    let received_at = unix(received);
    let acknowledged_at = ack_after_days.map(|d| received_at + d * DAY + 15 * 3_600);
    let case = Case {
        id: Uuid::new_v4(),
        recipient: recipient.to_string(),
        category: category.to_owned(),
        severity: severity.to_owned(),
        suggested_severity: severity.to_owned(),
        status: if acknowledged_at.is_some() {
            "acknowledged"
        } else {
            "received"
        }
        .to_owned(),
        received_at,
        acknowledged_at,
        updated_at: acknowledged_at.unwrap_or(received_at),
        reporter_seq: 1,
        report: varsel::keys::seal(&recipient, &json).unwrap(),
    };
    let id = case.id;
    app.store
        .create_case(&NewCase {
            case,
            subtype: None,
            lookup_tag: *code.lookup_tag().as_bytes(),
            wraps,
            excluded: Vec::new(),
            attachments: Vec::new(),
        })
        .await
        .unwrap();
    id
}

/// The known data set, all received last year:
///
/// | month | category | severity | cases | acknowledged after (days) |
/// | --- | --- | --- | --- | --- |
/// | March | avvik | lav | 6 | 1 each |
/// | March | varsling | middels | 2 | 2 each |
/// | June | avvik | hoy | 7 | 3, 3, 5, 7, 8, 10, 14 |
/// | June | sikkerhet | kritisk | 1 | never |
///
/// plus one case this year (outside the default period), and one filed
/// through the JSON API today. Returns the ids of the stored cases.
async fn arrange(app: &TestApp) -> Vec<Uuid> {
    let y = last_year();
    let mut ids = Vec::new();
    for _ in 0..6 {
        ids.push(add_case(app, "avvik", "lav", day(y, Month::March, 4), Some(1)).await);
    }
    for _ in 0..2 {
        ids.push(
            add_case(
                app,
                "varsling",
                "middels",
                day(y, Month::March, 20),
                Some(2),
            )
            .await,
        );
    }
    for d in [3, 3, 5, 7, 8, 10, 14] {
        ids.push(add_case(app, "avvik", "hoy", day(y, Month::June, 2), Some(d)).await);
    }
    ids.push(add_case(app, "sikkerhet", "kritisk", day(y, Month::June, 30), None).await);
    ids.push(add_case(app, "avvik", "lav", day(y + 1, Month::January, 1), None).await);
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let response = app
        .client()
        .post(app.url("/api/v1/reports"))
        .json(&json!({
            "category": "sikkerhet",
            "severity": "hoy",
            "description": format!("{SECRET}: noen fotograferte serverrommet."),
            "place": "Serverrommet",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    ids
}

/// A client logged in as `username`.
async fn login(app: &TestApp, username: &str) -> Client {
    let client = app.client();
    let page = client
        .get(app.url("/staff/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = client
        .post(app.url("/staff/login"))
        .form(&[
            ("csrf", csrf_of(&page).as_str()),
            ("username", username),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{username} logs in");
    client
}

async fn get(client: &Client, url: String) -> (StatusCode, String) {
    let r = client.get(url).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

/// The cells of every table row on a page, as text: `<th>`/`<td>` contents
/// with tags removed and entities decoded.
fn table_rows(html: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for chunk in html.split("<tr").skip(1) {
        let row = chunk.split("</tr>").next().unwrap_or("");
        let mut cells = Vec::new();
        for part in row.split("<t").skip(1) {
            if !(part.starts_with('h') || part.starts_with('d')) {
                continue;
            }
            let inner = part.split_once('>').map_or("", |(_, rest)| rest);
            let inner = inner.split("</t").next().unwrap_or("");
            let mut text = String::new();
            let mut in_tag = false;
            for c in inner.chars() {
                match c {
                    '<' => in_tag = true,
                    '>' => in_tag = false,
                    c if !in_tag => text.push(c),
                    _ => {}
                }
            }
            cells.push(decode_entities(&text).trim().to_owned());
        }
        rows.push(cells);
    }
    rows
}

/// Decodes the entities askama writes (`&lt;`, `&#60;`, …).
fn decode_entities(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let end = tail.find(';').unwrap_or(0);
        let entity = &tail[1..end.max(1)];
        let decoded = match entity {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            _ => entity
                .strip_prefix('#')
                .and_then(|n| n.parse::<u32>().ok())
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) if end > 0 => {
                out.push(c);
                rest = &tail[end + 1..];
            }
            _ => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn has_row(rows: &[Vec<String>], expected: &[&str]) -> bool {
    rows.iter()
        .any(|r| r.iter().map(String::as_str).eq(expected.iter().copied()))
}

#[track_caller]
fn assert_row(rows: &[Vec<String>], expected: &[&str]) {
    assert!(has_row(rows, expected), "no row {expected:?} in {rows:#?}");
}

async fn auditor_sees_exact_big_counts_and_suppressed_small_ones(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ids = arrange(&app).await;
    app.add_user("aud", "Aud Auditor", &["auditor"]).await;
    let client = login(&app, "aud").await;
    let (status, page) = get(&client, app.url("/stats")).await;
    assert_eq!(status, StatusCode::OK);
    let y = last_year();
    let rows = table_rows(&page);
    let mar = format!("mars {y}");
    let jun = format!("juni {y}");
    let apr = format!("april {y}");

    // Cases per month (chart table): both months 8, the others 0.
    assert_row(&rows, &[&mar, "8"]);
    assert_row(&rows, &[&jun, "8"]);
    assert_row(&rows, &[&apr, "0"]);
    // Per category: avvik 13 exactly; varsling (2) and sikkerhet (1) small.
    assert_row(&rows, &["Avvik i informasjonssikkerhet", "13"]);
    assert_row(&rows, &["Varsling om kritikkverdige forhold", "< 5"]);
    assert_row(&rows, &["Personellsikkerhetshendelse", "< 5"]);
    // Month × category: the 2 varsling in March are small, so the 6 avvik
    // beside them are hidden too (else 8 − 6 = 2); likewise in June.
    assert_row(&rows, &[&mar, "< 5", "skjult", "0", "8"]);
    assert_row(&rows, &[&jun, "0", "skjult", "< 5", "8"]);
    assert_row(&rows, &[&apr, "0", "0", "0", "0"]);
    assert_row(&rows, &["Sum", "< 5", "13", "< 5", "16"]);
    // Month × severity: the lav and hoy cells are alone in their columns, so
    // their column totals are hidden as well.
    assert_row(&rows, &[&mar, "skjult", "< 5", "0", "0", "8"]);
    assert_row(&rows, &[&jun, "0", "0", "skjult", "< 5", "8"]);
    assert_row(&rows, &["Sum", "skjult", "< 5", "skjult", "< 5", "16"]);
    // Nothing small is shown as a number anywhere in those tables.
    for row in &rows {
        for small in ["1", "2", "6", "7"] {
            assert!(
                !row.iter().skip(1).any(|c| c == small),
                "{small} shown in {row:?}"
            );
        }
    }

    // Acknowledgement: 16 due (15 acknowledged + 1 overdue), 12 within 7
    // days = 75 %; days 1×6, 2×2, 3, 3, 5, 7, 8, 10, 14: median (8th of 15)
    // 2, 90th percentile (rank ⌈13.5⌉ = 14) 10.
    assert_row(
        &rows,
        &[
            "Saker der fristen for å bekrefte mottak er ute eller mottak er bekreftet",
            "16",
        ],
    );
    assert_row(&rows, &["Andel bekreftet innen fristen (7 dager)", "75 %"]);
    assert_row(&rows, &["Saker med bekreftet mottak", "15"]);
    assert_row(&rows, &["Median tid til bekreftelse", "2 dager"]);
    assert_row(
        &rows,
        &[
            "90-persentil tid til bekreftelse (9 av 10 saker var bekreftet innen)",
            "10 dager",
        ],
    );
    // Feedback and escalations: explicitly not recorded, no numbers.
    assert_eq!(
        page.matches("Ikke registrert ennå av denne versjonen av Varsel.")
            .count(),
        2
    );

    // Accessible charts, no script, no content, no ids.
    assert_eq!(page.matches("role=\"img\"").count(), 3);
    assert!(page.contains("<title id=\"chart-months-title\">Saker per måned</title>"));
    assert!(page.contains("aria-labelledby=\"chart-months-title chart-months-desc\""));
    assert!(!page.to_lowercase().contains("<script"));
    assert!(!page.contains(" src="));
    assert!(!page.contains(SECRET));
    for id in &ids {
        assert!(!page.contains(&id.to_string()));
    }
    app.teardown().await;
}

async fn the_csv_has_the_same_figures(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ids = arrange(&app).await;
    app.add_user("ada", "Ada Admin", &["admin"]).await;
    let client = login(&app, "ada").await;
    let r = client.get(app.url("/stats.csv")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let header = |name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let y = last_year();
    assert_eq!(header("content-type"), "text/csv; charset=utf-8");
    assert_eq!(
        header("content-disposition"),
        format!("attachment; filename=\"varsel-statistics-{y}.csv\"")
    );
    let csv = r.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "section,key,month,count,suppressed");
    let expect = |line: String| {
        assert!(lines.contains(&line.as_str()), "no line {line:?} in\n{csv}");
    };
    expect(format!("period,year,,{y},false"));
    expect("settings,min_cell_count,,5,false".to_owned());
    expect(format!("month,,{y}-03,8,false"));
    expect(format!("month,,{y}-06,8,false"));
    expect(format!("month,,{y}-04,0,false"));
    expect("total,,,16,false".to_owned());
    expect(format!("category,varsling,{y}-03,,true"));
    expect(format!("category,avvik,{y}-03,,true"));
    expect(format!("category,avvik,{y}-06,,true"));
    expect(format!("category,sikkerhet,{y}-06,,true"));
    expect(format!("category,sikkerhet,{y}-03,0,false"));
    expect("category,avvik,,13,false".to_owned());
    expect("category,varsling,,,true".to_owned());
    expect(format!("severity,lav,{y}-03,,true"));
    expect("severity,lav,,,true".to_owned());
    expect("severity,middels,,,true".to_owned());
    expect("acknowledgement,due_cases,,16,false".to_owned());
    expect("acknowledgement,met_percent,,75,false".to_owned());
    expect("acknowledgement,acknowledged_cases,,15,false".to_owned());
    expect("acknowledgement,median_days,,2,false".to_owned());
    expect("acknowledgement,p90_days,,10,false".to_owned());
    expect("feedback,not_recorded,,,false".to_owned());
    expect("escalation,not_recorded,,,false".to_owned());
    for line in &lines {
        assert_eq!(line.split(',').count(), 5, "{line}");
        let fields: Vec<&str> = line.split(',').collect();
        if fields[4] == "true" {
            assert_eq!(fields[3], "", "a suppressed count is empty: {line}");
        }
    }
    assert!(!csv.contains(SECRET));
    for id in &ids {
        assert!(!csv.contains(&id.to_string()));
    }

    // All years: the case received this year and the one filed through the
    // API are counted too.
    let (status, all) = get(&client, app.url("/stats.csv?year=all")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(all.contains("period,all,,,false"), "{all}");
    assert!(all.lines().any(|l| l == "total,,,18,false"), "{all}");
    assert!(!all.contains(SECRET));
    app.teardown().await;
}

async fn only_auditors_and_admins_see_statistics(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_user("aud", "Aud Auditor", &["auditor"]).await;
    app.add_user("ada", "Ada Admin", &["admin"]).await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    app.add_user("kari", "Kari Kontakt", &["contact"]).await;
    for user in ["aud", "ada"] {
        let client = login(&app, user).await;
        for path in [
            "/stats",
            "/stats.csv",
            "/stats?year=all",
            "/stats.csv?year=2024",
        ] {
            let (status, _) = get(&client, app.url(path)).await;
            assert_eq!(status, StatusCode::OK, "{user} {path}");
        }
        let (status, _) = get(&client, app.url("/stats?year=next")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
    for user in ["hanne", "kari"] {
        let client = login(&app, user).await;
        for path in ["/stats", "/stats.csv"] {
            let (status, body) = get(&client, app.url(path)).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{user} {path}");
            assert!(!body.contains("section,key"));
        }
    }
    let anonymous = app.client();
    for path in ["/stats", "/stats.csv?year=all"] {
        let r = anonymous.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(r.headers()["location"], "/staff/login");
    }
    app.teardown().await;
}

async fn the_minimum_cell_count_is_configurable(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.statistics.min_cell_count = 10).await;
    arrange(&app).await;
    app.add_user("aud", "Aud Auditor", &["auditor"]).await;
    let client = login(&app, "aud").await;
    let (_, page) = get(&client, app.url("/stats?lang=en")).await;
    let rows = table_rows(&page);
    let y = last_year();
    assert_row(&rows, &[&format!("March {y}"), "< 10"]);
    assert_row(&rows, &["Information-security deviation", "13"]);
    assert_row(
        &rows,
        &["Share acknowledged within the deadline (7 days)", "75%"],
    );
    assert!(page.contains("counts below 10 are not shown"));
    let (_, csv) = get(&client, app.url("/stats.csv")).await;
    assert!(
        csv.lines().any(|l| l == format!("month,,{y}-03,,true")),
        "{csv}"
    );
    assert!(csv.lines().any(|l| l == "total,,,16,false"), "{csv}");
    app.teardown().await;
}

async fn an_empty_year_shows_zeros_and_no_figures(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_user("aud", "Aud Auditor", &["auditor"]).await;
    let client = login(&app, "aud").await;
    let (status, page) = get(&client, app.url("/stats")).await;
    assert_eq!(status, StatusCode::OK);
    let rows = table_rows(&page);
    assert_row(&rows, &[&format!("januar {}", last_year()), "0"]);
    assert_row(&rows, &["Median tid til bekreftelse", "ingen saker"]);
    let (_, csv) = get(&client, app.url("/stats.csv")).await;
    assert!(csv.lines().any(|l| l == "total,,,0,false"));
    assert!(csv
        .lines()
        .any(|l| l == "acknowledgement,median_days,,,false"));
    app.teardown().await;
}

async fn the_store_reads_figures_of_a_period_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let y = last_year();
    add_case(&app, "avvik", "lav", day(y, Month::January, 1), Some(2)).await;
    add_case(&app, "varsling", "hoy", day(y, Month::December, 31), None).await;
    add_case(&app, "avvik", "lav", day(y + 1, Month::January, 1), None).await;
    let range = varsel::statistics::Period::Year(y).received_range();
    let figures = app.store.case_figures(range).await.unwrap();
    assert_eq!(figures.len(), 2);
    assert_eq!(figures[0].category, "avvik");
    assert_eq!(figures[0].received_at, unix(day(y, Month::January, 1)));
    assert_eq!(
        figures[0].acknowledged_at,
        Some(unix(day(y, Month::January, 1)) + 2 * DAY + 15 * 3_600)
    );
    assert_eq!(figures[1].severity, "hoy");
    assert_eq!(figures[1].acknowledged_at, None);
    assert_eq!(
        app.store.first_received_at().await.unwrap(),
        Some(unix(day(y, Month::January, 1)))
    );
    app.teardown().await;
}

for_each_backend!(
    auditor_sees_exact_big_counts_and_suppressed_small_ones,
    the_csv_has_the_same_figures,
    only_auditors_and_admins_see_statistics,
    the_minimum_cell_count_is_configurable,
    an_empty_year_shows_zeros_and_no_figures,
    the_store_reads_figures_of_a_period_only,
);
