//! The reporter's forms keep their promises (issue 10): a report is filed
//! once however often its form is sent, its code is shown by a one-time
//! receipt; typed text survives an ended session, a failed CSRF check and a
//! language switch; malformed bodies get an answer and store nothing; text
//! of invisible characters is empty; HEAD and wrong methods are answered.

use std::sync::Arc;

use reqwest::multipart::{Form, Part};
use reqwest::{Client, Method, StatusCode};
use serde_json::json;
use varsel::core::clock::ManualClock;

use crate::app::{
    code_on_receipt, csrf_of, find_case_code, submission_of, Backend, Page, ReportForm, TestApp,
};
use crate::for_each_backend;

for_each_backend!(
    a_form_sent_again_files_one_case_and_the_receipt_is_one_time,
    an_api_report_with_an_idempotency_key_is_filed_once,
    a_receipt_ends_after_its_lifetime,
    text_of_invisible_characters_is_empty_on_page_and_api,
    malformed_multipart_bodies_are_answered_and_store_nothing,
    head_is_answered_like_get_and_wrong_methods_get_405,
    a_reply_survives_an_ended_session,
    a_retaliation_report_survives_an_ended_session_and_a_failed_token,
    typed_text_survives_a_failed_csrf_check,
    forms_sent_from_another_site_are_refused_unread,
    a_wrong_code_is_kept_in_the_code_field,
    the_language_buttons_keep_what_was_typed,
    old_receipts_and_submission_tokens_are_purged,
);

/// Rows of `table`.
async fn rows_in(app: &TestApp, table: &str) -> usize {
    let sql = format!("SELECT CAST(COUNT(*) AS TEXT) FROM {table}");
    app.db.text_rows(&sql).await[0][0].parse().unwrap()
}

async fn old_receipts_and_submission_tokens_are_purged(backend: Backend) {
    let clock = ManualClock::new(time::macros::datetime!(2026-03-02 23:50 UTC));
    let app = TestApp::spawn_with_clock(backend, Arc::new(clock.clone()), |_| {}).await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    app.submit_report_form(&app.client(), &ReportForm::new("Sak"))
        .await;
    assert_eq!(
        (
            rows_in(&app, "receipts").await,
            rows_in(&app, "submission_tokens").await
        ),
        (1, 1)
    );
    // Past midnight the receipt is kept (it may still be shown).
    clock.advance(time::Duration::minutes(20));
    varsel::core::receipts::purge(&app.state).await.unwrap();
    assert_eq!(rows_in(&app, "receipts").await, 1);
    // A day later it goes; the token stays for 30 days.
    clock.advance(time::Duration::days(1));
    varsel::core::receipts::purge(&app.state).await.unwrap();
    assert_eq!(
        (
            rows_in(&app, "receipts").await,
            rows_in(&app, "submission_tokens").await
        ),
        (0, 1)
    );
    clock.advance(time::Duration::days(30));
    varsel::core::receipts::purge(&app.state).await.unwrap();
    assert_eq!(rows_in(&app, "submission_tokens").await, 0);
    app.teardown().await;
}

/// How many cases are stored.
pub(crate) async fn case_count(app: &TestApp) -> usize {
    let rows = app
        .db
        .text_rows("SELECT CAST(COUNT(*) AS TEXT) FROM cases")
        .await;
    rows[0][0].parse().unwrap()
}

/// The report form of `client`'s visit: its CSRF and submission tokens.
async fn form_tokens(app: &TestApp, client: &Client) -> (String, String) {
    let page = app.page(client, "/report").await;
    (csrf_of(&page), submission_of(&page))
}

/// `report` as the form sends it, with `csrf` and `submission`.
fn report_body(report: &ReportForm<'_>, csrf: &str, submission: &str) -> Form {
    report
        .form(Some(csrf))
        .text("submission", submission.to_owned())
}

