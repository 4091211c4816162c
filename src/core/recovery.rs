//! Recovering a lost password with the organisation's recovery key (SPEC
//! §3.3), offline, at the command line (`varsel recovery grant`; the
//! ceremony is in `docs/recovery.md`).
//!
//! Nobody can unwrap a staff member's old identity without their password,
//! so the member gets a **new** key pair, wrapped under a new password. Each
//! case whose key is wrapped to the recovery key, and that the routing rules
//! in force route to the member (their exclusions, sealed to the case,
//! honoured), is unwrapped with the recovery identity and wrapped to the new
//! key. The old wraps, useless without the old identity, are deleted; the
//! member's sessions end. Cases created before the recovery key was set hold
//! no recovery wrap and cannot be recovered.
//!
//! The recovery identity is given by the caller (read from a file and
//! zeroized on drop); it is never stored or logged, and the audit entry
//! holds counts only.

use anyhow::{anyhow, bail, Context, Result};
use serde_json::json;
use uuid::Uuid;
use varsel_crypto::AnyIdentity;
use zeroize::Zeroizing;

use crate::core::audit::{action, AuditActor, AuditEvent};
use crate::core::audit_log;
use crate::core::casework::RECOVERY_SETTING;
use crate::core::exclusions;
use crate::core::keys;
use crate::core::passwords::check_new_password;
use crate::core::routing::{members, rules_in_force};
use crate::core::settings::Settings;
use crate::core::store::{RecoveredKey, Store};

/// What a recovery grant did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Granted {
    /// Whose key was replaced.
    pub user_id: Uuid,
    /// Cases wrapped to the recovery key.
    pub recoverable: usize,
    /// Of those, the cases routed to the member now, wrapped to their new key.
    pub granted: usize,
    /// Wraps to the old key, deleted.
    pub old_wraps_deleted: u64,
    /// Cases wrapped to the recovery key that it does not open (a wrap, or
    /// the exclusions, a reporter's browser sealed wrongly): skipped, and
    /// named by id in the audit entry, so one bad case cannot stop a
    /// recovery.
    pub unreadable: Vec<Uuid>,
}

/// Gives `username` a new key pair wrapped under `new_password` and the
/// cases routed to them that the recovery identity opens (see the module
/// documentation). Every session of theirs ends.
pub async fn grant(
    store: &dyn Store,
    settings: &Settings,
    now: i64,
    recovery: &AnyIdentity,
    username: &str,
    new_password: &Zeroizing<String>,
) -> Result<Granted> {
    check_new_password(new_password).map_err(|e| {
        anyhow!(
            "{e} (at least {} characters)",
            crate::core::passwords::MIN_PASSWORD_CHARS
        )
    })?;
    let configured = store
        .setting(RECOVERY_SETTING)
        .await?
        .context("no recovery key is configured (varsel recovery-key init)")?;
    if keys::recipient(&configured)?.to_string() != recovery.to_public().to_string() {
        bail!("the identity is not the organisation's recovery key ({configured})");
    }
    let user = store
        .user_by_username(username)
        .await?
        .with_context(|| format!("no user named {username}"))?;
    let users = store.list_users().await?;
    let rules = rules_in_force(&settings.routing, store).await?;

    let (new_password, work_factor) =
        (new_password.clone(), settings.security.password_work_factor);
    let kind = settings.security.key_kind();
    let (identity, wrapped_identity) = tokio::task::spawn_blocking(move || {
        let identity = keys::KeyRing::new(kind.generate());
        let wrapped =
            keys::wrap_identity_with_password(&identity, new_password.as_bytes(), work_factor);
        wrapped.map(|w| (identity, w))
    })
    .await
    .context("key derivation task failed")??;
    let new_recipient = identity.to_public();
    drop(identity);

    let recoverable = store.recovery_wraps().await?;
    let mut wraps = Vec::new();
    let mut unreadable = Vec::new();
    for (case_id, wrapped) in &recoverable {
        let Ok(case_identity) = keys::unwrap_case_identity(wrapped, recovery) else {
            unreadable.push(*case_id);
            continue;
        };
        let Some(case) = store.case_by_id(*case_id).await? else {
            continue;
        };
        let subtype = store
            .triage_facts(*case_id)
            .await?
            .and_then(|facts| facts.subtype);
        let flags = settings.taxonomy.flags_of(case.category, subtype.as_ref());
        let sealed = store.sealed_exclusions(*case_id).await?;
        let Ok(excluded) = exclusions::open(&case_identity, sealed.as_deref()) else {
            unreadable.push(*case_id);
            continue;
        };
        let routed = members(
            &settings.routing,
            &rules,
            &users,
            case.category,
            case.severity,
            flags,
            &excluded,
        )
        .iter()
        .any(|u| u.id == user.id);
        if routed {
            wraps.push((
                *case_id,
                keys::wrap_case_identity(&case_identity, &new_recipient)?,
            ));
        }
    }
    let granted = wraps.len();
    audit_log::record(
        store,
        now,
        AuditEvent::new(AuditActor::Cli, action::USER_KEY_RECOVERED).with_detail(json!({
            "user_id": user.id,
            "recoverable": recoverable.len(),
            "granted": granted,
            "unreadable": unreadable,
        })),
    )
    .await
    .context("cannot write the audit log; nothing was changed")?;
    let old_wraps_deleted = store
        .replace_user_key(&RecoveredKey {
            user_id: user.id,
            recipient: new_recipient.to_string(),
            wrapped_identity,
            wraps,
        })
        .await?;
    after_new_key(store, user.id).await?;
    Ok(Granted {
        user_id: user.id,
        recoverable: recoverable.len(),
        granted,
        old_wraps_deleted,
        unreadable,
    })
}

/// What else must follow when a member's key is replaced: anything sealed to
/// the old key is lost with it. Their second factor (a TOTP secret sealed
/// to the key, recovery codes keyed with it) is deleted, so they enrol again
/// at their next login where two factors are required (`core::two_factor`).
pub async fn after_new_key(store: &dyn Store, user_id: Uuid) -> Result<()> {
    store
        .forget_two_factor(user_id)
        .await
        .context("cannot delete the second factor sealed to the old key")?;
    Ok(())
}
