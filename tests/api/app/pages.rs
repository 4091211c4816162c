//! The HTML pages, driven as a browser without JavaScript drives them: GET a
//! form, echo its CSRF token first, post, read the answer.

use std::fmt::Display;

use reqwest::multipart::{Form, Part};
use reqwest::{Client, StatusCode};
use uuid::Uuid;

use super::html::{code_on_receipt, csrf_of, inbox_row, submission_of};
use super::service::{Page, Service};
use super::PASSWORD;

/// A browser logged in to the pages: its cookies, and the CSRF token of the
/// session. Derefs to its client.
pub struct PageSession {
    /// The browser (keeps cookies, does not follow redirects).
    pub client: Client,
    /// The session's CSRF token.
    pub csrf: String,
}

impl std::ops::Deref for PageSession {
    type Target = Client;

    fn deref(&self) -> &Client {
        &self.client
    }
}

/// A report as the report form sends it.
pub struct ReportForm<'a> {
    /// `category`.
    pub category: &'a str,
    /// `subtype`, sent only when set.
    pub subtype: Option<&'a str>,
    /// `severity`.
    pub severity: &'a str,
    /// `description`, as bytes (a test may send invalid UTF-8).
    pub description: &'a [u8],
    /// `when`.
    pub when: &'a str,
    /// `place`.
    pub place: &'a str,
    /// Handlers the reporter excludes.
    pub exclude: Vec<Uuid>,
    /// Attachments: file name and content.
    pub files: Vec<(&'a str, Vec<u8>)>,
    /// The type the attachments are sent as.
    pub file_type: &'a str,
}

impl<'a> ReportForm<'a> {
    /// A `varsling` of severity `middels` with `description`, `when` "i mars".
    pub fn new(description: &'a str) -> Self {
        ReportForm {
            category: "varsling",
            subtype: None,
            severity: "middels",
            description: description.as_bytes(),
            when: "i mars",
            place: "",
            exclude: Vec::new(),
            files: Vec::new(),
            file_type: "application/pdf",
        }
    }

    /// The multipart body, `csrf` first (if given) in the order a browser uses.
    pub fn form(&self, csrf: Option<&str>) -> Form {
        let mut form = Form::new();
        if let Some(csrf) = csrf {
            form = form.text("csrf", csrf.to_owned());
        }
        form = form.text("category", self.category.to_owned());
        if let Some(subtype) = self.subtype {
            form = form.text("subtype", subtype.to_owned());
        }
        form = form
            .text("severity", self.severity.to_owned())
            .part("description", Part::bytes(self.description.to_vec()))
            .text("when", self.when.to_owned())
            .text("place", self.place.to_owned());
        for id in &self.exclude {
            form = form.text("exclude", id.to_string());
        }
        for (name, bytes) in &self.files {
            form = form.part(
                "attachment",
                Part::bytes(bytes.clone())
                    .file_name((*name).to_owned())
                    .mime_str(self.file_type)
                    .expect("a MIME type"),
            );
        }
        form
    }
}

/// An escalation decision as the case page's form sends it.
#[derive(Clone, Copy)]
pub struct Decision<'a> {
    /// `authority`.
    pub authority: &'a str,
    /// `decision`.
    pub decision: &'a str,
    /// `legal_basis`.
    pub legal_basis: &'a str,
    /// `rationale`.
    pub rationale: &'a str,
    /// `aware_at`.
    pub aware_at: &'a str,
    /// `decided_at`.
    pub decided_at: &'a str,
    /// `notified_at`, sent only when set.
    pub notified_at: Option<&'a str>,
    /// `authority_reference`, sent only when set.
    pub authority_reference: Option<&'a str>,
}

impl Default for Decision<'_> {
    /// NSM notified, under "other", on 2 March 2026.
    fn default() -> Self {
        Decision {
            authority: "nsm",
            decision: "escalate",
            legal_basis: "other",
            rationale: "Vurdert av kontaktpunktet.",
            aware_at: "2026-03-01",
            decided_at: "2026-03-02T10:15",
            notified_at: None,
            authority_reference: None,
        }
    }
}

impl<'a> Decision<'a> {
    /// The form's fields.
    pub fn fields(&self) -> Vec<(&'static str, &'a str)> {
        let mut fields = vec![
            ("authority", self.authority),
            ("decision", self.decision),
            ("legal_basis", self.legal_basis),
            ("rationale", self.rationale),
            ("aware_at", self.aware_at),
            ("decided_at", self.decided_at),
        ];
        if let Some(at) = self.notified_at {
            fields.push(("notified_at", at));
        }
        if let Some(reference) = self.authority_reference {
            fields.push(("authority_reference", reference));
        }
        fields
    }
}

/// The multipart body of a reply: `csrf` first (if given), the message, files.
fn reply_form(csrf: Option<&str>, message: &str, files: &[(&str, Vec<u8>)]) -> Form {
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
                .expect("a MIME type"),
        );
    }
    form
}

