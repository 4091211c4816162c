//! The statistics page and CSV through HTTP on both backends: who may see
//! them, exact counts for big cells, small cells and their complements
//! suppressed, the acknowledgement and feedback figures of known data sets
//! (feedback given through the status form at set clock times), no hidden
//! acknowledgement count that a reader of the page could work out, escalation
//! decisions by authority and decision, accessible charts, and no case
//! content.

use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::json;
use time::macros::datetime;
use time::{Date, Month, OffsetDateTime};
use uuid::Uuid;
use varsel::core::clock::ManualClock;

use crate::app::{Backend, Decision, PageSession, SeededCase, TestApp};
use crate::for_each_backend;

/// Words of the case text that must never appear in statistics.
const SECRET: &str = "Kantinesjefen-Brennevin-7731";

const DAY: i64 = 86_400;

/// The previous calendar year, where the known data set lies.
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
/// acknowledged `ack_after_days` later (in the afternoon); its text holds
/// [`SECRET`].
fn case<'a>(
    category: &'a str,
    severity: &'a str,
    received: Date,
    ack_after_days: Option<i64>,
) -> SeededCase<'a> {
    let case = SeededCase::new(category, severity)
        .received(received)
        .report(
            format!("{SECRET} tok med seg nøkkelkortet hjem."),
            "I fjor",
            "Kantina",
        );
    match ack_after_days {
        Some(days) => case.acknowledged_after_days(days),
        None => case,
    }
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
        ids.push(
            app.seed_case(case("avvik", "lav", day(y, Month::March, 4), Some(1)))
                .await
                .0,
        );
    }
    for _ in 0..2 {
        ids.push(
            app.seed_case(case(
                "varsling",
                "middels",
                day(y, Month::March, 20),
                Some(2),
            ))
            .await
            .0,
        );
    }
    for d in [3, 3, 5, 7, 8, 10, 14] {
        ids.push(
            app.seed_case(case("avvik", "hoy", day(y, Month::June, 2), Some(d)))
                .await
                .0,
        );
    }
    ids.push(
        app.seed_case(case("sikkerhet", "kritisk", day(y, Month::June, 30), None))
            .await
            .0,
    );
    ids.push(
        app.seed_case(case("avvik", "lav", day(y + 1, Month::January, 1), None))
            .await
            .0,
    );
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    app.report(&json!({
        "category": "sikkerhet",
        "severity": "hoy",
        "description": format!("{SECRET}: noen fotograferte serverrommet."),
        "place": "Serverrommet",
    }))
    .await;
    ids
}

/// The labels of the acknowledgement measures (bokmål, default deadlines).
const ACK_DUE: &str = "Saker der fristen for å bekrefte mottak er ute eller mottak er bekreftet";
const ACK_MET: &str = "Mottak bekreftet innen fristen";
const ACK_MISSED: &str = "Mottak bekreftet etter fristen, eller fristen er ute uten bekreftelse";
const ACK_SHARE: &str = "Andel bekreftet innen fristen (7 dager)";
const ACK_NOT_YET_DUE: &str =
    "Saker der fristen for å bekrefte mottak ennå ikke er ute (ikke med i andelen)";
const ACK_ACKNOWLEDGED: &str = "Saker med bekreftet mottak";
const ACK_MEDIAN: &str = "Median tid til bekreftelse";
const ACK_P90: &str = "90-persentil tid til bekreftelse (9 av 10 saker var bekreftet innen)";
/// A share or a time that is not shown.
const FIGURE_HIDDEN: &str = "skjult (bygger på antall som ikke vises)";

/// The labels of the feedback measures (bokmål, default deadlines).
const FEEDBACK_DUE: &str =
    "Saker der fristen for tilbakemelding er ute eller tilbakemelding er gitt";
const FEEDBACK_MET: &str = "Tilbakemelding gitt innen fristen";
const FEEDBACK_MISSED: &str =
    "Tilbakemelding gitt etter fristen, eller fristen er ute uten tilbakemelding";
const FEEDBACK_SHARE: &str =
    "Andel med tilbakemelding innen fristen (3 måneder, 6 når fristen er forlenget)";
