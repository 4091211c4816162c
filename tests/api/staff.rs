//! The staff pages through HTTP: login and logout, the inbox, the case page
//! and its actions, attachments, CSRF, rate limits, and that a case not
//! routed to the handler is indistinguishable from one that does not exist.

use reqwest::multipart::Form;
use reqwest::StatusCode;
use uuid::Uuid;
use varsel::core::store::Author;

use crate::app::{inbox_row, Backend, SeededCase, TestApp, PASSWORD};
use crate::for_each_backend;

const LOGIN_FAILED: &str = "Feil brukernavn eller passord.";

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

    let page = app.get(&client, "/staff/login").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.contains("autocomplete=\"username\""));
    assert!(page.contains("autocomplete=\"current-password\""));
    assert!(page.contains("type=\"password\""));

    let wrong_password = app
        .staff_login_attempt(&client, "hanne", "not the password")
        .await;
    let unknown_user = app.staff_login_attempt(&client, "hanna", PASSWORD).await;
    let wrong_body = &wrong_password.text;
    assert_eq!(wrong_password.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown_user.status, wrong_password.status);
    assert!(wrong_body.contains(LOGIN_FAILED), "{wrong_body}");
    assert_eq!(
        wrong_body.replace("hanne", "NAME"),
        unknown_user.text.replace("hanna", "NAME"),
        "the two failures differ only in the echoed username"
    );
    assert!(!wrong_body.contains(PASSWORD) && !wrong_body.contains("not the password"));
    let r = app.get(&client, "/staff/inbox").await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "a failed login is no login"
    );

    let ok = app.staff_login_attempt(&client, "hanne", PASSWORD).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(ok.location(), Some("/staff/inbox"));
    let cookie = ok
        .headers
        .get("set-cookie")
        .expect("a new session cookie")
        .to_str()
        .unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    let inbox = app.get(&client, "/staff/inbox").await;
    assert_eq!(inbox.status, StatusCode::OK);
    assert!(inbox.contains("Hanne Handler"));
    app.teardown().await;
}

async fn logout_ends_the_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let hanne = app.staff_login("hanne").await;

    let r = app.post_form(&hanne, "/staff/logout", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), Some("/staff/login"));
    let r = app.get(&hanne, "/staff/inbox").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), Some("/staff/login"));
    // Without any session at all, case pages also send the visitor to log in.
    let r = app
        .get(&app.client(), &format!("/staff/cases/{}", Uuid::new_v4()))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), Some("/staff/login"));
    app.teardown().await;
}

async fn every_form_requires_the_csrf_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hanne_id = app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let (case, _) = app
        .seed_case(SeededCase::new("avvik", "middels").held_by(&[hanne_id]))
        .await;

    let client = app.client();
    app.get(&client, "/staff/login").await;
    let credentials = [("username", "hanne"), ("password", PASSWORD)];
    let r = app
        .post_form_with_token(&client, None, "/staff/login", &credentials)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "login without a token");
    let r = app
        .post_form_with_token(&client, Some("0123"), "/staff/login", &credentials)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "login with a wrong token");

    let hanne = app.staff_login("hanne").await;
    let r = app.reply_with_token(&hanne, None, case, "Hei", &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "reply without a token");
    let r = app
        .reply_with_token(&hanne, Some("wrong"), case, "Hei", &[])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "reply with a wrong token");
    let late = Form::new()
        .text("message", "Hei")
        .text("csrf", hanne.csrf.clone());
    let r = app
        .post_multipart(&hanne, &format!("/staff/cases/{case}/reply"), late)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "the token must come first");
    let r = app
        .post_form_with_token(
            &hanne,
            None,
            &format!("/staff/cases/{case}/acknowledge"),
            &[],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "acknowledge without a token"
    );
    let r = app
        .post_form_with_token(
            &hanne,
            None,
            &format!("/staff/cases/{case}/status"),
            &[("status", "closed")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "status without a token");
    let r = app
        .post_form_with_token(&hanne, Some("nope"), "/staff/logout", &[])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "logout with a wrong token");

    let stored = app.stored_case(case).await;
    assert_eq!(stored.status.key(), "received");
    assert_eq!(stored.acknowledged_at, None);
    assert!(app.store.messages(case).await.unwrap().is_empty());
    let r = app.get(&hanne, "/staff/inbox").await;
    assert_eq!(r.status, StatusCode::OK, "still logged in");
    app.teardown().await;
}

