//! The reporter's pages, driven like a browser without JavaScript would: GET
//! a form, echo its CSRF token first, post, follow the answer.

use reqwest::multipart::{Form, Part};
use reqwest::{Client, StatusCode};
use uuid::Uuid;

use crate::app::{csrf_of, Backend, TestApp};
use crate::for_each_backend;

/// A report as the form would send it.
struct Report<'a> {
    category: &'a str,
    severity: &'a str,
    description: &'a [u8],
    when: &'a str,
    exclude: Vec<Uuid>,
    files: Vec<(&'a str, Vec<u8>)>,
}

impl<'a> Report<'a> {
    fn new(description: &'a str) -> Self {
        Report {
            category: "varsling",
            severity: "middels",
            description: description.as_bytes(),
            when: "i mars",
            exclude: Vec::new(),
            files: Vec::new(),
        }
    }

    /// The multipart body, `csrf` first (if given) in the order a browser uses.
    fn form(&self, csrf: Option<&str>) -> Form {
        let mut form = Form::new();
        if let Some(csrf) = csrf {
            form = form.text("csrf", csrf.to_owned());
        }
        form = form
            .text("category", self.category.to_owned())
            .text("severity", self.severity.to_owned())
            .part("description", Part::bytes(self.description.to_vec()))
            .text("when", self.when.to_owned())
            .text("place", "");
        for id in &self.exclude {
            form = form.text("exclude", id.to_string());
        }
        for (name, bytes) in &self.files {
            form = form.part(
                "attachment",
                Part::bytes(bytes.clone())
                    .file_name((*name).to_owned())
                    .mime_str("application/pdf")
                    .unwrap(),
            );
        }
        form
    }
}

async fn get_html(app: &TestApp, client: &Client, path: &str) -> (StatusCode, String) {
    let res = client.get(app.url(path)).send().await.unwrap();
    let status = res.status();
    (status, res.text().await.unwrap())
}

/// GETs the report form and posts `report` with its CSRF token.
async fn submit(app: &TestApp, client: &Client, report: &Report<'_>) -> (StatusCode, String) {
    let (status, form_page) = get_html(app, client, "/report").await;
    assert_eq!(status, StatusCode::OK);
    let csrf = csrf_of(&form_page);
    let res = client
        .post(app.url("/report"))
        .multipart(report.form(Some(&csrf)))
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.text().await.unwrap())
}

/// The case code on a receipt page.
fn code_of(receipt: &str) -> String {
    let start = receipt
        .find("id=\"case-code\"")
        .expect("receipt shows the code");
    let rest = &receipt[start..];
    let open = rest.find('>').unwrap() + 1;
    let close = rest[open..].find('<').unwrap();
    rest[open..open + close].trim().to_owned()
}

/// Submits a report with `description` and returns its case code.
async fn create_case(app: &TestApp, description: &str) -> String {
    let (status, page) = submit(app, &app.client(), &Report::new(description)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    code_of(&page)
}

/// POSTs `code` to the login form with a fresh client.
async fn try_login(app: &TestApp, code: &str) -> (Client, reqwest::Response) {
    let client = app.client();
    let (status, page) = get_html(app, &client, "/followup").await;
    assert_eq!(status, StatusCode::OK);
    let csrf = csrf_of(&page);
    let res = client
        .post(app.url("/followup"))
        .form(&[("csrf", csrf.as_str()), ("code", code)])
        .send()
        .await
        .unwrap();
    (client, res)
}

/// Logs in with `code`; returns the reporter's client.
async fn login(app: &TestApp, code: &str) -> Client {
    let (client, res) = try_login(app, code).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/case");
    client
}

/// The case page of `code` shows `description`: nothing was lost.
async fn assert_readable(app: &TestApp, code: &str, description: &str) {
    let client = login(app, code).await;
    let (status, page) = get_html(app, &client, "/case").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(description), "case page lost the report");
}

