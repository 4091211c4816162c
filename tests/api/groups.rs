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

use reqwest::StatusCode;
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;
use varsel::core::clock::ManualClock;

use crate::app::{api_report, rule, Backend, TestApp, ALL_SEVERITIES};
use crate::for_each_backend;
use crate::real_smtp::RealSmtp;

for_each_backend!(
    administrators_manage_groups_and_rules_and_reports_follow_them,
    other_roles_are_refused_every_admin_page_and_form,
    bad_input_is_refused_clearly_and_changes_nothing,
    an_overdue_deadline_reaches_the_group_lead_only,
);

/// The fields of a form.
type Fields = Vec<(&'static str, &'static str)>;

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

async fn administrators_manage_groups_and_rules_and_reports_follow_them(backend: Backend) {
    // The configuration file's one rule: varsling → hr.
    let app = TestApp::spawn_with(backend, |s| {
        s.routing.rules = vec![rule("varsling", "hr")];
    })
    .await;
    let ada = app
        .add_staff("ada", &["admin"], &[], Some("ada@example.org"))
        .await;
    let inge = app
        .add_staff("inge", &["handler"], &[], Some("inge@example.org"))
        .await;
    let ivar = app
        .add_staff("ivar", &["handler"], &[], Some("ivar@example.org"))
        .await;
    let olav = app
        .add_staff("olav", &["handler"], &[], Some("olav@example.org"))
        .await;
    // Created with a group at the command line: hr is registered with it.
    let hanne = app
        .add_staff("hanne", &["handler"], &["hr"], Some("hanne@example.org"))
        .await;

    let admin = app.staff_login("ada").await;
    let groups = app.page(&admin, "/admin/groups").await;
    assert!(groups.contains("<h2 id=\"group-1\">hr</h2>"), "{groups}");
    assert!(groups.contains("href=\"/admin/rules\""), "admin navigation");
    let landing = app.page(&admin, "/stats").await;
    assert!(
        landing.contains("href=\"/admin/groups\""),
        "linked from the landing page"
    );
    let rules = app.page(&admin, "/admin/rules?lang=en").await;
    assert!(rules.contains("from the configuration file"), "{rules}");
    assert!(
        !rules.contains("/delete\""),
        "configured rules are read-only"
    );

    app.post_form(
        &admin,
        "/admin/groups",
        &[
            ("name", " infosec "),
            ("description", "Informasjonssikkerhet"),
        ],
    )
    .await
    .assert_see_other("/admin/groups");
    for username in ["inge", "ivar"] {
        app.post_form(
            &admin,
            "/admin/groups/members",
            &[("group", "infosec"), ("username", username)],
        )
        .await
        .assert_see_other("/admin/groups");
    }
    app.post_form(
        &admin,
        "/admin/groups/leads",
        &[("group", "infosec"), ("username", "inge")],
    )
    .await
    .assert_see_other("/admin/groups");
    let mut rule = vec![("category", "avvik"), ("group", "infosec")];
    rule.extend(ALL_SEVERITIES.iter().map(|s| ("severity", *s)));
    app.post_form(&admin, "/admin/rules", &rule)
        .await
        .assert_see_other("/admin/rules");

    let groups = app
        .page(&admin, "/admin/groups?notice=lead_added&lang=en")
        .await;
    assert!(groups.contains("The member is now a lead of the group."));
    assert!(groups.contains("Informasjonssikkerhet"));
    assert!(groups.contains("inge (display)") && groups.contains("Lead"));
    let stored = app.store.groups().await.unwrap();
    let infosec = stored.iter().find(|g| g.name == "infosec").unwrap();
    assert_eq!(infosec.members, [inge, ivar]);
    assert_eq!(infosec.leads, [inge]);
    let rules = app.page(&admin, "/admin/rules?lang=nb").await;
    assert!(rules.contains("Lagt til av administratorer"));
    let stored_rules = app.store.routing_rules().await.unwrap();
    assert_eq!(stored_rules.len(), 1);
    assert!(rules.contains(&format!("/admin/rules/{}/delete", stored_rules[0].id)));

    // A new avvik goes to infosec by the stored rule, and to nobody else; a
    // varsling still goes to hr by the configuration file's rule.
    app.report(&api_report("avvik", "middels", &[])).await;
    let avvik = app.held_case_ids(inge).await;
    assert_eq!(avvik.len(), 1);
    assert_eq!(app.held_case_ids(ivar).await, avvik);
    assert!(app.held_case_ids(olav).await.is_empty());
    assert!(app.held_case_ids(hanne).await.is_empty());
    app.report(&api_report("varsling", "lav", &[])).await;
    assert_eq!(app.held_case_ids(hanne).await.len(), 1);
    assert_eq!(app.held_case_ids(inge).await, avvik);

    // Deleted, the rule routes nothing: an avvik reaches every handler again.
    let rule_id = stored_rules[0].id;
    app.post_form(&admin, &format!("/admin/rules/{rule_id}/delete"), &[])
        .await
        .assert_see_other("/admin/rules");
    assert!(app.store.routing_rules().await.unwrap().is_empty());
    app.report(&api_report("avvik", "lav", &[])).await;
    assert_eq!(app.held_case_ids(olav).await.len(), 1);
    assert_eq!(app.held_case_ids(inge).await.len(), 2);

    // Removing a lead's membership ends the lead too.
    app.post_form(
        &admin,
        "/admin/groups/members/remove",
        &[("group", "infosec"), ("username", "inge")],
    )
    .await
    .assert_see_other("/admin/groups");
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
    assert_eq!(log[4].1["severities"], json!(ALL_SEVERITIES));
    assert_eq!(log[5].1["rule"], rule_id.to_string());
    assert_eq!(log[6].1["was_lead"], true);
    let out = app.command(&["audit", "verify"]);
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .contains("audit log intact"));
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
    app.add_staff("ada", &["admin"], &[], Some("ada@example.org"))
        .await;
    app.add_staff("kari", &["handler"], &["infosec"], Some("kari@example.org"))
        .await;
    app.add_staff("revisor", &["auditor"], &[], Some("revisor@example.org"))
        .await;
    app.add_staff("kontakt", &["contact"], &[], Some("kontakt@example.org"))
        .await;
    let admin = app.staff_login("ada").await;
    app.post_form(
        &admin,
        "/admin/rules",
        &[
            ("category", "avvik"),
            ("severity", "hoy"),
            ("group", "infosec"),
        ],
    )
    .await
    .assert_see_other("/admin/rules");
    let rule = app.store.routing_rules().await.unwrap()[0].id;
    let groups_before = app.store.groups().await.unwrap();
    let entries_before = app.store.audit_entries().await.unwrap().len();

    for (who, own_page) in [
        ("kari", "/staff/inbox"),
        ("revisor", "/stats"),
        ("kontakt", "/staff/inbox"),
    ] {
        let client = app.staff_login(who).await;
        let nav = app.page(&client, own_page).await;
        assert!(
            !nav.contains("href=\"/admin/groups\""),
            "{who}: no admin links"
        );
        for (method, path, fields) in admin_routes(rule) {
            let r = if method == "GET" {
                app.get(&client, &path).await
            } else {
                app.post_form(&client, &path, &fields).await
            };
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}: {method} {path}");
        }
    }
    // Without a session: the login page.
    let anonymous = app.client();
    for (method, path, fields) in admin_routes(rule) {
        let r = if method == "GET" {
            app.get(&anonymous, &path).await
        } else {
            app.post_form_with_token(&anonymous, Some(""), &path, &fields)
                .await
        };
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{method} {path}");
        assert_eq!(r.location(), Some("/staff/login"), "{method} {path}");
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
    app.add_staff("ada", &["admin"], &[], Some("ada@example.org"))
        .await;
    app.add_staff("kari", &["handler"], &["infosec"], Some("kari@example.org"))
        .await;
    app.add_staff("per", &["handler"], &[], Some("per@example.org"))
        .await;
    let gone = app
        .add_staff("gone", &["handler"], &[], Some("gone@example.org"))
        .await;
    let admin = app.staff_login("ada").await;
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
        let r = app.post_form(&admin, path, fields).await;
        assert_eq!(r.status, *status, "{path} {fields:?}");
        let html = r.text;
        assert!(html.contains(message), "{path} {fields:?}: {html}");
        assert!(html.contains("Ingenting ble endret"), "{path}");
    }
    // The same refusal in English.
    let r = app
        .post_form(
            &admin,
            "/admin/groups/leads?lang=en",
            &[("group", "infosec"), ("username", "per")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let html = r.text;
    assert!(
        html.contains("A lead must be a member of the group."),
        "{html}"
    );
    assert!(html.contains("Nothing was changed"));
    // The language switch of a refused form's page leads back to the page.
    let r = app.get(&admin, "/admin/groups/leads?lang=nb").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), Some("/admin/groups"));
    // A form without its CSRF token is refused too.
    let r = app
        .post_form_with_token(
            &admin,
            Some("feil"),
            "/admin/groups",
            &[("name", "ny"), ("description", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    assert_eq!(app.store.groups().await.unwrap(), groups_before);
    assert!(app.store.routing_rules().await.unwrap().is_empty());
    assert_eq!(
        app.store.audit_entries().await.unwrap().len(),
        entries_before,
        "a refused form writes nothing, not even to the audit log"
    );
    app.teardown().await;
}

async fn an_overdue_deadline_reaches_the_group_lead_only(backend: Backend) {
    let smtp = RealSmtp::start();
    let clock = ManualClock::new(OffsetDateTime::now_utc());
    let client = smtp.client();
    let app = TestApp::spawn_with_clock(backend, Arc::new(clock.clone()), move |s| {
        client.apply(s);
    })
    .await;
    app.add_staff("ada", &["admin"], &[], Some("ada@example.org"))
        .await;
    let lina = app
        .add_staff("lina", &["handler"], &[], Some("lina@example.org"))
        .await;
    let mats = app
        .add_staff("mats", &["handler"], &[], Some("mats@example.org"))
        .await;
    app.add_staff("kari", &["contact"], &[], Some("kari@example.org"))
        .await;
    // The lead of another group, which the rule does not name.
    let hugo = app
        .add_staff("hugo", &["handler"], &["hr"], Some("hugo@example.org"))
        .await;
    app.store.add_group_lead("hr", hugo).await.unwrap();

    let admin = app.staff_login("ada").await;
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
        app.post_form(&admin, path, fields)
            .await
            .assert_see_other("/admin/groups");
    }
    let mut rule = vec![("category", "avvik"), ("group", "infosec")];
    rule.extend(ALL_SEVERITIES.iter().map(|s| ("severity", *s)));
    app.post_form(&admin, "/admin/rules", &rule)
        .await
        .assert_see_other("/admin/rules");

    // Two reports to infosec; the reporter of the second excludes the lead.
    app.report(&api_report("avvik", "hoy", &[])).await;
    app.report(&api_report("avvik", "hoy", &[lina])).await;
    assert_eq!(app.held_case_ids(lina).await.len(), 1);
    assert_eq!(app.held_case_ids(mats).await.len(), 2);
    assert!(app.held_case_ids(hugo).await.is_empty());
    let tick = || app.tick();
    assert_eq!(tick().await.delivery.sent, 3, "new-case mails");
    let received = app.held_cases(mats).await[0].received_at;
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
    let pass = tick().await;
    assert_eq!((pass.queued, pass.delivery.sent), (2, 2), "{pass:?}");
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
