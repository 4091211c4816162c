//! `GET /pow/challenge` and `GET /api/v1/pow/challenge`: signed
//! proof-of-work challenges, issued without storing anything (see
//! [`crate::core::pow`]), and `GET /static/pow.js`, the script the report
//! and code-login forms load to solve them. Both endpoints answer JSON: the
//! page's script and API clients read the same thing.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::core::pow::Purpose;
use crate::web::api::auth::lang_of;
use crate::web::api::error::ApiError;
use crate::web::http::ErrorKind;
use crate::web::state::AppState;

/// The script that solves challenges in the browser, embedded in the binary.
const POW_SCRIPT: &str = include_str!("../../../templates/pow.js");

/// `?purpose=`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChallengeQuery {
    /// What the proof will admit: `submit` (a report) or `code` (a case-code login).
    #[serde(default)]
    purpose: String,
}

/// A signed proof-of-work challenge.
#[derive(Serialize, ToSchema)]
pub struct Challenge {
    /// The challenge, sent back in `Varsel-Pow-Challenge`.
    pub challenge: String,
    /// Leading zero bits SHA-256(challenge || counter) must have.
    pub difficulty: u32,
    /// `submit` or `code`.
    pub purpose: String,
    /// Always `sha256-leading-zero-bits`.
    pub algorithm: String,
    /// Seconds the challenge stays valid.
    pub expires_in_seconds: u64,
}

/// `GET /pow/challenge?purpose=submit|code` and `GET /api/v1/pow/challenge`:
/// a fresh signed challenge at the present difficulty. Nothing is stored.
#[utoipa::path(
    get, operation_id = "pow_challenge", path = "/api/v1/pow/challenge", tag = "public", security(()),
    params(ChallengeQuery),
    responses((status = 200, description = "A challenge to solve before submitting or logging in with a code.", body = Challenge), crate::web::api::responses::BadRequest),
)]
pub async fn challenge(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<ChallengeQuery>,
) -> Result<HttpResponse, ApiError> {
    let lang = lang_of(&req);
    let Some(purpose) = Purpose::parse(&query.purpose) else {
        return Err(ApiError::kind(lang, ErrorKind::BadRequest));
    };
    let (challenge, difficulty) = state
        .rate_limits
        .budgets
        .challenge(&state, purpose)
        .await
        .map_err(|e| ApiError::core(lang, e.into()))?;
    Ok(HttpResponse::Ok().json(Challenge {
        challenge,
        difficulty: difficulty.into(),
        purpose: purpose.key().to_owned(),
        algorithm: "sha256-leading-zero-bits".to_owned(),
        expires_in_seconds: state.settings.rate_limits.pow_challenge_seconds.into(),
    }))
}

/// `GET /static/pow.js`: the solver the report and code-login forms load.
pub async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(POW_SCRIPT)
}
