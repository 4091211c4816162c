//! The handler's workspace (issue 12): the case page's forms (no
//! preselected outcome, authority or decision; closing confirmed; errors
//! tied to their fields), the confirmation of every action, times in
//! Europe/Oslo, and the internal notes between handlers: sealed to the case,
//! audited, never shown to the reporter or to a handler the case is not open
//! to. Pages and API, on both backends.

use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::json;
use time::macros::datetime;
use varsel::core::clock::ManualClock;

use crate::app::{Backend, ReportForm, SeededCase, TestApp};
use crate::for_each_backend;

for_each_backend!(
    notes_are_sealed_audited_and_kept_from_the_reporter,
    notes_are_kept_from_excluded_and_unrouted_handlers,
    the_close_and_escalation_forms_preselect_nothing_and_closing_is_confirmed,
    every_action_confirms_what_it_did,
    refused_fields_carry_their_error,
    staff_pages_show_oslo_time_in_summer_and_winter,
    every_inbox_filter_option_shows_its_count,
);

/// An action on the case page: its path, its form, the confirmation it
/// asks for and the words of that confirmation.
type Step<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str, &'a str);

const NOTE_PAGE: &str = "NoteMarkerPage: ring juristen før fredag";
const NOTE_API: &str = "NoteMarkerApi: leverandøren er varslet";

/// The `<section id="…">…</section>` or `<details id="…">…</details>` of a page.
fn part<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} on the page"));
    let rest = &page[start..];
    let end = rest
        .find("</details>")
        .into_iter()
        .chain(rest.find("</section>"))
        .min()
        .unwrap_or(rest.len());
    &rest[..end]
}

async fn notes_are_sealed_audited_and_kept_from_the_reporter(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    app.add_user("kari", "Kari Kontakt", &["contact"]).await;
    // Critical: it reaches the contact point as well as the handler.
    let report = ReportForm {
        severity: "kritisk",
        ..ReportForm::new("Notatsaken: noe skjedde på lageret.")
    };
    let code = app.file_report(&report).await;
    let hanne_token = app.staff_token("hanne").await;
    let case = app.api_only_case(&hanne_token).await;
    let hanne = app.staff_login("hanne").await;

    // A note through the page: confirmed, listed with its author.
    let r = app.add_note(&hanne, case, NOTE_PAGE).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = app
        .page(&hanne, &format!("/staff/cases/{case}?done=note"))
        .await;
    assert!(page.contains("role=\"status\""), "{page}");
    assert!(page.contains("Det interne notatet er lagt til."));
    let notes = part(&page, "notes");
    assert!(notes.contains(NOTE_PAGE) && notes.contains("Hanne Handler"));

    // A note through the API; both listed, oldest first, for every staff
    // member the case is open to.
    let r = app
        .api_post(
            &format!("/staff/cases/{case}/notes"),
            Some(&hanne_token),
            &json!({"body": NOTE_API}),
        )
        .await;
    let added = r.expect(StatusCode::CREATED);
    assert!(added["id"].is_string() && added["time"].is_string());
    let kari_token = app.staff_token("kari").await;
    for token in [&hanne_token, &kari_token] {
        let listed = app
            .api_get(&format!("/staff/cases/{case}/notes"), Some(token))
            .await
            .expect(StatusCode::OK);
        let mut bodies: Vec<&str> = listed
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["body"].as_str().unwrap())
            .collect();
        // Oldest first; the two may share a second.
        bodies.sort_unstable();
        assert_eq!(bodies, [NOTE_API, NOTE_PAGE]);
        assert!(listed
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["author_name"] == "Hanne Handler"));
    }
    let kari = app.staff_login("kari").await;
    let page = app.page(&kari, &format!("/staff/cases/{case}")).await;
    assert!(page.contains(NOTE_PAGE) && page.contains(NOTE_API));

    // An empty note stores nothing and is explained at its field.
    let r = app.add_note(&hanne, case, "   ").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text.contains("id=\"note-body-error\""));
    let r = app
        .api_post(
            &format!("/staff/cases/{case}/notes"),
            Some(&hanne_token),
            &json!({"body": ""}),
        )
        .await;
    r.expect_error(StatusCode::BAD_REQUEST, "text_required");

    // Sealed: no plaintext anywhere in the database or the data directory.
    let rows = app.db.raw_rows("SELECT body FROM case_notes").await;
    assert_eq!(rows.len(), 2);
    let needles = vec![NOTE_PAGE.to_owned(), NOTE_API.to_owned()];
    let in_tables = app
        .db
        .readable_in_tables(&needles, |_| Some(String::new()))
        .await;
    assert!(in_tables.is_empty(), "{in_tables:?}");
    let hits = app.db.readable(&needles).await;
    assert!(hits.is_empty(), "{hits:?}");

    // Audited, twice, with no text of the note.
    let entries = app.audit_entries_after_the_day().await;
    let added: Vec<_> = entries
        .iter()
        .filter(|e| e.action == "case.note_added")
        .collect();
    assert_eq!(added.len(), 2);
    for e in &added {
        assert!(!e.detail.contains("NoteMarker"), "{}", e.detail);
        assert_eq!(e.case_id, Some(case.to_string()));
    }

    // Never shown to the reporter: neither their page nor their API.
    let reporter_page = app.reporter_case_page(&code).await;
    assert!(reporter_page.contains("Notatsaken"));
    assert!(!reporter_page.contains("NoteMarker"));
    let token = app.reporter_token(&code).await;
    let view = app.api_reporter_case(&token).await.expect(StatusCode::OK);
    assert!(view.to_string().contains("Notatsaken"));
    assert!(!view.to_string().contains("NoteMarker"));
    // And the reporter's token reaches no notes.
    let r = app
        .api_get(&format!("/staff/cases/{case}/notes"), Some(&token))
        .await;
    assert_ne!(r.status, StatusCode::OK);
    app.teardown().await;
}

