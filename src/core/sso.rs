//! Single sign-on for staff with OpenID Connect (issue 11, part 3).
//!
//! The provider only authenticates: it says which of its subjects is at the
//! browser. An administrator links a subject to a staff account (never the
//! provider, never automatically), and the account's case key still opens
//! only with the passphrase it is wrapped under ([`crate::core::keys`]),
//! asked by Varsel after the provider's answer and never sent to the
//! provider. A login is three steps, its state kept in `oidc_logins` under a
//! one-way lookup key of a random secret that only the browser's cookie
//! holds (as [`crate::core::sessions`] does):
//!
//! 1. [`begin`]: the state, nonce and PKCE verifier of a fresh authorisation
//!    request, sealed under that secret; the browser goes to the provider.
//! 2. [`callback`]: the row is taken (used once), the `state` compared in
//!    constant time, the code exchanged and the ID token verified by the
//!    provider adapter ([`IdentityProvider`]); a subject linked to an active
//!    account gives a new row, under a new secret, naming that account.
//! 3. [`unlock`]: the passphrase unwraps the account's key (a limited number
//!    of tries, each spent before the work); only then does a session start.
//!
//! Every failure is the same [`Refusal::LoginFailed`], and audited.

use anyhow::{anyhow, Context};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use varsel_crypto::SessionSecret;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::core::actor::StaffMember;
use crate::core::audit::{action, AuditActor, AuditEvent};
use crate::core::audit_log;
use crate::core::error::{CoreError, CoreResult, FieldError, FieldProblem, Refusal};
use crate::core::service::Core;
use crate::core::store::{OidcLink, Store};

/// What the seal of a login waiting for the provider is bound to.
const AUTHORIZATION_CONTEXT: &[u8] = b"varsel.oidc.v1:authorization";
/// What the seal of a login waiting for the passphrase is bound to.
const PASSPHRASE_CONTEXT: &[u8] = b"varsel.oidc.v1:passphrase";
/// The longest subject an administrator may link (OpenID Connect: 255 ASCII).
pub const MAX_SUBJECT_CHARS: usize = 255;

/// An authorisation request made by the provider adapter.
pub struct Authorization {
    /// Where to send the browser.
    pub url: String,
    /// The `state` the provider must send back.
    pub state: Zeroizing<String>,
    /// The `nonce` the ID token must carry.
    pub nonce: Zeroizing<String>,
    /// The PKCE verifier (S256) of the request's challenge.
    pub pkce_verifier: Zeroizing<String>,
}

/// Why the provider's answer identified no one.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The provider refused the code, or its ID token did not verify
    /// (signature, issuer, audience, expiry, nonce).
    #[error("the provider's answer was refused: {0}")]
    Rejected(String),
    /// The provider could not be reached or answered nonsense.
    #[error("the provider cannot be reached: {0:#}")]
    Unavailable(anyhow::Error),
}

/// The port to the OpenID Connect provider (implemented outside the core,
/// over HTTP, by `crate::oidc`).
#[async_trait::async_trait]
pub trait IdentityProvider: Send + Sync {
    /// The issuer whose subjects accounts are linked to.
    fn issuer(&self) -> &str;
    /// A fresh authorisation request (code flow, PKCE S256, state, nonce).
    async fn authorization(&self) -> Result<Authorization, ProviderError>;
    /// Exchanges `code` (with the request's PKCE verifier) and returns the
    /// `sub` of the verified ID token, which must carry `nonce`.
    async fn verified_subject(
        &self,
        code: &str,
        nonce: &str,
        pkce_verifier: &str,
    ) -> Result<String, ProviderError>;
}

/// The secrets of a request, sealed in its row until the provider answers.
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
struct PendingAuthorization {
    state: String,
    nonce: String,
    verifier: String,
}

/// A login started: where to send the browser, and the secret for its cookie.
pub struct Started {
    /// The provider's authorisation URL.
    pub redirect_url: String,
    /// The cookie value (never stored).
    pub token: Zeroizing<String>,
}

fn expiry(core: &Core) -> i64 {
    let seconds = core.settings.oidc.login_minutes.saturating_mul(60);
    core.now()
        .saturating_add(i64::try_from(seconds).unwrap_or(i64::MAX))
}