impl Service {
    /// A fresh browser that has opened `path` (which must answer 200), with
    /// the CSRF token of that visit.
    pub async fn visit(&self, path: &str) -> PageSession {
        let client = self.client();
        let page = self.page(&client, path).await;
        PageSession {
            client,
            csrf: csrf_of(&page),
        }
    }

    /// Posts a URL-encoded form with the session's CSRF token first.
    pub async fn post_form(
        &self,
        session: &PageSession,
        path: &str,
        fields: &[(&str, &str)],
    ) -> Page {
        self.post_form_with_token(&session.client, Some(&session.csrf), path, fields)
            .await
    }

    /// Posts a URL-encoded form with `csrf` (if any) first.
    pub async fn post_form_with_token(
        &self,
        client: &Client,
        csrf: Option<&str>,
        path: &str,
        fields: &[(&str, &str)],
    ) -> Page {
        let mut form = Vec::new();
        if let Some(csrf) = csrf {
            form.push(("csrf", csrf));
        }
        form.extend_from_slice(fields);
        let r = client.post(self.url(path)).form(&form).send().await;
        Page::read(r.expect("POST")).await
    }

    /// Posts a multipart form.
    pub async fn post_multipart(&self, client: &Client, path: &str, form: Form) -> Page {
        let r = client.post(self.url(path)).multipart(form).send().await;
        Page::read(r.expect("POST")).await
    }

    // ---- the reporter ------------------------------------------------------

    /// GETs the report form with `client` (it must answer 200) and posts
    /// `report` with its CSRF token.
    /// A stored report's 303 is followed to its receipt (the page returned).
    pub async fn submit_report_form(&self, client: &Client, report: &ReportForm<'_>) -> Page {
        let form_page = self.page(client, "/report").await;
        let csrf = csrf_of(&form_page);
        let form = report
            .form(Some(&csrf))
            .text("submission", submission_of(&form_page));
        let posted = self.post_multipart(client, "/report", form).await;
        self.follow_to_receipt(client, posted).await
    }

    /// The receipt a report's answer leads to (303 to `/report/receipt`),
    /// or the answer itself if it leads nowhere.
    pub async fn follow_to_receipt(&self, client: &Client, posted: Page) -> Page {
        match posted.location() {
            Some("/report/receipt") if posted.status == StatusCode::SEE_OTHER => {
                self.get(client, "/report/receipt").await
            }
            _ => posted,
        }
    }

    /// Submits `report` in a fresh browser (it must be accepted); the case code.
    pub async fn file_report(&self, report: &ReportForm<'_>) -> String {
        let receipt = self.submit_report_form(&self.client(), report).await;
        assert_eq!(receipt.status, StatusCode::OK, "{}", receipt.text);
        code_on_receipt(&receipt.text)
    }

    /// Posts `code` to the code login form in a fresh browser.
    pub async fn reporter_login_attempt(&self, code: &str) -> (Client, Page) {
        let client = self.client();
        let page = self.page(&client, "/followup").await;
        let r = self
            .post_form_with_token(
                &client,
                Some(&csrf_of(&page)),
                "/followup",
                &[("code", code)],
            )
            .await;
        (client, r)
    }

