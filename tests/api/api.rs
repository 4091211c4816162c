//! The JSON API (`/api/v1/`, docs/api.md) through HTTP, on both backends: the
//! two-way flow, access by bearer token only, 404 for cases not routed to the
//! caller, validation errors that store nothing, attachments and rate limits.

use reqwest::multipart::{Form, Part};
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::app::{csrf_of, Backend, ServedBinary, TestApp, PASSWORD};
use crate::for_each_backend;

/// An API client: no cookies, ever.
struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    fn new(address: &str) -> Self {
        Api {
            base: format!("{address}/api/v1"),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn get(&self, path: &str, token: Option<&str>) -> Response {
        let mut req = self.http.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap()
    }

    async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        let mut req = self.http.post(self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap()
    }

    async fn post_form(&self, path: &str, token: Option<&str>, form: Form) -> Response {
        let mut req = self.http.post(self.url(path)).multipart(form);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap()
    }

    async fn delete(&self, path: &str, token: &str) -> Response {
        self.http
            .delete(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    /// Submits a report; returns the case code.
    async fn submit(&self, report: &Value) -> String {
        let resp = self.post("/reports", None, report).await;
        let body = expect_json(resp, StatusCode::CREATED).await;
        body["case_code"].as_str().unwrap().to_owned()
    }

    async fn staff_token(&self, username: &str) -> String {
        let resp = self
            .post(
                "/staff/session",
                None,
                &json!({"username": username, "password": PASSWORD}),
            )
            .await;
        let body = expect_json(resp, StatusCode::CREATED).await;
        body["token"].as_str().unwrap().to_owned()
    }

    async fn reporter_token(&self, code: &str) -> String {
        let resp = self
            .post("/reporter/session", None, &json!({ "code": code }))
            .await;
        let body = expect_json(resp, StatusCode::CREATED).await;
        assert!(body["expires_in_seconds"].as_u64().unwrap() > 0);
        body["token"].as_str().unwrap().to_owned()
    }

    async fn inbox(&self, token: &str) -> Vec<Value> {
        let resp = self.get("/staff/cases", Some(token)).await;
        expect_json(resp, StatusCode::OK)
            .await
            .as_array()
            .unwrap()
            .clone()
    }
}

/// Asserts the status and returns the JSON body.
async fn expect_json(resp: Response, status: StatusCode) -> Value {
    let got = resp.status();
    let text = resp.text().await.unwrap();
    assert_eq!(got, status, "unexpected status; body: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Asserts an API error of `status` and `code`; returns the error object.
async fn expect_error(resp: Response, status: StatusCode, code: &str) -> Value {
    let body = expect_json(resp, status).await;
    let error = &body["error"];
    assert_eq!(error["code"], code, "body: {body}");
    assert!(
        !error["message"].as_str().unwrap_or("").is_empty(),
        "no message: {body}"
    );
    error.clone()
}

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
    let api = Api::new(&app.address);

    // What the reporter chooses from.
    let resp = api.get("/categories?lang=en", None).await;
    let catalog = expect_json(resp, StatusCode::OK).await;
    assert_eq!(catalog["categories"][1]["key"], "avvik");
    assert_eq!(
        catalog["categories"][1]["label"],
        "Information-security deviation"
    );
    assert_eq!(catalog["severities"].as_array().unwrap().len(), 4);
    let resp = api.get("/handlers", None).await;
    let handlers = expect_json(resp, StatusCode::OK).await;
    assert_eq!(
        handlers,
        json!([{"id": hanne.to_string(), "display_name": "Hanne Handler"}])
    );

    // Submit: a case code and the acknowledgement deadline, 7 days on.
    let resp = api
        .post("/reports", None, &report("Skjermen ble stående ulåst."))
        .await;
    let submitted = expect_json(resp, StatusCode::CREATED).await;
    let code = submitted["case_code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 29, "six groups of four: {code}");
    let received = time::OffsetDateTime::now_utc().date();
    let due = (received + time::Duration::days(7)).to_string();
    assert_eq!(submitted["acknowledge_by"], due);

    // The handler finds it in the inbox and reads it.
    let staff = api.staff_token("hanne").await;
    let inbox = api.inbox(&staff).await;
    assert_eq!(inbox.len(), 1);
    let item = &inbox[0];
    assert_eq!(item["category"], "avvik");
    assert_eq!(item["severity"], "middels");
    assert_eq!(item["status"], "received");
    assert_eq!(item["received_on"], received.to_string());
    assert_eq!(item["next_deadline"], due);
    assert_eq!(item["unread"], true);
    let id = item["id"].as_str().unwrap().to_owned();
    let resp = api.get(&format!("/staff/cases/{id}"), Some(&staff)).await;
    let case = expect_json(resp, StatusCode::OK).await;
    assert_eq!(case["report"]["description"], "Skjermen ble stående ulåst.");
    assert_eq!(case["report"]["when"], "i går kveld");
    assert_eq!(case["report"]["place"], "serverrommet");
    assert_eq!(case["messages"], json!([]));
    assert_eq!(api.inbox(&staff).await[0]["unread"], false);

    // The handler acknowledges, investigates and replies.
    let resp = api
        .post(
            &format!("/staff/cases/{id}/acknowledge"),
            Some(&staff),
            &json!({}),
        )
        .await;
    assert_eq!(
        expect_json(resp, StatusCode::OK).await["status"],
        "acknowledged"
    );
    let resp = api
        .post(
            &format!("/staff/cases/{id}/status"),
            Some(&staff),
            &json!({"status": "under_investigation"}),
        )
        .await;
    assert_eq!(
        expect_json(resp, StatusCode::OK).await["status"],
        "under_investigation"
    );
    let resp = api
        .post(
            &format!("/staff/cases/{id}/messages"),
            Some(&staff),
            &json!({"body": "Takk. Hvilken etasje?"}),
        )
        .await;
    expect_json(resp, StatusCode::CREATED).await;

    // The reporter logs in with the code (any case, spaces for hyphens) and reads it.
    let reporter = api
        .reporter_token(&code.to_lowercase().replace('-', " "))
        .await;
    let resp = api.get("/reporter/case", Some(&reporter)).await;
    let mine = expect_json(resp, StatusCode::OK).await;
    assert_eq!(mine["status"], "under_investigation");
    assert_eq!(mine["received_on"], received.to_string());
    assert!(mine["answer_due"].is_string());
    assert_eq!(mine["report"]["description"], "Skjermen ble stående ulåst.");
    assert_eq!(
        mine["messages"],
        json!([{"author": "staff", "date": received.to_string(), "body": "Takk. Hvilken etasje?"}])
    );
    let text = mine.to_string();
    assert!(
        !text.contains("Hanne") && !text.contains(&hanne.to_string()) && !text.contains(&id),
        "staff names and ids never reach the reporter: {text}"
    );

    // The reporter answers; the handler sees it as unread and reads it.
    let resp = api
        .post(
            "/reporter/case/messages",
            Some(&reporter),
            &json!({"body": "Tredje etasje."}),
        )
        .await;
    expect_json(resp, StatusCode::CREATED).await;
    assert_eq!(api.inbox(&staff).await[0]["unread"], true);
    let resp = api.get(&format!("/staff/cases/{id}"), Some(&staff)).await;
    let case = expect_json(resp, StatusCode::OK).await;
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
    let resp = api.delete("/reporter/session", &reporter).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let resp = api.get("/reporter/case", Some(&reporter)).await;
    expect_error(resp, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let resp = api.delete("/staff/session", &staff).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let resp = api.get("/staff/cases", Some(&staff)).await;
    expect_error(resp, StatusCode::UNAUTHORIZED, "unauthorized").await;
    app.teardown().await;
}

/// The docs/api.md walk-through, against the real binary with the handler
/// created by `varsel user add`; the log never holds the code or the content.
async fn docs_walkthrough_on_the_binary(backend: Backend) {
    let served = ServedBinary::start(backend).await;
    let pw = served.db.data_dir.path().join("pw.txt");
    std::fs::write(&pw, format!("{PASSWORD}\n")).unwrap();
    let out = served.command(&[
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
    let api = Api::new(&served.address);
    let code = api
        .submit(&json!({
            "category": "avvik",
            "severity": "middels",
            "description": "Fant en ulåst PC på møterommet.",
            "when": "i går",
            "place": "møterom 2",
        }))
        .await;
    let staff = api.staff_token("hanne").await;
    let inbox = api.inbox(&staff).await;
    let id = inbox[0]["id"].as_str().unwrap().to_owned();
    let resp = api.get(&format!("/staff/cases/{id}"), Some(&staff)).await;
    let case = expect_json(resp, StatusCode::OK).await;
    assert_eq!(
        case["report"]["description"],
        "Fant en ulåst PC på møterommet."
    );
    let resp = api
        .post(
            &format!("/staff/cases/{id}/messages"),
            Some(&staff),
            &json!({"body": "Takk! Var skjermen låst?"}),
        )
        .await;
    expect_json(resp, StatusCode::CREATED).await;
    let reporter = api.reporter_token(&code).await;
    let resp = api.get("/reporter/case", Some(&reporter)).await;
    let mine = expect_json(resp, StatusCode::OK).await;
    assert_eq!(mine["messages"][0]["body"], "Takk! Var skjermen låst?");
    let resp = api
        .post(
            "/reporter/case/messages",
            Some(&reporter),
            &json!({"body": "Nei, den var ulåst."}),
        )
        .await;
    expect_json(resp, StatusCode::CREATED).await;
    let resp = api.get(&format!("/staff/cases/{id}"), Some(&staff)).await;
    let case = expect_json(resp, StatusCode::OK).await;
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
    assert!(log.contains("/api/v1/reports"), "requests are logged");
}

async fn cases_not_routed_to_the_caller_are_not_found(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let _hanne = app.add_user("hanne", "Hanne", &["handler"]).await;
    let per = app.add_user("per", "Per", &["handler"]).await;
    let api = Api::new(&app.address);
    let mut excluding_per = report("Per har gjort noe.");
    excluding_per["exclude"] = json!([per.to_string()]);
    let code = api.submit(&excluding_per).await;
    let hanne_token = api.staff_token("hanne").await;
    let id = api.inbox(&hanne_token).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let reporter = api.reporter_token(&code).await;
    let form = Form::new().part(
        "attachment",
        Part::bytes(b"bevis".to_vec()).file_name("bevis.txt"),
    );
    let resp = api
        .post_form("/reporter/case/attachments", Some(&reporter), form)
        .await;
    let uploaded = expect_json(resp, StatusCode::CREATED).await;
    let attachment = uploaded[0]["id"].as_str().unwrap().to_owned();

    let per_token = api.staff_token("per").await;
    assert!(api.inbox(&per_token).await.is_empty());
    let nonexistent = Uuid::new_v4().to_string();
    for case in [id.as_str(), nonexistent.as_str(), "not-a-uuid"] {
        let mut bodies = Vec::new();
        let get = [
            format!("/staff/cases/{case}"),
            format!("/staff/cases/{case}/attachments/{attachment}"),
        ];
        for path in &get {
            let resp = api.get(path, Some(&per_token)).await;
            bodies.push(expect_error(resp, StatusCode::NOT_FOUND, "not_found").await);
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
            let resp = api.post(path, Some(&per_token), body).await;
            bodies.push(expect_error(resp, StatusCode::NOT_FOUND, "not_found").await);
        }
        let form = Form::new().part("attachment", Part::bytes(b"x".to_vec()).file_name("x"));
        let resp = api
            .post_form(
                &format!("/staff/cases/{case}/attachments"),
                Some(&per_token),
                form,
            )
            .await;
        bodies.push(expect_error(resp, StatusCode::NOT_FOUND, "not_found").await);
        assert!(bodies.windows(2).all(|w| w[0] == w[1]), "identical 404s");
    }
    // Nothing Per tried changed the case.
    let resp = api
        .get(&format!("/staff/cases/{id}"), Some(&hanne_token))
        .await;
    let case = expect_json(resp, StatusCode::OK).await;
    assert_eq!(case["status"], "received");
    assert_eq!(case["messages"], json!([]));
    assert_eq!(case["attachments"].as_array().unwrap().len(), 1);
    app.teardown().await;
}

/// Logs in through the staff login page; returns the cookie session id.
async fn page_session(app: &TestApp, username: &str) -> String {
    let client = app.client();
    let page = client
        .get(app.url("/staff/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let resp = client
        .post(app.url("/staff/login"))
        .form(&[
            ("csrf", csrf_of(&page).as_str()),
            ("username", username),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        resp.status().is_redirection(),
        "page login: {}",
        resp.status()
    );
    let id = resp
        .cookies()
        .find(|c| c.name() == "varsel_session")
        .map(|c| c.value().to_owned())
        .expect("the login sets a session cookie");
    id
}

async fn a_bearer_api_token_is_required(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_user("hanne", "Hanne", &["handler"]).await;
    app.add_user("admin", "Admin", &["admin"]).await;
    let api = Api::new(&app.address);
    let code = api.submit(&report("Noe skjedde.")).await;
    let staff = api.staff_token("hanne").await;
    let id = api.inbox(&staff).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let reporter = api.reporter_token(&code).await;
    let reporter_paths = [
        "/reporter/case".to_owned(),
        format!("/reporter/case/attachments/{}", Uuid::new_v4()),
    ];
    let staff_paths = ["/staff/cases".to_owned(), format!("/staff/cases/{id}")];

    // No token, a made-up token, another scheme.
    for path in reporter_paths.iter().chain(&staff_paths) {
        let resp = api.get(path, None).await;
        assert_eq!(
            resp.headers()["www-authenticate"],
            "Bearer realm=\"varsel\""
        );
        expect_error(resp, StatusCode::UNAUTHORIZED, "unauthorized").await;
        let resp = api.get(path, Some(&"0".repeat(64))).await;
        expect_error(resp, StatusCode::UNAUTHORIZED, "unauthorized").await;
        let resp = api
            .http
            .get(api.url(path))
            .header("Authorization", format!("Basic {staff}"))
            .send()
            .await
            .unwrap();
        expect_error(resp, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
    let resp = api
        .post("/reporter/case/messages", None, &json!({"body": "hei"}))
        .await;
    expect_error(resp, StatusCode::UNAUTHORIZED, "unauthorized").await;

    // A token of the other kind.
    for path in &reporter_paths {
        let resp = api.get(path, Some(&staff)).await;
        expect_error(resp, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
    for path in &staff_paths {
        let resp = api.get(path, Some(&reporter)).await;
        expect_error(resp, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
    let resp = api.delete("/staff/session", &reporter).await;
    expect_error(resp, StatusCode::UNAUTHORIZED, "unauthorized").await;

    // Staff who do not work cases.
    let admin = api.staff_token("admin").await;
    for path in &staff_paths {
        let resp = api.get(path, Some(&admin)).await;
        expect_error(resp, StatusCode::FORBIDDEN, "forbidden").await;
    }

    // A cookie session from the pages is no bearer token, and the token is
    // no cookie: cookies are never read by the API.
    let cookie_session = page_session(&app, "hanne").await;
    for path in &staff_paths {
        let resp = api.get(path, Some(&cookie_session)).await;
        expect_error(resp, StatusCode::UNAUTHORIZED, "unauthorized").await;
        let resp = api
            .http
            .get(api.url(path))
            .header("Cookie", format!("varsel_session={cookie_session}"))
            .send()
            .await
            .unwrap();
        expect_error(resp, StatusCode::UNAUTHORIZED, "unauthorized").await;
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
    let resp = api.get("/no/such/thing", Some(&staff)).await;
    expect_error(resp, StatusCode::NOT_FOUND, "not_found").await;
    let resp = api.delete("/staff/cases", &staff).await;
    expect_error(resp, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
    app.teardown().await;
}

async fn bad_inputs_get_their_own_error_and_store_nothing(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.limits.max_body_bytes = 16 * 1024;
        s.limits.max_text_chars = 1_000;
    })
    .await;
    let hanne = app.add_user("hanne", "Hanne", &["handler"]).await;
    let api = Api::new(&app.address);
    let stored = || async { app.store.inbox(hanne).await.unwrap().len() };

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
        let resp = api.post("/reports", None, &body).await;
        let error = expect_error(resp, status, code).await;
        if let Some(field) = field {
            assert_eq!(error["field"], field);
        }
        assert_eq!(stored().await, 0, "{code}: nothing stored");
    }

    // Limits are named in the message, in the caller's language.
    let resp = api
        .http
        .post(api.url("/reports"))
        .header("Accept-Language", "en-GB,en;q=0.8")
        .json(&report(&"x".repeat(1_001)))
        .send()
        .await
        .unwrap();
    let error = expect_error(resp, StatusCode::BAD_REQUEST, "text_too_long").await;
    assert_eq!(error["limit"], 1_000);
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("1000") && message.contains("too long"),
        "{message}"
    );
    let resp = api.post("/reports?lang=nb", None, &report("")).await;
    let error = expect_error(resp, StatusCode::BAD_REQUEST, "text_required").await;
    assert!(error["message"].as_str().unwrap().contains("Feltet"));

    // Not JSON, or not declared as JSON.
    let resp = api
        .http
        .post(api.url("/reports"))
        .header("Content-Type", "application/json")
        .body("{\"category\": ")
        .send()
        .await
        .unwrap();
    expect_error(resp, StatusCode::BAD_REQUEST, "invalid_json").await;
    let resp = api
        .http
        .post(api.url("/reports"))
        .body(report("ok").to_string())
        .send()
        .await
        .unwrap();
    expect_error(
        resp,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    assert_eq!(stored().await, 0);

    // Case codes: wrong length, wrong character, typo, unknown.
    let code = api.submit(&report("Den ekte saken.")).await;
    assert_eq!(stored().await, 1);
    let short = &code[..code.len() - 1];
    let resp = api
        .post("/reporter/session", None, &json!({ "code": short }))
        .await;
    let error = expect_error(resp, StatusCode::BAD_REQUEST, "code_length").await;
    assert!(error["message"].as_str().unwrap().contains("23"));
    let resp = api
        .post(
            "/reporter/session",
            None,
            &json!({"code": format!("!{short}")}),
        )
        .await;
    expect_error(resp, StatusCode::BAD_REQUEST, "code_character").await;
    let resp = api
        .post(
            "/reporter/session",
            None,
            &json!({ "code": with_typo(&code) }),
        )
        .await;
    expect_error(resp, StatusCode::BAD_REQUEST, "code_typo").await;
    let guess = unknown_code();
    let resp = api
        .post("/reporter/session", None, &json!({ "code": guess }))
        .await;
    let error = expect_error(resp, StatusCode::UNAUTHORIZED, "code_unknown").await;
    assert!(
        !error.to_string().contains(&guess[..9]),
        "errors never echo the code"
    );
    let resp = api
        .post(
            "/staff/session",
            None,
            &json!({"username": "hanne", "password": "wrong password!"}),
        )
        .await;
    expect_error(resp, StatusCode::UNAUTHORIZED, "login_failed").await;
    let resp = api
        .post(
            "/staff/session",
            None,
            &json!({"username": "nobody", "password": PASSWORD}),
        )
        .await;
    expect_error(resp, StatusCode::UNAUTHORIZED, "login_failed").await;

    // Messages, statuses and sort orders.
    let reporter = api.reporter_token(&code).await;
    let resp = api
        .post(
            "/reporter/case/messages",
            Some(&reporter),
            &json!({"body": " "}),
        )
        .await;
    let error = expect_error(resp, StatusCode::BAD_REQUEST, "text_required").await;
    assert_eq!(error["field"], "body");
    let staff = api.staff_token("hanne").await;
    let id = api.inbox(&staff).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let resp = api
        .post(
            &format!("/staff/cases/{id}/messages"),
            Some(&staff),
            &json!({"body": "z".repeat(1_001)}),
        )
        .await;
    expect_error(resp, StatusCode::BAD_REQUEST, "text_too_long").await;
    let resp = api
        .post(
            &format!("/staff/cases/{id}/status"),
            Some(&staff),
            &json!({"status": "done"}),
        )
        .await;
    expect_error(resp, StatusCode::BAD_REQUEST, "unknown_status").await;
    let resp = api.get("/staff/cases?sort=colour", Some(&staff)).await;
    expect_error(resp, StatusCode::BAD_REQUEST, "unknown_sort").await;
    for sort in ["deadline", "received", "severity", "status", "category"] {
        let resp = api
            .get(&format!("/staff/cases?sort={sort}"), Some(&staff))
            .await;
        assert_eq!(
            expect_json(resp, StatusCode::OK)
                .await
                .as_array()
                .unwrap()
                .len(),
            1
        );
    }
    let resp = api.get(&format!("/staff/cases/{id}"), Some(&staff)).await;
    let case = expect_json(resp, StatusCode::OK).await;
    assert_eq!(case["status"], "received");
    assert_eq!(case["messages"], json!([]));
    app.teardown().await;
}

/// Every byte value, and more than one 64 KiB encryption chunk.
fn sample_bytes(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 256) as u8).collect()
}

fn files_in(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn download(api: &Api, path: &str, token: &str) -> (Vec<u8>, String) {
    let resp = api.get(path, Some(token)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let disposition = resp.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    (resp.bytes().await.unwrap().to_vec(), disposition)
}

async fn attachments_round_trip_byte_exact(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.limits.max_attachment_bytes = 300_000;
        s.limits.max_attachments_per_case = 3;
    })
    .await;
    app.add_user("hanne", "Hanne", &["handler"]).await;
    let api = Api::new(&app.address);
    let dir = app.settings.storage.attachments_dir();

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
    let resp = api.post_form("/reports", None, form).await;
    let code = expect_json(resp, StatusCode::CREATED).await["case_code"]
        .as_str()
        .unwrap()
        .to_owned();
    let reporter = api.reporter_token(&code).await;
    let resp = api.get("/reporter/case", Some(&reporter)).await;
    let mine = expect_json(resp, StatusCode::OK).await;
    let listed = &mine["attachments"][0];
    assert_eq!(listed["name"], "skjermbilde ærlig.png");
    assert_eq!(listed["author"], "reporter");
    let first_id = listed["id"].as_str().unwrap().to_owned();
    let (bytes, disposition) = download(
        &api,
        &format!("/reporter/case/attachments/{first_id}"),
        &reporter,
    )
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
    let resp = api
        .post_form("/reporter/case/attachments", Some(&reporter), form)
        .await;
    let uploaded = expect_json(resp, StatusCode::CREATED).await;
    assert_eq!(uploaded[0]["name"], "logg.txt");
    let second_id = uploaded[0]["id"].as_str().unwrap().to_owned();

    // Too large while the case still has room: refused, nothing left behind.
    let form = Form::new().part(
        "attachment",
        Part::bytes(vec![1u8; 300_001]).file_name("stor.bin"),
    );
    let resp = api
        .post_form("/reporter/case/attachments", Some(&reporter), form)
        .await;
    let error = expect_error(resp, StatusCode::PAYLOAD_TOO_LARGE, "attachment_too_large").await;
    assert_eq!(error["limit"], 300_000);

    // The handler sees and downloads both, and adds one.
    let staff = api.staff_token("hanne").await;
    let id = api.inbox(&staff).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let resp = api.get(&format!("/staff/cases/{id}"), Some(&staff)).await;
    let case = expect_json(resp, StatusCode::OK).await;
    assert_eq!(case["attachments"].as_array().unwrap().len(), 2);
    for (aid, expected) in [(&first_id, &first), (&second_id, &second)] {
        let (bytes, _) = download(
            &api,
            &format!("/staff/cases/{id}/attachments/{aid}"),
            &staff,
        )
        .await;
        assert!(&bytes == expected, "byte-exact for staff");
    }
    let third = b"Svar fra saksbehandler".to_vec();
    let form = Form::new().part(
        "attachment",
        Part::bytes(third.clone()).file_name("svar.txt"),
    );
    let resp = api
        .post_form(
            &format!("/staff/cases/{id}/attachments"),
            Some(&staff),
            form,
        )
        .await;
    let third_id = expect_json(resp, StatusCode::CREATED).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (bytes, _) = download(
        &api,
        &format!("/reporter/case/attachments/{third_id}"),
        &reporter,
    )
    .await;
    assert_eq!(bytes, third);
    let on_disk = files_in(&dir);
    assert_eq!(on_disk.len(), 3, "{on_disk:?}");
    assert!(on_disk.iter().all(|f| f.ends_with(".age")));

    // Over the limits: refused, nothing left behind.
    let form = Form::new().part("attachment", Part::bytes(b"4".to_vec()).file_name("4.txt"));
    let resp = api
        .post_form("/reporter/case/attachments", Some(&reporter), form)
        .await;
    expect_error(resp, StatusCode::BAD_REQUEST, "too_many_attachments").await;
    let form = Form::new().text("note", "no files");
    let resp = api
        .post_form(
            &format!("/staff/cases/{id}/attachments"),
            Some(&staff),
            form,
        )
        .await;
    expect_error(resp, StatusCode::BAD_REQUEST, "attachment_required").await;
    let resp = api
        .post(
            "/reporter/case/attachments",
            Some(&reporter),
            &json!({"attachment": "not a file"}),
        )
        .await;
    expect_error(
        resp,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    assert_eq!(files_in(&dir).len(), 3, "no partial files remain");
    let resp = api.get("/reporter/case", Some(&reporter)).await;
    let mine = expect_json(resp, StatusCode::OK).await;
    assert_eq!(mine["attachments"].as_array().unwrap().len(), 3);

    // A multipart submission without its report stores nothing.
    let before = app.store.inbox(case_owner(&app).await).await.unwrap().len();
    let form = Form::new().part(
        "attachment",
        Part::bytes(b"orphan".to_vec()).file_name("o.txt"),
    );
    let resp = api.post_form("/reports", None, form).await;
    expect_error(resp, StatusCode::BAD_REQUEST, "report_required").await;
    let form = Form::new().text("report", report("").to_string()).part(
        "attachment",
        Part::bytes(b"orphan".to_vec()).file_name("o.txt"),
    );
    let resp = api.post_form("/reports", None, form).await;
    expect_error(resp, StatusCode::BAD_REQUEST, "text_required").await;
    assert_eq!(
        app.store.inbox(case_owner(&app).await).await.unwrap().len(),
        before
    );
    assert_eq!(files_in(&dir).len(), 3, "no orphaned files");
    app.teardown().await;
}

async fn case_owner(app: &TestApp) -> Uuid {
    app.store
        .user_by_username("hanne")
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn rate_limits_answer_429(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.rate_limits.submissions_per_minute = 2;
        s.rate_limits.code_logins_per_minute = 2;
        s.rate_limits.staff_logins_per_user_per_minute = 2;
    })
    .await;
    let hanne = app.add_user("hanne", "Hanne", &["handler"]).await;
    let api = Api::new(&app.address);
    let code = api.submit(&report("En.")).await;
    api.submit(&report("To.")).await;
    let resp = api.post("/reports", None, &report("Tre.")).await;
    assert_eq!(resp.headers()["retry-after"], "60");
    expect_error(resp, StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;
    assert_eq!(app.store.inbox(hanne).await.unwrap().len(), 2);

    api.reporter_token(&code).await;
    api.reporter_token(&code).await;
    let resp = api
        .post("/reporter/session", None, &json!({ "code": code }))
        .await;
    assert_eq!(resp.headers()["retry-after"], "60");
    expect_error(resp, StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;

    api.staff_token("hanne").await;
    api.staff_token("hanne").await;
    let resp = api
        .post(
            "/staff/session",
            None,
            &json!({"username": "hanne", "password": PASSWORD}),
        )
        .await;
    expect_error(resp, StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;
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
