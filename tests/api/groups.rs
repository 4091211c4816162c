//! Groups, group leads and routing rules managed by administrators.
//!
//! On both backends, through the pages: an administrator creates a group,
//! adds members and a lead and adds a rule, and new reports follow it (after
//! the configuration file's rules); every other role is refused every page
//! and form; bad input is refused with a clear message and changes nothing;
//! every change is in the audit log, whose chain verifies; an overdue
//! deadline reaches the group's lead at a real SMTP server, not its other
//! members, and never a lead the reporter excluded.

use std::sync::Arc;

use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;
use varsel::core::clock::ManualClock;
use varsel::core::routing::RoutingRule;
use varsel::core::settings::{Settings, SmtpTls};
use varsel::core::store::User;

use crate::app::{csrf_of, Backend, TestApp, PASSWORD, TEST_WORK_FACTOR};
use crate::for_each_backend;
use crate::smtp::{Mode, SmtpServer};

for_each_backend!(
    administrators_manage_groups_and_rules_and_reports_follow_them,
    other_roles_are_refused_every_admin_page_and_form,
    bad_input_is_refused_clearly_and_changes_nothing,
    an_overdue_deadline_reaches_the_group_lead_only,
);

const ALL: [&str; 4] = ["lav", "middels", "hoy", "kritisk"];

/// The fields of a form.
type Fields = Vec<(&'static str, &'static str)>;

/// The configuration file's one rule: varsling → hr.
fn configured_rule(s: &mut Settings) {
    s.routing.rules = vec![RoutingRule {
        category: "varsling".to_owned(),
        severities: ALL.iter().map(|s| (*s).to_owned()).collect(),
        groups: vec!["hr".to_owned()],
    }];
}

/// A staff account with `roles`, `groups` and an e-mail address.
async fn add_staff(app: &TestApp, username: &str, roles: &[&str], groups: &[&str]) -> Uuid {
    let (recipient, wrapped_identity) =
        varsel::core::keys::new_user_keys(PASSWORD.as_bytes(), TEST_WORK_FACTOR).unwrap();
    let user = User {
        id: Uuid::new_v4(),
        username: username.to_owned(),
        display_name: format!("{username} (display)"),
        roles: roles
            .iter()
            .map(|r| varsel::core::domain::Role::parse(r).expect("role"))
            .collect(),
        recipient,
        wrapped_identity,
        email: Some(format!("{username}@example.org")),
        active: true,
        groups: groups.iter().map(|g| (*g).to_owned()).collect(),
        created_at: varsel::core::clock::system_now(),
    };
    app.store.create_user(&user).await.unwrap();
    user.id
}

