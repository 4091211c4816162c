//! After a full two-way flow through the HTML forms — marker strings in the
//! report, in replies both ways and in an attachment and its name — none of
//! the markers, the case code or the reporter's user agent appears anywhere in
//! the database, the data directory or the server's log (run at debug level).

use std::path::Path;

use crate::app::{csrf_of, Backend, ServedBinary, PASSWORD};
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

/// Finds a case code (six groups of four Crockford symbols) in a page.
pub fn find_case_code(html: &str) -> Option<String> {
    const ALPHABET: &str = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let bytes = html.as_bytes();
    (0..bytes.len().saturating_sub(28)).find_map(|i| {
        let candidate = &html.get(i..i + 29)?;
        let ok = candidate.char_indices().all(|(j, c)| {
            if j % 5 == 4 {
                c == '-'
            } else {
                ALPHABET.contains(c)
            }
        });
        let bounded = i + 29 == bytes.len() || !bytes[i + 29].is_ascii_alphanumeric();
        let starts = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        (ok && bounded && starts).then(|| candidate.to_string())
    })
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .user_agent(USER_AGENT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The first `/staff/cases/<uuid>` link on a page.
fn first_case_link(html: &str) -> String {
    let at = html
        .find("/staff/cases/")
        .expect("a case link in the inbox");
    html[at..at + "/staff/cases/".len() + 36].to_owned()
}

pub(crate) fn scan_dir(dir: &Path, needles: &[String], hits: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).expect("read data dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            scan_dir(&path, needles, hits);
            continue;
        }
        let bytes = std::fs::read(&path).expect("read file");
        for n in needles {
            if bytes.windows(n.len()).any(|w| w == n.as_bytes()) {
                hits.push(format!("{n} in {}", path.display()));
            }
        }
    }
}

pub(crate) async fn scan_postgres(url: &str, needles: &[String], hits: &mut Vec<String>) {
    use sqlx::{Column, Connection, Row};
    let mut conn = sqlx::PgConnection::connect(url)
        .await
        .expect("connect to test database");
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .fetch_all(&mut conn)
    .await
    .expect("list tables");
    assert!(tables.iter().any(|t| t == "cases"), "schema present");
    for table in tables {
        // Table names come from the catalog, not from input.
        let rows = sqlx::query(&format!("SELECT * FROM \"{table}\""))
            .fetch_all(&mut conn)
            .await
            .expect("read table");
        for row in rows {
            for (i, column) in row.columns().iter().enumerate() {
                let bytes: Vec<u8> = if let Ok(Some(b)) = row.try_get::<Option<Vec<u8>>, _>(i) {
                    b
                } else if let Ok(Some(s)) = row.try_get::<Option<String>, _>(i) {
                    s.into_bytes()
                } else {
                    continue;
                };
                for n in needles {
                    if bytes.windows(n.len()).any(|w| w == n.as_bytes()) {
                        hits.push(format!("{n} in {table}.{}", column.name()));
                    }
                }
            }
        }
    }
    let _ = conn.close().await;
}

async fn nothing_readable_is_stored_or_logged(backend: Backend) {
    let server = ServedBinary::start(backend).await;
    let pw = server.db.data_dir.path().join("pw.txt");
    std::fs::write(&pw, format!("{PASSWORD}\n")).unwrap();
    let out = server.command(&[
        "user",
        "add",
        "--username",
        "hanne",
        "--display-name",
        "Hanne Handler",
        "--role",
        "handler",
        "--password-file",
        pw.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_file(&pw).unwrap();
    let base = server.address.clone();

    // The reporter submits through the no-JavaScript form.
    let reporter = client();
    let form_page = reporter
        .get(format!("{base}/report"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf_of(&form_page))
        .text("category", "avvik")
        .text("severity", "hoy")
        .text("description", format!("Det skjedde: {}", MARKERS[0]))
        .text("when", MARKERS[1])
        .text("place", MARKERS[2])
        .part(
            "attachment",
            reqwest::multipart::Part::bytes(MARKERS[3].as_bytes().to_vec())
                .file_name(format!("{}.txt", MARKERS[4]))
                .mime_str("text/plain")
                .unwrap(),
        );
    let receipt = reporter
        .post(format!("{base}/report"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(receipt.status(), 200);
    let receipt = receipt.text().await.unwrap();
    let code = find_case_code(&receipt).expect("the receipt shows the case code");

    // The handler reads and answers.
    let staff = client();
    let login_page = staff
        .get(format!("{base}/staff/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let login = staff
        .post(format!("{base}/staff/login"))
        .form(&[
            ("csrf", csrf_of(&login_page).as_str()),
            ("username", "hanne"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 303);
    let inbox = staff
        .get(format!("{base}/staff/inbox"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let case_path = first_case_link(&inbox);
    let case_page = staff
        .get(format!("{base}{case_path}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        case_page.contains(MARKERS[0]),
        "the handler reads the report"
    );
    assert!(
        case_page.contains(MARKERS[4]),
        "the handler sees the file name"
    );
    let reply = reqwest::multipart::Form::new()
        .text("csrf", csrf_of(&case_page))
        .text("message", MARKERS[5]);
    let r = staff
        .post(format!("{base}{case_path}/reply"))
        .multipart(reply)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);

    // The reporter comes back with the code, reads the answer and replies.
    let back = client();
    let followup = back
        .get(format!("{base}/followup"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = back
        .post(format!("{base}/followup"))
        .form(&[
            ("csrf", csrf_of(&followup).as_str()),
            ("code", code.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let case = back
        .get(format!("{base}/case"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(case.contains(MARKERS[5]), "the reporter reads the answer");
    let reply = reqwest::multipart::Form::new()
        .text("csrf", csrf_of(&case))
        .text("message", MARKERS[6]);
    let r = back
        .post(format!("{base}/case/reply"))
        .multipart(reply)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let case = back
        .get(format!("{base}/case"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(case.contains(MARKERS[6]));

    let url = server.db.url.clone();
    let data_dir = server.db.data_dir.path().to_path_buf();
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
    scan_dir(&data_dir, &needles, &mut hits);
    if backend == Backend::Postgres {
        scan_postgres(&url, &needles, &mut hits).await;
    }
    // Reporter-originated times are kept at day granularity.
    let store = varsel::core::store::connect(&url).await.expect("store");
    let case_id: uuid::Uuid = case_path
        .trim_start_matches("/staff/cases/")
        .parse()
        .unwrap();
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

#[test]
fn case_codes_are_found_in_text() {
    let html = "<p class=\"code\">7K3M-Q9DX-ABCD-EFGH-JKMN-PQRS</p>";
    assert_eq!(
        find_case_code(html).as_deref(),
        Some("7K3M-Q9DX-ABCD-EFGH-JKMN-PQRS")
    );
    assert_eq!(find_case_code("no code here"), None);
}