fn max_tries(core: &Core) -> i64 {
    i64::from(core.settings.oidc.passphrase_tries)
}

/// Records a failed single sign-on (best effort) and refuses.
async fn failed<T>(
    core: &Core,
    actor: AuditActor,
    action: &'static str,
    why: &str,
) -> CoreResult<T> {
    let event = AuditEvent::new(actor, action).with_detail(serde_json::json!({ "reason": why }));
    let _ = audit_log::record(&*core.store, core.now(), event).await;
    Err(CoreError::Refused(Refusal::LoginFailed))
}

fn unavailable(e: ProviderError) -> CoreError {
    match e {
        ProviderError::Unavailable(e) => {
            tracing::warn!(
                error = format!("{e:#}"),
                "the OpenID Connect provider is unavailable"
            );
            CoreError::Unavailable
        }
        ProviderError::Rejected(why) => CoreError::Internal(anyhow!("{why}")),
    }
}

/// Step 1: a new authorisation request, its secrets stored sealed under a
/// fresh cookie secret.
pub async fn begin(core: &Core, provider: &dyn IdentityProvider) -> CoreResult<Started> {
    let request = provider.authorization().await.map_err(unavailable)?;
    let pending = PendingAuthorization {
        state: request.state.as_str().to_owned(),
        nonce: request.nonce.as_str().to_owned(),
        verifier: request.pkce_verifier.as_str().to_owned(),
    };
    let json = Zeroizing::new(serde_json::to_vec(&pending).context("cannot encode a login")?);
    let secret = SessionSecret::generate();
    let sealed = secret.seal_bytes(&json, AUTHORIZATION_CONTEXT);
    core.store
        .create_oidc_login(&secret.lookup_key(), &sealed, None, expiry(core))
        .await?;
    Ok(Started {
        redirect_url: request.url,
        token: secret.token(),
    })
}

/// What the provider sent back to the callback.
pub struct ProviderAnswer<'a> {
    /// The authorisation code, if the provider gave one.
    pub code: Option<&'a str>,
    /// The `state` it sent back.
    pub state: Option<&'a str>,
}