/// Files in the attachments directory (committed and partial).
fn attachment_files(app: &TestApp) -> usize {
    std::fs::read_dir(app.settings.storage.attachments_dir())
        .map(|d| d.count())
        .unwrap_or(0)
}

async fn inbox_len(app: &TestApp, user: Uuid) -> usize {
    app.store.inbox(user).await.unwrap().len()
}

async fn landing_page_is_bokmal_by_default_and_english_on_request(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client();

    let (status, nb) = get_html(&app, &client, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(nb.contains("<html lang=\"nb\">"));
    assert!(nb.contains("Hva kan du si fra om?"));
    assert!(
        nb.contains("§ 2 A-1"),
        "own-employment matters are out of scope"
    );
    for channel in [
        "Arbeidstilsynet",
        "https://www.arbeidstilsynet.no",
        "Datatilsynet",
        "https://www.datatilsynet.no",
        "Politiet",
        "https://www.politiet.no",
    ] {
        assert!(nb.contains(channel), "landing page names {channel}");
    }
    assert!(nb.contains("href=\"/report\"") && nb.contains("href=\"/followup\""));
    assert!(nb.contains("IP-adressen"));

    let (_, en) = get_html(&app, &client, "/?lang=en").await;
    assert!(en.contains("<html lang=\"en\">"));
    assert!(en.contains("What can you report?"));
    assert!(en.contains("Arbeidstilsynet") && en.contains("Datatilsynet"));

    // The choice sticks for the rest of the visit…
    let (_, again) = get_html(&app, &client, "/").await;
    assert!(again.contains("What can you report?"));
    let (_, form) = get_html(&app, &client, "/report").await;
    assert!(form.contains("Send report"));
    // …and only for this visitor.
    let (_, other) = get_html(&app, &app.client(), "/").await;
    assert!(other.contains("Hva kan du si fra om?"));
    app.teardown().await;
}

async fn a_report_can_be_sent_followed_up_downloaded_and_answered(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let handler = app.add_user("h1", "Hanne Handler", &["handler"]).await;
    let client = app.client();

    let (status, form_page) = get_html(&app, &client, "/report").await;
    assert_eq!(status, StatusCode::OK);
    let form_at = form_page.find("<form").unwrap();
    let first_input = form_page[form_at..].find("<input").unwrap() + form_at;
    assert!(
        form_page[first_input..].starts_with("<input type=\"hidden\" name=\"csrf\""),
        "the CSRF token is the form's first field"
    );
    assert!(form_page.contains("enctype=\"multipart/form-data\""));
    assert!(form_page.contains("Hanne Handler"));
    assert!(form_page.contains(&format!("name=\"exclude\" value=\"{handler}\"")));
    assert!(form_page.contains("type=\"file\" id=\"attachment\" name=\"attachment\" multiple"));
    assert!(!form_page.contains("role=\"alert\""));
    assert!(!form_page.contains("<script"));

    let attachment: Vec<u8> = (0..150_000u32).map(|i| (i * 7 + i / 13) as u8).collect();
    let mut report = Report::new("Lederen tar imot gaver fra leverandøren.");
    report.files = vec![("møtereferat 1.pdf", attachment.clone())];
    let csrf = csrf_of(&form_page);
    let res = client
        .post(app.url("/report"))
        .multipart(report.form(Some(&csrf)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let cookies: Vec<String> = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let receipt = res.text().await.unwrap();
    let code = code_of(&receipt);
    let symbols: String = code.chars().filter(|c| *c != '-').collect();
    assert_eq!(symbols.len(), 24, "a 24-symbol code: {code}");
    assert_eq!(code.split('-').count(), 6, "in six groups: {code}");
    assert!(cookies
        .iter()
        .all(|c| !c.contains(&symbols) && !c.contains(&code)));
    let today = time::OffsetDateTime::now_utc().date();
    let due = today + time::Duration::days(7);
    let due = format!(
        "{:02}.{:02}.{}",
        due.day(),
        u8::from(due.month()),
        due.year()
    );
    assert!(
        receipt.contains(&due),
        "receipt says when to expect an acknowledgement"
    );
    assert!(receipt.contains("href=\"/followup\""));
    assert_eq!(inbox_len(&app, handler).await, 1);

    // The submitting browser holds no access to the case.
    let res = client.get(app.url("/case")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/followup");

    // Back with the code, in a new browser.
    let (reporter, res) = try_login(&app, &code).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/case");
    for cookie in res.headers().get_all("set-cookie") {
        let cookie = cookie.to_str().unwrap();
        assert!(!cookie.contains(&symbols) && !cookie.contains(&code));
    }
    let (status, case) = get_html(&app, &reporter, "/case").await;
    assert_eq!(status, StatusCode::OK);
    assert!(case.contains("Lederen tar imot gaver fra leverandøren."));
    assert!(case.contains("møtereferat 1.pdf"));
    assert!(case.contains("Mottatt"));
    assert!(
        case.contains(&due),
        "the case page says when to expect an answer"
    );
    assert!(case.contains("Arbeidstilsynet"));
    assert!(
        !case.contains("Hanne Handler"),
        "staff names are never shown"
    );

    let link_at = case.find("/case/attachments/").unwrap();
    let link_end = case[link_at..].find('"').unwrap() + link_at;
    let link = &case[link_at..link_end];
    let res = reporter.get(app.url(link)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/octet-stream");
    let disposition = res.headers()["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert!(
        disposition.contains("filename*=UTF-8''m%C3%B8tereferat%201.pdf"),
        "{disposition}"
    );
    let downloaded = res.bytes().await.unwrap();
    assert!(
        downloaded.as_ref() == attachment.as_slice(),
        "bytes round-trip"
    );

    // Someone without the session, and another reporter, get "not found".
    let res = app.client().get(app.url(link)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let other_code = create_case(&app, "En annen sak").await;
    let other = login(&app, &other_code).await;
    let res = other.get(app.url(link)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let (_, other_case) = get_html(&app, &other, "/case").await;
    assert!(!other_case.contains("Lederen tar imot"));

    // A reply appears in the thread.
    let csrf = csrf_of(&case);
    let res = reporter
        .post(app.url("/case/reply"))
        .multipart(
            Form::new()
                .text("csrf", csrf.clone())
                .text("message", "Det skjedde igjen i dag."),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/case");
    let (_, case) = get_html(&app, &reporter, "/case").await;
    assert!(case.contains("Det skjedde igjen i dag."));
    assert!(
        case.contains("Deg"),
        "the reporter's own message is marked as theirs"
    );

    // Leaving ends the session.
    let res = reporter
        .post(app.url("/case/logout"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/");
    let res = reporter.get(app.url("/case")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/followup");
    app.teardown().await;
}

async fn an_empty_description_is_refused_and_the_text_is_kept(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let handler = app.add_user("h1", "Hanne Handler", &["handler"]).await;
    let code = create_case(&app, "Den første saken").await;
    let files_before = attachment_files(&app);

    let mut report = Report::new("   \n ");
    report.when = "forrige uke";
    report.files = vec![("bilde.jpg", vec![1u8; 2000])];
    let (status, page) = submit(&app, &app.client(), &report).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("role=\"alert\""));
    assert!(page.contains("Beskriv hva som har skjedd."));
    assert!(page.contains("aria-invalid=\"true\""));
    assert!(
        page.contains("value=\"forrige uke\""),
        "entered text is kept"
    );
    assert!(!page.contains("id=\"case-code\""));
    assert_eq!(attachment_files(&app), files_before, "no file left behind");
    assert_eq!(inbox_len(&app, handler).await, 1, "nothing stored");
    assert_readable(&app, &code, "Den første saken").await;
    app.teardown().await;
}

async fn an_overlong_description_is_refused_with_the_limit(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.limits.max_text_chars = 40).await;
    let handler = app.add_user("h1", "Hanne Handler", &["handler"]).await;
    let code = create_case(&app, "Kort og godt").await;

    let long = "Dette er en beskrivelse som er altfor lang for grensen.";
    let (status, page) = submit(&app, &app.client(), &Report::new(long)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("høyst 40 tegn"),
        "the message names the limit"
    );
    assert!(page.contains(long), "the text is kept for shortening");
    assert_eq!(inbox_len(&app, handler).await, 1);

    // In English too.
    let client = app.client();
    get_html(&app, &client, "/?lang=en").await;
    let (status, page) = submit(&app, &client, &Report::new(long)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("at most 40 characters"));
    assert_readable(&app, &code, "Kort og godt").await;
    app.teardown().await;
}

async fn an_unknown_category_or_severity_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let handler = app.add_user("h1", "Hanne Handler", &["handler"]).await;
    let code = create_case(&app, "Første sak").await;

    let mut report = Report::new("Noe skjedde");
    report.category = "tull";
    let (status, page) = submit(&app, &app.client(), &report).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("Den valgte kategorien finnes ikke."));
    assert!(page.contains("Noe skjedde"));

    let mut report = Report::new("Noe skjedde");
    report.category = "";
    let (status, page) = submit(&app, &app.client(), &report).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("Velg hva saken gjelder."));

    let mut report = Report::new("Noe skjedde");
    report.severity = "ekstrem";
    let (status, page) = submit(&app, &app.client(), &report).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("Den valgte alvorlighetsgraden finnes ikke."));

    assert_eq!(inbox_len(&app, handler).await, 1);
    assert_readable(&app, &code, "Første sak").await;
    app.teardown().await;
}

async fn a_missing_or_wrong_csrf_token_is_forbidden(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let handler = app.add_user("h1", "Hanne Handler", &["handler"]).await;
    let code = create_case(&app, "Første sak").await;
    let files_before = attachment_files(&app);
    let mut report = Report::new("Forfalsket");
    report.files = vec![("a.pdf", vec![9u8; 100])];

    // A visitor with a session, without the token.
    let client = app.client();
    get_html(&app, &client, "/report").await;
    let res = client
        .post(app.url("/report"))
        .multipart(report.form(None))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.text().await.unwrap().contains("Ingenting er lagret"));

    // With a wrong token.
    let res = client
        .post(app.url("/report"))
        .multipart(report.form(Some(&"0".repeat(64))))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // Another visitor's token, from a browser without a session.
    let (_, page) = get_html(&app, &client, "/report").await;
    let res = app
        .client()
        .post(app.url("/report"))
        .multipart(report.form(Some(&csrf_of(&page))))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // The code login checks it too.
    let res = app
        .client()
        .post(app.url("/followup"))
        .form(&[("csrf", "nope"), ("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    assert_eq!(attachment_files(&app), files_before);
    assert_eq!(inbox_len(&app, handler).await, 1);
    assert_readable(&app, &code, "Første sak").await;
    app.teardown().await;
}

async fn an_attachment_over_the_limit_is_refused_and_removed(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.limits.max_attachment_bytes = 1000).await;
    let handler = app.add_user("h1", "Hanne Handler", &["handler"]).await;
    let code = create_case(&app, "Første sak").await;
    assert_eq!(attachment_files(&app), 0);

    let mut report = Report::new("Se vedlagte skjermbilder");
    report.files = vec![
        ("lite.png", vec![1u8; 500]),
        ("stort.png", vec![2u8; 200_000]),
    ];
    let (status, page) = submit(&app, &app.client(), &report).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(page.contains("En av filene er for stor."), "{page}");
    assert!(page.contains("1 kB"), "the message names the limit");
    assert!(
        page.contains("Se vedlagte skjermbilder"),
        "the text is kept"
    );
    assert_eq!(
        attachment_files(&app),
        0,
        "no file left in the attachments directory"
    );
    assert_eq!(inbox_len(&app, handler).await, 1);
    assert_readable(&app, &code, "Første sak").await;
    app.teardown().await;
}

async fn invalid_utf8_in_a_text_field_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let handler = app.add_user("h1", "Hanne Handler", &["handler"]).await;
    let code = create_case(&app, "Første sak").await;

    let mut report = Report::new("");
    report.description = &[b'h', b'e', 0xff, 0xfe, b'i'];
    let (status, page) = submit(&app, &app.client(), &report).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("ugyldige tegn"));
    assert!(
        page.contains("category-varsling-hint\" checked"),
        "what could be read is kept"
    );
    assert_eq!(inbox_len(&app, handler).await, 1);
    assert_readable(&app, &code, "Første sak").await;
    app.teardown().await;
}

async fn an_unknown_code_finds_no_case(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_user("h1", "Hanne Handler", &["handler"]).await;
    let code = create_case(&app, "Første sak").await;

    let unknown = varsel_crypto::CaseCode::generate().expose_grouped();
    let (client, res) = try_login(&app, &unknown).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let page = res.text().await.unwrap();
    assert!(page.contains("Det finnes ingen sak med denne saksnøkkelen."));
    assert!(page.contains("role=\"alert\""));
    assert!(!page.contains(unknown.as_str()), "the code is not echoed");
    let res = client.get(app.url("/case")).send().await.unwrap();
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "no session was started"
    );
    assert_readable(&app, &code, "Første sak").await;
    app.teardown().await;
}

async fn a_mistyped_code_is_caught_before_any_lookup(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_user("h1", "Hanne Handler", &["handler"]).await;
    let code = create_case(&app, "Første sak").await;

    let first = code.chars().next().unwrap();
    let replacement = if first == 'A' { 'B' } else { 'A' };
    let typo: String = std::iter::once(replacement)
        .chain(code.chars().skip(1))
        .collect();
    let (_, res) = try_login(&app, &typo).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let page = res.text().await.unwrap();
    assert!(page.contains("Saksnøkkelen har en skrivefeil. Sjekk hvert tegn"));

    let (_, res) = try_login(&app, "ABCD-1234").await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("En saksnøkkel har 24 tegn. Du skrev 8."));

    let bad_char: String = code
        .chars()
        .take(5)
        .chain(['!'])
        .chain(code.chars().skip(6))
        .collect();
    let (_, res) = try_login(&app, &bad_char).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.text().await.unwrap().contains("Tegn nummer 5 kan ikke"));

    // Lower case and no hyphens still open the case.
    let relaxed: String = code
        .chars()
        .filter(|c| *c != '-')
        .collect::<String>()
        .to_lowercase();
    login(&app, &relaxed).await;
    assert_readable(&app, &code, "Første sak").await;
    app.teardown().await;
}

async fn excluding_every_handler_stores_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let h1 = app.add_user("h1", "Hanne Handler", &["handler"]).await;
    let h2 = app.add_user("h2", "Harald Handler", &["handler"]).await;
    let code = create_case(&app, "Første sak").await;
    let files_before = attachment_files(&app);

    let mut report = Report::new("Det gjelder begge to");
    report.exclude = vec![h1, h2];
    report.files = vec![("notat.txt", b"notat".to_vec())];
    let (status, page) = submit(&app, &app.client(), &report).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("Med disse avkryssingene er det ingen som kan motta saken."));
    assert!(page.contains("Det gjelder begge to"));
    assert!(
        page.contains(&format!("value=\"{h1}\" checked")),
        "ticks are kept"
    );
    assert!(!page.contains("id=\"case-code\""));
    assert_eq!(attachment_files(&app), files_before);
    assert_eq!(inbox_len(&app, h1).await, 1);
    assert_eq!(inbox_len(&app, h2).await, 1);

    // Excluding one is fine: only the other gets it.
    report.exclude = vec![h1];
    let (status, _) = submit(&app, &app.client(), &report).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(inbox_len(&app, h1).await, 1);
    assert_eq!(inbox_len(&app, h2).await, 2);

    // An id that is no handler is refused.
    report.exclude = vec![Uuid::new_v4()];
    let (status, page) = submit(&app, &app.client(), &report).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("kan ikke lenger motta saker"));
    assert_readable(&app, &code, "Første sak").await;
    app.teardown().await;
}

