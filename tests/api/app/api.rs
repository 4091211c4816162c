//! The JSON API under `/api/v1`, called with a bearer token (or none) by a
//! client that never keeps cookies.

use std::fmt::Display;

use reqwest::header::HeaderMap;
use reqwest::multipart::Form;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

use super::service::Service;
use super::PASSWORD;

/// What an API request got back.
pub struct ApiResponse {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body as sent.
    pub text: String,
    /// The body as JSON; `Null` if it is not JSON.
    pub body: Value,
}

impl ApiResponse {
    /// Reads `response` whole.
    pub async fn read(response: Response) -> ApiResponse {
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("a body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        ApiResponse {
            status,
            headers,
            text,
            body,
        }
    }

    /// Asserts `status` and a JSON body; returns the body.
    #[track_caller]
    pub fn expect(&self, status: StatusCode) -> Value {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// Asserts an API error of `status` and `code` with a message; returns
    /// the error object.
    #[track_caller]
    pub fn expect_error(&self, status: StatusCode, code: &str) -> Value {
        let body = self.expect(status);
        let error = &body["error"];
        assert_eq!(error["code"], code, "body: {body}");
        assert!(
            !error["message"].as_str().unwrap_or("").is_empty(),
            "no message: {body}"
        );
        error.clone()
    }
}

/// The deadline of `kind` in a staff case (`deadlines`); it must have one.
pub fn deadline<'a>(case: &'a Value, kind: &str) -> &'a Value {
    case["deadlines"]
        .as_array()
        .expect("a list of deadlines")
        .iter()
        .find(|d| d["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} deadline in {case}"))
}

impl Service {
    /// The URL of `path` under `/api/v1`.
    pub fn api_url(&self, path: &str) -> String {
        self.url(&format!("/api/v1{path}"))
    }

