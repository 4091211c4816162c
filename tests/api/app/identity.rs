//! The reporter identity and its custodians: the actions of a handler who
//! asks to see it and of a custodian who decides, on the pages and the API.

use std::fmt::Display;

use serde_json::{json, Value};

use super::api::ApiResponse;
use super::pages::PageSession;
use super::service::{Page, Service};

impl Service {
    /// `GET /api/v1/reporter/case/identity`.
    pub async fn api_reporter_identity(&self, token: &str) -> ApiResponse {
        self.api_get("/reporter/case/identity", Some(token)).await
    }

    /// `POST /api/v1/reporter/case/identity`.
    pub async fn api_give_identity(&self, token: &str, identity: &Value) -> ApiResponse {
        self.api_post("/reporter/case/identity", Some(token), identity)
            .await
    }

    /// `GET /api/v1/staff/cases/{case}/identity`.
    pub async fn api_case_identity(&self, token: &str, case: impl Display) -> ApiResponse {
        self.api_get(&format!("/staff/cases/{case}/identity"), Some(token))
            .await
    }

    /// `POST /api/v1/staff/cases/{case}/identity/requests`.
    pub async fn api_request_identity(
        &self,
        token: &str,
        case: impl Display,
        reason: &str,
    ) -> ApiResponse {
        self.api_post(
            &format!("/staff/cases/{case}/identity/requests"),
            Some(token),
            &json!({ "reason": reason }),
        )
        .await
    }

    /// `GET /api/v1/custodian/requests`.
    pub async fn api_identity_requests(&self, token: &str) -> ApiResponse {
        self.api_get("/custodian/requests", Some(token)).await
    }

    /// `POST /api/v1/custodian/requests/{request}/decision`.
    pub async fn api_decide_identity(
        &self,
        token: &str,
        request: impl Display,
        decision: &str,
        reason: &str,
    ) -> ApiResponse {
        self.api_post(
            &format!("/custodian/requests/{request}/decision"),
            Some(token),
            &json!({ "decision": decision, "reason": reason }),
        )
        .await
    }

    /// The staff case page's identity form.
    pub async fn request_identity(
        &self,
        session: &PageSession,
        case: impl Display,
        reason: &str,
    ) -> Page {
        self.post_form(
            session,
            &format!("/staff/cases/{case}/identity/requests"),
            &[("reason", reason)],
        )
        .await
    }

    /// The custodian page's decision form.
    pub async fn decide_identity(
        &self,
        session: &PageSession,
        request: impl Display,
        decision: &str,
        reason: &str,
    ) -> Page {
        self.post_form(
            session,
            &format!("/custodian/requests/{request}/decision"),
            &[("decision", decision), ("reason", reason)],
        )
        .await
    }
}
