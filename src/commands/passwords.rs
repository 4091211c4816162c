//! `varsel user passwd` and `varsel recovery grant`.

use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use varsel_crypto::AnyIdentity;
use zeroize::Zeroizing;

use crate::cli::{RecoveryGrantArgs, UserPasswdArgs};
use crate::commands::accounts::read_password;
use crate::core::clock::system_now;
use crate::core::error::{CoreError, Refusal};
use crate::core::passwords::{change_password_offline, PasswordRefusal};
use crate::core::settings::Settings;

/// `varsel user passwd`: re-wraps the account's key under the new password
/// (no case changes) and ends every session of the account.
pub async fn user_passwd(settings: &Settings, args: &UserPasswdArgs) -> Result<()> {
    let current = read_first_line(&args.password_file)?;
    let new = read_password(&args.new_password_file)?;
    let store = crate::commands::open_store(settings).await?;
    let ended = change_password_offline(
        &*store,
        settings.security.password_work_factor,
        system_now(),
        args.username.trim(),
        &current,
        &new,
    )
    .await
    .map_err(|e| match e {
        CoreError::NotFound => anyhow!("no user named {}", args.username.trim()),
        CoreError::Refused(Refusal::Password(PasswordRefusal::WrongCurrent)) => {
            anyhow!("the current password is wrong; nothing was changed")
        }
        CoreError::Conflict => anyhow!("the account changed meanwhile; try again"),
        other => anyhow!("{other:#}"),
    })?;
    eprintln!(
        "Changed the password of {}; ended {ended} session(s).",
        args.username.trim()
    );
    Ok(())
}

/// `varsel recovery grant`: a new key for a staff member who lost their
/// password, and the cases routed to them that the recovery key opens.
pub async fn recovery_grant(settings: &Settings, args: &RecoveryGrantArgs) -> Result<()> {
    let identity = read_identity(&args.identity_file)?;
    let new = read_password(&args.new_password_file)?;
    let store = crate::commands::open_store(settings).await?;
    let username = args.username.trim();
    let granted =
        crate::core::recovery::grant(&*store, settings, system_now(), &identity, username, &new)
            .await?;
    drop(identity);
    println!(
        "Gave {username} a new key: {} of {} recoverable case(s) are routed to them and were granted; \
         {} wrap(s) to the old key were deleted; every session of theirs ended.",
        granted.granted, granted.recoverable, granted.old_wraps_deleted
    );
    if !granted.unreadable.is_empty() {
        let ids: Vec<String> = granted.unreadable.iter().map(ToString::to_string).collect();
        println!(
            "{} case(s) the recovery key does not open were skipped (sealed wrongly by the \
             reporter's browser; see docs/e2e.md): {}",
            ids.len(),
            ids.join(", ")
        );
    }
    Ok(())
}

/// The first line of a file (a current password: any length).
fn read_first_line(path: &Path) -> Result<Zeroizing<String>> {
    let content = Zeroizing::new(
        std::fs::read_to_string(path)
            .with_context(|| format!("cannot read password file {}", path.display()))?,
    );
    Ok(Zeroizing::new(
        content.lines().next().unwrap_or("").to_owned(),
    ))
}

/// The one identity of an identity file (`#` comments and blank lines
/// skipped); the file's text is zeroized once read.
fn read_identity(path: &Path) -> Result<AnyIdentity> {
    let content = Zeroizing::new(
        std::fs::read_to_string(path)
            .with_context(|| format!("cannot read identity file {}", path.display()))?,
    );
    let mut lines = content
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'));
    let Some(line) = lines.next() else {
        bail!("{} holds no identity", path.display());
    };
    if lines.next().is_some() {
        bail!("{} holds more than one identity", path.display());
    }
    AnyIdentity::from_bech32(line)
        .map_err(|_| anyhow!("{} does not hold an age X25519 identity", path.display()))
}
