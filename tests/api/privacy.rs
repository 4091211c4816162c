//! After a full two-way flow through the HTML forms — marker strings in the
//! report, in replies both ways and in an attachment and its name — none of
//! the markers, the case code or the reporter's user agent appears anywhere in
//! the database, the data directory or the server's log (run at debug level).
//!
//! And nothing places the reporter within the day (SPEC §3.5): no log line
//! of a reporter request has a time of day, stored files have a fixed time,
//! outbox rows keep days, and the reporter's audit entries join the chain
//! only after their day, never between two timed staff entries. The handler
//! the reporter excluded is readable nowhere in the case's rows, and the
//! data directory and its files are open to the service's user only.

use reqwest::StatusCode;
use uuid::Uuid;

use crate::app::{find_case_code, Backend, ReportForm, ServedBinary, TestApp};
use crate::for_each_backend;

const USER_AGENT: &str = "MarkerAgent/7.7 (ReporterLaptop)";
const MARKERS: &[&str] = &[
    "MARKER-REPORT-BODY-Q7",
    "MARKER-WHEN-Q7",
    "MARKER-PLACE-Q7",
    "MARKER-ATTACHMENT-CONTENT-Q7",
    "MARKER-FILENAME-Q7",
    "MARKER-STAFF-REPLY-Q7",
    "MARKER-REPORTER-REPLY-Q7",
];