async fn the_inbox_lists_only_the_handlers_cases_with_unread_markers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hanne_id = app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let kari_id = app.add_user("kari", "Kari Kontakt", &["contact"]).await;
    let (mine, mine_recipient) = app
        .seed_case(SeededCase::new("avvik", "lav").held_by(&[hanne_id]))
        .await;
    let (theirs, _) = app
        .seed_case(SeededCase::new("avvik", "hoy").held_by(&[kari_id]))
        .await;
    let (shared, _) = app
        .seed_case(SeededCase::new("avvik", "kritisk").held_by(&[hanne_id, kari_id]))
        .await;

    let hanne = app.staff_login("hanne").await;
    let inbox = app.page(&hanne, "/staff/inbox").await;
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
    assert!(inbox.contains("/staff/inbox?sort=received"));
    let critical = app.get(&hanne, "/staff/inbox?severity=kritisk").await.text;
    assert!(critical.contains(&shared.to_string()), "the critical case");
    assert!(
        !critical.contains(&mine.to_string()),
        "only the critical case"
    );

    let r = app.get(&hanne, &format!("/staff/cases/{mine}")).await;
    assert_eq!(r.status, StatusCode::OK);
    let inbox = app.get(&hanne, "/staff/inbox").await.text;
    assert!(
        !is_unread(inbox_row(&inbox, mine).unwrap()),
        "read after opening"
    );
    assert!(
        is_unread(inbox_row(&inbox, shared).unwrap()),
        "the other stays unread"
    );

    app.seed_reporter_message(mine, &mine_recipient, "Jeg har mer å fortelle.")
        .await;
    let inbox = app.get(&hanne, "/staff/inbox").await.text;
    assert!(
        is_unread(inbox_row(&inbox, mine).unwrap()),
        "unread after the reporter wrote"
    );

    // Kari's view: her own cases only; opening one does not mark it read for Hanne.
    let kari = app.staff_login("kari").await;
    let kari_inbox = app.get(&kari, "/staff/inbox").await.text;
    assert!(inbox_row(&kari_inbox, mine).is_none());
    assert!(inbox_row(&kari_inbox, theirs).is_some());
    app.get(&kari, &format!("/staff/cases/{shared}")).await;
    let inbox = app.get(&hanne, "/staff/inbox").await.text;
    assert!(is_unread(inbox_row(&inbox, shared).unwrap()));

    app.add_user("nils", "Nils Ny", &["handler"]).await;
    let nils = app.staff_login("nils").await;
    let empty = app.page(&nils, "/staff/inbox").await;
    assert!(empty.contains("Du har ingen saker"), "empty state");
    assert!(!empty.contains("/staff/cases/"));
    app.teardown().await;
}