const FEEDBACK_NOT_YET_DUE: &str = "Saker der fristen ennå ikke er ute (ikke med i andelen)";

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
    let client = app.staff_login("aud").await;
    let page = app
        .get(&client, &format!("/stats?year={}", last_year()))
        .await;
    assert_eq!(page.status, StatusCode::OK);
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

    // Acknowledgement: 16 due, 12 within 7 days, 4 missed (3 late: 8, 10
    // and 14 days; 1 never acknowledged). The 4 are small, so the 12 beside
    // them is hidden (16 − 12) and so is the share (75 % of 16 is 12); the
    // 15 acknowledged would give away the one never acknowledged (16 − 15),
    // so it is hidden too, and with it the times it is the base of.
    assert_row(&rows, &[ACK_DUE, "16"]);
    assert_row(&rows, &[ACK_MET, "skjult"]);
    assert_row(&rows, &[ACK_MISSED, "< 5"]);
    assert_row(&rows, &[ACK_SHARE, FIGURE_HIDDEN]);
    assert_row(&rows, &[ACK_NOT_YET_DUE, "0"]);
    assert_row(&rows, &[ACK_ACKNOWLEDGED, "skjult"]);
    assert_row(&rows, &[ACK_MEDIAN, FIGURE_HIDDEN]);
    assert_row(&rows, &[ACK_P90, FIGURE_HIDDEN]);
    assert_no_hidden_acknowledgement_count_follows(&rows, 5, [12, 3, 1, 0]);
    // Feedback: none given, every deadline long past.
    assert_row(&rows, &[FEEDBACK_DUE, "16"]);
    assert_row(&rows, &[FEEDBACK_MET, "0"]);
    assert_row(&rows, &[FEEDBACK_MISSED, "16"]);
    assert_row(&rows, &[FEEDBACK_SHARE, "0 %"]);
    assert_row(&rows, &[FEEDBACK_NOT_YET_DUE, "0"]);
    // No escalation decisions: a table of zeros.
    assert_row(&rows, &["Politiet", "0", "0", "0", "0"]);
    assert_row(&rows, &["Sum", "0", "0", "0", "0"]);

    // Accessible charts, no script, no content, no ids.
    assert_eq!(page.matches("role=\"img\"").count(), 4);
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
    let client = app.staff_login("ada").await;
    let r = client
        .get(app.url(&format!("/stats.csv?year={}", last_year())))
        .send()
        .await
        .unwrap();
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
    expect("acknowledgement,met_cases,,,true".to_owned());
    expect("acknowledgement,missed_cases,,,true".to_owned());
    expect("acknowledgement,not_yet_due_cases,,0,false".to_owned());
    expect("acknowledgement,met_percent,,,true".to_owned());
    expect("acknowledgement,acknowledged_cases,,,true".to_owned());
    expect("acknowledgement,median_days,,,true".to_owned());
    expect("acknowledgement,p90_days,,,true".to_owned());
    expect("feedback,due_cases,,16,false".to_owned());
    expect("feedback,met_cases,,0,false".to_owned());
    expect("feedback,missed_cases,,16,false".to_owned());
    expect("feedback,not_yet_due_cases,,0,false".to_owned());
    expect("feedback,met_percent,,0,false".to_owned());
    expect("escalation,politi,escalate,0,false".to_owned());
    expect("escalation,,,0,false".to_owned());
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
    let all = app.get(&client, "/stats.csv?year=all").await;
    assert_eq!(all.status, StatusCode::OK);
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
        let client = app.staff_login(user).await;
        for path in [
            "/stats",
            "/stats.csv",
            "/stats?year=all",
            "/stats.csv?year=2024",
        ] {
            let r = app.get(&client, path).await;
            assert_eq!(r.status, StatusCode::OK, "{user} {path}");
        }
        let r = app.get(&client, "/stats?year=next").await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
    }
    for user in ["hanne", "kari"] {
        let client = app.staff_login(user).await;
        for path in ["/stats", "/stats.csv"] {
            let body = app.get(&client, path).await;
            assert_eq!(body.status, StatusCode::FORBIDDEN, "{user} {path}");
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
    let client = app.staff_login("aud").await;
    let page = app
        .get(&client, &format!("/stats?lang=en&year={}", last_year()))
        .await;
    let rows = table_rows(&page);
    let y = last_year();
    assert_row(&rows, &[&format!("March {y}"), "< 10"]);
    assert_row(&rows, &["Information-security deviation", "13"]);
    // 12 met, 4 missed: the 4 and so the 12 and the share are hidden.
    assert_row(
        &rows,
        &[
            "Share acknowledged within the deadline (7 days)",
            "hidden (rests on counts not shown)",
        ],
    );
    assert_row(&rows, &["Acknowledged within the deadline", "hidden"]);
    assert!(page.contains("counts below 10 are not shown"));
    let csv = app.get(&client, &format!("/stats.csv?year={y}")).await;
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
    let client = app.staff_login("aud").await;
    let page = app.get(&client, "/stats").await;
    assert_eq!(page.status, StatusCode::OK);
    let rows = table_rows(&page);
    // Without a year the page opens on the current one.
    let this_year = OffsetDateTime::now_utc().year();
    assert_row(&rows, &[&format!("januar {this_year}"), "0"]);
    assert_row(&rows, &["Median tid til bekreftelse", "ingen saker"]);
    let csv = app.get(&client, "/stats.csv").await;
    assert!(csv.lines().any(|l| l == "total,,,0,false"));
    assert!(csv
        .lines()
        .any(|l| l == "acknowledgement,median_days,,,false"));
    app.teardown().await;
}

async fn the_store_reads_figures_of_a_period_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let y = last_year();
    app.seed_case(case("avvik", "lav", day(y, Month::January, 1), Some(2)))
        .await;
    app.seed_case(case("varsling", "hoy", day(y, Month::December, 31), None))
        .await;
    app.seed_case(case("avvik", "lav", day(y + 1, Month::January, 1), None))
        .await;
    let range = varsel::core::statistics::Period::Year(y).received_range();
    let figures = app.store.case_figures(range).await.unwrap();
    assert_eq!(figures.len(), 2);
    assert_eq!(figures[0].category.key(), "avvik");
    assert_eq!(figures[0].received_at, unix(day(y, Month::January, 1)));
    assert_eq!(
        figures[0].acknowledged_at,
        Some(unix(day(y, Month::January, 1)) + 2 * DAY + 15 * 3_600)
    );
    assert_eq!(figures[1].severity.key(), "hoy");
    assert_eq!(figures[1].acknowledged_at, None);
    assert_eq!(
        app.store.first_received_at().await.unwrap(),
        Some(unix(day(y, Month::January, 1)))
    );
    app.teardown().await;
}

