//! `GET /pow/challenge` and `GET /api/v1/pow/challenge`: signed
//! proof-of-work challenges, issued without storing anything (see
//! [`crate::core::pow`]), and `GET /static/pow.js`, the script the report
//! and code-login forms load to solve them. Both endpoints answer JSON: the
//! page's script and API clients read the same thing.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::core::pow::Purpose;
use crate::web::api::auth::lang_of;
use crate::web::api::error::ApiError;
use crate::web::http::ErrorKind;
use crate::web::state::AppState;

/// The script that solves challenges in the browser, embedded in the binary.
const POW_SCRIPT: &str = include_str!("../../../templates/pow.js");

/// `?purpose=`.
#[derive(Deserialize)]
pub struct ChallengeQuery {
    #[serde(default)]
    purpose: String,
}

/// `GET /pow/challenge?purpose=submit|code` and `GET /api/v1/pow/challenge`:
/// a fresh signed challenge at the present difficulty. Nothing is stored.
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
        .map_err(|e| ApiError::internal(lang, &anyhow::Error::new(e)))?;
    Ok(HttpResponse::Ok().json(json!({
        "challenge": challenge,
        "difficulty": difficulty,
        "purpose": purpose.key(),
        "algorithm": "sha256-leading-zero-bits",
        "expires_in_seconds": state.settings.rate_limits.pow_challenge_seconds,
    })))
}

/// `GET /static/pow.js`: the solver the report and code-login forms load.
pub async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(POW_SCRIPT)
}