/// Step 2: checks the provider's answer against the login `token` (the
/// cookie) names, which is used up whatever happens, and returns the token
/// of the login waiting for the key passphrase of the linked account.
pub async fn callback(
    core: &Core,
    provider: &dyn IdentityProvider,
    token: Option<&str>,
    answer: ProviderAnswer<'_>,
) -> CoreResult<Zeroizing<String>> {
    let fail = |why| failed(core, AuditActor::System, action::STAFF_SSO_FAILED, why);
    let Some(secret) = token.and_then(SessionSecret::from_token) else {
        return fail("no_login").await;
    };
    let now = core.now();
    let Some(sealed) = core
        .store
        .take_oidc_authorization(&secret.lookup_key(), now)
        .await?
    else {
        return fail("no_login").await;
    };
    let Some(json) = secret.open_bytes(&sealed, AUTHORIZATION_CONTEXT) else {
        return fail("no_login").await;
    };
    let pending: PendingAuthorization =
        serde_json::from_slice(&json).context("a stored login is malformed")?;
    let (Some(code), Some(state)) = (answer.code, answer.state) else {
        return fail("provider_error").await;
    };
    if !constant_time_eq(pending.state.as_bytes(), state.as_bytes()) {
        return fail("state").await;
    }
    let subject = match provider
        .verified_subject(code, &pending.nonce, &pending.verifier)
        .await
    {
        Ok(subject) => subject,
        Err(ProviderError::Rejected(why)) => {
            tracing::warn!(reason = why, "an OpenID Connect answer was refused");
            return fail("token").await;
        }
        Err(e) => return Err(unavailable(e)),
    };
    let Some(user_id) = core
        .store
        .active_user_of_subject(provider.issuer(), &subject)
        .await?
    else {
        // The subject (the provider's opaque id, not a secret) is what an
        // administrator needs to link the account; the audit log keeps none.
        tracing::info!(
            subject,
            "single sign-on by a subject linked to no active account"
        );
        return fail("unlinked").await;
    };
    let next = SessionSecret::generate();
    let sealed = next.seal_bytes(user_id.as_bytes(), PASSPHRASE_CONTEXT);
    core.store
        .create_oidc_login(&next.lookup_key(), &sealed, Some(user_id), expiry(core))
        .await?;
    audit_log::record(
        &*core.store,
        now,
        AuditEvent::new(AuditActor::User(user_id), action::STAFF_SSO_AUTHENTICATED),
    )
    .await?;
    Ok(next.token())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// Whether `token` names a login waiting for its key passphrase, with tries left.
pub async fn passphrase_pending(core: &Core, token: Option<&str>) -> CoreResult<bool> {
    let Some(secret) = token.and_then(SessionSecret::from_token) else {
        return Ok(false);
    };
    Ok(core
        .store
        .oidc_passphrase_pending(&secret.lookup_key(), core.now(), max_tries(core))
        .await?)
}

/// Step 3: unwraps the key of the account the provider vouched for with
/// `passphrase`. One try is spent before the work; a wrong passphrase opens
/// nothing, and the last wrong one ends the login.
pub async fn unlock(
    core: &Core,
    token: Option<&str>,
    passphrase: Zeroizing<String>,
) -> CoreResult<StaffMember> {
    let Some(secret) = token.and_then(SessionSecret::from_token) else {
        return failed(
            core,
            AuditActor::System,
            action::STAFF_SSO_FAILED,
            "no_login",
        )
        .await;
    };
    let lookup_key = secret.lookup_key();
    let now = core.now();
    let Some(tried) = core
        .store
        .spend_oidc_try(&lookup_key, now, max_tries(core))
        .await?
    else {
        return failed(
            core,
            AuditActor::System,
            action::STAFF_SSO_FAILED,
            "no_login",
        )
        .await;
    };
    let bound = secret
        .open_bytes(&tried.sealed, PASSPHRASE_CONTEXT)
        .is_some_and(|id| constant_time_eq(&id, tried.user_id.as_bytes()));
    let user = core
        .store
        .user_by_id(tried.user_id)
        .await?
        .filter(|u| u.active && bound);
    let wrapped = match &user {
        Some(u) => u.wrapped_identity.clone(),
        None => core.dummy_key.wrapped().to_vec(),
    };
    // Bounded like every password check, at the work of the factor in force.
    let unlocked = core
        .password_checks
        .unlock(
            wrapped,
            &passphrase,
            core.settings.security.password_work_factor,
        )
        .await?;
    let (Some(user), Ok(identity)) = (user, unlocked) else {
        let spent = !core
            .store
            .oidc_passphrase_pending(&lookup_key, now, max_tries(core))
            .await?;
        if spent {
            core.store.delete_oidc_login(&lookup_key).await?;
        }
        return failed(
            core,
            AuditActor::User(tried.user_id),
            action::STAFF_SSO_PASSPHRASE_FAILED,
            if spent { "last_try" } else { "passphrase" },
        )
        .await;
    };
    let identity = crate::core::passwords::after_login(core, &user, identity, &passphrase).await?;
    // Used once: a second request with the same cookie finds nothing.
    if !core.store.delete_oidc_login(&lookup_key).await? {
        return failed(
            core,
            AuditActor::User(user.id),
            action::STAFF_SSO_FAILED,
            "used",
        )
        .await;
    }
    audit_log::record(
        &*core.store,
        now,
        AuditEvent::new(AuditActor::User(user.id), action::STAFF_SSO_LOGIN),
    )
    .await?;
    Ok(StaffMember {
        user_id: user.id,
        username: user.username,
        display_name: user.display_name,
        roles: user.roles,
        identity,
    })
}

/// Whether `user_id` logs in by single sign-on only (its password form is refused).
pub async fn password_login_refused(core: &Core, user_id: Uuid) -> CoreResult<bool> {
    Ok(core.store.has_oidc_link(user_id).await?)
}

/// Every account linked to the provider.
pub async fn links(core: &Core) -> CoreResult<Vec<OidcLink>> {
    Ok(core.store.oidc_links().await?)
}

/// The issuer links are made to: `issuer` (the configured one), which must be set.
fn required_issuer(issuer: &str) -> CoreResult<String> {
    let issuer = issuer.trim();
    if issuer.is_empty() {
        return Err(CoreError::Invalid(vec![FieldError {
            field: "issuer",
            problem: FieldProblem::Required,
        }]));
    }
    Ok(issuer.to_owned())
}

/// A subject as an administrator typed it.
fn parse_subject(raw: &str) -> CoreResult<String> {
    let subject = raw.trim();
    let problem = if subject.is_empty() {
        Some(FieldProblem::Required)
    } else if subject.chars().count() > MAX_SUBJECT_CHARS {
        Some(FieldProblem::TooLong {
            max: MAX_SUBJECT_CHARS,
        })
    } else if subject.chars().any(char::is_control) {
        Some(FieldProblem::Malformed)
    } else {
        None
    };
    match problem {
        Some(problem) => Err(CoreError::Invalid(vec![FieldError {
            field: "subject",
            problem,
        }])),
        None => Ok(subject.to_owned()),
    }
}

/// A change of the links: who makes it, when, and to which issuer.
pub struct LinkChange<'a> {
    /// The database.
    pub store: &'a dyn Store,
    /// Who makes it (an administrator, or the command line).
    pub by: AuditActor,
    /// When (UNIX seconds).
    pub at: i64,
    /// The provider's issuer (`oidc.issuer_url`).
    pub issuer: &'a str,
}

