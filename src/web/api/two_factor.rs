//! A staff member's own two-factor login through the API, as on the page
//! `/staff/account/two-factor`: the state, a new secret to set up, its
//! confirmation with a code (which gives recovery codes, once), and new
//! recovery codes. The login itself takes the code in
//! `POST /api/v1/staff/session`.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zeroize::Zeroizing;

use crate::core::authz::Permission;
use crate::core::two_factor::{self, RecoveryCodes, Setup};
use crate::web::api::auth::ApiCaller;
use crate::web::api::error::ApiError;
use crate::web::api::responses::{
    BadRequest, Conflict, Forbidden, PayloadTooLarge, TooManyRequests, Unauthorized,
    UnsupportedMediaType,
};
use crate::web::http::SecretText;
use crate::web::state::AppState;

/// A secret to set up in an authenticator app.
#[derive(Serialize, ToSchema)]
pub struct TwoFactorSetup {
    /// The secret, base32 (RFC 4648), to type in.
    pub secret: String,
    /// The `otpauth://totp/…` URI (for a QR code).
    pub otpauth_uri: String,
}

impl From<&Setup> for TwoFactorSetup {
    fn from(setup: &Setup) -> Self {
        TwoFactorSetup {
            secret: setup.secret_base32.as_str().to_owned(),
            otpauth_uri: setup.uri.as_str().to_owned(),
        }
    }
}

/// The caller's two-factor state.
#[derive(Serialize, ToSchema)]
pub struct TwoFactorState {
    /// Whether a confirmed secret is in effect.
    pub enrolled: bool,
    /// Whether an administrator requires two factors of the caller.
    pub required: bool,
    /// Recovery codes not used yet.
    pub recovery_codes_left: usize,
    /// A secret set up but not confirmed yet; null if none.
    #[schema(required)]
    pub setup: Option<TwoFactorSetup>,
}

/// `{"proof": "…"}`: a current code or the password; needed once enrolled.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProofRequest {
    /// A current TOTP code or the account's password.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Password)]
    proof: Option<SecretText>,
}

/// `{"code": "123456"}`: a code of the secret being set up.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmRequest {
    /// The current code of the new secret.
    #[schema(value_type = String, example = "123456")]
    code: SecretText,
}

/// New recovery codes, shown this once.
#[derive(Serialize, ToSchema)]
pub struct RecoveryCodesJson {
    /// Each works once in place of a TOTP code.
    pub recovery_codes: Vec<String>,
}

impl From<RecoveryCodes> for RecoveryCodesJson {
    fn from(codes: RecoveryCodes) -> Self {
        RecoveryCodesJson {
            recovery_codes: codes.0.iter().map(|c| c.as_str().to_owned()).collect(),
        }
    }
}

fn proof(body: web::Json<ProofRequest>) -> Option<Zeroizing<String>> {
    body.into_inner()
        .proof
        .map(|mut p| p.take())
        .filter(|p| !p.is_empty())
}

/// `GET /api/v1/account/two-factor`: the caller's two-factor state.
#[utoipa::path(
    get, operation_id = "two_factor_state", path = "/api/v1/account/two-factor", tag = "staff", security(("bearer" = [])),
    responses((status = 200, description = "The state.", body = TwoFactorState), Unauthorized, Forbidden),
)]
pub async fn state(
    state: web::Data<AppState>,
    caller: ApiCaller,
) -> Result<HttpResponse, ApiError> {
    let staff = caller.permitted(Permission::ManageOwnAccount)?;
    let status = two_factor::status(&state, staff)
        .await
        .map_err(|e| ApiError::core(caller.lang, e))?;
    Ok(HttpResponse::Ok().json(TwoFactorState {
        enrolled: status.enrolled,
        required: status.required,
        recovery_codes_left: status.recovery_codes_left,
        setup: status.setup.as_ref().map(TwoFactorSetup::from),
    }))
}

