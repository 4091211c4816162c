//! Logging in with two factors: the password step, then a pending login
//! until its code (pages), or password and code in one request (API).

use serde_json::json;
use uuid::Uuid;
use varsel_crypto::SessionSecret;
use zeroize::Zeroizing;

use super::{
    audited, confirm_enrolment, confirmed_secret, failure, new_pending_secret, open_secret,
    requirement, setup_of, use_recovery_code, Factor, RecoveryCodes, Setup, PENDING_ATTEMPTS,
    PENDING_SECONDS,
};
use crate::core::actor::StaffMember;
use crate::core::audit::{action, AuditEvent};
use crate::core::casework;
use crate::core::error::{CoreError, CoreResult, Refusal};
use crate::core::service::Core;
use crate::core::totp::TotpSecret;

/// What the password step of a page login leads to.
pub enum PasswordStep {
    /// No second factor is due: logged in (recorded).
    Complete(StaffMember),
    /// A second factor is due: a pending login, whose token goes to the
    /// browser's cookie.
    Pending(Zeroizing<String>),
}

/// What a pending login shows.
pub enum PendingView {
    /// Asks for a TOTP or recovery code.
    Code,
    /// Two factors are required but not set up: the secret to set up.
    Enrol(Setup),
}

/// A completed pending login.
pub struct Completed {
    /// Who is now logged in.
    pub staff: StaffMember,
    /// Recovery codes to show once, if the login completed an enrolment.
    pub recovery_codes: Option<RecoveryCodes>,
}

/// Whether `staff` must give a second factor: enrolled (a secret that
/// opens), or required to be.
async fn second_factor_due(core: &Core, staff: &StaffMember) -> CoreResult<(bool, bool)> {
    // Enrolled is a stored secret, whether or not this key opens it: a
    // secret that does not open refuses the login, never skips the factor.
    let enrolled = core
        .store
        .two_factor(staff.user_id)
        .await?
        .is_some_and(|t| t.sealed_secret.is_some());
    let required = requirement(core).await?.applies_to(&staff.roles);
    Ok((enrolled, required))
}

/// The password step of the login page: complete, or pending a second factor.
pub async fn page_login(
    core: &Core,
    username: &str,
    password: Zeroizing<String>,
) -> CoreResult<PasswordStep> {
    let staff = casework::staff_password(core, username, password).await?;
    match pending_if_due(core, &staff).await? {
        Some(token) => Ok(PasswordStep::Pending(token)),
        None => {
            logged_in(core, &staff, None).await?;
            Ok(PasswordStep::Complete(staff))
        }
    }
}

/// After a first factor (the password, or single sign-on and the key
/// passphrase): the token of a pending login if `staff` must also give a
/// second factor (enrolled, or required to be), `None` if not.
pub async fn pending_if_due(
    core: &Core,
    staff: &StaffMember,
) -> CoreResult<Option<Zeroizing<String>>> {
    let (enrolled, required) = second_factor_due(core, staff).await?;
    if !enrolled && !required {
        return Ok(None);
    }
    let now = core.now();
    core.store.delete_expired_pending_logins(now).await?;
    let secret = SessionSecret::generate();
    let sealed = staff
        .identity
        .seal_for_session(&secret, &pending_context(staff.user_id));
    core.store
        .create_pending_login(
            &secret.lookup_key(),
            staff.user_id,
            &sealed,
            now.saturating_add(PENDING_SECONDS),
        )
        .await?;
    Ok(Some(secret.token()))
}

/// The API login: the password and, when due, `second` (a TOTP or recovery
/// code) in one request. Without `second` for an account that needs one:
/// [`Refusal::SecondFactorRequired`], only after the password was right.
pub async fn api_login(
    core: &Core,
    username: &str,
    password: Zeroizing<String>,
    second: Option<Zeroizing<String>>,
) -> CoreResult<StaffMember> {
    let staff = casework::staff_password(core, username, password).await?;
    let secret = confirmed_secret(core, &staff).await?;
    let required = requirement(core).await?.applies_to(&staff.roles);
    let Some(secret) = secret else {
        if required {
            return Err(CoreError::Refused(Refusal::SecondFactorEnrolmentRequired));
        }
        logged_in(core, &staff, None).await?;
        return Ok(staff);
    };
    let Some(code) = second else {
        return Err(CoreError::Refused(Refusal::SecondFactorRequired));
    };
    let factor = check_factor(core, &staff, &secret, &code).await?;
    logged_in(core, &staff, Some(factor)).await?;
    Ok(staff)
}

/// What the pending login `token` asks for; `None` if it has ended. A
/// required enrolment gets (or keeps) a secret to set up.
pub async fn pending_view(core: &Core, token: &str) -> CoreResult<Option<PendingView>> {
    let Some((_, staff)) = open_pending(core, token).await? else {
        return Ok(None);
    };
    let (enrolled, _) = second_factor_due(core, &staff).await?;
    if enrolled {
        return Ok(Some(PendingView::Code));
    }
    let existing = core
        .store
        .two_factor(staff.user_id)
        .await?
        .and_then(|s| s.pending_secret)
        .and_then(|sealed| open_secret(&staff.identity, &sealed));
    let setup = match existing {
        Some(secret) => setup_of(&secret, &staff.username),
        None => new_pending_secret(core, &staff).await?,
    };
    Ok(Some(PendingView::Enrol(setup)))
}