/// The value of the measure labelled `label` on the page.
fn measure<'a>(rows: &'a [Vec<String>], label: &str) -> &'a str {
    rows.iter()
        .find(|r| r.len() == 2 && r[0] == label)
        .map(|r| r[1].as_str())
        .unwrap_or_else(|| panic!("no measure {label:?} in {rows:#?}"))
}

/// What a reader of the page knows of a count: the number; "< min": 1 to
/// min − 1; "skjult": at least 1 (a hidden count is never 0).
fn reading(cell: &str, min: i64) -> (i64, Option<i64>) {
    if let Ok(n) = cell.parse::<i64>() {
        (n, Some(n))
    } else if cell == format!("< {min}") {
        (1, Some(min - 1))
    } else {
        assert_eq!(cell, "skjult", "a count as the page shows it");
        (1, None)
    }
}

/// From the page alone, checks that no small acknowledgement count of the
/// set `truth` = `[met, late, overdue, not yet due]` can be worked out:
/// every set a reader could not rule out (using the counts, the share, the
/// total of cases, and the rule that a time is shown only with the counts
/// it rests on) is listed, and each small count (published, or one that
/// published ones give by subtraction: late, overdue, not acknowledged)
/// must take more than one value among them.
#[track_caller]
fn assert_no_hidden_acknowledgement_count_follows(rows: &[Vec<String>], min: i64, truth: [i64; 4]) {
    let count = |label: &str| reading(measure(rows, label), min);
    let within = |(lo, hi): (i64, Option<i64>), v: i64| v >= lo && hi.is_none_or(|h| v <= h);
    let (met, missed, due) = (count(ACK_MET), count(ACK_MISSED), count(ACK_DUE));
    let (not_yet_due, acknowledged) = (count(ACK_NOT_YET_DUE), count(ACK_ACKNOWLEDGED));
    let total_row = rows
        .iter()
        .find(|r| r.first().is_some_and(|c| c == "Sum"))
        .unwrap();
    let total = reading(total_row.last().unwrap(), min);
    let share = measure(rows, ACK_SHARE);
    // A time is shown only when the counts it could give away are.
    for label in [ACK_MEDIAN, ACK_P90] {
        if ![FIGURE_HIDDEN, "ingen saker"].contains(&measure(rows, label)) {
            assert!(met.1 == Some(met.0) && acknowledged.1 == Some(acknowledged.0));
        }
    }
    let cap = 80;
    let mut candidates = Vec::new();
    for m in (0..=cap).filter(|&m| within(met, m)) {
        for l in (0..=cap).filter(|&l| within(acknowledged, m + l)) {
            for o in (0..=cap).filter(|&o| within(missed, l + o) && within(due, m + l + o)) {
                let d = m + l + o;
                if share != FIGURE_HIDDEN && share != "ingen saker" {
                    let percent = (m as f64 * 1000.0 / d as f64).round() / 10.0;
                    let written = format!("{percent} %").replace('.', ",");
                    if written != share {
                        continue;
                    }
                }
                for p in (0..=cap).filter(|&p| within(not_yet_due, p) && within(total, d + p)) {
                    candidates.push([m, l, o, p]);
                }
            }
        }
    }
    assert!(candidates.contains(&truth), "{truth:?} ruled out");
    let counts = |[m, l, o, p]: [i64; 4]| {
        [
            ("met", m),
            ("missed", l + o),
            ("due", m + l + o),
            ("not yet due", p),
            ("acknowledged", m + l),
            ("all cases", m + l + o + p),
            ("late", l),
            ("overdue", o),
            ("not acknowledged", o + p),
        ]
    };
    for (i, (name, value)) in counts(truth).into_iter().enumerate() {
        if (1..min).contains(&value) {
            assert!(
                candidates.iter().any(|&c| counts(c)[i].1 != value),
                "{name} = {value} follows from the page"
            );
        }
    }
}