impl<'a> LinkChange<'a> {
    /// A change made on `core` by `by`, to the configured issuer.
    pub fn on(core: &'a Core, by: AuditActor) -> Self {
        LinkChange {
            store: &*core.store,
            by,
            at: core.now(),
            issuer: &core.settings.oidc.issuer_url,
        }
    }

    /// Links account `username` to `subject` of the issuer. `NotFound` for
    /// an unknown account; `Conflict` if the account or the subject is
    /// linked already. Audited.
    pub async fn link(&self, username: &str, subject: &str) -> CoreResult<()> {
        let subject = parse_subject(subject)?;
        let issuer = required_issuer(self.issuer)?;
        let user = self
            .store
            .user_by_username(username.trim())
            .await?
            .ok_or(CoreError::NotFound)?;
        if self.store.has_oidc_link(user.id).await?
            || self
                .store
                .active_user_of_subject(&issuer, &subject)
                .await?
                .is_some()
        {
            return Err(CoreError::Conflict);
        }
        // Written first, so a failing audit log leaves no unrecorded link.
        audit_log::record(
            self.store,
            self.at,
            AuditEvent::new(self.by, action::USER_OIDC_LINKED)
                .with_detail(serde_json::json!({ "user_id": user.id, "subject": subject })),
        )
        .await?;
        self.store
            .link_oidc(user.id, &issuer, &subject, self.at)
            .await?;
        // From now on the provider's login comes first: sessions started by
        // password end, on every instance.
        self.store.delete_sessions_of_user(user.id).await?;
        Ok(())
    }

    /// Removes the link of account `username`; `NotFound` if it has none.
    /// Its sessions go on; its next login is by password again.
    pub async fn unlink(&self, username: &str) -> CoreResult<()> {
        let user = self
            .store
            .user_by_username(username.trim())
            .await?
            .ok_or(CoreError::NotFound)?;
        if !self.store.has_oidc_link(user.id).await? {
            return Err(CoreError::NotFound);
        }
        audit_log::record(
            self.store,
            self.at,
            AuditEvent::new(self.by, action::USER_OIDC_UNLINKED)
                .with_detail(serde_json::json!({ "user_id": user.id })),
        )
        .await?;
        self.store.unlink_oidc(user.id).await?;
        Ok(())
    }
}

/// Deletes every expired pending login; how many there were.
pub async fn purge_expired(core: &Core) -> CoreResult<u64> {
    Ok(core.store.delete_expired_oidc_logins(core.now()).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subject_is_short_printable_text() {
        assert_eq!(parse_subject("  abc-123 ").ok().as_deref(), Some("abc-123"));
        assert!(parse_subject("").is_err());
        assert!(parse_subject("a\nb").is_err());
        assert!(parse_subject(&"x".repeat(MAX_SUBJECT_CHARS + 1)).is_err());
    }

    #[test]
    fn the_seals_of_the_two_steps_differ() {
        assert_ne!(AUTHORIZATION_CONTEXT, PASSPHRASE_CONTEXT);
    }
}