async fn nothing_readable_is_stored_or_logged(backend: Backend) {
    // Notifications on, to an SMTP port nobody listens on; the scheduler's
    // first pass is at start, the next an hour later: the outbox keeps the
    // rows the flow queues.
    let server = ServedBinary::start_with_env(
        backend,
        &[
            ("VARSEL_NOTIFICATIONS__ENABLED", "true"),
            ("VARSEL_NOTIFICATIONS__SMTP_HOST", "127.0.0.1"),
            ("VARSEL_NOTIFICATIONS__SMTP_PORT", "9"),
            ("VARSEL_NOTIFICATIONS__FROM", "Varsel <varsel@example.org>"),
            (
                "VARSEL_NOTIFICATIONS__PUBLIC_URL",
                "https://varsel.example.org",
            ),
            ("VARSEL_NOTIFICATIONS__INTERVAL_SECONDS", "3600"),
        ],
    )
    .await;
    server.add_user("hanne", Some("Hanne Handler"), "handler");
    server.add_user("eirik", Some("Eirik Ekskludert"), "handler");
    let eirik: Uuid = server
        .db
        .text_rows("SELECT id FROM users WHERE username = 'eirik'")
        .await[0][0]
        .parse()
        .unwrap();
    // Every browser sends the marker user agent.
    let web = server.with_user_agent(USER_AGENT);

    // The reporter submits through the no-JavaScript form.
    let description = format!("Det skjedde: {}", MARKERS[0]);
    let file_name = format!("{}.txt", MARKERS[4]);
    let report = ReportForm {
        category: "avvik",
        severity: "hoy",
        when: MARKERS[1],
        place: MARKERS[2],
        files: vec![(&file_name, MARKERS[3].as_bytes().to_vec())],
        file_type: "text/plain",
        exclude: vec![eirik],
        ..ReportForm::new(&description)
    };
    let receipt = web.submit_report_form(&web.client(), &report).await;
    assert_eq!(receipt.status, StatusCode::OK);
    let code = find_case_code(&receipt.text).expect("the receipt shows the case code");

    // The handler reads and answers.
    let staff = web.staff_login("hanne").await;
    let inbox = web.page(&staff, "/staff/inbox").await;
    let at = inbox
        .find("/staff/cases/")
        .expect("a case link in the inbox");
    let case_path = inbox[at..at + "/staff/cases/".len() + 36].to_owned();
    let case_page = web.page(&staff, &case_path).await;
    assert!(
        case_page.contains(MARKERS[0]),
        "the handler reads the report"
    );
    assert!(
        case_page.contains(MARKERS[4]),
        "the handler sees the file name"
    );
    let case_id: uuid::Uuid = case_path
        .trim_start_matches("/staff/cases/")
        .parse()
        .unwrap();
    let r = web.reply(&staff, case_id, MARKERS[5], &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    // The reporter comes back with the code, reads the answer and replies.
    let back = web.reporter_login(&code).await;
    let case = web.page(&back, "/case").await;
    assert!(case.contains(MARKERS[5]), "the reporter reads the answer");
    let r = web
        .reporter_reply(&back, Some(&back.csrf), MARKERS[6], &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let case = web.page(&back, "/case").await;
    assert!(case.contains(MARKERS[6]));

    let log_before_stop = server.log();
    assert!(
        log_before_stop.contains("route=/staff/inbox"),
        "the log was captured: {log_before_stop}"
    );
    assert_no_reporter_time_in_log(&log_before_stop);

    let mut needles: Vec<String> = MARKERS.iter().map(|m| (*m).to_owned()).collect();
    needles.push(code.clone());
    needles.push(code.replace('-', ""));
    needles.push(USER_AGENT.to_owned());
    needles.push("MarkerAgent".to_owned());

    let mut hits = Vec::new();
    for n in &needles {
        if log_before_stop.contains(n.as_str()) {
            hits.push(format!("{n} in the log"));
        }
    }
    // Before the scan below, which reads every file (and sets its access time).
    assert_stored_files_are_private_and_timeless(&server);
    hits.extend(server.db.readable(&needles).await);
    // Reporter-originated times are kept at day granularity.
    let store = server.db.store().await;
    let case_row = store
        .case_by_id(case_id)
        .await
        .unwrap()
        .expect("case stored");
    assert_eq!(case_row.received_at % 86_400, 0);
    let messages = store.messages(case_id).await.unwrap();
    assert_eq!(messages.len(), 2);
    for m in messages
        .iter()
        .filter(|m| m.author == varsel::core::store::Author::Reporter)
    {
        assert_eq!(m.created_at % 86_400, 0, "reporter message time is a day");
    }
    for a in store.attachments(case_id).await.unwrap() {
        assert_eq!(a.created_at % 86_400, 0, "reporter upload time is a day");
    }
    assert_outbox_keeps_days(&server).await;
    assert_reporter_audit_joins_after_its_day(&server, case_id).await;
    // The excluded handler: in no row about the case (the users and groups
    // tables name him, and the log of his own account's creation).
    let excluded = [eirik.to_string(), "Eirik Ekskludert".to_owned()];
    let staff_tables = [
        "users",
        "user_groups",
        "staff_groups",
        "staff_group_leads",
        "sessions",
    ];
    let found = server
        .db
        .readable_in_tables(&excluded, |table| match table {
            t if staff_tables.contains(&t) => None,
            "audit_log" => Some("WHERE case_id IS NOT NULL".to_owned()),
            _ => Some(String::new()),
        })
        .await;
    assert!(
        found.is_empty(),
        "the excluded handler is readable: {found:?}"
    );
    let log = server.stop().await;
    assert!(hits.is_empty(), "readable traces found: {hits:#?}");
    assert!(!log.contains(USER_AGENT));
    assert_no_reporter_time_in_log(&log);
}

/// The log without terminal colour codes.
fn plain(log: &str) -> String {
    let mut out = String::with_capacity(log.len());
    let mut chars = log.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// No request line of a reporter route, and every line written while
/// serving one starts with the date alone.
fn assert_no_reporter_time_in_log(log: &str) {
    let log = plain(log);
    for route in [
        "route=/report",
        "route=/followup",
        "route=/case",
        "route=/api/v1/report",
        "route=/pow",
        "route=/ ",
    ] {
        assert!(!log.contains(route), "{route} is logged: {log}");
    }
    for line in log.lines().filter(|l| l.contains("reporter:")) {
        let day_only = line.len() > 11 && line.as_bytes()[4] == b'-' && line.as_bytes()[10] == b' ';
        assert!(day_only, "a reporter request's line has a time: {line}");
    }
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The data directory is 0700, every file in it 0600, and the attachment
/// files carry the fixed time, not their upload's.
fn assert_stored_files_are_private_and_timeless(server: &ServedBinary) {
    let data = server.db.data_dir.path();
    let attachments = data.join("attachments");
    let files: Vec<std::path::PathBuf> = std::fs::read_dir(&attachments)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    for file in &files {
        let meta = std::fs::metadata(file).unwrap();
        assert_eq!(meta.modified().unwrap(), std::time::UNIX_EPOCH, "{file:?}");
        assert_eq!(meta.accessed().unwrap(), std::time::UNIX_EPOCH, "{file:?}");
    }
    #[cfg(unix)]
    {
        for dir in [data.to_path_buf(), attachments] {
            assert_eq!(mode(&dir), 0o700, "{dir:?}");
        }
        for entry in walk(data) {
            assert_eq!(mode(&entry), 0o600, "{entry:?}");
        }
    }
}

/// Every file under `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// Every time of every outbox row is a day's start.
async fn assert_outbox_keeps_days(server: &ServedBinary) {
    let rows = server
        .db
        .raw_rows("SELECT created_at, next_attempt_at, sent_at, failed_at FROM notifications")
        .await;
    assert!(!rows.is_empty(), "the new-case mail was queued");
    for cell in rows.iter().flatten().filter(|c| !c.is_empty()) {
        let at: i64 = String::from_utf8_lossy(cell).parse().unwrap();
        assert_eq!(at % 86_400, 0, "an outbox time of day: {at}");
    }
}

/// The reporter's entries wait in the queue; once their day is over they
/// join the chain after every staff entry of that day, and it verifies.
async fn assert_reporter_audit_joins_after_its_day(server: &ServedBinary, case_id: Uuid) {
    let store = server.db.store().await;
    let chained = store.audit_entries().await.unwrap();
    assert!(
        chained.iter().all(|e| e.actor != "reporter"),
        "a reporter entry was chained among the day's timed entries"
    );
    let queued = store.queued_audit().await.unwrap();
    assert!(queued.len() >= 3, "submission, reads, reply: {queued:?}");
    let case = case_id.to_string();
    assert!(queued.iter().all(|(at, actor, _, c)| {
        at % 86_400 == 0 && actor == "reporter" && c.as_deref() == Some(case.as_str())
    }));
    let tomorrow = varsel::core::clock::system_now() + 86_400;
    let appended = varsel::core::audit_log::append_finished_days(&*store, tomorrow)
        .await
        .unwrap();
    assert_eq!(appended, queued.len());
    assert!(store.queued_audit().await.unwrap().is_empty());
    let entries = store.audit_entries().await.unwrap();
    varsel::core::audit::verify(&entries).expect("the chain verifies");
    let first_reporter = entries.iter().position(|e| e.actor == "reporter").unwrap();
    assert!(
        entries[first_reporter..]
            .iter()
            .all(|e| e.actor == "reporter"),
        "a staff entry follows a reporter entry"
    );
}

for_each_backend!(nothing_readable_is_stored_or_logged);

/// Exclusions an older version stored in plaintext are sealed at start-up:
/// the plaintext rows are gone, and the excluded handler still cannot open
/// the case.
async fn plaintext_exclusions_are_sealed_at_start(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let eirik = app
        .add_user("eirik", "Eirik Ekskludert", &["handler"])
        .await;
    let code = app
        .file_report(&ReportForm {
            exclude: vec![eirik],
            ..ReportForm::new("Gammel sak")
        })
        .await;
    assert!(!code.is_empty());
    let case_id = app.db.text_rows("SELECT id FROM cases").await[0][0].clone();
    // As an older version stored it.
    app.db
        .execute(&[
            "DELETE FROM case_sealed_exclusions".to_owned(),
            format!(
                "INSERT INTO case_exclusions (case_id, user_id) VALUES ('{case_id}', '{eirik}')"
            ),
        ])
        .await;
    let store = app.db.store().await;
    let sealed = varsel::core::exclusions::seal_plaintext(&*store)
        .await
        .unwrap();
    assert_eq!(sealed, 1);
    assert!(app
        .db
        .text_rows("SELECT case_id FROM case_exclusions")
        .await
        .is_empty());
    let found = app
        .db
        .readable_in_tables(&[eirik.to_string()], |t| {
            (t == "case_sealed_exclusions").then(String::new)
        })
        .await;
    assert!(found.is_empty(), "{found:?}");
    let sealed_rows = app
        .db
        .text_rows("SELECT case_id FROM case_sealed_exclusions")
        .await;
    assert_eq!(sealed_rows, [[case_id]]);
    // The submission's entry waits for its day, then joins the chain.
    let entries = app.audit_entries_after_the_day().await;
    assert!(entries.iter().any(|e| e.action == "case.created"));
}

for_each_backend!(plaintext_exclusions_are_sealed_at_start);
