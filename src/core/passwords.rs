//! Staff passwords: every check of one, changing one, and keeping the work
//! factor of the stored keys up to date.
//!
//! A staff member's X25519 identity is stored wrapped under their password
//! (an age scrypt file, `core::keys`). Every check goes through
//! [`PasswordChecks`]:
//!
//! - **Equal work.** A check spends exactly `2^f` scrypt units, `f` the work
//!   factor in force, whether the user exists (the dummy key is wrapped at
//!   `f`), whether the password is right, and whatever factor the user's key
//!   was wrapped at (a stale factor is padded up,
//!   [`keys::unlock_with_equal_work`]). The units spent are counted
//!   ([`PasswordChecks::work_spent`]), so tests measure work, not time.
//! - **Bounded memory.** scrypt at `f` needs `2^f` KiB (256 MiB at 18); at
//!   most `security.password_checks_at_once` checks derive at a time, the
//!   others wait their turn.
//! - **Upgrade at login.** A key wrapped at another factor than the one in
//!   force is re-wrapped at it after a successful login ([`rewrap_if_stale`]):
//!   the same identity and recipient, so no case changes.
//!
//! A password change ([`change_password`], [`change_password_offline`])
//! needs the current password, re-wraps the same identity under the new one
//! (no case is re-encrypted) and ends the user's other sessions.

use anyhow::{anyhow, Context};
use serde_json::json;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::Semaphore;
use varsel_crypto::X25519Identity;
use zeroize::Zeroizing;

use crate::core::actor::StaffMember;
use crate::core::audit::{action, AuditActor, AuditEvent};
use crate::core::audit_log;
use crate::core::error::{CoreError, CoreResult, Refusal};
use crate::core::keys::{self, UnlockError};
use crate::core::service::Core;
use crate::core::sessions::Session;
use crate::core::store::{Store, User};

/// Shortest password accepted for staff accounts, in characters.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// Why a password change was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordRefusal {
    /// The current password given is not the user's.
    #[error("the current password is wrong")]
    WrongCurrent,
    /// The new password is shorter than [`MIN_PASSWORD_CHARS`].
    #[error("the new password is too short")]
    TooShort,
}

impl PasswordRefusal {
    /// The API error code (and `api.error.<code>` message key).
    pub fn code(&self) -> &'static str {
        match self {
            PasswordRefusal::WrongCurrent => "wrong_current_password",
            PasswordRefusal::TooShort => "password_too_short",
        }
    }

    /// The values its message names (`{min}`).
    pub fn params(&self) -> Vec<(&'static str, String)> {
        match self {
            PasswordRefusal::WrongCurrent => Vec::new(),
            PasswordRefusal::TooShort => vec![("min", MIN_PASSWORD_CHARS.to_string())],
        }
    }
}

impl From<PasswordRefusal> for CoreError {
    fn from(r: PasswordRefusal) -> Self {
        CoreError::Refused(Refusal::Password(r))
    }
}

/// Checks `password` is long enough for a staff account.
pub fn check_new_password(password: &str) -> Result<(), PasswordRefusal> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(PasswordRefusal::TooShort);
    }
    Ok(())
}

/// Every password check of the service: at most so many at once, each
/// spending the same scrypt work, counted.
pub struct PasswordChecks {
    slots: Semaphore,
    work: AtomicU64,
}

impl PasswordChecks {
    /// At most `at_once` key derivations at a time.
    pub fn new(at_once: u32) -> Self {
        PasswordChecks {
            slots: Semaphore::new(usize::try_from(at_once.max(1)).unwrap_or(1)),
            work: AtomicU64::new(0),
        }
    }

    /// scrypt work spent by every check so far, in [`keys::scrypt_work`]
    /// units (`2^f` for one check at work factor `f`).
    pub fn work_spent(&self) -> u64 {
        self.work.load(Ordering::Relaxed)
    }

    /// Runs `derive` (a blocking key derivation returning its result and the
    /// work it spent) off the async executor, once a slot is free.
    async fn run<T: Send + 'static>(
        &self,
        derive: impl FnOnce() -> (T, u64) + Send + 'static,
    ) -> CoreResult<T> {
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|_| anyhow!("the password checks are closed"))?;
        let (value, work) = tokio::task::spawn_blocking(derive)
            .await
            .context("key derivation task failed")?;
        self.work.fetch_add(work, Ordering::Relaxed);
        Ok(value)
    }

    /// Unwraps `wrapped` with `password`, spending exactly the work of the
    /// factor in force ([`keys::unlock_with_equal_work`]).
    pub async fn unlock(
        &self,
        wrapped: Vec<u8>,
        password: &Zeroizing<String>,
        work_factor: u8,
    ) -> CoreResult<Result<X25519Identity, UnlockError>> {
        let password = password.clone();
        self.run(move || {
            let checked = keys::unlock_with_equal_work(&wrapped, password.as_bytes(), work_factor);
            (checked.result, checked.work)
        })
        .await
    }

    /// Wraps `identity` under `password` at `work_factor`.
    async fn wrap(
        &self,
        identity: &X25519Identity,
        password: &Zeroizing<String>,
        work_factor: u8,
    ) -> CoreResult<Vec<u8>> {
        let (identity, password) = (identity.clone(), password.clone());
        let wrapped = self
            .run(move || {
                let wrapped =
                    keys::wrap_identity_with_password(&identity, password.as_bytes(), work_factor);
                (wrapped, keys::scrypt_work(work_factor))
            })
            .await?;
        Ok(wrapped?)
    }
}

