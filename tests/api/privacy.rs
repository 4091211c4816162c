//! After a full two-way flow through the HTML forms — marker strings in the
//! report, in replies both ways and in an attachment and its name — none of
//! the markers, the case code or the reporter's user agent appears anywhere in
//! the database, the data directory or the server's log (run at debug level).

use reqwest::StatusCode;

use crate::app::{find_case_code, Backend, ReportForm, ServedBinary};
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
    let server = ServedBinary::start(backend).await;
    server.add_user("hanne", Some("Hanne Handler"), "handler");
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
        log_before_stop.contains("route=/report"),
        "the log was captured: {log_before_stop}"
    );

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
    let log = server.stop().await;
    assert!(hits.is_empty(), "readable traces found: {hits:#?}");
    assert!(!log.contains(USER_AGENT));
}

for_each_backend!(nothing_readable_is_stored_or_logged);
