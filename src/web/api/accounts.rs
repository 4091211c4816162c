//! Staff accounts through the API (administrators only), under
//! `/api/v1/admin/accounts`: list, create, set roles, set groups,
//! deactivate and reactivate. Each calls one operation of
//! [`crate::core::accounts`], shared with the admin pages and the CLI.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::core::accounts::{self, Account, AccountDraft};
use crate::core::actor::Actor;
use crate::core::authz::Permission;
use crate::core::error::CoreError;
use crate::web::api::auth::ApiCaller;
use crate::web::api::error::ApiError;
use crate::web::api::iso_instant;
use crate::web::api::responses::{
    BadRequest, Conflict, Forbidden, NotFound, Unauthorized, UnsupportedMediaType,
};
use crate::web::http::SecretText;
use crate::web::state::AppState;

/// A staff account.
#[derive(Serialize, ToSchema)]
pub struct AccountJson {
    /// Stable id.
    pub id: Uuid,
    /// Login name.
    pub username: String,
    /// Name shown to colleagues.
    pub display_name: String,
    /// E-mail address for notifications, if any.
    #[schema(required)]
    pub email: Option<String>,
    /// Role keys (`handler`, `contact`, `admin`, `auditor`, `custodian`).
    pub roles: Vec<String>,
    /// Handler groups.
    pub groups: Vec<String>,
    /// Whether it can log in.
    pub active: bool,
    /// When it was deactivated, RFC 3339; null while active (or if unknown).
    #[schema(required, format = DateTime)]
    pub deactivated_at: Option<String>,
}

impl From<&Account> for AccountJson {
    fn from(a: &Account) -> Self {
        let u = &a.user;
        AccountJson {
            id: u.id,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            email: u.email.clone(),
            roles: u.roles.iter().map(|r| r.key().to_owned()).collect(),
            groups: u.groups.clone(),
            active: u.active,
            deactivated_at: a.deactivated_at.map(iso_instant),
        }
    }
}

/// A new account.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccountRequest {
    /// Login name: 1–64 letters, digits, `.`, `_` or `-`.
    username: String,
    /// Name shown to colleagues; the username if absent.
    #[serde(default)]
    display_name: String,
    /// E-mail address for notifications.
    #[serde(default)]
    email: String,
    /// Role keys; at least one.
    roles: Vec<String>,
    /// Handler groups (registered ones; handlers and contact points only).
    #[serde(default)]
    groups: Vec<String>,
    /// The initial password, at least 12 characters.
    #[schema(value_type = String, format = Password)]
    password: SecretText,
}

/// `{"roles": [...]}`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RolesRequest {
    /// The account's roles from now on; at least one.
    roles: Vec<String>,
}

/// `{"groups": [...]}`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupsRequest {
    /// The account's handler groups from now on (may be empty).
    groups: Vec<String>,
}

/// What a deactivation removed.
#[derive(Serialize, ToSchema)]
pub struct DeactivatedJson {
    /// The account, now deactivated.
    pub account: AccountJson,
    /// Sessions ended.
    pub sessions_ended: u64,
    /// Group memberships left.
    pub groups_left: u64,
    /// Case keys deleted.
    pub case_keys_removed: u64,
}

/// The caller, if an administrator: 403 for other staff, 401 for anyone else.
fn administrator(caller: &ApiCaller) -> Result<&Actor, ApiError> {
    caller.permitted(Permission::Administer)?;
    Ok(&caller.session().principal)
}

/// The answer to a change of the account `username`: the refusal, or the
/// account as it is now.
async fn changed_account<T>(
    state: &AppState,
    caller: &ApiCaller,
    actor: &Actor,
    username: &str,
    changed: Result<T, CoreError>,
) -> Result<HttpResponse, ApiError> {
    let lang = caller.lang;
    changed.map_err(|e| ApiError::core(lang, e))?;
    let json = account_json(state, actor, username)
        .await
        .map_err(|e| ApiError::core(lang, e))?;
    Ok(HttpResponse::Ok().json(json))
}

async fn account_json(
    state: &AppState,
    actor: &Actor,
    username: &str,
) -> Result<AccountJson, CoreError> {
    let account = accounts::get(state, actor, username).await?;
    Ok(AccountJson::from(&account))
}

/// `GET /api/v1/admin/accounts`: every account, ordered by username.
#[utoipa::path(
    get, operation_id = "admin_accounts", path = "/api/v1/admin/accounts", tag = "admin", security(("bearer" = [])),
    responses((status = 200, description = "Every account.", body = [AccountJson]), Unauthorized, Forbidden),
)]
pub async fn list(state: web::Data<AppState>, caller: ApiCaller) -> Result<HttpResponse, ApiError> {
    let actor = administrator(&caller)?;
    let all = accounts::list(&state, actor)
        .await
        .map_err(|e| ApiError::core(caller.lang, e))?;
    let json: Vec<AccountJson> = all.iter().map(AccountJson::from).collect();
    Ok(HttpResponse::Ok().json(json))
}