/// After a successful login: re-wraps `user`'s identity at the work factor
/// in force if it was wrapped at another. Best effort (the login stands if
/// it fails; the next login tries again), and never undoes a password change
/// made meanwhile.
pub async fn rewrap_if_stale(
    core: &Core,
    user: &User,
    identity: &X25519Identity,
    password: &Zeroizing<String>,
) {
    let in_force = core.settings.security.password_work_factor;
    let stored = keys::wrapped_work_factor(&user.wrapped_identity);
    if stored == Some(in_force) {
        return;
    }
    let outcome = async {
        let wrapped = core
            .password_checks
            .wrap(identity, password, in_force)
            .await?;
        let replaced = core
            .store
            .replace_wrapped_identity(user.id, &user.wrapped_identity, &wrapped)
            .await?;
        if replaced {
            audit_log::record(
                &*core.store,
                core.now(),
                AuditEvent::new(AuditActor::User(user.id), action::USER_KEY_REWRAPPED)
                    .with_detail(json!({ "from": stored, "to": in_force })),
            )
            .await?;
        }
        CoreResult::Ok(())
    }
    .await;
    if let Err(e) = outcome {
        tracing::warn!(error = %e, "cannot re-wrap a staff key at the work factor in force");
    }
}

/// Changes a logged-in staff member's password: checks `current`, re-wraps
/// their identity under `new` at the work factor in force (no case is
/// re-encrypted), ends every other session of theirs (`keep` stays: the one
/// the change was made from), and audits it. How many sessions ended.
pub async fn change_password(
    core: &Core,
    staff: &StaffMember,
    keep: Option<&Session>,
    current: &Zeroizing<String>,
    new: &Zeroizing<String>,
) -> CoreResult<u64> {
    check_new_password(new)?;
    let user = core
        .store
        .user_by_id(staff.user_id)
        .await?
        .filter(|u| u.active)
        .ok_or(CoreError::Forbidden)?;
    let work_factor = core.settings.security.password_work_factor;
    let identity = core
        .password_checks
        .unlock(user.wrapped_identity.clone(), current, work_factor)
        .await?
        .map_err(|_| PasswordRefusal::WrongCurrent)?;
    let wrapped = core
        .password_checks
        .wrap(&identity, new, work_factor)
        .await?;
    store_new_password(
        &*core.store,
        core.now(),
        &user,
        &wrapped,
        AuditActor::User(user.id),
        keep.map(Session::lookup_key),
    )
    .await
}

/// `varsel user passwd`: like [`change_password`] for the account named
/// `username`, at the command line; every session of the account ends.
pub async fn change_password_offline(
    store: &dyn Store,
    work_factor: u8,
    now: i64,
    username: &str,
    current: &Zeroizing<String>,
    new: &Zeroizing<String>,
) -> CoreResult<u64> {
    check_new_password(new)?;
    let user = store
        .user_by_username(username)
        .await?
        .ok_or(CoreError::NotFound)?;
    let (wrapped, current, new) = (user.wrapped_identity.clone(), current.clone(), new.clone());
    let rewrapped = tokio::task::spawn_blocking(move || {
        let identity = keys::unlock_user_identity(&wrapped, current.as_bytes())
            .map_err(|_| PasswordRefusal::WrongCurrent)?;
        keys::wrap_identity_with_password(&identity, new.as_bytes(), work_factor)
            .map_err(CoreError::Internal)
    })
    .await
    .context("key derivation task failed")??;
    store_new_password(store, now, &user, &rewrapped, AuditActor::Cli, None).await
}

/// Stores `wrapped` as `user`'s wrapped identity if nobody changed it
/// meanwhile (`Conflict` otherwise), ends their sessions but `keep`, and
/// audits the change. How many sessions ended.
async fn store_new_password(
    store: &dyn Store,
    now: i64,
    user: &User,
    wrapped: &[u8],
    actor: AuditActor,
    keep: Option<&[u8; 32]>,
) -> CoreResult<u64> {
    audit_log::record(
        store,
        now,
        AuditEvent::new(actor, action::USER_PASSWORD_CHANGED)
            .with_detail(json!({ "user_id": user.id })),
    )
    .await?;
    if !store
        .replace_wrapped_identity(user.id, &user.wrapped_identity, wrapped)
        .await?
    {
        return Err(CoreError::Conflict);
    }
    let ended = match keep {
        Some(key) => store.delete_other_sessions_of_user(user.id, key).await?,
        None => store.delete_sessions_of_user(user.id).await?,
    };
    Ok(ended)
}
