//! The JSON API (`/api/v1/`, docs/api.md) through HTTP, on both backends: the
//! two-way flow, access by bearer token only, 404 for cases not routed to the
//! caller, validation errors that store nothing, attachments and rate limits.

use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::app::{Backend, ServedBinary, TestApp, PASSWORD};
use crate::for_each_backend;

fn report(description: &str) -> Value {
    json!({
        "category": "avvik",
        "severity": "middels",
        "description": description,
        "when": "i går kveld",
        "place": "serverrommet",
    })
}

/// A code that passes the check symbol but opens no case.
fn unknown_code() -> String {
    varsel_crypto::CaseCode::generate()
        .expose_grouped()
        .as_str()
        .to_owned()
}

/// `code` with its first symbol replaced by another one.
fn with_typo(code: &str) -> String {
    let first = code.chars().next().unwrap();
    let other = if first == 'A' { 'B' } else { 'A' };
    format!("{other}{}", &code[1..])
}

async fn two_way_flow(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hanne = app.add_user("hanne", "Hanne Handler", &["handler"]).await;

    // What the reporter chooses from.
    let catalog = app
        .api_get("/categories?lang=en", None)
        .await
        .expect(StatusCode::OK);
    assert_eq!(catalog["categories"][1]["key"], "avvik");
    assert_eq!(
        catalog["categories"][1]["label"],
        "Information-security deviation"
    );
    assert_eq!(catalog["severities"].as_array().unwrap().len(), 4);
    let handlers = app.api_get("/handlers", None).await.expect(StatusCode::OK);
    assert_eq!(
        handlers,
        json!([{"id": hanne.to_string(), "display_name": "Hanne Handler"}])
    );

    // Submit: a case code and the acknowledgement deadline, 7 days on.
    let submitted = app
        .submit_report(&report("Skjermen ble stående ulåst."))
        .await
        .expect(StatusCode::CREATED);
    let code = submitted["case_code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 29, "six groups of four: {code}");
    let received = time::OffsetDateTime::now_utc().date();
    let due = (received + time::Duration::days(7)).to_string();
    assert_eq!(submitted["acknowledge_by"], due);

    // The handler finds it in the inbox and reads it.
    let staff = app.staff_token("hanne").await;
    let inbox = app.api_inbox(&staff).await;
    assert_eq!(inbox.len(), 1);
    let item = &inbox[0];
    assert_eq!(item["category"], "avvik");
    assert_eq!(item["severity"], "middels");
    assert_eq!(item["status"], "received");
    assert_eq!(item["received_on"], received.to_string());
    assert_eq!(item["next_deadline"], due);
    assert_eq!(item["unread"], true);
    let id = item["id"].as_str().unwrap().to_owned();
    let case = app.api_case(&staff, &id).await.expect(StatusCode::OK);
    assert_eq!(case["report"]["description"], "Skjermen ble stående ulåst.");
    assert_eq!(case["report"]["when"], "i går kveld");
    assert_eq!(case["report"]["place"], "serverrommet");
    assert_eq!(case["messages"], json!([]));
    assert_eq!(app.api_inbox(&staff).await[0]["unread"], false);

    // The handler acknowledges, investigates and replies.
    let r = app.api_acknowledge(&staff, &id).await;
    assert_eq!(r.expect(StatusCode::OK)["status"], "acknowledged");
    let r = app.api_set_status(&staff, &id, "under_investigation").await;
    assert_eq!(r.expect(StatusCode::OK)["status"], "under_investigation");
    app.api_reply(&staff, &id, "Takk. Hvilken etasje?")
        .await
        .expect(StatusCode::CREATED);

    // The reporter logs in with the code (any case, spaces for hyphens) and reads it.
    let reporter = app
        .reporter_token(&code.to_lowercase().replace('-', " "))
        .await;
    let mine = app
        .api_reporter_case(&reporter)
        .await
        .expect(StatusCode::OK);
    assert_eq!(mine["status"], "under_investigation");
    assert_eq!(mine["received_on"], received.to_string());
    assert!(mine["answer_due"].is_string());
    assert_eq!(mine["report"]["description"], "Skjermen ble stående ulåst.");
    assert_eq!(
        mine["messages"],
        json!([{"author": "staff", "date": received.to_string(), "body": "Takk. Hvilken etasje?", "unreadable": false, "kind": "message"}])
    );
    let text = mine.to_string();
    assert!(
        !text.contains("Hanne") && !text.contains(&hanne.to_string()) && !text.contains(&id),
        "staff names and ids never reach the reporter: {text}"
    );

    // The reporter answers; the handler sees it as unread and reads it.
    app.api_reporter_reply(&reporter, "Tredje etasje.")
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(app.api_inbox(&staff).await[0]["unread"], true);
    let case = app.api_case(&staff, &id).await.expect(StatusCode::OK);
    let messages = case["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["author"], "staff");
    assert_eq!(messages[0]["author_name"], "Hanne Handler");
    assert!(messages[0]["time"].as_str().unwrap().ends_with('Z'));
    assert_eq!(messages[1]["author"], "reporter");
    assert_eq!(messages[1]["author_name"], Value::Null);
    assert_eq!(messages[1]["time"], Value::Null, "reporter times are days");
    assert_eq!(messages[1]["body"], "Tredje etasje.");

    // Logging out ends the tokens.
    let r = app.api_delete("/reporter/session", Some(&reporter)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = app.api_reporter_case(&reporter).await;
    r.expect_error(StatusCode::UNAUTHORIZED, "unauthorized");
    let r = app.api_delete("/staff/session", Some(&staff)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = app.api_get("/staff/cases", Some(&staff)).await;
    r.expect_error(StatusCode::UNAUTHORIZED, "unauthorized");
    app.teardown().await;
}

/// The docs/api.md walk-through, against the real binary with the handler
/// created by `varsel user add`; the log never holds the code or the content.
async fn docs_walkthrough_on_the_binary(backend: Backend) {
    let served = ServedBinary::start(backend).await;
    served.add_user("hanne", Some("Hanne Handler"), "handler");
    let code = served
        .report(&json!({
            "category": "avvik",
            "severity": "middels",
            "description": "Fant en ulåst PC på møterommet.",
            "when": "i går",
            "place": "møterom 2",
        }))
        .await;
    let staff = served.staff_token("hanne").await;
    let inbox = served.api_inbox(&staff).await;
    let id = inbox[0]["id"].as_str().unwrap().to_owned();
    let case = served.api_case(&staff, &id).await.expect(StatusCode::OK);
    assert_eq!(
        case["report"]["description"],
        "Fant en ulåst PC på møterommet."
    );
    served
        .api_reply(&staff, &id, "Takk! Var skjermen låst?")
        .await
        .expect(StatusCode::CREATED);
    let reporter = served.reporter_token(&code).await;
    let mine = served
        .api_reporter_case(&reporter)
        .await
        .expect(StatusCode::OK);
    assert_eq!(mine["messages"][0]["body"], "Takk! Var skjermen låst?");
    served
        .api_reporter_reply(&reporter, "Nei, den var ulåst.")
        .await
        .expect(StatusCode::CREATED);
    let case = served.api_case(&staff, &id).await.expect(StatusCode::OK);
    assert_eq!(case["messages"][1]["body"], "Nei, den var ulåst.");
    let log = served.stop().await;
    let canonical = code.replace('-', "");
    for secret in [
        code.as_str(),
        canonical.as_str(),
        "ulåst",
        "møterom",
        &reporter,
        &staff,
    ] {
        assert!(!log.contains(secret), "the log contains {secret:?}");
    }
    assert!(log.contains("/api/v1/staff"), "staff requests are logged");
    assert!(
        !log.contains("/api/v1/reports"),
        "reporter requests are not (SPEC §3.5)"
    );
}

async fn cases_not_routed_to_the_caller_are_not_found(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let _hanne = app.add_user("hanne", "Hanne", &["handler"]).await;
    let per = app.add_user("per", "Per", &["handler"]).await;
    let mut excluding_per = report("Per har gjort noe.");
    excluding_per["exclude"] = json!([per.to_string()]);
    let code = app.report(&excluding_per).await;
    let hanne_token = app.staff_token("hanne").await;
    let id = app.api_inbox(&hanne_token).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let reporter = app.reporter_token(&code).await;
    let form = Form::new().part(
        "attachment",
        Part::bytes(b"bevis".to_vec()).file_name("bevis.txt"),
    );
    let uploaded = app
        .api_upload("/reporter/case/attachments", Some(&reporter), form)
        .await
        .expect(StatusCode::CREATED);
    let attachment = uploaded[0]["id"].as_str().unwrap().to_owned();

    let per_token = app.staff_token("per").await;
    assert!(app.api_inbox(&per_token).await.is_empty());
    let nonexistent = Uuid::new_v4().to_string();
    for case in [id.as_str(), nonexistent.as_str(), "not-a-uuid"] {
        let mut bodies = Vec::new();
        let get = [
            format!("/staff/cases/{case}"),
            format!("/staff/cases/{case}/attachments/{attachment}"),
        ];
        for path in &get {
            let r = app.api_get(path, Some(&per_token)).await;
            bodies.push(r.expect_error(StatusCode::NOT_FOUND, "not_found"));
        }
        let posts = [
            (
                format!("/staff/cases/{case}/messages"),
                json!({"body": "Hei"}),
            ),
            (format!("/staff/cases/{case}/acknowledge"), json!({})),
            (
                format!("/staff/cases/{case}/status"),
                json!({"status": "closed"}),
            ),
        ];
        for (path, body) in &posts {
            let r = app.api_post(path, Some(&per_token), body).await;
            bodies.push(r.expect_error(StatusCode::NOT_FOUND, "not_found"));
        }
        let form = Form::new().part("attachment", Part::bytes(b"x".to_vec()).file_name("x"));
        let r = app
            .api_upload(
                &format!("/staff/cases/{case}/attachments"),
                Some(&per_token),
                form,
            )
            .await;
        bodies.push(r.expect_error(StatusCode::NOT_FOUND, "not_found"));
        assert!(bodies.windows(2).all(|w| w[0] == w[1]), "identical 404s");
    }
    // Nothing Per tried changed the case.
    let case = app.api_case(&hanne_token, &id).await.expect(StatusCode::OK);
    assert_eq!(case["status"], "received");
    assert_eq!(case["messages"], json!([]));
    assert_eq!(case["attachments"].as_array().unwrap().len(), 1);
    app.teardown().await;
}

async fn a_bearer_api_token_is_required(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_user("hanne", "Hanne", &["handler"]).await;
    app.add_user("admin", "Admin", &["admin"]).await;
    let code = app.report(&report("Noe skjedde.")).await;
    let staff = app.staff_token("hanne").await;
    let id = app.api_inbox(&staff).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let reporter = app.reporter_token(&code).await;
    let reporter_paths = [
        "/reporter/case".to_owned(),
        format!("/reporter/case/attachments/{}", Uuid::new_v4()),
    ];
    let staff_paths = ["/staff/cases".to_owned(), format!("/staff/cases/{id}")];

    // No token, a made-up token, another scheme.
    for path in reporter_paths.iter().chain(&staff_paths) {
        let r = app.api_get(path, None).await;
        assert_eq!(r.headers["www-authenticate"], "Bearer realm=\"varsel\"");
        r.expect_error(StatusCode::UNAUTHORIZED, "unauthorized");
        let r = app.api_get(path, Some(&"0".repeat(64))).await;
        r.expect_error(StatusCode::UNAUTHORIZED, "unauthorized");
        let basic = app
            .api_request(Method::GET, path, None)
            .header("Authorization", format!("Basic {staff}"));
        let r = app.api_send(basic).await;
        r.expect_error(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    let r = app
        .api_post("/reporter/case/messages", None, &json!({"body": "hei"}))
        .await;
    r.expect_error(StatusCode::UNAUTHORIZED, "unauthorized");

    // A token of the other kind.
    for path in &reporter_paths {
        let r = app.api_get(path, Some(&staff)).await;
        r.expect_error(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    for path in &staff_paths {
        let r = app.api_get(path, Some(&reporter)).await;
        r.expect_error(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    let r = app.api_delete("/staff/session", Some(&reporter)).await;
    r.expect_error(StatusCode::UNAUTHORIZED, "unauthorized");

    // Staff who do not work cases.
    let admin = app.staff_token("admin").await;
    for path in &staff_paths {
        let r = app.api_get(path, Some(&admin)).await;
        r.expect_error(StatusCode::FORBIDDEN, "forbidden");
    }

    // A cookie session from the pages is no bearer token, and the token is
    // no cookie: cookies are never read by the API.
    let login = app
        .staff_login_attempt(&app.client(), "hanne", PASSWORD)
        .await;
    assert!(
        login.status.is_redirection(),
        "page login: {}",
        login.status
    );
    let cookie_session = login
        .cookie("varsel_session")
        .expect("the login sets a session cookie");
    for path in &staff_paths {
        let r = app.api_get(path, Some(&cookie_session)).await;
        r.expect_error(StatusCode::UNAUTHORIZED, "unauthorized");
        let with_cookie = app
            .api_request(Method::GET, path, None)
            .header("Cookie", format!("varsel_session={cookie_session}"));
        let r = app.api_send(with_cookie).await;
        r.expect_error(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    let resp = app
        .client()
        .get(app.url("/staff/inbox"))
        .header("Cookie", format!("varsel_session={staff}"))
        .send()
        .await
        .unwrap();
    let page = resp.text().await.unwrap();
    assert!(
        !page.contains(&id),
        "an API token opens no page: the inbox must not list the case"
    );

    // Unknown paths and methods answer in JSON too.
    let r = app.api_get("/no/such/thing", Some(&staff)).await;
    r.expect_error(StatusCode::NOT_FOUND, "not_found");
    let r = app.api_delete("/staff/cases", Some(&staff)).await;
    r.expect_error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    app.teardown().await;
}

async fn bad_inputs_get_their_own_error_and_store_nothing(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.limits.max_body_bytes = 16 * 1024;
        s.limits.max_text_chars = 1_000;
    })
    .await;
    let hanne = app.add_user("hanne", "Hanne", &["handler"]).await;
    let stored = || async { app.held_cases(hanne).await.len() };

    let mut cases: Vec<(Value, StatusCode, &str, Option<&str>)> = Vec::new();
    cases.push((
        report("   "),
        StatusCode::BAD_REQUEST,
        "text_required",
        Some("description"),
    ));
    cases.push((
        report(&"x".repeat(1_001)),
        StatusCode::BAD_REQUEST,
        "text_too_long",
        Some("description"),
    ));
    let mut r = report("ok");
    r["place"] = json!("p".repeat(201));
    cases.push((r, StatusCode::BAD_REQUEST, "text_too_long", Some("place")));
    let mut r = report("ok");
    r["category"] = json!("tyveri");
    cases.push((r, StatusCode::BAD_REQUEST, "unknown_category", None));
    let mut r = report("ok");
    r["severity"] = json!("høy");
    cases.push((r, StatusCode::BAD_REQUEST, "unknown_severity", None));
    let mut r = report("ok");
    r["descripton"] = json!("typo in a field name");
    cases.push((r, StatusCode::BAD_REQUEST, "invalid_json", None));
    let mut r = report("ok");
    r["exclude"] = json!([hanne.to_string()]);
    cases.push((
        r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no_eligible_handler",
        None,
    ));
    let mut r = report("ok");
    r["exclude"] = json!([Uuid::new_v4().to_string()]);
    cases.push((r, StatusCode::BAD_REQUEST, "unknown_handler", None));
    cases.push((
        report(&"y".repeat(20 * 1024)),
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        None,
    ));
    for (body, status, code, field) in cases {
        let error = app.submit_report(&body).await.expect_error(status, code);
        if let Some(field) = field {
            assert_eq!(error["field"], field);
        }
        assert_eq!(stored().await, 0, "{code}: nothing stored");
    }

    // Limits are named in the message, in the caller's language.
    let r = app
        .with_language("en-GB,en;q=0.8")
        .submit_report(&report(&"x".repeat(1_001)))
        .await;
    let error = r.expect_error(StatusCode::BAD_REQUEST, "text_too_long");
    assert_eq!(error["limit"], 1_000);
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("1000") && message.contains("too long"),
        "{message}"
    );
    let r = app.api_post("/reports?lang=nb", None, &report("")).await;
    let error = r.expect_error(StatusCode::BAD_REQUEST, "text_required");
    assert!(error["message"].as_str().unwrap().contains("Feltet"));

    // Not JSON, or not declared as JSON.
    let malformed = app
        .api_request(Method::POST, "/reports", None)
        .header("Content-Type", "application/json")
        .body("{\"category\": ");
    let r = app.api_send(malformed).await;
    r.expect_error(StatusCode::BAD_REQUEST, "invalid_json");
    let undeclared = app
        .api_request(Method::POST, "/reports", None)
        .body(report("ok").to_string());
    let r = app.api_send(undeclared).await;
    r.expect_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    assert_eq!(stored().await, 0);

    // Case codes: wrong length, wrong character, typo, unknown.
    let code = app.report(&report("Den ekte saken.")).await;
    assert_eq!(stored().await, 1);
    let short = &code[..code.len() - 1];
    let code_login = |code: String| {
        let app = &app;
        async move {
            app.api_post("/reporter/session", None, &json!({ "code": code }))
                .await
        }
    };
    let r = code_login(short.to_owned()).await;
    let error = r.expect_error(StatusCode::BAD_REQUEST, "code_length");
    assert!(error["message"].as_str().unwrap().contains("23"));
    let r = code_login(format!("!{short}")).await;
    r.expect_error(StatusCode::BAD_REQUEST, "code_character");
    let r = code_login(with_typo(&code)).await;
    r.expect_error(StatusCode::BAD_REQUEST, "code_typo");
    let guess = unknown_code();
    let r = code_login(guess.clone()).await;
    let error = r.expect_error(StatusCode::UNAUTHORIZED, "code_unknown");
    assert!(
        !error.to_string().contains(&guess[..9]),
        "errors never echo the code"
    );
    for (username, password) in [("hanne", "wrong password!"), ("nobody", PASSWORD)] {
        let r = app
            .api_post(
                "/staff/session",
                None,
                &json!({"username": username, "password": password}),
            )
            .await;
        r.expect_error(StatusCode::UNAUTHORIZED, "login_failed");
    }

    // Messages, statuses and sort orders.
    let reporter = app.reporter_token(&code).await;
    let r = app.api_reporter_reply(&reporter, " ").await;
    let error = r.expect_error(StatusCode::BAD_REQUEST, "text_required");
    assert_eq!(error["field"], "body");
    let staff = app.staff_token("hanne").await;
    let id = app.api_inbox(&staff).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app.api_reply(&staff, &id, &"z".repeat(1_001)).await;
    r.expect_error(StatusCode::BAD_REQUEST, "text_too_long");
    let r = app.api_set_status(&staff, &id, "done").await;
    r.expect_error(StatusCode::BAD_REQUEST, "unknown_status");
    let r = app.api_get("/staff/cases?sort=colour", Some(&staff)).await;
    r.expect_error(StatusCode::BAD_REQUEST, "unknown_sort");
    for sort in ["deadline", "received"] {
        let r = app
            .api_get(&format!("/staff/cases?sort={sort}"), Some(&staff))
            .await;
        assert_eq!(
            r.expect(StatusCode::OK)["cases"].as_array().unwrap().len(),
            1
        );
    }
    let case = app.api_case(&staff, &id).await.expect(StatusCode::OK);
    assert_eq!(case["status"], "received");
    assert_eq!(case["messages"], json!([]));
    app.teardown().await;
}

/// Every byte value, and more than one 64 KiB encryption chunk.
fn sample_bytes(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 256) as u8).collect()
}

async fn attachments_round_trip_byte_exact(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.limits.max_attachment_bytes = 300_000;
        s.limits.max_attachments_per_case = 3;
    })
    .await;
    let hanne = app.add_user("hanne", "Hanne", &["handler"]).await;

    // Submitted with the report (multipart: `report` first, then files).
    let first = sample_bytes(200_000);
    let form = Form::new()
        .percent_encode_noop()
        .part(
            "report",
            Part::text(report("Se vedlegget.").to_string())
                .mime_str("application/json")
                .unwrap(),
        )
        .part(
            "attachment",
            Part::bytes(first.clone())
                .file_name("skjermbilde ærlig.png")
                .mime_str("image/png")
                .unwrap(),
        );
    let code = app
        .api_upload("/reports", None, form)
        .await
        .expect(StatusCode::CREATED)["case_code"]
        .as_str()
        .unwrap()
        .to_owned();
    let reporter = app.reporter_token(&code).await;
    let mine = app
        .api_reporter_case(&reporter)
        .await
        .expect(StatusCode::OK);
    let listed = &mine["attachments"][0];
    assert_eq!(listed["name"], "skjermbilde ærlig.png");
    assert_eq!(listed["author"], "reporter");
    let first_id = listed["id"].as_str().unwrap().to_owned();
    let (bytes, disposition) = app
        .api_download(&format!("/reporter/case/attachments/{first_id}"), &reporter)
        .await;
    assert!(bytes == first, "byte-exact");
    assert!(disposition.starts_with("attachment"), "{disposition}");
    assert!(disposition.contains("filename*=UTF-8''"), "{disposition}");

    // Added later by the reporter.
    let second = sample_bytes(70_000).into_iter().rev().collect::<Vec<u8>>();
    let form = Form::new().part(
        "attachment",
        Part::bytes(second.clone()).file_name("logg.txt"),
    );
    let uploaded = app
        .api_upload("/reporter/case/attachments", Some(&reporter), form)
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(uploaded[0]["name"], "logg.txt");
    let second_id = uploaded[0]["id"].as_str().unwrap().to_owned();

    // Too large while the case still has room: refused, nothing left behind.
    let form = Form::new().part(
        "attachment",
        Part::bytes(vec![1u8; 300_001]).file_name("stor.bin"),
    );
    let r = app
        .api_upload("/reporter/case/attachments", Some(&reporter), form)
        .await;
    let error = r.expect_error(StatusCode::PAYLOAD_TOO_LARGE, "attachment_too_large");
    assert_eq!(error["limit"], 300_000);

    // The handler sees and downloads both, and adds one.
    let staff = app.staff_token("hanne").await;
    let id = app.api_inbox(&staff).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let case = app.api_case(&staff, &id).await.expect(StatusCode::OK);
    assert_eq!(case["attachments"].as_array().unwrap().len(), 2);
    for (aid, expected) in [(&first_id, &first), (&second_id, &second)] {
        let (bytes, _) = app
            .api_download(&format!("/staff/cases/{id}/attachments/{aid}"), &staff)
            .await;
        assert!(&bytes == expected, "byte-exact for staff");
    }
    let third = b"Svar fra saksbehandler".to_vec();
    let form = Form::new().part(
        "attachment",
        Part::bytes(third.clone()).file_name("svar.txt"),
    );
    let third_id = app
        .api_upload(
            &format!("/staff/cases/{id}/attachments"),
            Some(&staff),
            form,
        )
        .await
        .expect(StatusCode::CREATED)[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (bytes, _) = app
        .api_download(&format!("/reporter/case/attachments/{third_id}"), &reporter)
        .await;
    assert_eq!(bytes, third);
    let on_disk = app.attachment_files();
    assert_eq!(on_disk.len(), 3, "{on_disk:?}");
    assert!(on_disk.iter().all(|f| f.ends_with(".age")));

    // Over the limits: refused, nothing left behind.
    let form = Form::new().part("attachment", Part::bytes(b"4".to_vec()).file_name("4.txt"));
    let r = app
        .api_upload("/reporter/case/attachments", Some(&reporter), form)
        .await;
    r.expect_error(StatusCode::BAD_REQUEST, "too_many_attachments");
    let form = Form::new().text("note", "no files");
    let r = app
        .api_upload(
            &format!("/staff/cases/{id}/attachments"),
            Some(&staff),
            form,
        )
        .await;
    r.expect_error(StatusCode::BAD_REQUEST, "attachment_required");
    let r = app
        .api_post(
            "/reporter/case/attachments",
            Some(&reporter),
            &json!({"attachment": "not a file"}),
        )
        .await;
    r.expect_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    assert_eq!(app.attachment_files().len(), 3, "no partial files remain");
    let mine = app
        .api_reporter_case(&reporter)
        .await
        .expect(StatusCode::OK);
    assert_eq!(mine["attachments"].as_array().unwrap().len(), 3);

    // A multipart submission without its report stores nothing.
    let before = app.held_cases(hanne).await.len();
    let form = Form::new().part(
        "attachment",
        Part::bytes(b"orphan".to_vec()).file_name("o.txt"),
    );
    let r = app.api_upload("/reports", None, form).await;
    r.expect_error(StatusCode::BAD_REQUEST, "report_required");
    let form = Form::new().text("report", report("").to_string()).part(
        "attachment",
        Part::bytes(b"orphan".to_vec()).file_name("o.txt"),
    );
    let r = app.api_upload("/reports", None, form).await;
    r.expect_error(StatusCode::BAD_REQUEST, "text_required");
    assert_eq!(app.held_cases(hanne).await.len(), before);
    assert_eq!(app.attachment_files().len(), 3, "no orphaned files");
    app.teardown().await;
}

async fn rate_limits_answer_429(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.rate_limits.submissions_per_minute = 2;
        s.rate_limits.code_logins_per_minute = 2;
        s.rate_limits.staff_logins_per_user_per_minute = 2;
    })
    .await;
    let hanne = app.add_user("hanne", "Hanne", &["handler"]).await;
    let code = app.report(&report("En.")).await;
    app.report(&report("To.")).await;
    let r = app.submit_report(&report("Tre.")).await;
    assert_eq!(r.headers["retry-after"], "60");
    r.expect_error(StatusCode::TOO_MANY_REQUESTS, "too_many_requests");
    assert_eq!(app.held_cases(hanne).await.len(), 2);

    app.reporter_token(&code).await;
    app.reporter_token(&code).await;
    let r = app
        .api_post("/reporter/session", None, &json!({ "code": code }))
        .await;
    assert_eq!(r.headers["retry-after"], "60");
    r.expect_error(StatusCode::TOO_MANY_REQUESTS, "too_many_requests");

    app.staff_token("hanne").await;
    app.staff_token("hanne").await;
    let r = app
        .api_post(
            "/staff/session",
            None,
            &json!({"username": "hanne", "password": PASSWORD}),
        )
        .await;
    r.expect_error(StatusCode::TOO_MANY_REQUESTS, "too_many_requests");
    app.teardown().await;
}

for_each_backend!(
    two_way_flow,
    docs_walkthrough_on_the_binary,
    cases_not_routed_to_the_caller_are_not_found,
    a_bearer_api_token_is_required,
    bad_inputs_get_their_own_error_and_store_nothing,
    attachments_round_trip_byte_exact,
    rate_limits_answer_429,
);