    /// A request to `path` under `/api/v1`, with `token` as bearer token.
    pub fn api_request(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let request = self.cookieless_client().request(method, self.api_url(path));
        match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    /// Sends `request`.
    pub async fn api_send(&self, request: RequestBuilder) -> ApiResponse {
        ApiResponse::read(request.send().await.expect("an API answer")).await
    }

    /// `GET path`.
    pub async fn api_get(&self, path: &str, token: Option<&str>) -> ApiResponse {
        self.api_send(self.api_request(Method::GET, path, token))
            .await
    }

    /// `POST path` with a JSON `body`.
    pub async fn api_post(&self, path: &str, token: Option<&str>, body: &Value) -> ApiResponse {
        self.api_send(self.api_request(Method::POST, path, token).json(body))
            .await
    }

    /// `POST path` with a multipart `form`.
    pub async fn api_upload(&self, path: &str, token: Option<&str>, form: Form) -> ApiResponse {
        self.api_send(self.api_request(Method::POST, path, token).multipart(form))
            .await
    }

    /// `DELETE path`.
    pub async fn api_delete(&self, path: &str, token: Option<&str>) -> ApiResponse {
        self.api_send(self.api_request(Method::DELETE, path, token))
            .await
    }

    /// The bytes of the attachment `listed` (a row of the staff view's
    /// `attachments`) of `case`, downloaded as staff with `token`.
    pub async fn staff_attachment(
        &self,
        token: &str,
        case: impl Display,
        listed: &serde_json::Value,
    ) -> Vec<u8> {
        let id = listed["id"].as_str().expect("an attachment id");
        self.api_download(&format!("/staff/cases/{case}/attachments/{id}"), token)
            .await
            .0
    }

    /// Downloads `path` (it must answer 200): the bytes and the
    /// `Content-Disposition`.
    pub async fn api_download(&self, path: &str, token: &str) -> (Vec<u8>, String) {
        let r = self
            .api_request(Method::GET, path, Some(token))
            .send()
            .await
            .expect("a download");
        assert_eq!(r.status(), StatusCode::OK, "GET {path}");
        let disposition = r.headers()["content-disposition"]
            .to_str()
            .expect("an ASCII Content-Disposition")
            .to_owned();
        (r.bytes().await.expect("the bytes").to_vec(), disposition)
    }

    // ---- the reporter ------------------------------------------------------

    /// Submits a report (JSON).
    pub async fn submit_report(&self, report: &Value) -> ApiResponse {
        self.api_post("/reports", None, report).await
    }

    /// Submits a report (JSON), which must be accepted; the case code.
    pub async fn report(&self, report: &Value) -> String {
        let body = self.submit_report(report).await.expect(StatusCode::CREATED);
        body["case_code"].as_str().expect("a case code").to_owned()
    }

    /// Logs in with `code` (it must succeed); the reporter's token.
    pub async fn reporter_token(&self, code: &str) -> String {
        let r = self
            .api_post("/reporter/session", None, &json!({ "code": code }))
            .await;
        let body = r.expect(StatusCode::CREATED);
        assert!(body["expires_in_seconds"].as_u64().expect("a lifetime") > 0);
        body["token"].as_str().expect("a token").to_owned()
    }

    /// The reporter's view of their case.
    pub async fn api_reporter_case(&self, token: &str) -> ApiResponse {
        self.api_get("/reporter/case", Some(token)).await
    }

    /// The reporter's reply.
    pub async fn api_reporter_reply(&self, token: &str, body: &str) -> ApiResponse {
        self.api_post(
            "/reporter/case/messages",
            Some(token),
            &json!({ "body": body }),
        )
        .await
    }

    // ---- staff -------------------------------------------------------------

    /// Logs `username` in (it must succeed); their token.
    pub async fn staff_token(&self, username: &str) -> String {
        let r = self
            .api_post(
                "/staff/session",
                None,
                &json!({"username": username, "password": PASSWORD}),
            )
            .await;
        let body = r.expect(StatusCode::CREATED);
        body["token"].as_str().expect("a token").to_owned()
    }

    /// The inbox (it must answer 200).
    pub async fn api_inbox(&self, token: &str) -> Vec<Value> {
        let r = self.api_get("/staff/cases", Some(token)).await;
        r.expect(StatusCode::OK)["cases"]
            .as_array()
            .expect("a list")
            .clone()
    }

    /// The inbox line of `case`; it must be listed.
    pub async fn api_inbox_line(&self, token: &str, case: Uuid) -> Value {
        self.api_inbox(token)
            .await
            .into_iter()
            .find(|line| line["id"] == case.to_string())
            .expect("case in the inbox")
    }

    /// The ids in the inbox, in its order.
    pub async fn api_case_ids(&self, token: &str) -> Vec<Uuid> {
        self.api_inbox(token)
            .await
            .iter()
            .map(|c| Uuid::parse_str(c["id"].as_str().expect("an id")).expect("a UUID"))
            .collect()
    }

    /// The one case in the inbox; there must be exactly one.
    pub async fn api_only_case(&self, token: &str) -> Uuid {
        let cases = self.api_case_ids(token).await;
        assert_eq!(cases.len(), 1, "{cases:?}");
        cases[0]
    }

    /// The ids in `username`'s inbox, logged in afresh.
    pub async fn api_case_ids_of(&self, username: &str) -> Vec<Uuid> {
        let token = self.staff_token(username).await;
        self.api_case_ids(&token).await
    }

    /// A case.
    pub async fn api_case(&self, token: &str, case: impl Display) -> ApiResponse {
        self.api_get(&format!("/staff/cases/{case}"), Some(token))
            .await
    }

    /// Replies on `case`.
    pub async fn api_reply(&self, token: &str, case: impl Display, body: &str) -> ApiResponse {
        let path = format!("/staff/cases/{case}/messages");
        self.api_post(&path, Some(token), &json!({ "body": body }))
            .await
    }

    /// Acknowledges receipt of `case`.
    pub async fn api_acknowledge(&self, token: &str, case: impl Display) -> ApiResponse {
        let path = format!("/staff/cases/{case}/acknowledge");
        self.api_post(&path, Some(token), &json!({})).await
    }

    /// Sets the status of `case`.
    pub async fn api_set_status(
        &self,
        token: &str,
        case: impl Display,
        status: &str,
    ) -> ApiResponse {
        let path = format!("/staff/cases/{case}/status");
        self.api_post(&path, Some(token), &json!({ "status": status }))
            .await
    }

    /// Triages `case`.
    pub async fn api_triage(&self, token: &str, case: impl Display, triage: &Value) -> ApiResponse {
        self.api_post(&format!("/staff/cases/{case}/triage"), Some(token), triage)
            .await
    }

    /// The escalation view of `case`.
    pub async fn api_escalation(&self, token: &str, case: impl Display) -> ApiResponse {
        self.api_get(&format!("/staff/cases/{case}/escalation"), Some(token))
            .await
    }

    /// Records an escalation decision on `case`.
    pub async fn api_decide(
        &self,
        token: &str,
        case: impl Display,
        decision: &Value,
    ) -> ApiResponse {
        let path = format!("/staff/cases/{case}/escalation");
        self.api_post(&path, Some(token), decision).await
    }

    /// Records the Datatilsynet decision of a personal-data-breach `case`.
    pub async fn api_breach_decision(
        &self,
        token: &str,
        case: impl Display,
        decision: &Value,
    ) -> ApiResponse {
        let path = format!("/staff/cases/{case}/breach-decision");
        self.api_post(&path, Some(token), decision).await
    }

    /// Confirms `decision` on `case`.
    pub async fn api_confirm(
        &self,
        token: &str,
        case: impl Display,
        decision: impl Display,
    ) -> ApiResponse {
        let path = format!("/staff/cases/{case}/escalation/{decision}/confirm");
        self.api_post(&path, Some(token), &json!({})).await
    }

    /// Closes `case`.
    pub async fn api_close(&self, token: &str, case: impl Display, closure: &Value) -> ApiResponse {
        self.api_post(&format!("/staff/cases/{case}/close"), Some(token), closure)
            .await
    }

    /// Reopens `case`, giving `reason`.
    pub async fn api_reopen(&self, token: &str, case: impl Display, reason: &str) -> ApiResponse {
        let path = format!("/staff/cases/{case}/reopen");
        self.api_post(&path, Some(token), &json!({ "reason": reason }))
            .await
    }

    /// Extends the feedback deadline of `case`, giving `reason`.
    pub async fn api_extend_feedback(
        &self,
        token: &str,
        case: impl Display,
        reason: &str,
    ) -> ApiResponse {
        let path = format!("/staff/cases/{case}/feedback-extension");
        self.api_post(&path, Some(token), &json!({ "reason": reason }))
            .await
    }

    /// The register of escalation decisions; `query` is `""` or `"?…"`.
    pub async fn api_register(&self, token: &str, query: &str) -> ApiResponse {
        self.api_get(&format!("/contact/register{query}"), Some(token))
            .await
    }
}
