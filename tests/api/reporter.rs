//! The reporter's pages, driven like a browser without JavaScript would: GET
//! a form, echo its CSRF token first, post, follow the answer.

use reqwest::StatusCode;
use uuid::Uuid;

use crate::app::{code_on_receipt, csrf_of, Backend, ReportForm, TestApp};
use crate::for_each_backend;

async fn landing_page_is_bokmal_by_default_and_english_on_request(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client();

    let nb = app.get(&client, "/").await;
    assert_eq!(nb.status, StatusCode::OK);
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

    let en = app.get(&client, "/?lang=en").await.text;
    assert!(en.contains("<html lang=\"en\">"));
    assert!(en.contains("What can you report?"));
    assert!(en.contains("Arbeidstilsynet") && en.contains("Datatilsynet"));

    // The choice sticks for the rest of the visit…
    let again = app.get(&client, "/").await.text;
    assert!(again.contains("What can you report?"));
    let form = app.get(&client, "/report").await.text;
    assert!(form.contains("Send report"));
    // …and only for this visitor.
    let other = app.get(&app.client(), "/").await.text;
    assert!(other.contains("Hva kan du si fra om?"));
    app.teardown().await;
}

async fn a_report_can_be_sent_followed_up_downloaded_and_answered(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let handler = app.add_user("h1", "Hanne Handler", &["handler"]).await;
    let client = app.client();

    let form_page = app.page(&client, "/report").await;
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
    // The scripts are the service's own: the proof-of-work solver and the
    // browser-encryption bundle (integrity-checked); the form works without
    // them.
    let own = form_page
        .matches("<script src=\"/static/pow.js\" defer></script>")
        .count()
        + form_page
            .matches("<script src=\"/static/varsel-e2e.js\" integrity=\"sha384-")
            .count();
    assert_eq!(form_page.matches("<script").count(), own);

    let attachment: Vec<u8> = (0..150_000u32).map(|i| (i * 7 + i / 13) as u8).collect();
    let mut report = ReportForm::new("Lederen tar imot gaver fra leverandøren.");
    report.files = vec![("møtereferat 1.pdf", attachment.clone())];
    let csrf = csrf_of(&form_page);
    let posted = app
        .post_multipart(&client, "/report", report.form(Some(&csrf)))
        .await;
    posted.assert_see_other("/report/receipt");
    let mut cookies = posted.set_cookies();
    let receipt = app.follow_to_receipt(&client, posted).await;
    assert_eq!(receipt.status, StatusCode::OK);
    assert_eq!(receipt.headers["cache-control"], "no-store");
    cookies.extend(receipt.set_cookies());
    let code = code_on_receipt(&receipt.text);
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
    // The receipt is left through "I have written down my code".
    assert!(receipt.contains("action=\"/report/receipt\""));
    assert_eq!(app.held_cases(handler).await.len(), 1);

    // The submitting browser holds no access to the case.
    let r = app.get(&client, "/case").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), Some("/followup"));

    // Back with the code, in a new browser.
    let (reporter, r) = app.reporter_login_attempt(&code).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), Some("/case"));
    for cookie in r.set_cookies() {
        assert!(!cookie.contains(&symbols) && !cookie.contains(&code));
    }
    let case = app.page(&reporter, "/case").await;
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
    let other_code = app.file_report(&ReportForm::new("En annen sak")).await;
    let other = app.reporter_login(&other_code).await;
    let res = other.get(app.url(link)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let other_case = app.get(&other, "/case").await.text;
    assert!(!other_case.contains("Lederen tar imot"));

    // A reply appears in the thread.
    let csrf = csrf_of(&case);
    let r = app
        .reporter_reply(&reporter, Some(&csrf), "Det skjedde igjen i dag.", &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), Some("/case"));
    let case = app.get(&reporter, "/case").await.text;
    assert!(case.contains("Det skjedde igjen i dag."));
    assert!(
        case.contains("Deg"),
        "the reporter's own message is marked as theirs"
    );

    // Leaving ends the session.
    let r = app
        .post_form_with_token(&reporter, Some(&csrf), "/case/logout", &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), Some("/"));
    let r = app.get(&reporter, "/case").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), Some("/followup"));
    app.teardown().await;
}