async fn a_form_sent_again_files_one_case_and_the_receipt_is_one_time(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let client = app.client();
    let (csrf, submission) = form_tokens(&app, &client).await;
    let report = ReportForm::new("Nøkkelkortene ble delt ut uten kvittering.");

    // POST, 303, GET: the receipt shows the code.
    let posted = app
        .post_multipart(&client, "/report", report_body(&report, &csrf, &submission))
        .await;
    posted.assert_see_other("/report/receipt");
    assert!(find_case_code(&posted.text).is_none());
    let receipt = app.get(&client, "/report/receipt").await;
    assert_eq!(receipt.status, StatusCode::OK);
    assert_eq!(receipt.headers["cache-control"], "no-store");
    let code = code_on_receipt(&receipt);
    assert!(
        receipt.contains("Jeg har skrevet ned saksnøkkelen"),
        "{receipt}"
    );
    assert!(
        receipt.contains("class=\"receipt\""),
        "the print layout applies"
    );

    // A reload of the receipt, and the same form sent again: one case, and
    // the sender's own receipt again.
    let reload = app.get(&client, "/report/receipt").await;
    assert_eq!(code_on_receipt(&reload), code);
    let again = app
        .post_multipart(&client, "/report", report_body(&report, &csrf, &submission))
        .await;
    again.assert_see_other("/report/receipt");
    assert_eq!(case_count(&app).await, 1);
    // A double click whose first answer the browser dropped, and with it
    // the receipt cookie: the form's own token finds the receipt, so the
    // code is not lost.
    let lost = app.client();
    let (lost_csrf, _) = form_tokens(&app, &lost).await;
    let second = app
        .post_multipart(
            &lost,
            "/report",
            report_body(&report, &lost_csrf, &submission),
        )
        .await;
    second.assert_see_other("/report/receipt");
    let found = app.get(&lost, "/report/receipt").await;
    assert_eq!(code_on_receipt(&found), code);
    assert_eq!(case_count(&app).await, 1);
    // A form with another token finds nothing of it.
    let other = app.client();
    let (_, other_submission) = form_tokens(&app, &other).await;
    let unrelated = app.get(&other, "/report/receipt").await;
    assert!(find_case_code(&unrelated).is_none());
    assert_ne!(other_submission, submission);

    // The code is not stored readable anywhere.
    let symbols: String = code.chars().filter(|c| *c != '-').collect();
    assert!(app.db.readable(&[code.clone(), symbols]).await.is_empty());

    // "I have written down my code": the code is gone for good.
    let confirm_csrf = csrf_of(&receipt);
    let confirmed = app
        .post_form_with_token(&client, Some(&confirm_csrf), "/report/receipt", &[])
        .await;
    confirmed.assert_see_other("/report/receipt");
    let gone = app.get(&client, "/report/receipt").await;
    assert_eq!(gone.status, StatusCode::OK);
    assert!(find_case_code(&gone).is_none(), "{gone}");
    assert!(gone.contains("vises ikke lenger"), "{gone}");
    // Back to the form and send again: still one case, no code, whichever
    // browser sends it.
    let resent = app
        .post_multipart(&client, "/report", report_body(&report, &csrf, &submission))
        .await;
    assert_eq!(resent.status, StatusCode::CONFLICT);
    assert!(resent.contains("allerede mottatt"), "{resent}");
    assert!(find_case_code(&resent).is_none());
    let elsewhere = app.client();
    let (elsewhere_csrf, _) = form_tokens(&app, &elsewhere).await;
    let resent = app
        .post_multipart(
            &elsewhere,
            "/report",
            report_body(&report, &elsewhere_csrf, &submission),
        )
        .await;
    assert_eq!(resent.status, StatusCode::CONFLICT);
    assert!(find_case_code(&resent).is_none());
    assert_eq!(case_count(&app).await, 1);
    let rows = app
        .db
        .text_rows("SELECT CAST(COUNT(*) AS TEXT) FROM receipts")
        .await;
    assert_eq!(rows[0][0], "0", "the receipt is deleted");

    // The code opens the case.
    assert!(app
        .reporter_case_page(&code)
        .await
        .contains("Nøkkelkortene ble delt ut"));
    app.teardown().await;
}