async fn without_any_handler_the_form_says_so_and_stores_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut report = Report::new("Ingen kan ta imot dette");
    report.files = vec![("a.pdf", vec![5u8; 100])];
    let (status, page) = submit(&app, &app.client(), &report).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("ingen saksbehandler er satt opp"));
    assert!(page.contains("Ingen kan ta imot dette"));
    assert!(
        page.contains("Arbeidstilsynet"),
        "the external channels are shown"
    );
    assert_eq!(attachment_files(&app), 0);
    app.teardown().await;
}

async fn submissions_and_code_logins_are_rate_limited(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.rate_limits.submissions_per_minute = 1;
        s.rate_limits.code_logins_per_minute = 1;
    })
    .await;
    let handler = app.add_user("h1", "Hanne Handler", &["handler"]).await;
    let code = create_case(&app, "Første sak").await;

    let (status, page) = submit(&app, &app.client(), &Report::new("Andre sak")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.contains("For mange forespørsler"));
    assert_eq!(inbox_len(&app, handler).await, 1);

    login(&app, &code).await;
    let (_, res) = try_login(&app, &code).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key("retry-after"));
    app.teardown().await;
}

async fn bad_replies_are_refused_and_store_nothing(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.limits.max_attachments_per_case = 1).await;
    app.add_user("h1", "Hanne Handler", &["handler"]).await;
    let mut report = Report::new("Første sak");
    report.files = vec![("a.pdf", vec![3u8; 300])];
    let (status, receipt) = submit(&app, &app.client(), &report).await;
    assert_eq!(status, StatusCode::OK);
    let code = code_of(&receipt);
    let reporter = login(&app, &code).await;
    let (_, case) = get_html(&app, &reporter, "/case").await;
    let csrf = csrf_of(&case);

    // Neither a message nor a file.
    let res = reporter
        .post(app.url("/case/reply"))
        .multipart(Form::new().text("csrf", csrf.clone()).text("message", "  "))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Skriv en melding eller legg ved en fil."));

    // One file more than the case may have.
    let files_before = attachment_files(&app);
    let res = reporter
        .post(app.url("/case/reply"))
        .multipart(
            Form::new()
                .text("csrf", csrf.clone())
                .text("message", "Her er ett til")
                .part("attachment", Part::bytes(vec![4u8; 10]).file_name("b.pdf")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let page = res.text().await.unwrap();
    assert!(page.contains("høyst 1 filer"), "{page}");
    assert!(page.contains("Her er ett til"), "the message is kept");
    assert_eq!(attachment_files(&app), files_before);

    // Without the token.
    let res = reporter
        .post(app.url("/case/reply"))
        .multipart(Form::new().text("message", "Uten token"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let (_, case) = get_html(&app, &reporter, "/case").await;
    assert!(
        case.contains("Ingen meldinger ennå."),
        "no message was stored"
    );
    assert!(!case.contains("b.pdf"));
    assert_readable(&app, &code, "Første sak").await;
    app.teardown().await;
}

for_each_backend!(
    landing_page_is_bokmal_by_default_and_english_on_request,
    a_report_can_be_sent_followed_up_downloaded_and_answered,
    an_empty_description_is_refused_and_the_text_is_kept,
    an_overlong_description_is_refused_with_the_limit,
    an_unknown_category_or_severity_is_refused,
    a_missing_or_wrong_csrf_token_is_forbidden,
    an_attachment_over_the_limit_is_refused_and_removed,
    invalid_utf8_in_a_text_field_is_refused,
    an_unknown_code_finds_no_case,
    a_mistyped_code_is_caught_before_any_lookup,
    excluding_every_handler_stores_nothing,
    without_any_handler_the_form_says_so_and_stores_nothing,
    submissions_and_code_logins_are_rate_limited,
    bad_replies_are_refused_and_store_nothing,
);
