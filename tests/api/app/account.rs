//! A staff member's own account: password changes, logins with a given
//! password, and their own sessions, through the API.

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::api::ApiResponse;
use super::service::Service;

impl Service {
    /// Tries to log `username` in with `password`.
    pub async fn api_staff_login_with(&self, username: &str, password: &str) -> ApiResponse {
        self.api_post(
            "/staff/session",
            None,
            &json!({"username": username, "password": password}),
        )
        .await
    }

    /// Logs `username` in with `password` (it must succeed); their token.
    pub async fn staff_token_with(&self, username: &str, password: &str) -> String {
        let r = self.api_staff_login_with(username, password).await;
        r.expect(StatusCode::CREATED)["token"]
            .as_str()
            .expect("a token")
            .to_owned()
    }

    /// Changes the password of the token's account.
    pub async fn api_change_password(&self, token: &str, current: &str, new: &str) -> ApiResponse {
        self.api_post(
            "/account/password",
            Some(token),
            &json!({"current_password": current, "new_password": new}),
        )
        .await
    }

    /// The live sessions of the token's account (it must answer 200).
    pub async fn api_own_sessions(&self, token: &str) -> Vec<Value> {
        self.api_get("/account/sessions", Some(token))
            .await
            .expect(StatusCode::OK)["sessions"]
            .as_array()
            .expect("a list")
            .clone()
    }

    /// Ends the session `id` of the token's account.
    pub async fn api_end_own_session(&self, token: &str, id: &str) -> ApiResponse {
        self.api_delete(&format!("/account/sessions/{id}"), Some(token))
            .await
    }
}