async fn an_api_report_with_an_idempotency_key_is_filed_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let report = json!({"category": "avvik", "severity": "lav", "description": "Ulåst serverrom."});
    let send = |key: &'static str| {
        app.api_request(Method::POST, "/reports", None)
            .header("Idempotency-Key", key)
            .json(&report)
    };
    let key = "0b9f3c2e-6d1a-4f7e-9a55-3e2d1c0b9a87";
    let first = app.api_send(send(key)).await.expect(StatusCode::CREATED);
    assert!(first["case_code"].is_string());
    let again = app
        .api_send(send(key))
        .await
        .expect_error(StatusCode::CONFLICT, "already_received");
    assert!(!again
        .to_string()
        .contains(first["case_code"].as_str().unwrap()));
    // The same key on a multipart submission.
    let form = Form::new().text("report", report.to_string());
    let multipart = app
        .api_request(Method::POST, "/reports", None)
        .header("Idempotency-Key", key)
        .multipart(form);
    app.api_send(multipart)
        .await
        .expect_error(StatusCode::CONFLICT, "already_received");
    app.api_send(send("short"))
        .await
        .expect_error(StatusCode::BAD_REQUEST, "invalid_idempotency_key");
    assert_eq!(case_count(&app).await, 1);
    // Without the header, as before: each request files a case.
    app.report(&report).await;
    assert_eq!(case_count(&app).await, 2);
    // The key is stored only as a keyed hash.
    assert!(app.db.readable(&[key.to_owned()]).await.is_empty());
    app.teardown().await;
}

async fn a_receipt_ends_after_its_lifetime(backend: Backend) {
    let clock = ManualClock::new(time::macros::datetime!(2026-03-02 09:00 UTC));
    let app = TestApp::spawn_with_clock(backend, Arc::new(clock.clone()), |s| {
        s.sessions.reporter_idle_minutes = 30;
    })
    .await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let client = app.client();
    let receipt = app
        .submit_report_form(&client, &ReportForm::new("Kvittering som går ut."))
        .await;
    assert!(find_case_code(&receipt).is_some(), "{receipt}");
    clock.advance(time::Duration::minutes(29));
    assert!(find_case_code(&app.page(&client, "/report/receipt").await).is_some());
    clock.advance(time::Duration::minutes(2));
    let gone = app.page(&client, "/report/receipt").await;
    assert!(find_case_code(&gone).is_none(), "{gone}");
    let rows = app
        .db
        .text_rows("SELECT CAST(COUNT(*) AS TEXT) FROM receipts")
        .await;
    assert_eq!(rows[0][0], "0", "an expired receipt is deleted when met");
    app.teardown().await;
}

async fn text_of_invisible_characters_is_empty_on_page_and_api(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let invisible = "\u{200B}\u{200C}\u{200D}\u{2060}\u{FEFF}\u{00AD} \u{200B}";
    let page = app
        .submit_report_form(&app.client(), &ReportForm::new(invisible))
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{page}");
    assert!(page.contains("id=\"description-error\""), "{page}");
    let error = app
        .submit_report(&json!({"category": "avvik", "severity": "lav", "description": invisible}))
        .await
        .expect_error(StatusCode::BAD_REQUEST, "text_required");
    assert_eq!(error["field"], "description", "{error}");
    assert_eq!(case_count(&app).await, 0);
    // A reply of invisible characters is empty too.
    let code = app.file_report(&ReportForm::new("Synlig tekst")).await;
    let reporter = app.reporter_login(&code).await;
    let r = app
        .reporter_reply(&reporter, Some(&reporter.csrf), invisible, &[])
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("Skriv en melding"), "{r}");
    let token = app.reporter_token(&code).await;
    app.api_reporter_reply(&token, invisible)
        .await
        .expect_error(StatusCode::BAD_REQUEST, "text_required");
    app.teardown().await;
}