async fn an_empty_description_is_refused_and_the_text_is_kept(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let handler = app.add_user("h1", "Hanne Handler", &["handler"]).await;
    let code = app.file_report(&ReportForm::new("Den første saken")).await;
    let files_before = app.attachment_files().len();

    let mut report = ReportForm::new("   \n ");
    report.when = "forrige uke";
    report.files = vec![("bilde.jpg", vec![1u8; 2000])];
    let page = app.submit_report_form(&app.client(), &report).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.contains("role=\"alert\""));
    assert!(page.contains("Beskriv hva som har skjedd."));
    assert!(page.contains("aria-invalid=\"true\""));
    assert!(
        page.contains("value=\"forrige uke\""),
        "entered text is kept"
    );
    assert!(!page.contains("id=\"case-code\""));
    assert_eq!(
        app.attachment_files().len(),
        files_before,
        "no file left behind"
    );
    assert_eq!(app.held_cases(handler).await.len(), 1, "nothing stored");
    assert!(
        app.reporter_case_page(&code)
            .await
            .contains("Den første saken"),
        "case page lost the report"
    );
    app.teardown().await;
}

async fn an_overlong_description_is_refused_with_the_limit(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.limits.max_text_chars = 40).await;
    let handler = app.add_user("h1", "Hanne Handler", &["handler"]).await;
    let code = app.file_report(&ReportForm::new("Kort og godt")).await;

    let long = "Dette er en beskrivelse som er altfor lang for grensen.";
    let page = app
        .submit_report_form(&app.client(), &ReportForm::new(long))
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("høyst 40 tegn"),
        "the message names the limit"
    );
    assert!(page.contains(long), "the text is kept for shortening");
    assert_eq!(app.held_cases(handler).await.len(), 1);

    // In English too.
    let client = app.client();
    app.get(&client, "/?lang=en").await;
    let page = app
        .submit_report_form(&client, &ReportForm::new(long))
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.contains("at most 40 characters"));
    assert!(
        app.reporter_case_page(&code).await.contains("Kort og godt"),
        "case page lost the report"
    );
    app.teardown().await;
}

async fn an_unknown_category_or_severity_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let handler = app.add_user("h1", "Hanne Handler", &["handler"]).await;
    let code = app.file_report(&ReportForm::new("Første sak")).await;

    let mut report = ReportForm::new("Noe skjedde");
    report.category = "tull";
    let page = app.submit_report_form(&app.client(), &report).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.contains("Den valgte kategorien finnes ikke."));
    assert!(page.contains("Noe skjedde"));

    let mut report = ReportForm::new("Noe skjedde");
    report.category = "";
    let page = app.submit_report_form(&app.client(), &report).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.contains("Velg hva saken gjelder."));

    let mut report = ReportForm::new("Noe skjedde");
    report.severity = "ekstrem";
    let page = app.submit_report_form(&app.client(), &report).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.contains("Den valgte alvorlighetsgraden finnes ikke."));

    assert_eq!(app.held_cases(handler).await.len(), 1);
    assert!(
        app.reporter_case_page(&code).await.contains("Første sak"),
        "case page lost the report"
    );
    app.teardown().await;
}

async fn a_missing_or_wrong_csrf_token_is_forbidden(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let handler = app.add_user("h1", "Hanne Handler", &["handler"]).await;
    let code = app.file_report(&ReportForm::new("Første sak")).await;
    let files_before = app.attachment_files().len();
    let mut report = ReportForm::new("Forfalsket");
    report.files = vec![("a.pdf", vec![9u8; 100])];

    // A visitor with a session, without the token.
    let client = app.client();
    app.get(&client, "/report").await;
    let r = app
        .post_multipart(&client, "/report", report.form(None))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.contains("Ingenting er lagret"));

    // With a wrong token.
    let r = app
        .post_multipart(&client, "/report", report.form(Some(&"0".repeat(64))))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Another visitor's token, from a browser without a session.
    let csrf = app.get(&client, "/report").await.csrf();
    let r = app
        .post_multipart(&app.client(), "/report", report.form(Some(&csrf)))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // The code login checks it too.
    let r = app
        .post_form_with_token(&app.client(), Some("nope"), "/followup", &[("code", &code)])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    assert_eq!(app.attachment_files().len(), files_before);
    assert_eq!(app.held_cases(handler).await.len(), 1);
    assert!(
        app.reporter_case_page(&code).await.contains("Første sak"),
        "case page lost the report"
    );
    app.teardown().await;
}