    /// Logs in with `code` (it must lead to the case page); the reporter's
    /// browser, with the CSRF token of the case page.
    pub async fn reporter_login(&self, code: &str) -> PageSession {
        let (client, r) = self.reporter_login_attempt(code).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "code login: {}", r.text);
        assert_eq!(r.location(), Some("/case"));
        let case = self.page(&client, "/case").await;
        PageSession {
            client,
            csrf: csrf_of(&case),
        }
    }

    /// The reporter's case page of `code`, logged in afresh.
    pub async fn reporter_case_page(&self, code: &str) -> String {
        let reporter = self.reporter_login(code).await;
        self.page(&reporter, "/case").await
    }

    /// The reporter's reply form: `message` and `files`, `csrf` (if any) first.
    pub async fn reporter_reply(
        &self,
        client: &Client,
        csrf: Option<&str>,
        message: &str,
        files: &[(&str, Vec<u8>)],
    ) -> Page {
        self.post_multipart(client, "/case/reply", reply_form(csrf, message, files))
            .await
    }

    // ---- staff -------------------------------------------------------------

    /// GETs the staff login page with `client` and posts `username` and
    /// `password` with its CSRF token.
    pub async fn staff_login_attempt(
        &self,
        client: &Client,
        username: &str,
        password: &str,
    ) -> Page {
        let page = self.get(client, "/staff/login").await;
        self.post_form_with_token(
            client,
            Some(&page.csrf()),
            "/staff/login",
            &[("username", username), ("password", password)],
        )
        .await
    }

    /// Logs `username` in to the staff pages (it must succeed); their browser,
    /// with the CSRF token of the page the login leads to (which must answer 200).
    pub async fn staff_login(&self, username: &str) -> PageSession {
        let client = self.client();
        let r = self.staff_login_attempt(&client, username, PASSWORD).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{username} logs in");
        let landing = r.location().expect("the login leads somewhere").to_owned();
        let page = self.page(&client, &landing).await;
        PageSession {
            client,
            csrf: csrf_of(&page),
        }
    }

    /// The inbox row of `case` on `client`'s inbox page (which must answer 200).
    pub async fn inbox_row(&self, client: &Client, case: Uuid) -> String {
        let page = self.page(client, "/staff/inbox").await;
        inbox_row(&page, case).expect("case listed").to_owned()
    }

    /// Replies on the case page: `message` and `files`, the session's token first.
    pub async fn reply(
        &self,
        session: &PageSession,
        case: impl Display,
        message: &str,
        files: &[(&str, Vec<u8>)],
    ) -> Page {
        self.reply_with_token(&session.client, Some(&session.csrf), case, message, files)
            .await
    }

    /// Replies on the case page with `csrf` (if any) first.
    pub async fn reply_with_token(
        &self,
        client: &Client,
        csrf: Option<&str>,
        case: impl Display,
        message: &str,
        files: &[(&str, Vec<u8>)],
    ) -> Page {
        let path = format!("/staff/cases/{case}/reply");
        self.post_multipart(client, &path, reply_form(csrf, message, files))
            .await
    }

    /// Acknowledges receipt of `case`.
    pub async fn acknowledge(&self, session: &PageSession, case: impl Display) -> Page {
        self.post_form(session, &format!("/staff/cases/{case}/acknowledge"), &[])
            .await
    }

    /// Sets the status of `case`.
    pub async fn set_status(
        &self,
        session: &PageSession,
        case: impl Display,
        status: &str,
    ) -> Page {
        let path = format!("/staff/cases/{case}/status");
        self.post_form(session, &path, &[("status", status)]).await
    }

    /// Posts the triage form of `case`.
    pub async fn triage(
        &self,
        session: &PageSession,
        case: impl Display,
        fields: &[(&str, &str)],
    ) -> Page {
        self.post_form(session, &format!("/staff/cases/{case}/triage"), fields)
            .await
    }

    /// Records an escalation decision on `case`.
    pub async fn decide(
        &self,
        session: &PageSession,
        case: impl Display,
        decision: &Decision<'_>,
    ) -> Page {
        let path = format!("/staff/cases/{case}/escalation");
        self.post_form(session, &path, &decision.fields()).await
    }

    /// Records the Datatilsynet decision of a personal-data-breach `case`
    /// through its form (`decision`: `notify` or `do_not_notify`).
    pub async fn breach_decision(
        &self,
        session: &PageSession,
        case: impl Display,
        decision: &str,
        rationale: &str,
        decided_at: &str,
    ) -> Page {
        let path = format!("/staff/cases/{case}/breach-decision");
        let fields = [
            ("decision", decision),
            ("rationale", rationale),
            ("decided_at", decided_at),
        ];
        self.post_form(session, &path, &fields).await
    }

    /// Confirms `decision` on `case`.
    pub async fn confirm_decision(
        &self,
        session: &PageSession,
        case: impl Display,
        decision: impl Display,
    ) -> Page {
        let path = format!("/staff/cases/{case}/escalation/{decision}/confirm");
        self.post_form(session, &path, &[]).await
    }

    /// Closes `case` with `outcome` and `evaluation`, the closing confirmed.
    pub async fn close(
        &self,
        session: &PageSession,
        case: impl Display,
        outcome: &str,
        evaluation: &str,
    ) -> Page {
        let path = format!("/staff/cases/{case}/close");
        self.post_form(
            session,
            &path,
            &[
                ("outcome", outcome),
                ("evaluation", evaluation),
                ("confirm", "yes"),
            ],
        )
        .await
    }

    /// Adds an internal note to `case` through its form.
    pub async fn add_note(&self, session: &PageSession, case: impl Display, body: &str) -> Page {
        let path = format!("/staff/cases/{case}/notes");
        self.post_form(session, &path, &[("body", body)]).await
    }

    /// Reopens `case`, giving `reason`.
    pub async fn reopen(&self, session: &PageSession, case: impl Display, reason: &str) -> Page {
        let path = format!("/staff/cases/{case}/reopen");
        self.post_form(session, &path, &[("reason", reason)]).await
    }

    /// Extends the feedback deadline of `case`, giving `reason`.
    pub async fn extend_feedback(
        &self,
        session: &PageSession,
        case: impl Display,
        reason: &str,
    ) -> Page {
        let path = format!("/staff/cases/{case}/feedback-extension");
        self.post_form(session, &path, &[("reason", reason)]).await
    }
}