/// A page client logged in as `username`, and its session's CSRF token
/// (read from `page`).
async fn login(app: &TestApp, username: &str, page: &str) -> (Client, String) {
    let client = app.client();
    let form = client
        .get(app.url("/staff/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = client
        .post(app.url("/staff/login"))
        .form(&[
            ("csrf", csrf_of(&form).as_str()),
            ("username", username),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{username} logs in");
    let html = client
        .get(app.url(page))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    (client, csrf_of(&html))
}

/// Posts a form (the CSRF token first).
async fn post(
    app: &TestApp,
    client: &Client,
    csrf: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> Response {
    let mut form = vec![("csrf", csrf)];
    form.extend_from_slice(fields);
    client.post(app.url(path)).form(&form).send().await.unwrap()
}

/// Posts a form that must succeed: a 303 back to `page` with a confirmation.
async fn post_ok(
    app: &TestApp,
    client: &Client,
    csrf: &str,
    path: &str,
    fields: &[(&str, &str)],
    page: &str,
) {
    let r = post(app, client, csrf, path, fields).await;
    let status = r.status();
    let location = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned());
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "{path} {fields:?}: {}",
        r.text().await.unwrap()
    );
    assert!(
        location.as_deref().unwrap_or("").starts_with(page),
        "{location:?}"
    );
}

async fn page(app: &TestApp, client: &Client, path: &str) -> String {
    let r = client.get(app.url(path)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.text().await.unwrap()
}

/// Submits a report through the API, excluding `exclude`.
async fn submit(app: &TestApp, category: &str, severity: &str, exclude: &[Uuid]) {
    let r = Client::new()
        .post(app.url("/api/v1/reports"))
        .json(&json!({
            "category": category,
            "severity": severity,
            "description": "Noen har delt passord på en lapp ved skriveren.",
            "exclude": exclude,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "{}",
        r.text().await.unwrap()
    );
}

/// The ids of the cases whose key is wrapped to `user`.
async fn inbox(app: &TestApp, user: Uuid) -> Vec<Uuid> {
    app.store
        .inbox(user)
        .await
        .unwrap()
        .iter()
        .map(|e| e.case.id)
        .collect()
}

/// The actions of the audit log by `actor`, in order; the chain must verify.
async fn audited(app: &TestApp, actor: Uuid) -> Vec<(String, Value)> {
    let entries = app.store.audit_entries().await.unwrap();
    assert_eq!(
        varsel::core::audit::verify(&entries).unwrap(),
        entries.len()
    );
    let actor = format!("user:{actor}");
    entries
        .iter()
        .filter(|e| e.actor == actor && !e.action.starts_with("staff."))
        .map(|e| (e.action.clone(), serde_json::from_str(&e.detail).unwrap()))
        .collect()
}

/// `varsel audit verify` on the app's database.
fn cli_audit_verify(app: &TestApp) -> String {
    let out = crate::helpers::varsel()
        .args(["audit", "verify"])
        .env("VARSEL_DATABASE__URL", &app.settings.database.url)
        .env(
            "VARSEL_STORAGE__DATA_DIR",
            app.settings.storage.data_dir.display().to_string(),
        )
        .env("VARSEL_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

async fn administrators_manage_groups_and_rules_and_reports_follow_them(backend: Backend) {
    let app = TestApp::spawn_with(backend, configured_rule).await;
    let ada = add_staff(&app, "ada", &["admin"], &[]).await;
    let inge = add_staff(&app, "inge", &["handler"], &[]).await;
    let ivar = add_staff(&app, "ivar", &["handler"], &[]).await;
    let olav = add_staff(&app, "olav", &["handler"], &[]).await;
    // Created with a group at the command line: hr is registered with it.
    let hanne = add_staff(&app, "hanne", &["handler"], &["hr"]).await;

    let (admin, csrf) = login(&app, "ada", "/admin/groups").await;
    let groups = page(&app, &admin, "/admin/groups").await;
    assert!(groups.contains("<h2 id=\"group-1\">hr</h2>"), "{groups}");
    assert!(groups.contains("href=\"/admin/rules\""), "admin navigation");
    let landing = page(&app, &admin, "/stats").await;
    assert!(
        landing.contains("href=\"/admin/groups\""),
        "linked from the landing page"
    );
    let rules = page(&app, &admin, "/admin/rules?lang=en").await;
    assert!(rules.contains("from the configuration file"), "{rules}");
    assert!(
        !rules.contains("/delete\""),
        "configured rules are read-only"
    );

    post_ok(
        &app,
        &admin,
        &csrf,
        "/admin/groups",
        &[
            ("name", " infosec "),
            ("description", "Informasjonssikkerhet"),
        ],
        "/admin/groups",
    )
    .await;
    for username in ["inge", "ivar"] {
        post_ok(
            &app,
            &admin,
            &csrf,
            "/admin/groups/members",
            &[("group", "infosec"), ("username", username)],
            "/admin/groups",
        )
        .await;
    }
    post_ok(
        &app,
        &admin,
        &csrf,
        "/admin/groups/leads",
        &[("group", "infosec"), ("username", "inge")],
        "/admin/groups",
    )
    .await;
    let mut rule = vec![("category", "avvik"), ("group", "infosec")];
    rule.extend(ALL.iter().map(|s| ("severity", *s)));
    post_ok(&app, &admin, &csrf, "/admin/rules", &rule, "/admin/rules").await;

    let groups = page(&app, &admin, "/admin/groups?notice=lead_added&lang=en").await;
    assert!(groups.contains("The member is now a lead of the group."));
    assert!(groups.contains("Informasjonssikkerhet"));
    assert!(groups.contains("inge (display)") && groups.contains("Lead"));
    let stored = app.store.groups().await.unwrap();
    let infosec = stored.iter().find(|g| g.name == "infosec").unwrap();
    assert_eq!(infosec.members, [inge, ivar]);
    assert_eq!(infosec.leads, [inge]);
    let rules = page(&app, &admin, "/admin/rules?lang=nb").await;
    assert!(rules.contains("Lagt til av administratorer"));
    let stored_rules = app.store.routing_rules().await.unwrap();
    assert_eq!(stored_rules.len(), 1);
    assert!(rules.contains(&format!("/admin/rules/{}/delete", stored_rules[0].id)));

    // A new avvik goes to infosec by the stored rule, and to nobody else; a
    // varsling still goes to hr by the configuration file's rule.
    submit(&app, "avvik", "middels", &[]).await;
    let avvik = inbox(&app, inge).await;
    assert_eq!(avvik.len(), 1);
    assert_eq!(inbox(&app, ivar).await, avvik);
    assert!(inbox(&app, olav).await.is_empty());
    assert!(inbox(&app, hanne).await.is_empty());
    submit(&app, "varsling", "lav", &[]).await;
    assert_eq!(inbox(&app, hanne).await.len(), 1);
    assert_eq!(inbox(&app, inge).await, avvik);

    // Deleted, the rule routes nothing: an avvik reaches every handler again.
    let rule_id = stored_rules[0].id;
    post_ok(
        &app,
        &admin,
        &csrf,
        &format!("/admin/rules/{rule_id}/delete"),
        &[],
        "/admin/rules",
    )
    .await;
    assert!(app.store.routing_rules().await.unwrap().is_empty());
    submit(&app, "avvik", "lav", &[]).await;
    assert_eq!(inbox(&app, olav).await.len(), 1);
    assert_eq!(inbox(&app, inge).await.len(), 2);

    // Removing a lead's membership ends the lead too.
    post_ok(
        &app,
        &admin,
        &csrf,
        "/admin/groups/members/remove",
        &[("group", "infosec"), ("username", "inge")],
        "/admin/groups",
    )
    .await;
    let stored = app.store.groups().await.unwrap();
    let infosec = stored.iter().find(|g| g.name == "infosec").unwrap();
    assert_eq!(
        (infosec.members.as_slice(), infosec.leads.len()),
        (&[ivar][..], 0)
    );

    // Every change is in the audit log, by the administrator, with what changed.
    let log = audited(&app, ada).await;
    let actions: Vec<&str> = log.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        [
            "group.created",
            "group.member_added",
            "group.member_added",
            "group.lead_added",
            "routing.rule_added",
            "routing.rule_deleted",
            "group.member_removed",
        ]
    );
    assert_eq!(log[0].1["group"], "infosec");
    assert_eq!(log[1].1["username"], "inge");
    assert_eq!(log[1].1["user"], inge.to_string());
    assert_eq!(log[3].1["group"], "infosec");
    assert_eq!(log[4].1["category"], "avvik");
    assert_eq!(log[4].1["groups"], json!(["infosec"]));
    assert_eq!(log[4].1["severities"], json!(ALL));
    assert_eq!(log[5].1["rule"], rule_id.to_string());
    assert_eq!(log[6].1["was_lead"], true);
    assert!(cli_audit_verify(&app).contains("audit log intact"));
    app.teardown().await;
}

/// Every page and form of the administration area.
fn admin_routes(rule: Uuid) -> Vec<(&'static str, String, Fields)> {
    let member = vec![("group", "infosec"), ("username", "kari")];
    vec![
        ("GET", "/admin/groups".to_owned(), vec![]),
        ("GET", "/admin/rules".to_owned(), vec![]),
        ("GET", "/admin/notifications".to_owned(), vec![]),
        (
            "POST",
            "/admin/groups".to_owned(),
            vec![("name", "ny"), ("description", "")],
        ),
        ("POST", "/admin/groups/members".to_owned(), member.clone()),
        (
            "POST",
            "/admin/groups/members/remove".to_owned(),
            member.clone(),
        ),
        ("POST", "/admin/groups/leads".to_owned(), member.clone()),
        ("POST", "/admin/groups/leads/remove".to_owned(), member),
        (
            "POST",
            "/admin/rules".to_owned(),
            vec![
                ("category", "avvik"),
                ("severity", "lav"),
                ("group", "infosec"),
            ],
        ),
        ("POST", format!("/admin/rules/{rule}/delete"), vec![]),
    ]
}

async fn other_roles_are_refused_every_admin_page_and_form(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    add_staff(&app, "ada", &["admin"], &[]).await;
    add_staff(&app, "kari", &["handler"], &["infosec"]).await;
    add_staff(&app, "revisor", &["auditor"], &[]).await;
    add_staff(&app, "kontakt", &["contact"], &[]).await;
    let (admin, csrf) = login(&app, "ada", "/admin/groups").await;
    post_ok(
        &app,
        &admin,
        &csrf,
        "/admin/rules",
        &[
            ("category", "avvik"),
            ("severity", "hoy"),
            ("group", "infosec"),
        ],
        "/admin/rules",
    )
    .await;
    let rule = app.store.routing_rules().await.unwrap()[0].id;
    let groups_before = app.store.groups().await.unwrap();
    let entries_before = app.store.audit_entries().await.unwrap().len();

    for (who, own_page) in [
        ("kari", "/staff/inbox"),
        ("revisor", "/stats"),
        ("kontakt", "/staff/inbox"),
    ] {
        let (client, csrf) = login(&app, who, own_page).await;
        let nav = page(&app, &client, own_page).await;
        assert!(
            !nav.contains("href=\"/admin/groups\""),
            "{who}: no admin links"
        );
        for (method, path, fields) in admin_routes(rule) {
            let r = if method == "GET" {
                client.get(app.url(&path)).send().await.unwrap()
            } else {
                post(&app, &client, &csrf, &path, &fields).await
            };
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{who}: {method} {path}");
        }
    }
    // Without a session: the login page.
    let anonymous = app.client();
    for (method, path, fields) in admin_routes(rule) {
        let r = if method == "GET" {
            anonymous.get(app.url(&path)).send().await.unwrap()
        } else {
            post(&app, &anonymous, "", &path, &fields).await
        };
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{method} {path}");
        assert_eq!(r.headers()["location"], "/staff/login", "{method} {path}");
    }
    // Whoever was refused changed nothing (their logins are all they left).
    assert_eq!(app.store.groups().await.unwrap(), groups_before);
    assert_eq!(app.store.routing_rules().await.unwrap().len(), 1);
    let entries = app.store.audit_entries().await.unwrap();
    assert!(entries[entries_before..]
        .iter()
        .all(|e| e.action.starts_with("staff.")));
    app.teardown().await;
}

async fn bad_input_is_refused_clearly_and_changes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    add_staff(&app, "ada", &["admin"], &[]).await;
    add_staff(&app, "kari", &["handler"], &["infosec"]).await;
    add_staff(&app, "per", &["handler"], &[]).await;
    let gone = add_staff(&app, "gone", &["handler"], &[]).await;
    let (admin, csrf) = login(&app, "ada", "/admin/groups").await;
    // An inactive account cannot be added.
    let mut retired = app.store.user_by_id(gone).await.unwrap().unwrap();
    retired.active = false;
    retired.username = "retired".to_owned();
    retired.id = Uuid::new_v4();
    app.store.create_user(&retired).await.unwrap();

    let groups_before = app.store.groups().await.unwrap();
    let entries_before = app.store.audit_entries().await.unwrap().len();

    // (path, fields, status, message): bokmål, the default.
    let refused: Vec<(&str, Fields, StatusCode, &str)> = vec![
        (
            "/admin/rules",
            vec![
                ("category", "okonomi"),
                ("severity", "lav"),
                ("group", "infosec"),
            ],
            StatusCode::BAD_REQUEST,
            "Velg en av kategoriene som er i bruk.",
        ),
        (
            "/admin/rules",
            vec![("category", "avvik"), ("group", "infosec")],
            StatusCode::BAD_REQUEST,
            "Kryss av for minst én alvorlighetsgrad.",
        ),
        (
            "/admin/rules",
            vec![
                ("category", "avvik"),
                ("severity", "høy"),
                ("group", "infosec"),
            ],
            StatusCode::BAD_REQUEST,
            "En alvorlighetsgrad er ikke en av lav, middels, høy og kritisk.",
        ),
        (
            "/admin/rules",
            vec![("category", "avvik"), ("severity", "lav")],
            StatusCode::BAD_REQUEST,
            "Kryss av for minst én gruppe.",
        ),
        (
            "/admin/rules",
            vec![
                ("category", "avvik"),
                ("severity", "lav"),
                ("group", "ukjent"),
            ],
            StatusCode::BAD_REQUEST,
            "En gruppe finnes ikke.",
        ),
        (
            "/admin/rules/ikke-en-regel/delete",
            vec![],
            StatusCode::BAD_REQUEST,
            "Regelen finnes ikke",
        ),
        (
            "/admin/groups/leads",
            vec![("group", "infosec"), ("username", "per")],
            StatusCode::BAD_REQUEST,
            "En leder må være medlem av gruppen.",
        ),
        (
            "/admin/groups/members",
            vec![("group", "infosec"), ("username", "nobody")],
            StatusCode::BAD_REQUEST,
            "Det finnes ingen aktiv bruker med det brukernavnet.",
        ),
        (
            "/admin/groups/members",
            vec![("group", "infosec"), ("username", "retired")],
            StatusCode::BAD_REQUEST,
            "Det finnes ingen aktiv bruker med det brukernavnet.",
        ),
        (
            "/admin/groups/members",
            vec![("group", "ukjent"), ("username", "per")],
            StatusCode::BAD_REQUEST,
            "Gruppen finnes ikke.",
        ),
        (
            "/admin/groups/members",
            vec![("group", "infosec"), ("username", "kari")],
            StatusCode::CONFLICT,
            "Brukeren er allerede medlem av gruppen.",
        ),
        (
            "/admin/groups/members/remove",
            vec![("group", "infosec"), ("username", "per")],
            StatusCode::BAD_REQUEST,
            "Brukeren er ikke medlem av gruppen.",
        ),
        (
            "/admin/groups/leads/remove",
            vec![("group", "infosec"), ("username", "kari")],
            StatusCode::BAD_REQUEST,
            "Brukeren er ikke leder av gruppen.",
        ),
        (
            "/admin/groups",
            vec![("name", "  "), ("description", "")],
            StatusCode::BAD_REQUEST,
            "Gi gruppen et navn.",
        ),
        (
            "/admin/groups",
            vec![("name", "InfoSec"), ("description", "")],
            StatusCode::CONFLICT,
            "Det finnes allerede en gruppe med det navnet.",
        ),
    ];
    for (path, fields, status, message) in &refused {
        let r = post(&app, &admin, &csrf, path, fields).await;
        assert_eq!(r.status(), *status, "{path} {fields:?}");
        let html = r.text().await.unwrap();
        assert!(html.contains(message), "{path} {fields:?}: {html}");
        assert!(html.contains("Ingenting ble endret"), "{path}");
    }
    // The same refusal in English.
    let r = post(
        &app,
        &admin,
        &csrf,
        "/admin/groups/leads?lang=en",
        &[("group", "infosec"), ("username", "per")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("A lead must be a member of the group."),
        "{html}"
    );
    assert!(html.contains("Nothing was changed"));
    // The language switch of a refused form's page leads back to the page.
    let r = admin
        .get(app.url("/admin/groups/leads?lang=nb"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/admin/groups");
    // A form without its CSRF token is refused too.
    let r = post(
        &app,
        &admin,
        "feil",
        "/admin/groups",
        &[("name", "ny"), ("description", "")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    assert_eq!(app.store.groups().await.unwrap(), groups_before);
    assert!(app.store.routing_rules().await.unwrap().is_empty());
    assert_eq!(
        app.store.audit_entries().await.unwrap().len(),
        entries_before,
        "a refused form writes nothing, not even to the audit log"
    );
    app.teardown().await;
}

/// One scheduler pass at the clock's time.
async fn tick(app: &TestApp) -> varsel::core::notifications::TickReport {
    let clock = app.state.clock.clone();
    varsel::core::notifications::tick(&app.state, &*clock)
        .await
        .unwrap()
}

async fn an_overdue_deadline_reaches_the_group_lead_only(backend: Backend) {
    let smtp = SmtpServer::start(Mode::Accept).await;
    let clock = ManualClock::new(OffsetDateTime::now_utc());
    let port = smtp.port;
    let app = TestApp::spawn_with_clock(backend, Arc::new(clock.clone()), move |s| {
        let n = &mut s.notifications;
        n.enabled = true;
        n.smtp_host = "127.0.0.1".into();
        n.smtp_port = port;
        n.tls = SmtpTls::None;
        n.from = "Varsel <varsel@example.org>".into();
        n.public_url = "https://varsel.example.org".into();
        n.interval_seconds = 3600;
        n.timeout_seconds = 10;
    })
    .await;
    add_staff(&app, "ada", &["admin"], &[]).await;
    let lina = add_staff(&app, "lina", &["handler"], &[]).await;
    let mats = add_staff(&app, "mats", &["handler"], &[]).await;
    add_staff(&app, "kari", &["contact"], &[]).await;
    // The lead of another group, which the rule does not name.
    let hugo = add_staff(&app, "hugo", &["handler"], &["hr"]).await;
    app.store.add_group_lead("hr", hugo).await.unwrap();

    let (admin, csrf) = login(&app, "ada", "/admin/groups").await;
    let changes: [(&str, Vec<(&str, &str)>); 4] = [
        ("/admin/groups", vec![("name", "infosec")]),
        (
            "/admin/groups/members",
            vec![("group", "infosec"), ("username", "lina")],
        ),
        (
            "/admin/groups/members",
            vec![("group", "infosec"), ("username", "mats")],
        ),
        (
            "/admin/groups/leads",
            vec![("group", "infosec"), ("username", "lina")],
        ),
    ];
    for (path, fields) in &changes {
        post_ok(&app, &admin, &csrf, path, fields, "/admin/groups").await;
    }
    let mut rule = vec![("category", "avvik"), ("group", "infosec")];
    rule.extend(ALL.iter().map(|s| ("severity", *s)));
    post_ok(&app, &admin, &csrf, "/admin/rules", &rule, "/admin/rules").await;

    // Two reports to infosec; the reporter of the second excludes the lead.
    submit(&app, "avvik", "hoy", &[]).await;
    submit(&app, "avvik", "hoy", &[lina]).await;
    assert_eq!(inbox(&app, lina).await.len(), 1);
    assert_eq!(inbox(&app, mats).await.len(), 2);
    assert!(inbox(&app, hugo).await.is_empty());
    let tick = || tick(&app);
    assert_eq!(tick().await.delivery.sent, 3, "new-case mails");
    let received = app.store.inbox(mats).await.unwrap()[0].case.received_at;
    let received = OffsetDateTime::from_unix_timestamp(received).unwrap();

    // The reminder before the acknowledgement deadline goes to who works the case.
    clock.set(received + Duration::days(6) + Duration::hours(1));
    assert_eq!(tick().await.delivery.sent, 3, "reminders");
    let count = |who: &str| smtp.mails_to(&format!("{who}@example.org")).len();
    assert_eq!((count("lina"), count("mats")), (2, 4));

    // Overdue: the first case's notice goes to infosec's lead and not to its
    // other member; the second's lead was excluded, so the contact point
    // hears of it instead. The other group's lead hears of neither.
    clock.set(received + Duration::days(7) + Duration::minutes(1));
    let report = tick().await;
    assert_eq!((report.queued, report.delivery.sent), (2, 2), "{report:?}");
    assert_eq!(count("lina"), 3, "the lead is told");
    assert_eq!(count("mats"), 4, "a member who is not a lead is not");
    assert_eq!(
        count("kari"),
        1,
        "the fallback, for the excluded lead's case"
    );
    assert_eq!(count("hugo"), 0);
    assert_eq!(count("ada"), 0);
    let overdue = smtp.mails_to("lina@example.org").pop().unwrap();
    assert!(overdue
        .data
        .contains("https://varsel.example.org/staff/login"));
    assert!(
        !overdue.data.contains("passord"),
        "no case content in mails"
    );
    clock.advance(Duration::hours(2));
    assert_eq!(tick().await.queued, 0, "no duplicate notice");
    app.teardown().await;
}
