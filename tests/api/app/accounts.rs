//! The account lifecycle as an administrator takes it: through the admin
//! pages (a logged-in [`PageSession`]) and the API (a bearer token).

use serde_json::{json, Value};

use super::api::ApiResponse;
use super::pages::PageSession;
use super::service::{Page, Service};

impl Service {
    /// Opens the confirmation page of `username`'s deactivation (it must
    /// answer 200) and confirms it there.
    pub async fn deactivate_account(&self, admin: &PageSession, username: &str) -> Page {
        let path = format!("/admin/accounts/{username}/deactivate");
        let confirmation = self.page(admin, &path).await;
        assert!(confirmation.contains("name=\"confirm\""), "{confirmation}");
        self.post_form(admin, &path, &[("confirm", "yes")]).await
    }

    /// Reactivates `username` through its page.
    pub async fn reactivate_account(&self, admin: &PageSession, username: &str) -> Page {
        let path = format!("/admin/accounts/{username}/reactivate");
        self.post_form(admin, &path, &[]).await
    }

    /// Sets `username`'s groups through its page.
    pub async fn set_account_groups(
        &self,
        admin: &PageSession,
        username: &str,
        groups: &[&str],
    ) -> Page {
        let path = format!("/admin/accounts/{username}/groups");
        let fields: Vec<(&str, &str)> = groups.iter().map(|g| ("group", *g)).collect();
        self.post_form(admin, &path, &fields).await
    }

    /// `POST /api/v1/admin/accounts/{username}/{action}` (deactivate, reactivate).
    pub async fn api_account_action(
        &self,
        token: &str,
        username: &str,
        action: &str,
    ) -> ApiResponse {
        self.api_post(
            &format!("/admin/accounts/{username}/{action}"),
            Some(token),
            &json!({}),
        )
        .await
    }

    /// `POST /api/v1/admin/accounts/{username}/roles`.
    pub async fn api_set_roles(&self, token: &str, username: &str, roles: &[&str]) -> ApiResponse {
        self.api_post(
            &format!("/admin/accounts/{username}/roles"),
            Some(token),
            &json!({ "roles": roles }),
        )
        .await
    }

    /// `POST /api/v1/admin/accounts/{username}/groups`.
    pub async fn api_set_groups(
        &self,
        token: &str,
        username: &str,
        groups: &[&str],
    ) -> ApiResponse {
        self.api_post(
            &format!("/admin/accounts/{username}/groups"),
            Some(token),
            &json!({ "groups": groups }),
        )
        .await
    }

    /// `POST /api/v1/admin/accounts`.
    pub async fn api_create_account(&self, token: &str, account: &Value) -> ApiResponse {
        self.api_post("/admin/accounts", Some(token), account).await
    }
}
