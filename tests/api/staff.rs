//! The staff pages through HTTP: login and logout, the inbox, the case page
//! and its actions, attachments, CSRF, rate limits, and that a case not
//! routed to the handler is indistinguishable from one that does not exist.

use reqwest::multipart::{Form, Part};
use reqwest::{Client, Response, StatusCode};
use uuid::Uuid;
use varsel::core::casework::{day_of, ReportContent};
use varsel::core::clock::system_now as now;
use varsel::core::store::{Author, Case, Holder, KeyWrap, Message, NewCase};
use varsel_crypto::{CaseCode, X25519Recipient};

use crate::app::{csrf_of, Backend, TestApp, PASSWORD};
use crate::for_each_backend;

const LOGIN_FAILED: &str = "Feil brukernavn eller passord.";

/// A case as a reporter's submission would store it, its key wrapped to
/// `members` and to a reporter code. Returns its id and recipient.
async fn create_case(app: &TestApp, members: &[Uuid], severity: &str) -> (Uuid, X25519Recipient) {
    let identity = varsel::core::keys::new_case_identity();
    let recipient = identity.to_public();
    let report = ReportContent {
        description: "Leverandøren fikk tilgang til lønnssystemet uten avtale.".to_owned(),
        when: Some("Forrige tirsdag".to_owned()),
        place: Some("Kontoret i Bergen".to_owned()),
    };
    let json = serde_json::to_vec(&report).unwrap();
    let mut wraps = Vec::new();
    for id in members {
        let user = app
            .store
            .user_by_id(*id)
            .await
            .unwrap()
            .expect("member exists");
        let to = varsel::core::keys::recipient(&user.recipient).unwrap();
        wraps.push(KeyWrap {
            holder: Holder::User(*id),
            wrapped: varsel::core::keys::wrap_case_identity(&identity, &to).unwrap(),
        });
    }
    let code = CaseCode::generate();
    wraps.push(KeyWrap {
        holder: Holder::Reporter,
        wrapped: varsel::core::keys::wrap_case_identity(
            &identity,
            &code.reporter_identity().to_public(),
        )
        .unwrap(),
    });
    let received = day_of(now());
    let case = Case {
        id: Uuid::new_v4(),
        recipient: recipient.to_string(),
        category: varsel::core::domain::Category::Avvik,
        severity: varsel::core::domain::Severity::parse(severity).expect("severity"),
        suggested_severity: varsel::core::domain::Severity::parse(severity).expect("severity"),
        status: varsel::core::domain::CaseStatus::Received,
        received_at: received,
        acknowledged_at: None,
        updated_at: received,
        reporter_seq: 1,
        report: varsel::core::keys::seal(&recipient, &json).unwrap(),
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
    (id, recipient)
}

/// A message from the reporter, sealed to the case.
async fn reporter_message(app: &TestApp, case: Uuid, recipient: &X25519Recipient, text: &str) {
    app.store
        .add_message(&Message {
            id: Uuid::new_v4(),
            case_id: case,
            seq: 0,
            author: Author::Reporter,
            author_user_id: None,
            created_at: day_of(now()),
            body: varsel::core::keys::seal(recipient, text.as_bytes()).unwrap(),
        })
        .await
        .unwrap();
}

async fn get(client: &Client, url: String) -> (StatusCode, String) {
    let r = client.get(url).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

fn location(r: &Response) -> &str {
    r.headers()
        .get("location")
        .expect("a Location header")
        .to_str()
        .unwrap()
}

async fn try_login(app: &TestApp, client: &Client, username: &str, password: &str) -> Response {
    let (_, page) = get(client, app.url("/staff/login")).await;
    client
        .post(app.url("/staff/login"))
        .form(&[
            ("csrf", csrf_of(&page).as_str()),
            ("username", username),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
}

/// A client logged in as `username`, and its CSRF token.
async fn login(app: &TestApp, username: &str) -> (Client, String) {
    let client = app.client();
    let r = try_login(app, &client, username, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, inbox) = get(&client, app.url("/staff/inbox")).await;
    let csrf = if status == StatusCode::OK {
        csrf_of(&inbox)
    } else {
        String::new()
    };
    (client, csrf)
}

fn case_url(app: &TestApp, case: Uuid, rest: &str) -> String {
    app.url(&format!("/staff/cases/{case}{rest}"))
}

async fn reply(
    app: &TestApp,
    client: &Client,
    case: Uuid,
    csrf: Option<&str>,
    message: &str,
    files: &[(&str, Vec<u8>)],
) -> Response {
    let mut form = Form::new();
    if let Some(csrf) = csrf {
        form = form.text("csrf", csrf.to_owned());
    }
    form = form.text("message", message.to_owned());
    for (name, bytes) in files {
        form = form.part(
            "attachment",
            Part::bytes(bytes.clone())
                .file_name((*name).to_owned())
                .mime_str("application/pdf")
                .unwrap(),
        );
    }
    client
        .post(case_url(app, case, "/reply"))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn post_form(client: &Client, url: String, fields: &[(&str, &str)]) -> Response {
    client.post(url).form(fields).send().await.unwrap()
}

/// The inbox table row of `case`, if listed.
fn inbox_row(html: &str, case: Uuid) -> Option<&str> {
    let at = html.find(&format!("/staff/cases/{case}"))?;
    let start = html[..at].rfind("<tr")?;
    let end = at + html[at..].find("</tr>")?;
    Some(&html[start..end])
}

fn is_unread(row: &str) -> bool {
    row.contains("class=\"unread\"") && row.contains("(ulest)")
}

/// Download links of attachments on a case page.
fn attachment_links(html: &str) -> Vec<String> {
    html.match_indices("href=\"/staff/cases/")
        .filter_map(|(at, _)| {
            let rest = &html[at + 6..];
            let link = &rest[..rest.find('"')?];
            link.contains("/attachments/").then(|| link.to_owned())
        })
        .collect()
}

async fn login_succeeds_and_failures_look_the_same(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let client = app.client();

    let (status, page) = get(&client, app.url("/staff/login")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("autocomplete=\"username\""));
    assert!(page.contains("autocomplete=\"current-password\""));
    assert!(page.contains("type=\"password\""));

    let wrong_password = try_login(&app, &client, "hanne", "not the password").await;
    let wrong_status = wrong_password.status();
    let wrong_body = wrong_password.text().await.unwrap();
    let unknown_user = try_login(&app, &client, "hanna", PASSWORD).await;
    let unknown_status = unknown_user.status();
    let unknown_body = unknown_user.text().await.unwrap();
    assert_eq!(wrong_status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown_status, wrong_status);
    assert!(wrong_body.contains(LOGIN_FAILED), "{wrong_body}");
    assert_eq!(
        wrong_body.replace("hanne", "NAME"),
        unknown_body.replace("hanna", "NAME"),
        "the two failures differ only in the echoed username"
    );
    assert!(!wrong_body.contains(PASSWORD) && !wrong_body.contains("not the password"));
    let r = client.get(app.url("/staff/inbox")).send().await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "a failed login is no login"
    );

    let ok = try_login(&app, &client, "hanne", PASSWORD).await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&ok), "/staff/inbox");
    let cookie = ok
        .headers()
        .get("set-cookie")
        .expect("a new session cookie")
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    let (status, inbox) = get(&client, app.url("/staff/inbox")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(inbox.contains("Hanne Handler"));
    app.teardown().await;
}

async fn logout_ends_the_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let (client, csrf) = login(&app, "hanne").await;

    let r = post_form(&client, app.url("/staff/logout"), &[("csrf", &csrf)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/staff/login");
    let r = client.get(app.url("/staff/inbox")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/staff/login");
    // Without any session at all, case pages also send the visitor to log in.
    let r = app
        .client()
        .get(case_url(&app, Uuid::new_v4(), ""))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/staff/login");
    app.teardown().await;
}

async fn every_form_requires_the_csrf_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hanne = app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let (case, _) = create_case(&app, &[hanne], "middels").await;

    let client = app.client();
    get(&client, app.url("/staff/login")).await;
    let r = post_form(
        &client,
        app.url("/staff/login"),
        &[("username", "hanne"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "login without a token");
    let r = post_form(
        &client,
        app.url("/staff/login"),
        &[
            ("csrf", "0123"),
            ("username", "hanne"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "login with a wrong token"
    );

    let (client, csrf) = login(&app, "hanne").await;
    let r = reply(&app, &client, case, None, "Hei", &[]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "reply without a token");
    let r = reply(&app, &client, case, Some("wrong"), "Hei", &[]).await;
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "reply with a wrong token"
    );
    let late = Form::new()
        .text("message", "Hei")
        .text("csrf", csrf.clone());
    let r = client
        .post(case_url(&app, case, "/reply"))
        .multipart(late)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "the token must come first"
    );
    let r = post_form(&client, case_url(&app, case, "/acknowledge"), &[]).await;
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "acknowledge without a token"
    );
    let r = post_form(
        &client,
        case_url(&app, case, "/status"),
        &[("status", "closed")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "status without a token");
    let r = post_form(&client, app.url("/staff/logout"), &[("csrf", "nope")]).await;
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "logout with a wrong token"
    );

    let stored = app.store.case_by_id(case).await.unwrap().unwrap();
    assert_eq!(stored.status.key(), "received");
    assert_eq!(stored.acknowledged_at, None);
    assert!(app.store.messages(case).await.unwrap().is_empty());
    let (status, _) = get(&client, app.url("/staff/inbox")).await;
    assert_eq!(status, StatusCode::OK, "still logged in");
    app.teardown().await;
}

async fn the_inbox_lists_only_the_handlers_cases_with_unread_markers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hanne = app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let kari = app.add_user("kari", "Kari Kontakt", &["contact"]).await;
    let (mine, mine_recipient) = create_case(&app, &[hanne], "lav").await;
    let (theirs, _) = create_case(&app, &[kari], "hoy").await;
    let (shared, _) = create_case(&app, &[hanne, kari], "kritisk").await;

    let (client, _) = login(&app, "hanne").await;
    let (status, inbox) = get(&client, app.url("/staff/inbox")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(inbox.contains("class=\"wide\""));
    assert!(
        inbox_row(&inbox, theirs).is_none(),
        "another handler's case"
    );
    let row = inbox_row(&inbox, mine).expect("own case listed");
    assert!(is_unread(row), "a new case is unread: {row}");
    assert!(row.contains("Avvik i informasjonssikkerhet"));
    assert!(row.contains("Lav") && row.contains("Mottatt"));
    let received = time::OffsetDateTime::now_utc().date();
    let day = format!(
        "{:02}.{:02}.{}",
        received.day(),
        u8::from(received.month()),
        received.year()
    );
    assert!(row.contains(&day), "received date dd.mm.yyyy: {row}");
    assert!(is_unread(inbox_row(&inbox, shared).unwrap()));
    for sort in ["deadline", "received", "severity", "status", "category"] {
        assert!(inbox.contains(&format!("/staff/inbox?sort={sort}")) || sort == "deadline");
    }
    let (_, by_severity) = get(&client, app.url("/staff/inbox?sort=severity")).await;
    let critical_first = by_severity.find(&shared.to_string()).unwrap()
        < by_severity.find(&mine.to_string()).unwrap();
    assert!(critical_first, "most severe first");

    let (status, _) = get(&client, case_url(&app, mine, "")).await;
    assert_eq!(status, StatusCode::OK);
    let (_, inbox) = get(&client, app.url("/staff/inbox")).await;
    assert!(
        !is_unread(inbox_row(&inbox, mine).unwrap()),
        "read after opening"
    );
    assert!(
        is_unread(inbox_row(&inbox, shared).unwrap()),
        "the other stays unread"
    );

    reporter_message(&app, mine, &mine_recipient, "Jeg har mer å fortelle.").await;
    let (_, inbox) = get(&client, app.url("/staff/inbox")).await;
    assert!(
        is_unread(inbox_row(&inbox, mine).unwrap()),
        "unread after the reporter wrote"
    );

    // Kari's view: her own cases only; opening one does not mark it read for Hanne.
    let (kari_client, _) = login(&app, "kari").await;
    let (_, kari_inbox) = get(&kari_client, app.url("/staff/inbox")).await;
    assert!(inbox_row(&kari_inbox, mine).is_none());
    assert!(inbox_row(&kari_inbox, theirs).is_some());
    get(&kari_client, case_url(&app, shared, "")).await;
    let (_, inbox) = get(&client, app.url("/staff/inbox")).await;
    assert!(is_unread(inbox_row(&inbox, shared).unwrap()));

    app.add_user("nils", "Nils Ny", &["handler"]).await;
    let (nils, _) = login(&app, "nils").await;
    let (status, empty) = get(&nils, app.url("/staff/inbox")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(empty.contains("Du har ingen saker"), "empty state");
    assert!(!empty.contains("/staff/cases/"));
    app.teardown().await;
}

async fn the_case_page_shows_the_decrypted_report_and_thread(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hanne = app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let (case, recipient) = create_case(&app, &[hanne], "hoy").await;
    reporter_message(&app, case, &recipient, "Det skjedde igjen i dag.").await;
    let (client, csrf) = login(&app, "hanne").await;

    let r = reply(
        &app,
        &client,
        case,
        Some(&csrf),
        "Takk, vi ser på det.",
        &[],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), format!("/staff/cases/{case}"));
    let (status, page) = get(&client, case_url(&app, case, "")).await;
    assert_eq!(status, StatusCode::OK);
    for expected in [
        "Leverandøren fikk tilgang til lønnssystemet uten avtale.",
        "Forrige tirsdag",
        "Kontoret i Bergen",
        "Avvik i informasjonssikkerhet",
        "Høy",
        "Mottatt",
        "Det skjedde igjen i dag.",
        "Takk, vi ser på det.",
        "Varsler",
        "Hanne Handler",
        "name=\"message\"",
        "name=\"attachment\"",
        "multiple",
        "enctype=\"multipart/form-data\"",
    ] {
        assert!(page.contains(expected), "case page shows {expected:?}");
    }
    let messages = app.store.messages(case).await.unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[1].author, Author::Staff);
    assert_eq!(messages[1].author_user_id, Some(hanne));

    let r = reply(&app, &client, case, Some(&csrf), "   ", &[]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body = r.text().await.unwrap();
    assert!(body.contains("Skriv en melding eller legg ved minst én fil."));
    assert_eq!(
        app.store.messages(case).await.unwrap().len(),
        2,
        "nothing stored"
    );

    let (en_status, en) = get(&client, case_url(&app, case, "?lang=en")).await;
    assert_eq!(en_status, StatusCode::OK);
    assert!(en.contains("What happened") && en.contains("Reporter"));
    app.teardown().await;
}

async fn cases_not_routed_to_the_handler_are_not_found(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hanne = app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    app.add_user("kari", "Kari Kontakt", &["handler"]).await;
    let (case, _) = create_case(&app, &[hanne], "middels").await;
    let (hanne_client, hanne_csrf) = login(&app, "hanne").await;
    let r = reply(
        &app,
        &hanne_client,
        case,
        Some(&hanne_csrf),
        "",
        &[("bevis.pdf", b"%PDF-1.4 bevis".to_vec())],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = get(&hanne_client, case_url(&app, case, "")).await;
    let links = attachment_links(&page);
    assert_eq!(links.len(), 1);
    let attachment_path = links[0].clone();

    let (kari, csrf) = login(&app, "kari").await;
    let (status, not_found) = get(&kari, case_url(&app, Uuid::new_v4(), "")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = get(&kari, case_url(&app, case, "")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body, not_found,
        "the same page as for a case that does not exist"
    );
    let (status, body) = get(&kari, app.url("/staff/cases/not-a-uuid")).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::NOT_FOUND, not_found.as_str())
    );
    let (status, body) = get(&kari, app.url(&attachment_path)).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::NOT_FOUND, not_found.as_str())
    );
    let random_attachment = format!(
        "/staff/cases/{}/attachments/{}",
        Uuid::new_v4(),
        Uuid::new_v4()
    );
    for client in [&kari, &hanne_client] {
        let (status, body) = get(client, app.url(&random_attachment)).await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::NOT_FOUND, not_found.as_str())
        );
    }

    for target in [case, Uuid::new_v4()] {
        let r = reply(
            &app,
            &kari,
            target,
            Some(&csrf),
            "Hei",
            &[("x.pdf", b"x".to_vec())],
        )
        .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert_eq!(r.text().await.unwrap(), not_found);
        let r = post_form(
            &kari,
            case_url(&app, target, "/acknowledge"),
            &[("csrf", &csrf)],
        )
        .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert_eq!(r.text().await.unwrap(), not_found);
        for status in ["closed", "nonsense"] {
            let r = post_form(
                &kari,
                case_url(&app, target, "/status"),
                &[("csrf", &csrf), ("status", status)],
            )
            .await;
            assert_eq!(r.status(), StatusCode::NOT_FOUND);
            assert_eq!(r.text().await.unwrap(), not_found);
        }
    }
    let stored = app.store.case_by_id(case).await.unwrap().unwrap();
    assert_eq!(stored.status.key(), "received");
    assert_eq!(stored.acknowledged_at, None);
    assert!(app.store.messages(case).await.unwrap().is_empty());
    assert_eq!(app.store.attachments(case).await.unwrap().len(), 1);
    app.teardown().await;
}

async fn acknowledging_keeps_the_first_time(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hanne = app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let (case, _) = create_case(&app, &[hanne], "lav").await;
    let (client, csrf) = login(&app, "hanne").await;
    let (_, page) = get(&client, case_url(&app, case, "")).await;
    assert!(page.contains(&format!("/staff/cases/{case}/acknowledge")));

    let r = post_form(
        &client,
        case_url(&app, case, "/acknowledge"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), format!("/staff/cases/{case}"));
    let first = app.store.case_by_id(case).await.unwrap().unwrap();
    assert_eq!(first.status.key(), "acknowledged");
    let acknowledged_at = first.acknowledged_at.expect("acknowledgement time");

    let (_, page) = get(&client, case_url(&app, case, "")).await;
    assert!(
        !page.contains(&format!("/staff/cases/{case}/acknowledge")),
        "done once"
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let r = post_form(
        &client,
        case_url(&app, case, "/status"),
        &[("csrf", &csrf), ("status", "under_investigation")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = post_form(
        &client,
        case_url(&app, case, "/acknowledge"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let later = app.store.case_by_id(case).await.unwrap().unwrap();
    assert_eq!(
        later.acknowledged_at,
        Some(acknowledged_at),
        "the first time is kept"
    );
    assert_eq!(
        later.status.key(),
        "under_investigation",
        "acknowledging again changes nothing"
    );
    app.teardown().await;
}

async fn status_changes_and_unknown_status_changes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hanne = app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let (case, _) = create_case(&app, &[hanne], "lav").await;
    let (client, csrf) = login(&app, "hanne").await;
    let (_, page) = get(&client, case_url(&app, case, "")).await;
    for key in [
        "received",
        "acknowledged",
        "under_investigation",
        "feedback_given",
    ] {
        assert!(
            page.contains(&format!("<option value=\"{key}\"")),
            "status {key} offered"
        );
    }
    // Closing takes an outcome and an evaluation: the close form, not this one.
    assert!(!page.contains("<option value=\"closed\""));
    assert!(page.contains("action=\"/staff/cases/"));
    assert!(page.contains("/close\""));

    let r = post_form(
        &client,
        case_url(&app, case, "/status"),
        &[("csrf", &csrf), ("status", "feedback_given")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let stored = app.store.case_by_id(case).await.unwrap().unwrap();
    assert_eq!(stored.status.key(), "feedback_given");
    assert!(
        stored.acknowledged_at.is_some(),
        "moving on acknowledges receipt"
    );

    let r = post_form(
        &client,
        case_url(&app, case, "/status"),
        &[("csrf", &csrf), ("status", "deleted")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("Ukjent status. Velg en status fra listen."),
        "{body}"
    );
    assert!(
        body.contains("Leverandøren fikk tilgang"),
        "the case page is shown again"
    );
    let r = post_form(&client, case_url(&app, case, "/status"), &[("csrf", &csrf)]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        app.store
            .case_by_id(case)
            .await
            .unwrap()
            .unwrap()
            .status
            .key(),
        "feedback_given"
    );
    let (_, page) = get(&client, case_url(&app, case, "")).await;
    assert!(page.contains("<option value=\"feedback_given\" selected>"));
    app.teardown().await;
}

async fn staff_attachments_upload_and_download(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.limits.max_attachment_bytes = 200_000;
        s.limits.max_attachments_per_case = 2;
    })
    .await;
    let hanne = app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let (case, _) = create_case(&app, &[hanne], "lav").await;
    let (client, csrf) = login(&app, "hanne").await;

    let content: Vec<u8> = (0..150_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let r = reply(
        &app,
        &client,
        case,
        Some(&csrf),
        "Vedlagt er referatet.",
        &[("Møte \"referat\".pdf", content.clone())],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = get(&client, case_url(&app, case, "")).await;
    assert!(
        page.contains("Møte &#34;referat&#34;.pdf")
            || page.contains("Møte &quot;referat&quot;.pdf")
    );
    let links = attachment_links(&page);
    assert_eq!(links.len(), 1);

    let r = client.get(app.url(&links[0])).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/octet-stream");
    let disposition = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert!(
        disposition.contains("filename*=UTF-8''M%C3%B8te%20%22referat%22.pdf")
            || disposition.contains("filename*=UTF-8''M%C3%B8te%20referat.pdf"),
        "{disposition}"
    );
    let downloaded = r.bytes().await.unwrap();
    assert_eq!(downloaded.as_ref(), content.as_slice(), "bytes identical");

    let too_big = vec![1u8; 250_000];
    let r = reply(
        &app,
        &client,
        case,
        Some(&csrf),
        "Mitt utkast",
        &[("stor.pdf", too_big)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body = r.text().await.unwrap();
    assert!(body.contains("Et vedlegg er for stort"), "{body}");
    assert!(body.contains("Mitt utkast"), "the draft is offered again");

    let two = [("a.pdf", b"a".to_vec()), ("b.pdf", b"b".to_vec())];
    let r = reply(&app, &client, case, Some(&csrf), "", &two).await;
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "a third and fourth file"
    );
    let body = r.text().await.unwrap();
    assert!(body.contains("For mange vedlegg"), "{body}");
    assert_eq!(
        app.store.attachments(case).await.unwrap().len(),
        1,
        "nothing more stored"
    );
    assert_eq!(app.store.messages(case).await.unwrap().len(), 1);
    let leftovers: Vec<_> = std::fs::read_dir(app.settings.storage.attachments_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".part"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "refused uploads are removed: {leftovers:?}"
    );
    app.teardown().await;
}

async fn users_who_do_not_work_cases_get_403(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hanne = app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    app.add_user("ada", "Ada Admin", &["admin", "auditor"])
        .await;
    let (case, _) = create_case(&app, &[hanne], "lav").await;
    let (client, _) = login(&app, "ada").await;
    let (status, body) = get(&client, app.url("/staff/inbox")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!body.contains(&case.to_string()));
    let (status, _) = get(&client, case_url(&app, case, "")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    app.teardown().await;
}

async fn staff_login_is_rate_limited_per_user(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.rate_limits.staff_logins_per_user_per_minute = 1;
    })
    .await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let client = app.client();
    let r = try_login(&app, &client, "hanne", "guess one").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = try_login(&app, &client, "HANNE", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key("retry-after"));
    let r = try_login(&app, &client, "someone-else", "guess").await;
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "other names are not blocked"
    );
    app.teardown().await;
}

for_each_backend!(
    login_succeeds_and_failures_look_the_same,
    logout_ends_the_session,
    every_form_requires_the_csrf_token,
    the_inbox_lists_only_the_handlers_cases_with_unread_markers,
    the_case_page_shows_the_decrypted_report_and_thread,
    cases_not_routed_to_the_handler_are_not_found,
    acknowledging_keeps_the_first_time,
    status_changes_and_unknown_status_changes_nothing,
    staff_attachments_upload_and_download,
    users_who_do_not_work_cases_get_403,
    staff_login_is_rate_limited_per_user,
);
