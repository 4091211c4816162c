//! Retention: a contact point's legal hold on the pages and the API, and a
//! retention pass run at once.

use std::fmt::Display;

use serde_json::json;

use super::api::ApiResponse;
use super::pages::PageSession;
use super::service::{Page, Service};

impl Service {
    /// `POST /api/v1/staff/cases/{case}/legal-hold`, giving `reason`.
    pub async fn api_place_hold(
        &self,
        token: &str,
        case: impl Display,
        reason: &str,
    ) -> ApiResponse {
        let path = format!("/staff/cases/{case}/legal-hold");
        self.api_post(&path, Some(token), &json!({ "reason": reason }))
            .await
    }

    /// `DELETE /api/v1/staff/cases/{case}/legal-hold`.
    pub async fn api_lift_hold(&self, token: &str, case: impl Display) -> ApiResponse {
        self.api_delete(&format!("/staff/cases/{case}/legal-hold"), Some(token))
            .await
    }

    /// Places a legal hold on `case` with the page form, giving `reason`.
    pub async fn place_hold(
        &self,
        session: &PageSession,
        case: impl Display,
        reason: &str,
    ) -> Page {
        let path = format!("/staff/cases/{case}/legal-hold");
        self.post_form(session, &path, &[("reason", reason)]).await
    }

    /// Lifts the legal hold on `case` with the page form.
    pub async fn lift_hold(&self, session: &PageSession, case: impl Display) -> Page {
        let path = format!("/staff/cases/{case}/legal-hold/lift");
        self.post_form(session, &path, &[]).await
    }
}

impl super::TestApp {
    /// Runs retention now, as the daily scheduler would; the cases deleted.
    pub async fn purge(&self) -> Vec<varsel::core::retention::Purged> {
        use varsel::core::retention::{purge, Runner};
        purge(&self.state, Runner::Scheduler, false)
            .await
            .expect("retention runs")
    }
}