async fn the_case_page_shows_the_decrypted_report_and_thread(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hanne_id = app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let (case, recipient) = app
        .seed_case(SeededCase::new("avvik", "hoy").held_by(&[hanne_id]))
        .await;
    app.seed_reporter_message(case, &recipient, "Det skjedde igjen i dag.")
        .await;
    let hanne = app.staff_login("hanne").await;

    let r = app.reply(&hanne, case, "Takk, vi ser på det.", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // Back to the case, which confirms what was done (nothing of the case
    // in the URL).
    let back = format!("/staff/cases/{case}?done=reply#done");
    assert_eq!(r.location(), Some(back.as_str()));
    let page = app.page(&hanne, &format!("/staff/cases/{case}")).await;
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
    assert_eq!(messages[1].author_user_id, Some(hanne_id));

    let r = app.reply(&hanne, case, "   ", &[]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("Skriv en melding eller legg ved minst én fil."));
    assert_eq!(
        app.store.messages(case).await.unwrap().len(),
        2,
        "nothing stored"
    );

    let en = app
        .page(&hanne, &format!("/staff/cases/{case}?lang=en"))
        .await;
    assert!(en.contains("What happened") && en.contains("Reporter"));
    app.teardown().await;
}

async fn cases_not_routed_to_the_handler_are_not_found(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hanne_id = app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    app.add_user("kari", "Kari Kontakt", &["handler"]).await;
    let (case, _) = app
        .seed_case(SeededCase::new("avvik", "middels").held_by(&[hanne_id]))
        .await;
    let hanne = app.staff_login("hanne").await;
    let r = app
        .reply(
            &hanne,
            case,
            "",
            &[("bevis.pdf", b"%PDF-1.4 bevis".to_vec())],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = app.get(&hanne, &format!("/staff/cases/{case}")).await;
    let links = attachment_links(&page.text);
    assert_eq!(links.len(), 1);
    let attachment_path = links[0].clone();

    let kari = app.staff_login("kari").await;
    let not_found = app
        .get(&kari, &format!("/staff/cases/{}", Uuid::new_v4()))
        .await;
    assert_eq!(not_found.status, StatusCode::NOT_FOUND);
    let not_found = not_found.text;
    let r = app.get(&kari, &format!("/staff/cases/{case}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        r.text, not_found,
        "the same page as for a case that does not exist"
    );
    let r = app.get(&kari, "/staff/cases/not-a-uuid").await;
    assert_eq!(
        (r.status, r.text.as_str()),
        (StatusCode::NOT_FOUND, not_found.as_str())
    );
    let r = app.get(&kari, &attachment_path).await;
    assert_eq!(
        (r.status, r.text.as_str()),
        (StatusCode::NOT_FOUND, not_found.as_str())
    );
    let random_attachment = format!(
        "/staff/cases/{}/attachments/{}",
        Uuid::new_v4(),
        Uuid::new_v4()
    );
    for client in [&kari, &hanne] {
        let r = app.get(client, &random_attachment).await;
        assert_eq!(
            (r.status, r.text.as_str()),
            (StatusCode::NOT_FOUND, not_found.as_str())
        );
    }

    for target in [case, Uuid::new_v4()] {
        let r = app
            .reply(&kari, target, "Hei", &[("x.pdf", b"x".to_vec())])
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(r.text, not_found);
        let r = app.acknowledge(&kari, target).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(r.text, not_found);
        for status in ["closed", "nonsense"] {
            let r = app.set_status(&kari, target, status).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND);
            assert_eq!(r.text, not_found);
        }
    }
    let stored = app.stored_case(case).await;
    assert_eq!(stored.status.key(), "received");
    assert_eq!(stored.acknowledged_at, None);
    assert!(app.store.messages(case).await.unwrap().is_empty());
    assert_eq!(app.store.attachments(case).await.unwrap().len(), 1);
    app.teardown().await;
}

async fn acknowledging_keeps_the_first_time(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hanne_id = app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let (case, _) = app
        .seed_case(SeededCase::new("avvik", "lav").held_by(&[hanne_id]))
        .await;
    let hanne = app.staff_login("hanne").await;
    let case_path = format!("/staff/cases/{case}");
    let page = app.get(&hanne, &case_path).await;
    assert!(page.contains(&format!("/staff/cases/{case}/acknowledge")));

    let r = app.acknowledge(&hanne, case).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let confirmed = format!("{case_path}?done=acknowledged#done");
    assert_eq!(r.location(), Some(confirmed.as_str()));
    let first = app.stored_case(case).await;
    assert_eq!(first.status.key(), "acknowledged");
    let acknowledged_at = first.acknowledged_at.expect("acknowledgement time");

    let page = app.get(&hanne, &case_path).await;
    assert!(
        !page.contains(&format!("/staff/cases/{case}/acknowledge")),
        "done once"
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let r = app.set_status(&hanne, case, "under_investigation").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = app.acknowledge(&hanne, case).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let later = app.stored_case(case).await;
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
    let hanne_id = app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let (case, _) = app
        .seed_case(SeededCase::new("avvik", "lav").held_by(&[hanne_id]))
        .await;
    let hanne = app.staff_login("hanne").await;
    let case_path = format!("/staff/cases/{case}");
    let page = app.get(&hanne, &case_path).await;
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

    let r = app.set_status(&hanne, case, "feedback_given").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let stored = app.stored_case(case).await;
    assert_eq!(stored.status.key(), "feedback_given");
    assert!(
        stored.acknowledged_at.is_some(),
        "moving on acknowledges receipt"
    );

    let r = app.set_status(&hanne, case, "deleted").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.contains("Ukjent status. Velg en status fra listen."),
        "{r}"
    );
    assert!(
        r.contains("Leverandøren fikk tilgang"),
        "the case page is shown again"
    );
    let r = app
        .post_form(&hanne, &format!("{case_path}/status"), &[])
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.stored_case(case).await.status.key(), "feedback_given");
    let page = app.get(&hanne, &case_path).await;
    assert!(page.contains("<option value=\"feedback_given\" selected>"));
    app.teardown().await;
}

async fn staff_attachments_upload_and_download(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.limits.max_attachment_bytes = 200_000;
        s.limits.max_attachments_per_case = 2;
    })
    .await;
    let hanne_id = app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let (case, _) = app
        .seed_case(SeededCase::new("avvik", "lav").held_by(&[hanne_id]))
        .await;
    let hanne = app.staff_login("hanne").await;

    let content: Vec<u8> = (0..150_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let r = app
        .reply(
            &hanne,
            case,
            "Vedlagt er referatet.",
            &[("Møte \"referat\".pdf", content.clone())],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = app.get(&hanne, &format!("/staff/cases/{case}")).await;
    assert!(
        page.contains("Møte &#34;referat&#34;.pdf")
            || page.contains("Møte &quot;referat&quot;.pdf")
    );
    let links = attachment_links(&page.text);
    assert_eq!(links.len(), 1);

    let r = hanne.get(app.url(&links[0])).send().await.unwrap();
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
    let r = app
        .reply(&hanne, case, "Mitt utkast", &[("stor.pdf", too_big)])
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.contains("Et vedlegg er for stort"), "{r}");
    assert!(r.contains("Mitt utkast"), "the draft is offered again");

    let two = [("a.pdf", b"a".to_vec()), ("b.pdf", b"b".to_vec())];
    let r = app.reply(&hanne, case, "", &two).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "a third and fourth file");
    assert!(r.contains("For mange vedlegg"), "{r}");
    assert_eq!(
        app.store.attachments(case).await.unwrap().len(),
        1,
        "nothing more stored"
    );
    assert_eq!(app.store.messages(case).await.unwrap().len(), 1);
    let leftovers: Vec<_> = app
        .attachment_files()
        .into_iter()
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
    let hanne_id = app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    app.add_user("ada", "Ada Admin", &["admin", "auditor"])
        .await;
    let (case, _) = app
        .seed_case(SeededCase::new("avvik", "lav").held_by(&[hanne_id]))
        .await;
    let ada = app.staff_login("ada").await;
    let r = app.get(&ada, "/staff/inbox").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(!r.contains(&case.to_string()));
    let r = app.get(&ada, &format!("/staff/cases/{case}")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    app.teardown().await;
}

async fn staff_login_is_rate_limited_per_user(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.rate_limits.staff_logins_per_user_per_minute = 1;
    })
    .await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let client = app.client();
    let r = app.staff_login_attempt(&client, "hanne", "guess one").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = app.staff_login_attempt(&client, "HANNE", PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers.contains_key("retry-after"));
    let r = app
        .staff_login_attempt(&client, "someone-else", "guess")
        .await;
    assert_eq!(
        r.status,
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
