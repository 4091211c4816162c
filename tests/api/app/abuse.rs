//! Proof of work as a client that runs JavaScript does it, and the raw
//! requests of abuse tests. The solver here is written from the documented
//! rule (`SHA-256(challenge || counter)` with `difficulty` leading zero
//! bits), independently of the service's own.

use reqwest::multipart::Form;
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::api::ApiResponse;
use super::html::csrf_of;
use super::pages::ReportForm;
use super::service::{Page, Service};

/// A challenge as the service issued it, and a counter that solves it.
#[derive(Debug, Clone)]
pub struct Pow {
    /// The signed challenge.
    pub challenge: String,
    /// Its difficulty in leading zero bits.
    pub difficulty: u8,
    /// The solving counter, in decimal.
    pub solution: String,
}

fn zero_bits(hash: &[u8]) -> u32 {
    let mut bits = 0;
    for b in hash {
        if *b == 0 {
            bits += 8;
        } else {
            return bits + b.leading_zeros();
        }
    }
    bits
}

/// The smallest counter solving `challenge` at `difficulty`.
pub fn solve(challenge: &str, difficulty: u8) -> String {
    (0u64..)
        .map(|n| n.to_string())
        .find(|n| {
            let hash = Sha256::digest(format!("{challenge}{n}").as_bytes());
            zero_bits(&hash) >= u32::from(difficulty)
        })
        .expect("a solution")
}

/// A counter that does not solve `challenge` at `difficulty`.
pub fn non_solution(challenge: &str, difficulty: u8) -> String {
    (0u64..)
        .map(|n| n.to_string())
        .find(|n| {
            let hash = Sha256::digest(format!("{challenge}{n}").as_bytes());
            zero_bits(&hash) < u32::from(difficulty)
        })
        .expect("a failing counter")
}

impl Service {
    /// `GET path` (a challenge endpoint) for `purpose`: the challenge and its
    /// difficulty, unsolved.
    pub async fn pow_challenge_at(&self, path: &str, purpose: &str) -> (String, u8) {
        let r = self
            .cookieless_client()
            .get(self.url(&format!("{path}?purpose={purpose}")))
            .send()
            .await
            .expect("a challenge");
        let r = ApiResponse::read(r).await;
        let body = r.expect(StatusCode::OK);
        assert_eq!(body["purpose"], purpose);
        assert_eq!(body["algorithm"], "sha256-leading-zero-bits");
        (
            body["challenge"].as_str().expect("a challenge").to_owned(),
            u8::try_from(body["difficulty"].as_u64().expect("a difficulty")).expect("small"),
        )
    }

    /// A challenge for `purpose` from the pages' endpoint, solved.
    pub async fn pow(&self, purpose: &str) -> Pow {
        let (challenge, difficulty) = self.pow_challenge_at("/pow/challenge", purpose).await;
        let solution = solve(&challenge, difficulty);
        Pow {
            challenge,
            difficulty,
            solution,
        }
    }

    /// Submits `report` through the report form as a browser with
    /// JavaScript does: with a solved challenge in the hidden fields.
    pub async fn submit_report_form_with_pow(
        &self,
        client: &Client,
        report: &ReportForm<'_>,
        pow: &Pow,
    ) -> Page {
        let form_page = self.page(client, "/report").await;
        assert!(form_page.contains("data-pow=\"submit\""));
        assert!(form_page.contains("<script src=\"/static/pow.js\""));
        let form: Form = report
            .form(Some(&csrf_of(&form_page)))
            .text("pow_challenge", pow.challenge.clone())
            .text("pow_solution", pow.solution.clone());
        let posted = self.post_multipart(client, "/report", form).await;
        self.follow_to_receipt(client, posted).await
    }

    /// Posts `code` to the code login form in a fresh browser, with `pow`.
    pub async fn reporter_login_attempt_with_pow(&self, code: &str, pow: &Pow) -> Page {
        let client = self.client();
        let page = self.page(&client, "/followup").await;
        assert!(page.contains("data-pow=\"code\""));
        self.post_form_with_token(
            &client,
            Some(&csrf_of(&page)),
            "/followup",
            &[
                ("code", code),
                ("pow_challenge", &pow.challenge),
                ("pow_solution", &pow.solution),
            ],
        )
        .await
    }

    /// `POST path` under `/api/v1` with a JSON body and a proof of work in
    /// the `Varsel-Pow-*` headers.
    pub async fn api_post_with_pow(&self, path: &str, body: &Value, pow: &Pow) -> ApiResponse {
        let request = self
            .api_request(Method::POST, path, None)
            .header("Varsel-Pow-Challenge", &pow.challenge)
            .header("Varsel-Pow-Solution", &pow.solution)
            .json(body);
        self.api_send(request).await
    }

    /// A challenge for `purpose` from the API's endpoint, solved.
    pub async fn api_pow(&self, purpose: &str) -> Pow {
        let (challenge, difficulty) = self
            .pow_challenge_at("/api/v1/pow/challenge", purpose)
            .await;
        let solution = solve(&challenge, difficulty);
        Pow {
            challenge,
            difficulty,
            solution,
        }
    }

    /// A code login through the API with a proof of work.
    pub async fn api_code_login_with_pow(&self, code: &str, pow: &Pow) -> ApiResponse {
        self.api_post_with_pow("/reporter/session", &json!({ "code": code }), pow)
            .await
    }

    /// A browser that holds only `cookie` (`name=value`), as one that
    /// completed a staff login before and was then closed.
    pub fn client_with_cookie(&self, cookie: &str) -> Client {
        let jar = reqwest::cookie::Jar::default();
        let url: reqwest::Url = self.address.parse().expect("a URL");
        jar.add_cookie_str(cookie, &url);
        Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_provider(std::sync::Arc::new(jar))
            .build()
            .expect("client")
    }
}