/// 1 case acknowledged in time and 1 never acknowledged (received 11
/// March, day 7 was 18 March), and 5 received 19 March, not acknowledged
/// yet: 7 cases on 20 March. With the 7 shown and the 5 hidden (at least
/// 5), a reader would know that due is at most 2, so that met and missed,
/// each at least 1, are 1 each. No single row or total shows it; the total
/// goes, and with it March in the tables and in the chart.
async fn acknowledgement_counts_cannot_be_worked_out(backend: Backend) {
    let clock = ManualClock::new(datetime!(2025-03-20 12:00 UTC));
    let app = TestApp::spawn_with_clock(backend, Arc::new(clock.clone()), |_| {}).await;
    let early = day(2025, Month::March, 11);
    app.seed_case(case("avvik", "lav", early, Some(1))).await;
    app.seed_case(case("avvik", "lav", early, None)).await;
    for _ in 0..5 {
        app.seed_case(case("avvik", "lav", day(2025, Month::March, 19), None))
            .await;
    }
    app.add_user("aud", "Aud Auditor", &["auditor"]).await;
    let client = app.staff_login("aud").await;
    let page = app.get(&client, "/stats?year=2025").await;
    assert_eq!(page.status, StatusCode::OK);
    let rows = table_rows(&page);
    assert_row(&rows, &[ACK_DUE, "< 5"]);
    assert_row(&rows, &[ACK_MET, "< 5"]);
    assert_row(&rows, &[ACK_MISSED, "< 5"]);
    assert_row(&rows, &[ACK_SHARE, FIGURE_HIDDEN]);
    assert_row(&rows, &[ACK_NOT_YET_DUE, "skjult"]);
    assert_row(&rows, &[ACK_ACKNOWLEDGED, "< 5"]);
    assert_row(&rows, &[ACK_MEDIAN, FIGURE_HIDDEN]);
    assert_row(&rows, &[ACK_P90, FIGURE_HIDDEN]);
    assert_row(&rows, &["mars 2025", "skjult"]);
    assert_row(&rows, &["Sum", "0", "skjult", "0", "skjult"]);
    assert_row(&rows, &[FEEDBACK_NOT_YET_DUE, "skjult"]);
    assert_no_hidden_acknowledgement_count_follows(&rows, 5, [1, 0, 1, 5]);
    // The chart of cases per month: March is written as hidden and has no
    // bar; no 7 anywhere in it.
    let months_svg = page
        .split("<svg")
        .find(|svg| svg.contains("chart-months-title"))
        .and_then(|svg| svg.split("</svg>").next())
        .unwrap();
    assert!(months_svg.contains(">skjult</text>"), "{months_svg}");
    assert!(!months_svg.contains("<rect"), "{months_svg}");
    assert!(!months_svg.contains(">7<"), "{months_svg}");
    let csv = app.get(&client, "/stats.csv?year=2025").await;
    for expected in [
        "total,,,,true",
        "month,,2025-03,,true",
        "acknowledgement,due_cases,,,true",
        "acknowledgement,met_cases,,,true",
        "acknowledgement,missed_cases,,,true",
        "acknowledgement,not_yet_due_cases,,,true",
        "acknowledgement,met_percent,,,true",
        "acknowledgement,acknowledged_cases,,,true",
        "acknowledgement,median_days,,,true",
        "acknowledgement,p90_days,,,true",
        "feedback,not_yet_due_cases,,,true",
    ] {
        assert!(
            csv.lines().any(|l| l == expected),
            "no {expected:?} in\n{csv}"
        );
    }
    assert!(!csv.lines().any(|l| l.ends_with(",7,false")), "{csv}");

    // A week later the 5 are overdue too; still nothing to work out.
    clock.set(datetime!(2025-03-27 12:00 UTC));
    let page = app.get(&client, "/stats?year=2025").await;
    let rows = table_rows(&page);
    assert_row(&rows, &[ACK_NOT_YET_DUE, "0"]);
    assert_no_hidden_acknowledgement_count_follows(&rows, 5, [1, 0, 6, 0]);
    app.teardown().await;
}