/// `POST /api/v1/account/two-factor/setup`: a new secret to set up (the
/// one in effect stays until the new one is confirmed).
#[utoipa::path(
    post, operation_id = "two_factor_setup", path = "/api/v1/account/two-factor/setup", tag = "staff", security(("bearer" = [])),
    request_body(content = ProofRequest, description = "`{}`, or once enrolled a current code or the password as `proof`."),
    responses((status = 201, description = "The secret to set up.", body = TwoFactorSetup), BadRequest, Unauthorized, Forbidden, PayloadTooLarge, UnsupportedMediaType, TooManyRequests),
)]
pub async fn setup(
    state: web::Data<AppState>,
    caller: ApiCaller,
    body: web::Json<ProofRequest>,
) -> Result<HttpResponse, ApiError> {
    let staff = caller.permitted(Permission::ManageOwnAccount)?;
    charge_proof(&state, caller.lang, staff).await?;
    let setup = two_factor::begin_enrolment(&state, staff, proof(body))
        .await
        .map_err(|e| ApiError::core(caller.lang, e))?;
    Ok(HttpResponse::Created().json(TwoFactorSetup::from(&setup)))
}

/// `POST /api/v1/account/two-factor/confirm`: confirms the secret set up
/// with a code from it; the answer holds the new recovery codes.
#[utoipa::path(
    post, operation_id = "two_factor_confirm", path = "/api/v1/account/two-factor/confirm", tag = "staff", security(("bearer" = [])),
    request_body = ConfirmRequest,
    responses((status = 200, description = "In effect; the recovery codes, shown this once.", body = RecoveryCodesJson), BadRequest, Unauthorized, Forbidden, Conflict, PayloadTooLarge, UnsupportedMediaType),
)]
pub async fn confirm(
    state: web::Data<AppState>,
    caller: ApiCaller,
    body: web::Json<ConfirmRequest>,
) -> Result<HttpResponse, ApiError> {
    let staff = caller.permitted(Permission::ManageOwnAccount)?;
    let mut body = body.into_inner();
    let code = body.code.take();
    let codes = two_factor::confirm_enrolment(&state, staff, &code)
        .await
        .map_err(|e| ApiError::core(caller.lang, e))?;
    Ok(HttpResponse::Ok().json(RecoveryCodesJson::from(codes)))
}

/// `POST /api/v1/account/two-factor/recovery-codes`: new recovery codes
/// (the old stop working).
#[utoipa::path(
    post, operation_id = "two_factor_recovery_codes", path = "/api/v1/account/two-factor/recovery-codes", tag = "staff", security(("bearer" = [])),
    request_body = ProofRequest,
    responses((status = 200, description = "The new recovery codes, shown this once.", body = RecoveryCodesJson), BadRequest, Unauthorized, Forbidden, Conflict, PayloadTooLarge, UnsupportedMediaType, TooManyRequests),
)]
pub async fn recovery_codes(
    state: web::Data<AppState>,
    caller: ApiCaller,
    body: web::Json<ProofRequest>,
) -> Result<HttpResponse, ApiError> {
    let staff = caller.permitted(Permission::ManageOwnAccount)?;
    charge_proof(&state, caller.lang, staff).await?;
    let codes = two_factor::renew_recovery_codes(&state, staff, proof(body))
        .await
        .map_err(|e| ApiError::core(caller.lang, e))?;
    Ok(HttpResponse::Ok().json(RecoveryCodesJson::from(codes)))
}

/// A proof of identity checks a password or a code: the account's login
/// budget applies, so a stolen token cannot guess either freely.
async fn charge_proof(
    state: &AppState,
    lang: crate::core::i18n::Lang,
    staff: &crate::core::actor::StaffMember,
) -> Result<(), ApiError> {
    let allowed = state
        .rate_limits
        .staff_login(state, &staff.username, None)
        .await
        .map_err(|e| ApiError::core(lang, e.into()))?;
    if allowed {
        Ok(())
    } else {
        Err(ApiError::kind(
            lang,
            crate::web::http::ErrorKind::TooManyRequests,
        ))
    }
}