async fn an_attachment_over_the_limit_is_refused_and_removed(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.limits.max_attachment_bytes = 1000).await;
    let handler = app.add_user("h1", "Hanne Handler", &["handler"]).await;
    let code = app.file_report(&ReportForm::new("Første sak")).await;
    assert_eq!(app.attachment_files().len(), 0);

    let mut report = ReportForm::new("Se vedlagte skjermbilder");
    report.files = vec![
        ("lite.png", vec![1u8; 500]),
        ("stort.png", vec![2u8; 200_000]),
    ];
    let page = app.submit_report_form(&app.client(), &report).await;
    assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(page.contains("En av filene er for stor."), "{page}");
    assert!(page.contains("1 kB"), "the message names the limit");
    assert!(
        page.contains("Se vedlagte skjermbilder"),
        "the text is kept"
    );
    assert_eq!(
        app.attachment_files().len(),
        0,
        "no file left in the attachments directory"
    );
    assert_eq!(app.held_cases(handler).await.len(), 1);
    assert!(
        app.reporter_case_page(&code).await.contains("Første sak"),
        "case page lost the report"
    );
    app.teardown().await;
}

async fn invalid_utf8_in_a_text_field_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let handler = app.add_user("h1", "Hanne Handler", &["handler"]).await;
    let code = app.file_report(&ReportForm::new("Første sak")).await;

    let mut report = ReportForm::new("");
    report.description = &[b'h', b'e', 0xff, 0xfe, b'i'];
    let page = app.submit_report_form(&app.client(), &report).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.contains("ugyldige tegn"));
    assert!(
        page.contains("category-varsling-hint\" checked"),
        "what could be read is kept"
    );
    assert_eq!(app.held_cases(handler).await.len(), 1);
    assert!(
        app.reporter_case_page(&code).await.contains("Første sak"),
        "case page lost the report"
    );
    app.teardown().await;
}

async fn an_unknown_code_finds_no_case(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_user("h1", "Hanne Handler", &["handler"]).await;
    let code = app.file_report(&ReportForm::new("Første sak")).await;

    let unknown = varsel_crypto::CaseCode::generate().expose_grouped();
    let (client, page) = app.reporter_login_attempt(&unknown).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.contains("Det finnes ingen sak med denne saksnøkkelen."));
    assert!(page.contains("role=\"alert\""));
    // What was typed stays in the code field to be corrected (issue 10),
    // and nowhere else on the page.
    assert_eq!(page.matches(unknown.as_str()).count(), 1, "{page}");
    assert!(page.contains(&format!("value=\"{}\"", unknown.as_str())));
    let r = app.get(&client, "/case").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "no session was started");
    assert!(
        app.reporter_case_page(&code).await.contains("Første sak"),
        "case page lost the report"
    );
    app.teardown().await;
}

async fn a_mistyped_code_is_caught_before_any_lookup(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_user("h1", "Hanne Handler", &["handler"]).await;
    let code = app.file_report(&ReportForm::new("Første sak")).await;

    let first = code.chars().next().unwrap();
    let replacement = if first == 'A' { 'B' } else { 'A' };
    let typo: String = std::iter::once(replacement)
        .chain(code.chars().skip(1))
        .collect();
    let (_, page) = app.reporter_login_attempt(&typo).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.contains("Saksnøkkelen har en skrivefeil. Sjekk hvert tegn"));

    let (_, page) = app.reporter_login_attempt("ABCD-1234").await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.contains("En saksnøkkel har 24 tegn. Du skrev 8."));

    let bad_char: String = code
        .chars()
        .take(5)
        .chain(['!'])
        .chain(code.chars().skip(6))
        .collect();
    let (_, page) = app.reporter_login_attempt(&bad_char).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.contains("Tegn nummer 5 kan ikke"));

    // Lower case and no hyphens still open the case.
    let relaxed: String = code
        .chars()
        .filter(|c| *c != '-')
        .collect::<String>()
        .to_lowercase();
    app.reporter_login(&relaxed).await;
    assert!(
        app.reporter_case_page(&code).await.contains("Første sak"),
        "case page lost the report"
    );
    app.teardown().await;
}