/// `n` avvik/lav cases held by `holders`, received on `received` and
/// acknowledged the next day at 15:00.
async fn batch(app: &TestApp, holders: &[Uuid], n: usize, received: Date) -> Vec<Uuid> {
    let mut ids = Vec::new();
    for _ in 0..n {
        let held = case("avvik", "lav", received, Some(1)).held_by(holders);
        ids.push(app.seed_case(held).await.0);
    }
    ids
}

/// Marks `cases` as given feedback through the staff status form, with the
/// application's clock at `at`.
async fn give_feedback(
    app: &TestApp,
    clock: &ManualClock,
    handler: &PageSession,
    cases: &[Uuid],
    at: OffsetDateTime,
) {
    clock.set(at);
    for &case in cases {
        let r = app.set_status(handler, case, "feedback_given").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "feedback on {case}");
        let stored = app.stored_case(case).await;
        assert_eq!(stored.status.key(), "feedback_given");
    }
}

/// Rationale and reference of every decision: never in statistics.
const RATIONALE: &str = "RationaleStatsMarker: anmeldt etter samtale";
const REFERENCE: &str = "REF-STATS-4471";

/// Records `n` decisions about `authority` through the contact point's form,
/// spread over `cases`, decided at `decided_at`.
async fn record_decisions(
    app: &TestApp,
    contact: &PageSession,
    cases: &[Uuid],
    (authority, decision, n): (&str, &str, usize),
    decided_at: &str,
) {
    let decision = Decision {
        authority,
        decision,
        legal_basis: "other",
        rationale: RATIONALE,
        aware_at: "2024-01-01",
        decided_at,
        notified_at: Some(""),
        authority_reference: Some(REFERENCE),
    };
    for i in 0..n {
        let r = app.decide(contact, cases[i % cases.len()], &decision).await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "{} {}",
            decision.authority,
            decision.decision
        );
    }
}