async fn notes_are_kept_from_excluded_and_unrouted_handlers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let eirik = app
        .add_user("eirik", "Eirik Ekskludert", &["handler"])
        .await;
    let report = ReportForm {
        exclude: vec![eirik],
        ..ReportForm::new("Eiriks sak: han skal ikke lese dette.")
    };
    app.file_report(&report).await;
    let hanne_token = app.staff_token("hanne").await;
    let case = app.api_only_case(&hanne_token).await;
    app.api_post(
        &format!("/staff/cases/{case}/notes"),
        Some(&hanne_token),
        &json!({"body": NOTE_API}),
    )
    .await
    .expect(StatusCode::CREATED);

    // The excluded handler: not found, on the page, the form and the API.
    let eirik_token = app.staff_token("eirik").await;
    let r = app
        .api_get(&format!("/staff/cases/{case}/notes"), Some(&eirik_token))
        .await;
    r.expect_error(StatusCode::NOT_FOUND, "not_found");
    let r = app
        .api_post(
            &format!("/staff/cases/{case}/notes"),
            Some(&eirik_token),
            &json!({"body": "Eirik skriver"}),
        )
        .await;
    r.expect_error(StatusCode::NOT_FOUND, "not_found");
    let eirik_page = app.staff_login("eirik").await;
    let r = app.get(&eirik_page, &format!("/staff/cases/{case}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(!r.text.contains("NoteMarker"));
    let r = app.add_note(&eirik_page, case, "Eirik skriver").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // A handler the case is not routed to: the same.
    let ola = app.add_user("ola", "Ola Utenfor", &["handler"]).await;
    let holder = app.add_user("hege", "Hege Holder", &["handler"]).await;
    let (other, _) = app
        .seed_case(SeededCase::new("avvik", "hoy").held_by(&[holder]))
        .await;
    let _ = ola;
    let ola_token = app.staff_token("ola").await;
    let r = app
        .api_get(&format!("/staff/cases/{other}/notes"), Some(&ola_token))
        .await;
    r.expect_error(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(
        app.db.raw_rows("SELECT body FROM case_notes").await.len(),
        1
    );
    app.teardown().await;
}

async fn the_close_and_escalation_forms_preselect_nothing_and_closing_is_confirmed(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let kari = app.add_user("kari", "Kari Kontakt", &["contact"]).await;
    let (case, _) = app
        .seed_case(SeededCase::new("avvik", "hoy").held_by(&[kari]))
        .await;
    let session = app.staff_login("kari").await;
    let page = app.page(&session, &format!("/staff/cases/{case}")).await;

    // Closing: the outcomes are radio buttons, none checked; a required
    // confirmation box, not ticked.
    let close = part(&page, "close");
    assert!(close.contains("type=\"radio\" name=\"outcome\""), "{close}");
    assert!(!close.contains("checked"), "{close}");
    assert!(!close.contains("selected"), "{close}");
    assert!(close.contains("type=\"checkbox\" id=\"close-confirm\" name=\"confirm\""));
    // Escalation: no authority or decision chosen, the legal basis asks.
    let escalation = part(&page, "escalation");
    assert!(escalation.contains("name=\"authority\""));
    assert!(escalation.contains("name=\"decision\""));
    assert!(!escalation.contains("checked"), "{escalation}");
    let basis = &escalation[escalation.find("id=\"esc-basis\"").unwrap()..];
    let basis = &basis[..basis.find("</select>").unwrap()];
    assert_eq!(basis.matches(" selected").count(), 1);
    assert!(basis.contains("<option value=\"\" selected>"));
    // Date-time inputs say their time zone.
    assert!(escalation.contains("Europe/Oslo, CET/CEST"));

    // Without the confirmation nothing closes, and the box says why.
    let r = app
        .post_form(
            &session,
            &format!("/staff/cases/{case}/close"),
            &[("outcome", "substantiated"), ("evaluation", "Bekreftet.")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text.contains("id=\"close-confirm-error\""));
    assert!(r.text.contains("Kryss av for å bekrefte"));
    assert_ne!(app.stored_case(case).await.status.key(), "closed");
    // Without an outcome neither.
    let r = app
        .post_form(
            &session,
            &format!("/staff/cases/{case}/close"),
            &[("evaluation", "Bekreftet."), ("confirm", "yes")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text.contains("id=\"close-outcome-error\""));
    assert_ne!(app.stored_case(case).await.status.key(), "closed");
    // Confirmed: closed, and said so.
    let r = app
        .close(&session, case, "not_substantiated", "Ikke grunnlag.")
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        r.location(),
        Some(format!("/staff/cases/{case}?done=closed#done").as_str())
    );
    assert_eq!(app.stored_case(case).await.status.key(), "closed");
    app.teardown().await;
}

async fn every_action_confirms_what_it_did(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Handler and contact point: triage keeps the case hers, and she may
    // record escalation decisions.
    let kari = app
        .add_user("kari", "Kari Kontakt", &["handler", "contact"])
        .await;
    let (case, _) = app
        .seed_case(SeededCase::new("avvik", "hoy").held_by(&[kari]))
        .await;
    let s = app.staff_login("kari").await;
    let path = format!("/staff/cases/{case}");
    let decision = [
        ("authority", "nsm"),
        ("decision", "do_not_escalate"),
        ("legal_basis", "other"),
        ("rationale", "Ikke grunnlag for NSM."),
        ("aware_at", "2026-03-01"),
        ("decided_at", "2026-03-02T10:15"),
    ];
    let steps: Vec<Step> = vec![
        (
            "acknowledge",
            vec![],
            "acknowledged",
            "Mottaket er bekreftet",
        ),
        (
            "status",
            vec![("status", "under_investigation")],
            "status",
            "Statusen er endret",
        ),
        (
            "triage",
            vec![
                ("category", "avvik"),
                ("subtype", ""),
                ("severity", "hoy"),
                ("probability", ""),
                ("consequence", ""),
            ],
            "triage",
            "Klassifiseringen er lagret",
        ),
        (
            "feedback-extension",
            vec![("reason", "Venter på revisor.")],
            "extended",
            "Fristen for tilbakemelding er forlenget",
        ),
        (
            "measures",
            vec![("measure", "Flyttet til annen avdeling.")],
            "measure",
            "Beskyttelsestiltaket er registrert",
        ),
        (
            "notes",
            vec![("body", "Husk revisoren.")],
            "note",
            "Det interne notatet er lagt til",
        ),
        (
            "escalation",
            decision.to_vec(),
            "escalation",
            "Eskaleringsbeslutningen er registrert",
        ),
        (
            "close",
            vec![
                ("outcome", "not_substantiated"),
                ("evaluation", "Ikke grunnlag."),
                ("confirm", "yes"),
            ],
            "closed",
            "Saken er avsluttet",
        ),
        (
            "reopen",
            vec![("reason", "Nye opplysninger.")],
            "reopened",
            "Saken er gjenåpnet",
        ),
    ];
    for (action, fields, done, message) in steps {
        let r = app
            .post_form(&s, &format!("{path}/{action}"), &fields)
            .await;
        let problem = r
            .text
            .find("id=\"problem\"")
            .map(|at| &r.text[at..at + 400]);
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{action}: {problem:?}");
        let location = format!("{path}?done={done}#done");
        assert_eq!(r.location(), Some(location.as_str()), "{action}");
        let page = app.page(&s, &format!("{path}?done={done}")).await;
        let status = &page[page.find("role=\"status\"").expect(action)..];
        assert!(
            status[..status.find("</p>").unwrap()].contains(message),
            "{action}"
        );
    }
    // The reply, a multipart form.
    let r = app.reply(&s, case, "Vi følger opp.", &[]).await;
    assert_eq!(
        r.location(),
        Some(format!("{path}?done=reply#done").as_str())
    );
    let page = app.page(&s, &format!("{path}?done=reply")).await;
    assert!(page.contains("Svaret ditt er sendt til varsleren."));
    // Without a confirmation asked for, none is shown; an unknown one neither.
    for query in ["", "?done=nonsense"] {
        let page = app.page(&s, &format!("{path}{query}")).await;
        assert!(!page.contains("role=\"status\""), "{query}");
    }
    app.teardown().await;
}

async fn refused_fields_carry_their_error(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hanne = app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let (case, _) = app
        .seed_case(SeededCase::new("avvik", "hoy").held_by(&[hanne]))
        .await;
    let s = app.staff_login("hanne").await;

    // A bad extension: the message next to the field, the field points at it.
    let r = app.extend_feedback(&s, case, "   ").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let described = "aria-describedby=\"extension-reason-hint extension-reason-error\"";
    assert!(r.text.contains(described), "{}", r.text);
    let error = &r.text[r.text.find("id=\"extension-reason-error\"").unwrap()..];
    assert!(error[..error.find("</p>").unwrap()].len() > 30, "{error}");
    assert!(r
        .text
        .contains("id=\"extension-reason-input\" name=\"reason\""));
    assert!(r.text.contains("aria-invalid=\"true\""));
    // The section of the refused form is open.
    assert!(r.text.contains("<details id=\"feedback-extension\" open>"));

    // A bad reply: the same.
    let r = app.reply(&s, case, "", &[]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r
        .text
        .contains("aria-describedby=\"message-hint message-error\" aria-invalid=\"true\""));
    let error = &r.text[r
        .text
        .find("<p class=\"error\" id=\"message-error\">")
        .unwrap()..];
    assert!(
        error[..error.find("</p>").unwrap()].contains("Skriv"),
        "{error}"
    );
    // Nothing else is marked invalid.
    assert_eq!(r.text.matches("aria-invalid=\"true\"").count(), 1);
    app.teardown().await;
}

async fn staff_pages_show_oslo_time_in_summer_and_winter(backend: Backend) {
    let clock = Arc::new(ManualClock::new(datetime!(2026-07-15 12:05 UTC)));
    let app = TestApp::spawn_with_clock(backend, clock.clone(), |_| {}).await;
    let hanne = app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let (case, _) = app
        .seed_case(SeededCase::new("avvik", "hoy").held_by(&[hanne]))
        .await;
    let s = app.staff_login("hanne").await;
    // Summer: 12:05 UTC is 14:05 CEST.
    let r = app.add_note(&s, case, "Sommernotat").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // Winter: 23:30 UTC is 00:30 CET the next day.
    clock.set(datetime!(2027-01-15 23:30 UTC));
    let r = app.add_note(&s, case, "Vinternotat").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = app.page(&s, &format!("/staff/cases/{case}")).await;
    let notes = part(&page, "notes");
    assert!(notes.contains("15.07.2026 14:05 CEST"), "{notes}");
    assert!(notes.contains("16.01.2027 00:30 CET"), "{notes}");
    assert!(page.contains("Europe/Oslo"));
    app.teardown().await;
}

async fn every_inbox_filter_option_shows_its_count(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hanne = app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    for severity in ["hoy", "lav"] {
        app.seed_case(SeededCase::new("avvik", severity).held_by(&[hanne]))
            .await;
    }
    let s = app.staff_login("hanne").await;
    let page = app.page(&s, "/staff/inbox").await;
    for name in ["status", "category", "severity", "deadline", "retaliation"] {
        let select = &page[page
            .find(&format!("<select id=\"filter-{name}\""))
            .unwrap_or_else(|| panic!("no {name} filter"))..];
        let select = &select[..select.find("</select>").unwrap()];
        let options: Vec<&str> = select.split("<option").skip(1).collect();
        assert!(options.len() > 1, "{name}");
        for option in &options {
            let text = option[..option.find("</option>").unwrap()].trim_end();
            assert!(text.ends_with(')'), "{name}: {text}");
        }
    }
    assert!(page.contains("Alle åpne saker (2)"), "{page}");
    assert!(page.contains("Alle (2)"));
    app.teardown().await;
}
