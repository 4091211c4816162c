//! `varsel serve`, `migrate`, `user add`, `recovery-key init`, `audit verify`
//! and `notifications status`.

use std::path::Path;

use anyhow::{bail, Context, Result};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::cli::{RecoveryKeyInitArgs, UserAddArgs};
use crate::core::audit::{action, AuditActor, AuditEvent, ChainVerifier};
use crate::core::audit_log;
use crate::core::casework::RECOVERY_SETTING;
use crate::core::clock::system_now;
use crate::core::domain::Role;
use crate::core::settings::{redact_url, Settings};
use crate::core::store::{self, StoreError, User};
use crate::startup::Application;

/// Shortest password accepted for staff accounts.
pub use crate::core::passwords::MIN_PASSWORD_CHARS;

/// `varsel serve`.
pub async fn serve(settings: Settings) -> Result<()> {
    let url = redact_url(&settings.database.url);
    let host = settings.server.host.clone();
    let app = Application::build(settings).await?;
    tracing::info!(database = %url, "listening on http://{host}:{}", app.port());
    eprintln!("Varsel is listening on http://{host}:{}/", app.port());
    Ok(app.run_until_stopped().await?)
}

/// Prints how to create the first administrator when there is no account yet.
pub async fn first_start_hint(settings: &Settings) -> Result<()> {
    let store = store::connect(&settings.database.url).await?;
    store.migrate().await?;
    if store.count_users().await? == 0 {
        eprintln!(
            "No accounts exist yet. Create the first administrator with:\n  \
             varsel user add --username admin --display-name \"Administrator\" --role admin --password-file FILE\n\
             and handlers with --role handler (the password file's first line is the password, at least {MIN_PASSWORD_CHARS} characters)."
        );
    }
    Ok(())
}

/// `varsel attachments sweep`.
pub async fn attachments_sweep(settings: &Settings, args: &crate::cli::SweepArgs) -> Result<()> {
    let store = store::connect(&settings.database.url).await?;
    store.migrate().await?;
    let swept = crate::core::attachments::sweep_orphans(
        &*store,
        &settings.storage.attachments_dir(),
        std::time::Duration::from_secs(args.min_age),
    )
    .await?;
    println!(
        "Removed {} attachment files without a row and {} unfinished uploads.",
        swept.orphans, swept.parts
    );
    Ok(())
}

/// `varsel migrate`.
pub async fn migrate(settings: &Settings) -> Result<()> {
    let store = store::connect(&settings.database.url).await?;
    store.migrate().await?;
    // The upgrade step a migration cannot do: sealing plaintext exclusions.
    crate::core::exclusions::seal_plaintext(&*store)
        .await
        .map_err(|e| anyhow::anyhow!("cannot seal the stored exclusions: {e}"))?;
    eprintln!(
        "Migrations applied to {}",
        redact_url(&settings.database.url)
    );
    Ok(())
}

pub(crate) fn read_password(path: &Path) -> Result<Zeroizing<String>> {
    let content = Zeroizing::new(
        std::fs::read_to_string(path)
            .with_context(|| format!("cannot read password file {}", path.display()))?,
    );
    let line = Zeroizing::new(content.lines().next().unwrap_or("").to_owned());
    if line.chars().count() < MIN_PASSWORD_CHARS {
        bail!("the password must be at least {MIN_PASSWORD_CHARS} characters");
    }
    Ok(line)
}

/// `varsel user add`.
pub async fn user_add(settings: &Settings, args: &UserAddArgs) -> Result<()> {
    let username = args.username.trim().to_owned();
    if username.is_empty()
        || username.len() > 64
        || !username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        bail!("the username must be 1–64 characters of letters, digits, '.', '_' or '-'");
    }
    let mut roles = Vec::new();
    for r in &args.roles {
        let role = Role::parse(r).with_context(|| {
            format!("unknown role {r:?} (handler, contact, admin, auditor, custodian)")
        })?;
        if !roles.contains(&role) {
            roles.push(role);
        }
    }
    if roles.is_empty() {
        bail!("give at least one --role");
    }
    let password = read_password(&args.password_file)?;
    let store = store::connect(&settings.database.url).await?;
    store.migrate().await?;
    // Checked before the audit entry is written, so a taken name leaves none.
    if store.user_by_username(&username).await?.is_some() {
        bail!("the username {username} is taken");
    }
    let work_factor = settings.security.password_work_factor;
    let (recipient, wrapped_identity) = tokio::task::spawn_blocking(move || {
        crate::core::keys::new_user_keys(password.as_bytes(), work_factor)
    })
    .await
    .context("key task failed")??;
    let user = User {
        id: Uuid::new_v4(),
        display_name: args
            .display_name
            .clone()
            .unwrap_or_else(|| username.clone()),
        username: username.clone(),
        roles,
        recipient,
        wrapped_identity,
        email: args.email.clone(),
        active: true,
        groups: args.groups.clone(),
        created_at: system_now(),
    };
    audit_log::record(
        &*store,
        system_now(),
        AuditEvent::new(AuditActor::Cli, action::USER_CREATED).with_detail(serde_json::json!({
            "user_id": user.id,
            "roles": user.roles.iter().map(|r| r.key()).collect::<Vec<_>>(),
            "groups": user.groups,
        })),
    )
    .await
    .context("cannot write the audit log; no user was created")?;
    match store.create_user(&user).await {
        Ok(()) => {
            let roles: Vec<&str> = user.roles.iter().map(|r| r.key()).collect();
            eprintln!("Created user {username} ({})", roles.join(", "));
            Ok(())
        }
        Err(StoreError::Conflict) => bail!("the username {username} is taken"),
        Err(e) => Err(e.into()),
    }
}

