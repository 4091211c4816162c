//! A staff member's own account through the API: changing their password
//! (`POST /api/v1/account/password`), and their live sessions
//! (`GET /api/v1/account/sessions`, `DELETE /api/v1/account/sessions/{id}`).

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::core::authz::Permission;
use crate::core::{own_sessions, passwords};
use crate::web::api::auth::ApiCaller;
use crate::web::api::error::ApiError;
use crate::web::api::iso_instant;
use crate::web::api::responses::{
    BadRequest, Forbidden, NotFound, PasswordRefused, PayloadTooLarge, TooManyRequests,
    Unauthorized, UnsupportedMediaType,
};
use crate::web::http::{ErrorKind, SecretText};
use crate::web::state::AppState;

/// `{"current_password": "…", "new_password": "…"}`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// The password the account has now.
    #[schema(value_type = String, format = Password)]
    current_password: SecretText,
    /// The new password, at least 12 characters.
    #[schema(value_type = String, format = Password)]
    new_password: SecretText,
}

/// What a password change did.
#[derive(Serialize, ToSchema)]
pub struct PasswordChanged {
    /// How many other sessions of the account were ended (this token stays).
    pub sessions_ended: u64,
}

/// One live session of the caller's account.
#[derive(Serialize, ToSchema)]
pub struct OwnSessionJson {
    /// The session's public id (neither its token nor a way to find it).
    pub id: String,
    /// `api` (a bearer token) or `pages` (the browser).
    pub channel: String,
    /// When it started, RFC 3339.
    #[schema(format = DateTime)]
    pub started: String,
    /// When it was last used, RFC 3339 (to about a minute).
    #[schema(format = DateTime)]
    pub last_seen: String,
    /// True for the session of this token.
    pub current: bool,
}

/// The caller's live sessions.
#[derive(Serialize, ToSchema)]
pub struct OwnSessions {
    /// Oldest first.
    pub sessions: Vec<OwnSessionJson>,
}

/// `POST /api/v1/account/password`: changes the caller's password; their
/// other sessions end.
#[utoipa::path(
    post, operation_id = "change_password", path = "/api/v1/account/password", tag = "staff", security(("bearer" = [])),
    request_body = PasswordChange,
    responses((status = 200, description = "The password is changed; every other session of the account is ended.", body = PasswordChanged), BadRequest, Unauthorized, Forbidden, PasswordRefused, PayloadTooLarge, UnsupportedMediaType, TooManyRequests),
)]
pub async fn change_password(
    state: web::Data<AppState>,
    caller: ApiCaller,
    body: web::Json<PasswordChange>,
) -> Result<HttpResponse, ApiError> {
    let staff = caller.permitted(Permission::ManageOwnAccount)?;
    let lang = caller.lang;
    // Each try checks a password: the login budget of the account applies.
    let allowed = state
        .rate_limits
        .staff_login(&state, &staff.username, None)
        .await
        .map_err(|e| ApiError::core(lang, e.into()))?;
    if !allowed {
        return Err(ApiError::kind(lang, ErrorKind::TooManyRequests));
    }
    let mut body = body.into_inner();
    let (current, new) = (body.current_password.take(), body.new_password.take());
    drop(body);
    let ended = passwords::change_password(&state, staff, Some(caller.session()), &current, &new)
        .await
        .map_err(|e| ApiError::core(lang, e))?;
    Ok(HttpResponse::Ok().json(PasswordChanged {
        sessions_ended: ended,
    }))
}

/// `GET /api/v1/account/sessions`: the caller's live sessions.
#[utoipa::path(
    get, operation_id = "own_sessions", path = "/api/v1/account/sessions", tag = "staff", security(("bearer" = [])),
    responses((status = 200, description = "The account's live sessions.", body = OwnSessions), Unauthorized, Forbidden),
)]
pub async fn sessions(
    state: web::Data<AppState>,
    caller: ApiCaller,
) -> Result<HttpResponse, ApiError> {
    let staff = caller.permitted(Permission::ManageOwnAccount)?;
    let list = own_sessions::list(&state, staff, caller.session())
        .await
        .map_err(|e| ApiError::core(caller.lang, e))?;
    Ok(HttpResponse::Ok().json(OwnSessions {
        sessions: list
            .into_iter()
            .map(|s| OwnSessionJson {
                id: s.id,
                channel: if s.api { "api" } else { "pages" }.to_owned(),
                started: iso_instant(s.started),
                last_seen: iso_instant(s.last_seen),
                current: s.current,
            })
            .collect(),
    }))
}

/// `DELETE /api/v1/account/sessions/{id}`: ends one of the caller's
/// sessions (this one too, if named).
#[utoipa::path(
    delete, operation_id = "end_own_session", path = "/api/v1/account/sessions/{id}", tag = "staff", security(("bearer" = [])),
    params(("id" = String, Path, description = "The session's public id.")),
    responses((status = 204, description = "The session is ended."), BadRequest, Unauthorized, Forbidden, NotFound),
)]
pub async fn end_session(
    state: web::Data<AppState>,
    caller: ApiCaller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let staff = caller.permitted(Permission::ManageOwnAccount)?;
    if !own_sessions::is_public_id(&path) {
        return Err(ApiError::kind(caller.lang, ErrorKind::BadRequest));
    }
    own_sessions::end(&state, staff, caller.session(), &path)
        .await
        .map_err(|e| ApiError::core(caller.lang, e))?;
    Ok(HttpResponse::NoContent().finish())
}
