//! Two-factor login: the code page of a pending login, the staff member's
//! own page, the administrators' setting, and the API login with a code.

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use varsel::core::totp::TotpSecret;

use super::api::ApiResponse;
use super::pages::PageSession;
use super::service::{Page, Service};
use super::PASSWORD;

impl Service {
    /// Sets who must log in with two factors on `/admin/security` as the
    /// administrator `admin`: `required` is `none`, `all` or `roles`, with
    /// `roles` ticked. Returns the answer.
    pub async fn require_two_factor(
        &self,
        admin: &PageSession,
        required: &str,
        roles: &[&str],
    ) -> Page {
        let mut fields = vec![("required", required)];
        fields.extend(roles.iter().map(|r| ("role", *r)));
        self.post_form(admin, "/admin/security", &fields).await
    }

    /// Posts `code` on the code page of the pending login `client` holds
    /// (the page's CSRF token first).
    pub async fn login_code(&self, client: &Client, code: &str) -> Page {
        let page = self.get(client, "/staff/login/code").await;
        assert_eq!(
            page.status,
            StatusCode::OK,
            "a pending login: {}",
            page.text
        );
        self.post_form_with_token(
            client,
            Some(&page.csrf()),
            "/staff/login/code",
            &[("code", code)],
        )
        .await
    }

    /// Logs `username` in with the password, then `code` on the code page,
    /// in a fresh browser; the last answer, and the browser.
    pub async fn staff_login_with_code(&self, username: &str, code: &str) -> (Page, Client) {
        let client = self.client();
        let r = self.staff_login_attempt(&client, username, PASSWORD).await;
        r.assert_see_other("/staff/login/code");
        let answer = self.login_code(&client, code).await;
        (answer, client)
    }

    /// `POST /api/v1/staff/session` with the password and `extra` fields
    /// (`totp`, `recovery_code`).
    pub async fn api_staff_login_extra(&self, username: &str, extra: Value) -> ApiResponse {
        let mut body = json!({"username": username, "password": PASSWORD});
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        self.api_post("/staff/session", None, &body).await
    }
}

/// The TOTP secret a set-up page shows (`<code id="totp-secret">`).
pub fn totp_secret_on(html: &str) -> TotpSecret {
    let at = html
        .find("id=\"totp-secret\">")
        .expect("the page shows the secret")
        + "id=\"totp-secret\">".len();
    let end = html[at..].find('<').expect("the secret ends");
    TotpSecret::from_base32(&html[at..at + end]).expect("the secret is base32")
}

/// The recovery codes a page shows (`<ul id="recovery-codes">`).
pub fn recovery_codes_on(html: &str) -> Vec<String> {
    let at = html
        .find("id=\"recovery-codes\"")
        .expect("the page lists recovery codes");
    let end = html[at..].find("</ul>").expect("the list ends") + at;
    html[at..end]
        .split("<code>")
        .skip(1)
        .filter_map(|part| part.split("</code>").next())
        .map(str::to_owned)
        .collect()
}