/// `varsel recovery-key init`: prints a new recovery identity once and stores
/// only its recipient.
pub async fn recovery_key_init(settings: &Settings, args: &RecoveryKeyInitArgs) -> Result<()> {
    let store = store::connect(&settings.database.url).await?;
    store.migrate().await?;
    let existing = store.setting(RECOVERY_SETTING).await?;
    if let Some(existing) = &existing {
        if !args.replace {
            bail!(
                "a recovery key is already configured ({existing}); use --replace to set a new one"
            );
        }
    }
    // Either a recipient generated offline (`varsel keygen` on a machine that
    // never touches the server), or a new identity printed here exactly once.
    let (recipient, identity) = match &args.recipient {
        Some(given) => {
            let parsed = crate::core::keys::recipient(given.trim())
                .with_context(|| format!("{given:?} is not an age X25519 recipient"))?;
            (parsed.to_string(), None)
        }
        None => {
            let identity = varsel_crypto::X25519Identity::generate();
            (identity.to_public().to_string(), Some(identity))
        }
    };
    if let Some(identity) = &identity {
        // Printed (and flushed) before anything is stored: if the identity
        // cannot be shown, no case is ever wrapped to a key nobody holds.
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "# Varsel organisation recovery key — created {}",
            system_now()
        )
        .and_then(|_| writeln!(out, "# public key: {recipient}"))
        .and_then(|_| writeln!(out, "{}", identity.to_bech32().as_str()))
        .and_then(|_| out.flush())
        .context("cannot print the recovery identity; nothing was changed")?;
    }
    audit_log::record(
        &*store,
        system_now(),
        AuditEvent::new(AuditActor::Cli, action::RECOVERY_KEY_SET).with_detail(serde_json::json!({
            "recipient": recipient,
            "replaced": existing.is_some(),
        })),
    )
    .await
    .context("cannot write the audit log; the recovery key was not changed")?;
    store.set_setting(RECOVERY_SETTING, &recipient).await?;
    if identity.is_some() {
        eprintln!(
            "The recovery identity above is shown once and is not stored. Keep it offline \
             (printed, or in a safe); with it, `varsel decrypt` can open every case created from now on. \
             Cases created before now are not wrapped to it."
        );
    } else {
        eprintln!("Recovery recipient {recipient} configured for every case created from now on.");
    }
    Ok(())
}

/// `varsel audit verify`: walks the chain from entry 1. Prints the entry count
/// and the head hash (note it elsewhere: a chain cannot detect the removal of
/// its own last entries), or fails naming the first broken entry.
pub async fn audit_verify(settings: &Settings) -> Result<()> {
    let store = store::connect(&settings.database.url).await?;
    store.migrate().await?;
    let mut verifier = ChainVerifier::new();
    for entry in store.audit_entries().await? {
        verifier.push(&entry)?;
    }
    println!("audit log intact: {} entries", verifier.count());
    println!("head hash: {}", hex::encode(verifier.head()));
    Ok(())
}

/// `varsel notifications status`: how many e-mail notifications are pending
/// (not tried yet), sent, retrying (failed, to be tried again) and failed
/// (given up on; listed at `/admin/notifications`).
pub async fn notifications_status(settings: &Settings) -> Result<()> {
    let store = store::connect(&settings.database.url).await?;
    store.migrate().await?;
    let counts = store.notification_counts().await?;
    println!("pending: {}", counts.pending);
    println!("sent: {}", counts.sent);
    println!("retrying: {}", counts.retrying);
    println!("failed: {}", counts.failed);
    if !settings.notifications.enabled {
        eprintln!("E-mail notifications are disabled ([notifications] enabled = false).");
    }
    Ok(())
}