/// `POST /api/v1/admin/accounts`: creates an account with its key pair.
#[utoipa::path(
    post, operation_id = "admin_create_account", path = "/api/v1/admin/accounts", tag = "admin", security(("bearer" = [])),
    request_body = NewAccountRequest,
    responses((status = 201, description = "The account is created.", body = AccountJson), BadRequest, Unauthorized, Forbidden, Conflict, UnsupportedMediaType),
)]
pub async fn create(
    state: web::Data<AppState>,
    caller: ApiCaller,
    mut body: web::Json<NewAccountRequest>,
) -> Result<HttpResponse, ApiError> {
    let actor = administrator(&caller)?;
    let lang = caller.lang;
    let draft = AccountDraft {
        username: body.username.clone(),
        display_name: body.display_name.clone(),
        email: body.email.clone(),
        roles: body.roles.clone(),
        groups: body.groups.clone(),
        password: body.password.take(),
    };
    let new = draft
        .parse()
        .map_err(|fields| ApiError::core(lang, CoreError::Invalid(fields)))?;
    accounts::create(&state, actor, new, false)
        .await
        .map_err(|e| ApiError::core(lang, e))?;
    let json = account_json(&state, actor, body.username.trim())
        .await
        .map_err(|e| ApiError::core(lang, e))?;
    Ok(HttpResponse::Created().json(json))
}

/// `POST /api/v1/admin/accounts/{username}/roles`: sets the roles; any
/// change ends the account's sessions, and an account left without the
/// handler and contact roles leaves its groups.
#[utoipa::path(
    post, operation_id = "admin_set_roles", path = "/api/v1/admin/accounts/{username}/roles", tag = "admin", security(("bearer" = [])),
    params(("username" = String, Path, description = "The login name.")),
    request_body = RolesRequest,
    responses((status = 200, description = "The roles are set.", body = AccountJson), BadRequest, Unauthorized, Forbidden, NotFound, Conflict, UnsupportedMediaType),
)]
pub async fn roles(
    state: web::Data<AppState>,
    caller: ApiCaller,
    path: web::Path<String>,
    body: web::Json<RolesRequest>,
) -> Result<HttpResponse, ApiError> {
    let actor = administrator(&caller)?;
    let changed = accounts::set_roles(&state, actor, &path, &body.roles).await;
    changed_account(&state, &caller, actor, &path, changed).await
}

/// `POST /api/v1/admin/accounts/{username}/groups`: sets the handler groups.
#[utoipa::path(
    post, operation_id = "admin_set_groups", path = "/api/v1/admin/accounts/{username}/groups", tag = "admin", security(("bearer" = [])),
    params(("username" = String, Path, description = "The login name.")),
    request_body = GroupsRequest,
    responses((status = 200, description = "The groups are set.", body = AccountJson), BadRequest, Unauthorized, Forbidden, NotFound, Conflict, UnsupportedMediaType),
)]
pub async fn groups(
    state: web::Data<AppState>,
    caller: ApiCaller,
    path: web::Path<String>,
    body: web::Json<GroupsRequest>,
) -> Result<HttpResponse, ApiError> {
    let actor = administrator(&caller)?;
    let changed = accounts::set_groups(&state, actor, &path, &body.groups).await;
    changed_account(&state, &caller, actor, &path, changed).await
}

/// `POST /api/v1/admin/accounts/{username}/deactivate`: ends its sessions,
/// removes it from every group and deletes its case keys; refused
/// (`last_key_holder`, naming the cases) if a case would be left readable
/// by no one.
#[utoipa::path(
    post, operation_id = "admin_deactivate_account", path = "/api/v1/admin/accounts/{username}/deactivate", tag = "admin", security(("bearer" = [])),
    params(("username" = String, Path, description = "The login name.")),
    responses((status = 200, description = "The account is deactivated.", body = DeactivatedJson), Unauthorized, Forbidden, NotFound, Conflict),
)]
pub async fn deactivate(
    state: web::Data<AppState>,
    caller: ApiCaller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let actor = administrator(&caller)?;
    let lang = caller.lang;
    let done = accounts::deactivate(&state, actor, &path)
        .await
        .map_err(|e| ApiError::core(lang, e))?;
    let account = account_json(&state, actor, &path)
        .await
        .map_err(|e| ApiError::core(lang, e))?;
    Ok(HttpResponse::Ok().json(DeactivatedJson {
        account,
        sessions_ended: done.sessions,
        groups_left: done.groups,
        case_keys_removed: done.wraps,
    }))
}

/// `POST /api/v1/admin/accounts/{username}/reactivate`: it can log in
/// again, with no groups and no cases.
#[utoipa::path(
    post, operation_id = "admin_reactivate_account", path = "/api/v1/admin/accounts/{username}/reactivate", tag = "admin", security(("bearer" = [])),
    params(("username" = String, Path, description = "The login name.")),
    responses((status = 200, description = "The account is active again.", body = AccountJson), Unauthorized, Forbidden, NotFound, Conflict),
)]
pub async fn reactivate(
    state: web::Data<AppState>,
    caller: ApiCaller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let actor = administrator(&caller)?;
    let changed = accounts::reactivate(&state, actor, &path).await;
    changed_account(&state, &caller, actor, &path, changed).await
}