/// Sends `body` as `content_type` to `path` with `client`.
async fn raw_post(
    app: &TestApp,
    client: &Client,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
    bearer: Option<&str>,
) -> Page {
    let mut request = client
        .post(app.url(path))
        .header("Content-Type", content_type)
        .body(body);
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    Page::read(
        request
            .send()
            .await
            .expect("an answer, not a dropped connection"),
    )
    .await
}

/// A multipart body with `csrf` first (if any) and an empty file.
fn empty_file_body(csrf: Option<&str>, text: &[(&str, &str)]) -> Vec<u8> {
    let mut body = String::new();
    if let Some(csrf) = csrf {
        body +=
            &format!("--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n");
    }
    for (name, value) in text {
        body +=
            &format!("--XyZ\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n");
    }
    body += "--XyZ\r\nContent-Disposition: form-data; name=\"attachment\"; filename=\"tom.pdf\"\r\nContent-Type: application/pdf\r\n\r\n\r\n--XyZ--\r\n";
    body.into_bytes()
}

async fn malformed_multipart_bodies_are_answered_and_store_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let client = app.client();
    let (csrf, _) = form_tokens(&app, &client).await;
    let garbage = b"this is not a multipart body at all".to_vec();
    let report_fields = [
        ("category", "avvik"),
        ("severity", "lav"),
        ("description", "Tom fil"),
    ];

    // The report page.
    for (content_type, body) in [
        ("multipart/form-data", garbage.clone()),
        ("multipart/form-data; boundary=XyZ", garbage.clone()),
        (
            "application/x-www-form-urlencoded",
            format!("csrf={csrf}&category=avvik&description=x").into_bytes(),
        ),
    ] {
        let r = raw_post(&app, &client, "/report", content_type, body, None).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{content_type}: {r}");
        assert!(
            r.contains("Skjemaet kunne ikke leses"),
            "{content_type}: {r}"
        );
    }
    let r = raw_post(
        &app,
        &client,
        "/report",
        "multipart/form-data; boundary=XyZ",
        empty_file_body(Some(&csrf), &report_fields),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{r}");
    assert!(r.contains("er tom (0 byte)"), "{r}");
    assert!(r.contains(">Tom fil</textarea>"), "the text is kept: {r}");
    assert_eq!(case_count(&app).await, 0);
    assert!(
        app.attachment_files().is_empty(),
        "{:?}",
        app.attachment_files()
    );

    // The API's report endpoint.
    for (content_type, body, code) in [
        (
            "multipart/form-data",
            garbage.clone(),
            "malformed_multipart",
        ),
        (
            "multipart/form-data; boundary=XyZ",
            garbage.clone(),
            "malformed_multipart",
        ),
        (
            "multipart/form-data; boundary=XyZ",
            empty_file_body(
                None,
                &[(
                    "report",
                    &json!({"category": "avvik", "severity": "lav", "description": "x"})
                        .to_string(),
                )],
            ),
            "empty_attachment",
        ),
    ] {
        let r = raw_post(&app, &client, "/api/v1/reports", content_type, body, None).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{content_type}: {r}");
        let error: serde_json::Value = serde_json::from_str(&r.text).unwrap();
        assert_eq!(error["error"]["code"], code, "{r}");
    }
    assert_eq!(case_count(&app).await, 0);
    assert!(
        app.attachment_files().is_empty(),
        "{:?}",
        app.attachment_files()
    );

    // Follow-up uploads: the API and the reply page.
    let code = app
        .report(&json!({"category": "avvik", "severity": "lav", "description": "x"}))
        .await;
    let token = app.reporter_token(&code).await;
    for (content_type, body, error_code) in [
        (
            "multipart/form-data; boundary=XyZ",
            garbage.clone(),
            "malformed_multipart",
        ),
        (
            "multipart/form-data; boundary=XyZ",
            empty_file_body(None, &[]),
            "empty_attachment",
        ),
    ] {
        let r = raw_post(
            &app,
            &app.client(),
            "/api/v1/reporter/case/attachments",
            content_type,
            body,
            Some(&token),
        )
        .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{r}");
        let error: serde_json::Value = serde_json::from_str(&r.text).unwrap();
        assert_eq!(error["error"]["code"], error_code, "{r}");
    }
    let reporter = app.reporter_login(&code).await;
    let r = raw_post(
        &app,
        &reporter,
        "/case/reply",
        "multipart/form-data; boundary=XyZ",
        empty_file_body(Some(&reporter.csrf), &[("message", "Med tom fil")]),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{r}");
    assert!(
        r.contains("er tom (0 byte)") && r.contains(">Med tom fil</textarea>"),
        "{r}"
    );
    let r = raw_post(
        &app,
        &reporter,
        "/case/reply",
        "multipart/form-data",
        garbage,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{r}");
    assert_eq!(case_count(&app).await, 1);
    assert!(
        app.attachment_files().is_empty(),
        "{:?}",
        app.attachment_files()
    );
    let rows = app
        .db
        .text_rows("SELECT CAST(COUNT(*) AS TEXT) FROM attachments")
        .await;
    assert_eq!(rows[0][0], "0");
    let rows = app
        .db
        .text_rows("SELECT CAST(COUNT(*) AS TEXT) FROM messages")
        .await;
    assert_eq!(rows[0][0], "0");
    app.teardown().await;
}

async fn head_is_answered_like_get_and_wrong_methods_get_405(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.cookieless_client();
    for path in [
        "/",
        "/report",
        "/followup",
        "/staff/login",
        "/stats",
        "/api/v1/categories",
    ] {
        let get = client.get(app.url(path)).send().await.unwrap();
        let head = client.head(app.url(path)).send().await.unwrap();
        assert_eq!(head.status(), get.status(), "HEAD {path}");
        assert_eq!(
            head.headers().get("content-type"),
            get.headers().get("content-type"),
            "HEAD {path}"
        );
        assert!(
            head.bytes().await.unwrap().is_empty(),
            "HEAD {path} has no body"
        );
    }
    for (method, path, allow) in [
        (Method::PUT, "/", "GET, HEAD"),
        (Method::DELETE, "/report", "GET, HEAD, POST"),
        (Method::PATCH, "/report/receipt", "GET, HEAD, POST"),
        (Method::PUT, "/case/reply", "POST"),
        (Method::DELETE, "/stats", "GET, HEAD"),
    ] {
        let r = Page::read(
            client
                .request(method.clone(), app.url(&format!("{path}?lang=en")))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert_eq!(r.headers["allow"], allow, "{method} {path}");
        assert!(r.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        assert!(
            r.contains("This address does not take this kind of request"),
            "{r}"
        );
    }
    let r = app
        .api_send(app.api_request(Method::PUT, "/categories", None))
        .await;
    r.expect_error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    assert_eq!(r.headers["allow"], "GET, HEAD");
    // Paths that do not exist are still "not found".
    let r = client.put(app.url("/nowhere")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    app.teardown().await;
}

async fn a_reply_survives_an_ended_session(backend: Backend) {
    let clock = ManualClock::new(time::macros::datetime!(2026-03-02 09:00 UTC));
    let app = TestApp::spawn_with_clock(backend, Arc::new(clock.clone()), |s| {
        s.sessions.reporter_idle_minutes = 30;
    })
    .await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let code = app.file_report(&ReportForm::new("Første melding")).await;
    let reporter = app.reporter_login(&code).await;
    // The reporter writes for longer than the idle timeout.
    clock.advance(time::Duration::minutes(31));
    let reply = "Svar skrevet <b>sakte</b> & \"nøye\"";
    let r = app
        .reporter_reply(
            &reporter,
            Some(&reporter.csrf),
            reply,
            &[("bilde.pdf", vec![1; 10])],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{r}");
    assert!(
        r.contains("Svar skrevet &#60;b&#62;sakte&#60;/b&#62; &#38; &#34;nøye&#34;")
            || r.contains("Svar skrevet &lt;b&gt;sakte&lt;/b&gt; &amp; &quot;nøye&quot;"),
        "the reply is kept, escaped: {r}"
    );
    assert!(r.contains("name=\"code\""), "asks for the code: {r}");
    assert!(
        r.contains("legg dem til på nytt"),
        "says files must be added again"
    );
    assert!(app.attachment_files().is_empty(), "the file was not stored");
    // A wrong code keeps both.
    let csrf = r.csrf();
    let wrong = "ABCD-EFGH-JKMN-PQRS-TVWX-YZ01";
    let r = app
        .post_form_with_token(
            &reporter,
            Some(&csrf),
            "/followup",
            &[("code", wrong), ("message", reply)],
        )
        .await;
    assert!(
        r.contains("&#34;nøye&#34;") || r.contains("&quot;nøye&quot;"),
        "{r}"
    );
    assert!(r.contains(&format!("value=\"{wrong}\"")), "{r}");
    // The right code posts it.
    let r = app
        .post_form_with_token(
            &reporter,
            Some(&csrf),
            "/followup",
            &[("code", &code), ("message", reply)],
        )
        .await;
    r.assert_see_other("/case");
    let case = app.page(&reporter, "/case").await;
    assert!(case.contains("sakte"), "{case}");
    let rows = app
        .db
        .text_rows("SELECT CAST(COUNT(*) AS TEXT) FROM messages")
        .await;
    assert_eq!(rows[0][0], "1", "posted once");
    app.teardown().await;
}

async fn a_retaliation_report_survives_an_ended_session_and_a_failed_token(backend: Backend) {
    let clock = ManualClock::new(time::macros::datetime!(2026-03-02 09:00 UTC));
    let app = TestApp::spawn_with_clock(backend, Arc::new(clock.clone()), |s| {
        s.sessions.reporter_idle_minutes = 30;
    })
    .await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let code = app.file_report(&ReportForm::new("Første melding")).await;
    let reporter = app.reporter_login(&code).await;
    let report = "Lederen <i>flyttet</i> meg & tok fra meg \"oppgavene\"";
    let kept =
        |page: &str| page.contains("&#34;oppgavene&#34;") || page.contains("&quot;oppgavene&quot;");
    // A token that fails while the session lives: the case page again,
    // with the report as typed.
    let r = app
        .post_form_with_token(
            &reporter,
            Some(&"0".repeat(64)),
            "/case/retaliation",
            &[("retaliation", report)],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{r}");
    assert!(kept(&r), "{r}");
    // The reporter writes for longer than the idle timeout.
    clock.advance(time::Duration::minutes(31));
    let r = app
        .post_form_with_token(
            &reporter,
            Some(&reporter.csrf),
            "/case/retaliation",
            &[("retaliation", report)],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{r}");
    assert!(kept(&r), "the report is kept: {r}");
    assert!(r.contains("name=\"code\""), "asks for the code: {r}");
    assert!(r.contains("name=\"retaliation\""), "{r}");
    assert_eq!(rows_in(&app, "messages").await, 0, "nothing stored yet");
    // The right code files it, as a retaliation report.
    let csrf = r.csrf();
    let r = app
        .post_form_with_token(
            &reporter,
            Some(&csrf),
            "/followup",
            &[("code", &code), ("retaliation", report)],
        )
        .await;
    r.assert_see_other("/case");
    let kinds = app.db.text_rows("SELECT kind FROM messages").await;
    assert_eq!(kinds, vec![vec!["retaliation".to_owned()]], "filed once");
    let case = app.page(&reporter, "/case").await;
    assert!(kept(&case), "{case}");
    app.teardown().await;
}

async fn forms_sent_from_another_site_are_refused_unread(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let planted = "PLANTED-TOKEN-0123456789abcdef";
    let code = "ABCD-EFGH-JKMN-PQRS-TVWX-YZ01";
    // Another site (here a sibling one, such as the intranet) posts the
    // report form through a language button, the code login and a reply:
    // each is refused before anything is read, and nothing is drawn from
    // what it sent.
    for (path, body) in [
        (
            "/report?lang=nn&rerender=1",
            Form::new()
                .text("submission", planted)
                .text("description", "Planted text"),
        ),
        (
            "/report",
            Form::new()
                .text("submission", planted)
                .text("description", "Planted text"),
        ),
        ("/case/reply", Form::new().text("message", "Planted text")),
    ] {
        let r = Page::read(
            app.client()
                .post(app.url(path))
                .header("Sec-Fetch-Site", "same-site")
                .multipart(body)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}: {r}");
        let said = [
            "sendt fra et annet nettsted",
            "sendt frå ein annan nettstad",
        ];
        assert!(said.iter().any(|m| r.contains(m)), "{path}: {r}");
        assert!(!r.contains(planted) && !r.contains("Planted text"), "{r}");
    }
    for (path, fields) in [
        (
            "/followup",
            vec![("code", code), ("message", "Planted text")],
        ),
        ("/case/retaliation", vec![("retaliation", "Planted text")]),
    ] {
        let r = Page::read(
            app.client()
                .post(app.url(&format!("{path}?lang=en")))
                .header("Sec-Fetch-Site", "cross-site")
                .form(&fields)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}: {r}");
        assert!(r.contains("sent from another website"), "{path}: {r}");
        assert!(!r.contains(code) && !r.contains("Planted text"), "{r}");
    }
    assert_eq!(case_count(&app).await, 0);
    assert_eq!(rows_in(&app, "messages").await, 0);
    // The same form from Varsel's own pages goes through.
    let client = app.client();
    let (csrf, submission) = form_tokens(&app, &client).await;
    let r = Page::read(
        client
            .post(app.url("/report"))
            .header("Sec-Fetch-Site", "same-origin")
            .multipart(report_body(
                &ReportForm::new("Egen tekst"),
                &csrf,
                &submission,
            ))
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.assert_see_other("/report/receipt");
    assert_eq!(case_count(&app).await, 1);
    // The API is not concerned.
    app.submit_report(&json!({"category": "avvik", "severity": "middels", "description": "API"}))
        .await
        .expect(StatusCode::CREATED);
    app.teardown().await;
}

async fn typed_text_survives_a_failed_csrf_check(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    // The report form, with a token that fails (the browser lost its cookie).
    let mut report = ReportForm::new("Beskrivelse som ikke må gå tapt");
    report.place = "Lageret";
    report.files = vec![("a.pdf", vec![7; 100])];
    let (_, submission) = form_tokens(&app, &app.client()).await;
    let fresh = app.client();
    let r = app
        .post_multipart(
            &fresh,
            "/report",
            report_body(&report, &"0".repeat(64), &submission),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{r}");
    assert!(
        r.contains(">Beskrivelse som ikke må gå tapt</textarea>"),
        "{r}"
    );
    assert!(r.contains("value=\"Lageret\""), "{r}");
    assert!(r.contains("vedlegg må velges på nytt"), "{r}");
    // A request nothing vouches for (it may come from another site) does
    // not pass its submission token on: the form gets a fresh one, so a
    // planted token can never later tell whether this visitor reported.
    let renewed = submission_of(&r);
    assert_ne!(renewed, submission, "a fresh submission token");
    assert!(!r.contains(&format!("value=\"{submission}\"")));
    assert_eq!(case_count(&app).await, 0);
    assert!(app.attachment_files().is_empty());
    // The form shown again posts.
    let again = app
        .post_multipart(&fresh, "/report", report_body(&report, &r.csrf(), &renewed))
        .await;
    again.assert_see_other("/report/receipt");
    assert_eq!(case_count(&app).await, 1);

    // A reply with a failed token, the session alive.
    let code = app.file_report(&ReportForm::new("Sak")).await;
    let reporter = app.reporter_login(&code).await;
    let r = app
        .reporter_reply(
            &reporter,
            Some(&"1".repeat(64)),
            "Et svar som blir værende",
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{r}");
    assert!(r.contains(">Et svar som blir værende</textarea>"), "{r}");
    let rows = app
        .db
        .text_rows("SELECT CAST(COUNT(*) AS TEXT) FROM messages")
        .await;
    assert_eq!(rows[0][0], "0");
    app.teardown().await;
}

async fn a_wrong_code_is_kept_in_the_code_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for typed in ["ABCD-EFGH-JKMN-PQRS-TVWX-YZ01", "ABCD-EFG"] {
        let (_, r) = app.reporter_login_attempt(typed).await;
        assert!(r.status.is_client_error(), "{r}");
        assert!(r.contains(&format!("value=\"{typed}\"")), "{r}");
    }
    app.teardown().await;
}

async fn the_language_buttons_keep_what_was_typed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let client = app.client();
    let page = app.page(&client, "/report").await;
    assert!(
        page.contains(
            "form=\"report-form\" formaction=\"/report?lang=en&amp;rerender=1\" formnovalidate"
        ),
        "{page}"
    );
    let (csrf, submission) = form_tokens(&app, &client).await;
    let mut report = ReportForm::new("Tekst skrevet før språkbytte");
    report.files = vec![("a.pdf", vec![7; 100])];
    let r = app
        .post_multipart(
            &client,
            "/report?lang=en&rerender=1",
            report_body(&report, &csrf, &submission),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r}");
    assert!(r.contains("<html lang=\"en\""), "{r}");
    assert!(
        r.contains(">Tekst skrevet før språkbytte</textarea>"),
        "{r}"
    );
    assert!(r.contains("value=\"i mars\""), "{r}");
    assert!(!r.contains("role=\"alert\""), "no errors: {r}");
    // The language button sent no CSRF proof: the submission token is new.
    assert_ne!(submission_of(&r), submission);
    assert_eq!(case_count(&app).await, 0, "nothing stored");
    assert!(app.attachment_files().is_empty());
    // And back, then sent: one case.
    let r = app
        .post_multipart(
            &client,
            "/report?lang=nb&rerender=1",
            report_body(&report, &r.csrf(), &submission),
        )
        .await;
    assert!(
        r.contains("<html lang=\"nb\"") && r.contains(">Tekst skrevet før språkbytte</textarea>")
    );
    let sent = app
        .post_multipart(&client, "/report", report_body(&report, &csrf, &submission))
        .await;
    sent.assert_see_other("/report/receipt");
    assert_eq!(case_count(&app).await, 1);

    // The reply form and the code login form.
    let code = app.file_report(&ReportForm::new("Sak")).await;
    let reporter = app.reporter_login(&code).await;
    let r = app
        .post_multipart(
            &reporter,
            "/case/reply?lang=en&rerender=1",
            Form::new()
                .text("csrf", reporter.csrf.clone())
                .text("message", "Et svar under arbeid")
                .part("attachment", Part::bytes(vec![1; 10]).file_name("x.pdf")),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r}");
    assert!(
        r.contains("<html lang=\"en\"") && r.contains(">Et svar under arbeid</textarea>"),
        "{r}"
    );
    let rows = app
        .db
        .text_rows("SELECT CAST(COUNT(*) AS TEXT) FROM messages")
        .await;
    assert_eq!(rows[0][0], "0");
    let r = app
        .post_form_with_token(
            &app.client(),
            Some("x"),
            "/followup?lang=en&rerender=1",
            &[("code", "ABCD-12")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r}");
    assert!(
        r.contains("<html lang=\"en\"") && r.contains("value=\"ABCD-12\""),
        "{r}"
    );
    app.teardown().await;
}