async fn excluding_every_handler_stores_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let h1 = app.add_user("h1", "Hanne Handler", &["handler"]).await;
    let h2 = app.add_user("h2", "Harald Handler", &["handler"]).await;
    let code = app.file_report(&ReportForm::new("Første sak")).await;
    let files_before = app.attachment_files().len();

    let mut report = ReportForm::new("Det gjelder begge to");
    report.exclude = vec![h1, h2];
    report.files = vec![("notat.txt", b"notat".to_vec())];
    let page = app.submit_report_form(&app.client(), &report).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.contains("Med disse avkryssingene er det ingen som kan motta saken."));
    assert!(page.contains("Det gjelder begge to"));
    assert!(
        page.contains(&format!("value=\"{h1}\" checked")),
        "ticks are kept"
    );
    assert!(!page.contains("id=\"case-code\""));
    assert_eq!(app.attachment_files().len(), files_before);
    assert_eq!(app.held_cases(h1).await.len(), 1);
    assert_eq!(app.held_cases(h2).await.len(), 1);

    // Excluding one is fine: only the other gets it.
    report.exclude = vec![h1];
    let r = app.submit_report_form(&app.client(), &report).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(app.held_cases(h1).await.len(), 1);
    assert_eq!(app.held_cases(h2).await.len(), 2);

    // An id that is no handler is refused.
    report.exclude = vec![Uuid::new_v4()];
    let page = app.submit_report_form(&app.client(), &report).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.contains("kan ikke lenger motta saker"));
    assert!(
        app.reporter_case_page(&code).await.contains("Første sak"),
        "case page lost the report"
    );
    app.teardown().await;
}

async fn without_any_handler_the_form_says_so_and_stores_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut report = ReportForm::new("Ingen kan ta imot dette");
    report.files = vec![("a.pdf", vec![5u8; 100])];
    let page = app.submit_report_form(&app.client(), &report).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.contains("ingen saksbehandler er satt opp"));
    assert!(page.contains("Ingen kan ta imot dette"));
    assert!(
        page.contains("Arbeidstilsynet"),
        "the external channels are shown"
    );
    assert_eq!(app.attachment_files().len(), 0);
    app.teardown().await;
}

async fn submissions_and_code_logins_are_rate_limited(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.rate_limits.submissions_per_minute = 1;
        s.rate_limits.code_logins_per_minute = 1;
    })
    .await;
    let handler = app.add_user("h1", "Hanne Handler", &["handler"]).await;
    let code = app.file_report(&ReportForm::new("Første sak")).await;

    let page = app
        .submit_report_form(&app.client(), &ReportForm::new("Andre sak"))
        .await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.contains("For mange forespørsler"));
    assert_eq!(app.held_cases(handler).await.len(), 1);

    app.reporter_login(&code).await;
    let (_, page) = app.reporter_login_attempt(&code).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.headers.contains_key("retry-after"));
    app.teardown().await;
}

async fn bad_replies_are_refused_and_store_nothing(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.limits.max_attachments_per_case = 1).await;
    app.add_user("h1", "Hanne Handler", &["handler"]).await;
    let mut report = ReportForm::new("Første sak");
    report.files = vec![("a.pdf", vec![3u8; 300])];
    let receipt = app.submit_report_form(&app.client(), &report).await;
    assert_eq!(receipt.status, StatusCode::OK);
    let code = code_on_receipt(&receipt.text);
    let reporter = app.reporter_login(&code).await;
    let csrf = app.get(&reporter, "/case").await.csrf();

    // Neither a message nor a file.
    let r = app.reporter_reply(&reporter, Some(&csrf), "  ", &[]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("Skriv en melding eller legg ved en fil."));

    // One file more than the case may have.
    let files_before = app.attachment_files().len();
    let page = app
        .reporter_reply(
            &reporter,
            Some(&csrf),
            "Her er ett til",
            &[("b.pdf", vec![4u8; 10])],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.contains("høyst 1 filer"), "{page}");
    assert!(page.contains("Her er ett til"), "the message is kept");
    assert_eq!(app.attachment_files().len(), files_before);

    // Without the token.
    let r = app.reporter_reply(&reporter, None, "Uten token", &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let case = app.get(&reporter, "/case").await.text;
    assert!(
        case.contains("Ingen meldinger ennå."),
        "no message was stored"
    );
    assert!(!case.contains("b.pdf"));
    assert!(
        app.reporter_case_page(&code).await.contains("Første sak"),
        "case page lost the report"
    );
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
