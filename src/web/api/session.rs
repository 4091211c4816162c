//! `POST`/`DELETE /api/v1/reporter/session` and `/api/v1/staff/session`:
//! exchanging a case code or a username and password for a bearer token, and
//! ending it. Both logins are rate limited; the code and the password are
//! cleared from memory once used and never logged.

use crate::web::api::responses::{
    BadRequest, PayloadTooLarge, TooManyRequests, Unauthorized, UnsupportedMediaType,
};
use crate::web::http::SecretText;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use varsel_crypto::CaseCode;

use crate::core::actor::Actor;
use crate::core::casework;
use crate::core::error::CoreError;
use crate::core::pow::Purpose;
use crate::core::sessions;
use crate::core::two_factor;
use crate::web::api::auth::{ApiCaller, ApiLang};
use crate::web::api::error::{ApiError, Problem};
use crate::web::http::rate_limit::{device_cookie_of, PowProof};
use crate::web::http::ErrorKind;
use crate::web::state::AppState;

/// `{"code": "…"}`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeLogin {
    /// The case code, with or without its spaces and dashes.
    #[schema(value_type = String, example = "ABCD EFGH JKMN PQRS TVWX YZ23")]
    code: SecretText,
}

/// `{"username": "…", "password": "…"}`, with `"totp": "123456"` or
/// `"recovery_code": "…"` for an account that logs in with two factors.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffLogin {
    username: String,
    #[schema(value_type = String, format = Password)]
    password: SecretText,
    /// The current code of the account's authenticator app (two-factor login).
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "123456")]
    totp: Option<SecretText>,
    /// One of the account's single-use recovery codes, instead of `totp`.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Password)]
    recovery_code: Option<SecretText>,
}

/// A new session's bearer token.
#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    /// Idle lifetime: the token ends after this long without use.
    pub expires_in_seconds: u64,
}

async fn token_response(
    state: &AppState,
    lang: crate::core::i18n::Lang,
    principal: Actor,
    idle: std::time::Duration,
) -> Result<HttpResponse, ApiError> {
    let started = sessions::start(state, principal, true)
        .await
        .map_err(|e| ApiError::core(lang, e))?;
    Ok(HttpResponse::Created().json(TokenResponse {
        token: started.token.as_str().to_owned(),
        expires_in_seconds: idle.as_secs(),
    }))
}

/// `POST /api/v1/reporter/session`: a case code for a reporter token.
#[utoipa::path(
    post, operation_id = "reporter_login", path = "/api/v1/reporter/session", tag = "public", security(()),
    params(
        ("Varsel-Pow-Challenge" = Option<String>, Header, description = "A challenge from `GET /api/v1/pow/challenge` (optional; with a solution it admits the request to the proof-of-work lane)."),
        ("Varsel-Pow-Solution" = Option<String>, Header, description = "The counter that solves the challenge (decimal)."),
    ),
    request_body = CodeLogin,
    responses((status = 201, description = "A reporter token opening that one case.", body = TokenResponse), BadRequest, Unauthorized, PayloadTooLarge, UnsupportedMediaType, TooManyRequests),
)]
pub async fn reporter_login(
    state: web::Data<AppState>,
    ApiLang(lang): ApiLang,
    req: HttpRequest,
    body: web::Json<CodeLogin>,
) -> Result<HttpResponse, ApiError> {
    let code = CaseCode::parse(&body.code).map_err(|e| ApiError::code(lang, e))?;
    drop(body);
    // Only a well-formed code is charged, to the lane its proof of work
    // (headers `Varsel-Pow-Challenge`, `Varsel-Pow-Solution`) chooses.
    state
        .rate_limits
        .reporter(&state, Purpose::CodeLogin, PowProof::from_headers(&req))
        .await
        .map_err(|e| ApiError::limited(lang, e))?;
    let reporter = match casework::reporter_login(&state, &code).await {
        Ok(r) => r,
        Err(CoreError::NotFound) => return Err(ApiError::new(lang, Problem::CodeUnknown)),
        Err(e) => return Err(ApiError::core(lang, e)),
    };
    drop(code);
    token_response(
        &state,
        lang,
        Actor::Reporter(reporter),
        state.reporter_idle(),
    )
    .await
}

/// `POST /api/v1/staff/session`: a username and password (and, for an
/// account that logs in with two factors, a `totp` or `recovery_code`) for
/// a staff token.
#[utoipa::path(
    post, operation_id = "staff_login", path = "/api/v1/staff/session", tag = "public", security(()),
    request_body = StaffLogin,
    responses((status = 201, description = "A staff token.", body = TokenResponse), BadRequest, Unauthorized, PayloadTooLarge, UnsupportedMediaType, TooManyRequests),
)]
pub async fn staff_login(
    state: web::Data<AppState>,
    ApiLang(lang): ApiLang,
    req: HttpRequest,
    body: web::Json<StaffLogin>,
) -> Result<HttpResponse, ApiError> {
    let mut body = body.into_inner();
    let username = body.username.trim().to_owned();
    let device = device_cookie_of(&req);
    let allowed = state
        .rate_limits
        .staff_login(&state, &username, device.as_deref())
        .await
        .map_err(|e| ApiError::core(lang, e.into()))?;
    if !allowed {
        return Err(ApiError::kind(lang, ErrorKind::TooManyRequests));
    }
    let password = body.password.take();
    let second = body
        .totp
        .as_mut()
        .or(body.recovery_code.as_mut())
        .map(SecretText::take)
        .filter(|code| !code.is_empty());
    drop(body);
    // A password that is right but not enough (a second factor is due) is
    // a 401 with its own code, `second_factor_required`.
    let staff = two_factor::api_login(&state, &username, password, second)
        .await
        .map_err(|e| ApiError::core(lang, e))?;
    token_response(&state, lang, Actor::Staff(staff), state.staff_idle()).await
}

/// `DELETE /api/v1/reporter/session`: ends the reporter's session.
#[utoipa::path(
    delete, operation_id = "reporter_logout", path = "/api/v1/reporter/session", tag = "session", security(("bearer" = [])),
    responses((status = 204, description = "The session is ended."), Unauthorized),
)]
pub async fn reporter_logout(
    state: web::Data<AppState>,
    caller: ApiCaller,
) -> Result<HttpResponse, ApiError> {
    caller.reporter()?;
    sessions::end(&state, caller.session())
        .await
        .map_err(|e| ApiError::core(caller.lang, e))?;
    Ok(HttpResponse::NoContent().finish())
}

/// `DELETE /api/v1/staff/session`: ends the staff member's session.
#[utoipa::path(
    delete, operation_id = "staff_logout", path = "/api/v1/staff/session", tag = "session", security(("bearer" = [])),
    responses((status = 204, description = "The session is ended."), Unauthorized),
)]
pub async fn staff_logout(
    state: web::Data<AppState>,
    caller: ApiCaller,
) -> Result<HttpResponse, ApiError> {
    casework::staff_logout(&state, caller.staff()?).await;
    sessions::end(&state, caller.session())
        .await
        .map_err(|e| ApiError::core(caller.lang, e))?;
    Ok(HttpResponse::NoContent().finish())
}