/// The feedback data set, all cases received in 2024, acknowledged the
/// next day at 15:00, so feedback is due three months later at 15:00:
///
/// | received | cases | feedback given (clock) | at 1 Feb 2025 |
/// | --- | --- | --- | --- |
/// | 4 March | 5 | 20 May 10:00 | met |
/// | 4 March | 1 | 5 June 15:00, the due instant | met |
/// | 4 March | 5 | 6 June 10:00 | missed (late) |
/// | 4 March | 2 | never | missed (overdue) |
/// | 2 December | 5 | never (due 3 March 2025) | not yet due |
///
/// The handler and the contact point hold every case.
async fn feedback_and_escalation_figures_follow_the_clock(backend: Backend) {
    let clock = ManualClock::new(datetime!(2024-03-04 09:00 UTC));
    let app = TestApp::spawn_with_clock(backend, Arc::new(clock.clone()), |_| {}).await;
    let hanne = app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let kari = app.add_user("kari", "Kari Kontakt", &["contact"]).await;
    app.add_user("aud", "Aud Auditor", &["auditor"]).await;
    let holders = [hanne, kari];
    let march = day(2024, Month::March, 4);
    let early = batch(&app, &holders, 5, march).await;
    let on_the_dot = batch(&app, &holders, 1, march).await;
    let late = batch(&app, &holders, 5, march).await;
    let never = batch(&app, &holders, 2, march).await;
    batch(&app, &holders, 5, day(2024, Month::December, 2)).await;

    let handler = app.staff_login("hanne").await;
    give_feedback(
        &app,
        &clock,
        &handler,
        &early,
        datetime!(2024-05-20 10:00 UTC),
    )
    .await;
    give_feedback(
        &app,
        &clock,
        &handler,
        &on_the_dot,
        datetime!(2024-06-05 15:00 UTC),
    )
    .await;
    give_feedback(
        &app,
        &clock,
        &handler,
        &late,
        datetime!(2024-06-06 10:00 UTC),
    )
    .await;
    let stored = app.stored_case(on_the_dot[0]).await;
    assert_eq!(stored.status.key(), "feedback_given");

    // Escalation decisions in 2024: police 6 escalated and 5 not; NSM 5
    // escalated; Datatilsynet 7 not escalated and 2 deferred (small). One
    // more police decision in 2025 is outside the period. They are recorded
    // once made: a decision may not be dated in the future.
    clock.set(datetime!(2025-01-02 09:00 UTC));
    let contact = app.staff_login("kari").await;
    let all: Vec<Uuid> = [&early, &late, &never]
        .into_iter()
        .flatten()
        .copied()
        .collect();
    record_decisions(
        &app,
        &contact,
        &all,
        ("politi", "escalate", 6),
        "2024-04-01T10:00",
    )
    .await;
    record_decisions(
        &app,
        &contact,
        &all,
        ("politi", "do_not_escalate", 5),
        "2024-05-02T11:30",
    )
    .await;
    record_decisions(
        &app,
        &contact,
        &all,
        ("nsm", "escalate", 5),
        "2024-12-31T23:59",
    )
    .await;
    record_decisions(
        &app,
        &contact,
        &all,
        ("datatilsynet", "do_not_escalate", 7),
        "2024-01-01",
    )
    .await;
    record_decisions(
        &app,
        &contact,
        &all,
        ("datatilsynet", "defer", 2),
        "2024-08-15T08:00",
    )
    .await;
    record_decisions(
        &app,
        &contact,
        &all,
        ("politi", "escalate", 1),
        "2025-01-01",
    )
    .await;

    // A handler sees no statistics.
    for path in ["/stats?year=2024", "/stats.csv?year=2024"] {
        let body = app.get(&handler, path).await;
        assert_eq!(body.status, StatusCode::FORBIDDEN, "{path}");
        assert!(!body.contains("section,key") && !body.contains("Tilbakemelding gitt"));
    }

    clock.set(datetime!(2025-02-01 12:00 UTC));
    let auditor = app.staff_login("aud").await;
    // The page opens on the current year by the clock.
    let current = app.get(&auditor, "/stats").await;
    assert_eq!(current.status, StatusCode::OK);
    assert!(current.contains(r#"<option value="2025" selected>"#));
    let page = app.get(&auditor, "/stats?year=2024").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.contains(r#"<option value="2024" selected>"#));
    let rows = table_rows(&page);
    // 13 due: 6 met (one at the due instant), 7 missed; 5 not yet due.
    assert_row(&rows, &[FEEDBACK_DUE, "13"]);
    assert_row(&rows, &[FEEDBACK_MET, "6"]);
    assert_row(&rows, &[FEEDBACK_MISSED, "7"]);
    assert_row(&rows, &[FEEDBACK_SHARE, "46,2 %"]);
    assert_row(&rows, &[FEEDBACK_NOT_YET_DUE, "5"]);
    assert_row(&rows, &["desember 2024", "0", "5", "0", "5"]);
    // Every case was acknowledged the day after receipt: all shown.
    assert_row(&rows, &[ACK_DUE, "18"]);
    assert_row(&rows, &[ACK_MET, "18"]);
    assert_row(&rows, &[ACK_MISSED, "0"]);
    assert_row(&rows, &[ACK_SHARE, "100 %"]);
    assert_row(&rows, &[ACK_NOT_YET_DUE, "0"]);
    assert_row(&rows, &[ACK_ACKNOWLEDGED, "18"]);
    assert_row(&rows, &[ACK_MEDIAN, "1 dag"]);
    assert_row(&rows, &[ACK_P90, "1 dag"]);
    assert_no_hidden_acknowledgement_count_follows(&rows, 5, [18, 0, 0, 0]);

    // Escalations: the 2 deferred are small. Their row (9 - 7) and the
    // decision totals (25 - 11 - 12) would give them away, so the 7 and the
    // escalate total are hidden; that in turn hides the police's 5 (else
    // 12 - 5 = 7) and 6 (else 11 - 5 = 6).
    assert_row(
        &rows,
        &["Myndighet", "Eskaler", "Ikke eskaler", "Utsett", "Sum"],
    );
    assert_row(&rows, &["Politiet", "skjult", "skjult", "0", "11"]);
    assert_row(&rows, &["PST", "0", "0", "0", "0"]);
    assert_row(&rows, &["NSM", "5", "0", "0", "5"]);
    assert_row(&rows, &["Datatilsynet", "0", "skjult", "< 5", "9"]);
    assert_row(&rows, &["Sum", "skjult", "12", "< 5", "25"]);
    assert!(page.contains("<title id=\"chart-escalations-title\">"));
    assert!(page.contains("aria-labelledby=\"chart-escalations-title chart-escalations-desc\""));
    for secret in [SECRET, RATIONALE, REFERENCE] {
        assert!(!page.contains(secret), "{secret} on the page");
    }
    for id in early.iter().chain(&late).chain(&never) {
        assert!(!page.contains(&id.to_string()));
    }

    let csv = app.get(&auditor, "/stats.csv?year=2024").await;
    assert_eq!(csv.status, StatusCode::OK);
    let lines: Vec<&str> = csv.lines().collect();
    for expected in [
        "period,year,,2024,false",
        "total,,,18,false",
        "feedback,due_cases,,13,false",
        "feedback,met_cases,,6,false",
        "feedback,missed_cases,,7,false",
        "feedback,not_yet_due_cases,,5,false",
        "feedback,met_percent,,46.2,false",
        "escalation,politi,escalate,,true",
        "escalation,politi,do_not_escalate,,true",
        "escalation,politi,defer,0,false",
        "escalation,politi,,11,false",
        "escalation,pst,,0,false",
        "escalation,nsm,escalate,5,false",
        "escalation,nsm,,5,false",
        "escalation,datatilsynet,do_not_escalate,,true",
        "escalation,datatilsynet,defer,,true",
        "escalation,datatilsynet,,9,false",
        "escalation,,escalate,,true",
        "escalation,,do_not_escalate,12,false",
        "escalation,,defer,,true",
        "escalation,,,25,false",
    ] {
        assert!(lines.contains(&expected), "no line {expected:?} in\n{csv}");
    }
    for secret in [SECRET, RATIONALE, REFERENCE] {
        assert!(!csv.contains(secret), "{secret} in the CSV");
    }
    assert_no_hidden_escalation_count_follows(&lines);

    // A month later the December deadlines have passed unmet: 6 of 18.
    clock.set(datetime!(2025-03-03 15:00 UTC));
    let csv = app.get(&auditor, "/stats.csv?year=2024").await;
    for expected in [
        "feedback,due_cases,,18,false",
        "feedback,missed_cases,,12,false",
        "feedback,not_yet_due_cases,,0,false",
        "feedback,met_percent,,33.3,false",
    ] {
        assert!(
            csv.lines().any(|l| l == expected),
            "no {expected:?} in\n{csv}"
        );
    }
    // All years: the 2025 decision joins the police's escalations.
    let csv = app.get(&auditor, "/stats.csv?year=all").await;
    assert!(csv.lines().any(|l| l == "escalation,,,26,false"), "{csv}");
    app.teardown().await;
}

/// From the escalation lines of a CSV, checks what a reader could do with
/// them: in no row, column or set of totals is a hidden non-zero count
/// alone, nor pinned by the rule (a hidden small count is 1–4, another
/// hidden count at least 5) to one value.
#[track_caller]
fn assert_no_hidden_escalation_count_follows(lines: &[&str]) {
    // (authority, decision) -> shown count (None: hidden) and whether small.
    let mut cells: Vec<(String, String, Option<i64>, bool)> = Vec::new();
    for line in lines.iter().filter(|l| l.starts_with("escalation,")) {
        let f: Vec<&str> = line.split(',').collect();
        let shown = f[3].parse::<i64>().ok();
        cells.push((f[1].to_owned(), f[2].to_owned(), shown, f[4] == "true"));
    }
    let count_of = |a: &str, d: &str| {
        cells
            .iter()
            .find(|c| c.0 == a && c.1 == d)
            .map(|c| c.2)
            .unwrap()
    };
    let authorities: Vec<String> = cells
        .iter()
        .filter(|c| !c.0.is_empty() && c.1.is_empty())
        .map(|c| c.0.clone())
        .collect();
    let decisions: Vec<String> = cells
        .iter()
        .filter(|c| c.0.is_empty() && !c.1.is_empty())
        .map(|c| c.1.clone())
        .collect();
    let mut lines_to_check: Vec<(Vec<Option<i64>>, Option<i64>)> = Vec::new();
    for a in &authorities {
        let members = decisions.iter().map(|d| count_of(a, d)).collect();
        lines_to_check.push((members, count_of(a, "")));
    }
    for d in &decisions {
        let members = authorities.iter().map(|a| count_of(a, d)).collect();
        lines_to_check.push((members, count_of("", d)));
    }
    lines_to_check.push((
        authorities.iter().map(|a| count_of(a, "")).collect(),
        count_of("", ""),
    ));
    lines_to_check.push((
        decisions.iter().map(|d| count_of("", d)).collect(),
        count_of("", ""),
    ));
    for (members, total) in lines_to_check {
        let hidden = members.iter().filter(|m| m.is_none()).count() + usize::from(total.is_none());
        assert_ne!(hidden, 1, "a lone hidden count in {members:?} = {total:?}");
        if let (Some(total), true) = (total, hidden >= 2) {
            // With the total shown, the hidden members share what is left;
            // that must not be their least possible sum (each at least 1).
            let left = total - members.iter().flatten().sum::<i64>();
            assert!(left > hidden as i64, "pinned: {members:?} = {total}");
        }
    }
}

for_each_backend!(
    acknowledgement_counts_cannot_be_worked_out,
    feedback_and_escalation_figures_follow_the_clock,
    auditor_sees_exact_big_counts_and_suppressed_small_ones,
    the_csv_has_the_same_figures,
    only_auditors_and_admins_see_statistics,
    the_minimum_cell_count_is_configurable,
    an_empty_year_shows_zeros_and_no_figures,
    the_store_reads_figures_of_a_period_only,
);