/// Completes the pending login `token` with `code`: a TOTP or recovery code,
/// or, for a required enrolment, a code of the secret being set up.
/// `NotFound` when the pending login has ended or has no attempt left (the
/// login starts over); [`Refusal::SecondFactorFailed`] for a wrong code.
pub async fn complete_pending(core: &Core, token: &str, code: &str) -> CoreResult<Completed> {
    let Some((lookup_key, staff)) = open_pending(core, token).await? else {
        return Err(CoreError::NotFound);
    };
    if !core
        .store
        .count_pending_attempt(&lookup_key, PENDING_ATTEMPTS, core.now())
        .await?
    {
        core.store.delete_pending_login(&lookup_key).await?;
        return Err(CoreError::NotFound);
    }
    let code = Zeroizing::new(code.to_owned());
    let required = requirement(core).await?.applies_to(&staff.roles);
    let completed = if let Some(secret) = confirmed_secret(core, &staff).await? {
        let factor = check_factor(core, &staff, &secret, &code).await?;
        logged_in(core, &staff, Some(factor)).await?;
        Completed {
            staff,
            recovery_codes: None,
        }
    } else if required {
        let codes = confirm_enrolment(core, &staff, &code)
            .await
            .map_err(|e| match e {
                CoreError::Invalid(_) | CoreError::Conflict => {
                    CoreError::Refused(Refusal::SecondFactorFailed)
                }
                other => other,
            })?;
        logged_in(core, &staff, Some(Factor::Totp)).await?;
        Completed {
            staff,
            recovery_codes: Some(codes),
        }
    } else {
        // No longer enrolled nor required since the password step.
        logged_in(core, &staff, None).await?;
        Completed {
            staff,
            recovery_codes: None,
        }
    };
    core.store.delete_pending_login(&lookup_key).await?;
    Ok(completed)
}

/// Ends the pending login `token`, if there is one.
pub async fn cancel_pending(core: &Core, token: &str) -> CoreResult<()> {
    if let Some(secret) = SessionSecret::from_token(token) {
        core.store
            .delete_pending_login(&secret.lookup_key())
            .await?;
    }
    Ok(())
}

/// The live pending login `token` names and its staff member (identity
/// unsealed, account read now); `None` if there is none, it has ended
/// (deleted then), or the account is inactive.
async fn open_pending(core: &Core, token: &str) -> CoreResult<Option<([u8; 32], StaffMember)>> {
    let Some(secret) = SessionSecret::from_token(token) else {
        return Ok(None);
    };
    let lookup_key = secret.lookup_key();
    let Some(pending) = core.store.pending_login(&lookup_key).await? else {
        return Ok(None);
    };
    if pending.expires_at <= core.now() || pending.attempts >= PENDING_ATTEMPTS {
        core.store.delete_pending_login(&lookup_key).await?;
        return Ok(None);
    }
    let Some(identity) = crate::core::keys::KeyRing::open_from_session(
        &secret,
        &pending.sealed_identity,
        &pending_context(pending.user_id),
    ) else {
        return Ok(None);
    };
    let Some(user) = core
        .store
        .user_by_id(pending.user_id)
        .await?
        .filter(|u| u.active)
    else {
        core.store.delete_pending_login(&lookup_key).await?;
        return Ok(None);
    };
    Ok(Some((
        lookup_key,
        StaffMember {
            user_id: user.id,
            username: user.username,
            display_name: user.display_name,
            roles: user.roles,
            identity,
        },
    )))
}

/// What a pending login's sealed identity is bound to.
fn pending_context(user_id: Uuid) -> Vec<u8> {
    format!("varsel.pending_login.v1:{user_id}").into_bytes()
}

/// Records a completed login, naming the second factor if there was one.
async fn logged_in(core: &Core, staff: &StaffMember, factor: Option<Factor>) -> CoreResult<()> {
    let mut event = AuditEvent::new(staff.audit(), action::STAFF_LOGIN);
    if let Some(factor) = factor {
        event = event.with_detail(json!({ "second_factor": factor.key() }));
    }
    audited(core, event).await
}

/// Checks `code` as a TOTP code of `secret` (a step not used before) or as
/// an unused recovery code, using it up; a failure is recorded.
async fn check_factor(
    core: &Core,
    staff: &StaffMember,
    secret: &TotpSecret,
    code: &str,
) -> CoreResult<Factor> {
    if let Some(step) = secret.matching_step(code, core.now()) {
        if core.store.use_totp_step(staff.user_id, step).await? {
            return Ok(Factor::Totp);
        }
    } else if use_recovery_code(core, staff, code).await? {
        return Ok(Factor::RecoveryCode);
    }
    audited(core, failure(staff, "login")).await?;
    Err(CoreError::Refused(Refusal::SecondFactorFailed))
}
