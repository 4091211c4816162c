//! `varsel serve`, `migrate`, `recovery-key init`, `audit verify`
//! and `notifications status`.

use anyhow::{bail, Context, Result};

use crate::cli::RecoveryKeyInitArgs;
use crate::core::accounts::RECOVERY_SET_AT_SETTING;
use crate::core::audit::{action, AuditActor, AuditEvent, ChainVerifier};
use crate::core::audit_log;
use crate::core::casework::RECOVERY_SETTING;
use crate::core::clock::system_now;
use crate::core::settings::{redact_url, Settings};
use crate::core::store;
use crate::startup::Application;

pub use crate::core::accounts::MIN_PASSWORD_CHARS;

/// `varsel serve`.
pub async fn serve(settings: Settings) -> Result<()> {
    let url = redact_url(&settings.database.url);
    let host = settings.server.host.clone();
    let app = Application::build(settings).await?;
    if crate::web::script::bundle().is_none() {
        tracing::warn!(
            "browser encryption is unavailable (this build has no browser script: it needs Node.js and npm at build time); every report is encrypted on the server at receipt"
        );
    }
    tracing::info!(database = %url, "listening on http://{host}:{}", app.port());
    eprintln!("Varsel is listening on http://{host}:{}/", app.port());
    Ok(app.run_until_stopped().await?)
}

/// Prints how to create the first administrator when there is no account yet.
pub async fn first_start_hint(settings: &Settings) -> Result<()> {
    let store = crate::commands::open_store(settings).await?;
    // Only a hint: a database that cannot say (a schema not yet migrated,
    // with `database.migrate_on_start` off) is for `serve` to explain.
    if matches!(store.count_users().await, Ok(0)) {
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
    let store = crate::commands::open_store(settings).await?;
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

/// `varsel purge [--dry-run]`: one line per case, its id and the day it
/// was closed.
pub async fn purge(settings: &Settings, args: &crate::cli::PurgeArgs) -> Result<()> {
    use crate::core::retention::{purge, Runner};
    let core = crate::commands::accounts::cli_core(settings).await?;
    let purged = purge(&core, Runner::Cli, args.dry_run)
        .await
        .map_err(|e| anyhow::anyhow!("retention failed: {e}"))?;
    let verb = if args.dry_run {
        "would delete"
    } else {
        "deleted"
    };
    for case in &purged {
        println!("{verb} case {} closed {}", case.case_id, case.closed_on);
    }
    if args.dry_run {
        println!(
            "{} cases would be deleted (dry run: nothing was deleted).",
            purged.len()
        );
    } else {
        println!("{} cases deleted.", purged.len());
    }
    Ok(())
}

/// `varsel migrate`.
pub async fn migrate(settings: &Settings) -> Result<()> {
    // Always, whatever `database.migrate_on_start` says: this is the step
    // that setting leaves to the operator.
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

/// What a refused link change means at the command line.
fn link_error(e: crate::core::error::CoreError, username: &str) -> anyhow::Error {
    use crate::core::error::CoreError;
    match e {
        CoreError::NotFound => anyhow::anyhow!("no account {username}, or it is not linked"),
        CoreError::Conflict => {
            anyhow::anyhow!("{username} or that subject is linked already; unlink it first")
        }
        CoreError::Invalid(fields) => match fields.first().map(|f| f.field) {
            Some("issuer") => anyhow::anyhow!("set oidc.issuer_url, or give --issuer"),
            _ => anyhow::anyhow!("the subject must be 1–255 characters on one line"),
        },
        other => anyhow::anyhow!("{other:#}"),
    }
}

/// `varsel user link-oidc`.
pub async fn user_link_oidc(settings: &Settings, args: &crate::cli::LinkOidcArgs) -> Result<()> {
    let store = crate::commands::open_store(settings).await?;
    let issuer = args.issuer.as_deref().unwrap_or(&settings.oidc.issuer_url);
    let change = crate::core::sso::LinkChange {
        store: &*store,
        by: AuditActor::Cli,
        at: system_now(),
        issuer,
    };
    change
        .link(&args.username, &args.subject)
        .await
        .map_err(|e| link_error(e, &args.username))?;
    eprintln!(
        "Linked {} to subject {} of {}",
        args.username.trim(),
        args.subject.trim(),
        issuer.trim()
    );
    Ok(())
}

/// `varsel user unlink-oidc`.
pub async fn user_unlink_oidc(
    settings: &Settings,
    args: &crate::cli::UnlinkOidcArgs,
) -> Result<()> {
    let store = crate::commands::open_store(settings).await?;
    let change = crate::core::sso::LinkChange {
        store: &*store,
        by: AuditActor::Cli,
        at: system_now(),
        issuer: &settings.oidc.issuer_url,
    };
    change
        .unlink(&args.username)
        .await
        .map_err(|e| link_error(e, &args.username))?;
    eprintln!("Removed the link of {}", args.username.trim());
    Ok(())
}

/// `varsel recovery-key init`: prints a new recovery identity once and stores
/// only its recipient.
pub async fn recovery_key_init(settings: &Settings, args: &RecoveryKeyInitArgs) -> Result<()> {
    let store = crate::commands::open_store(settings).await?;
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
            let parsed = crate::core::keys::recipient(given.trim()).with_context(|| {
                format!("{given:?} is not an age recipient (age1… or age1pq1…)")
            })?;
            (parsed.to_string(), None)
        }
        None => {
            let kind = crate::core::keys::KeyKind::new_keys(settings.security.hybrid_keys);
            let identity = kind.generate();
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
    store
        .set_setting(RECOVERY_SET_AT_SETTING, &system_now().to_string())
        .await?;
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
    let store = crate::commands::open_store(settings).await?;
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
    let store = crate::commands::open_store(settings).await?;
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

/// `varsel healthcheck`: a plain HTTP/1.1 `GET /healthz` to the configured
/// port over loopback (an unspecified listen address such as `0.0.0.0` is
/// reached there too); succeeds on a `200` status line within five seconds.
pub fn healthcheck(settings: &Settings) -> Result<()> {
    use std::io::{Read, Write};
    use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
    use std::time::Duration;

    let timeout = Duration::from_secs(5);
    let ip = match settings.server.host.parse::<IpAddr>() {
        Ok(ip) if !ip.is_unspecified() => ip,
        _ => IpAddr::V4(Ipv4Addr::LOCALHOST),
    };
    let address = SocketAddr::new(ip, settings.server.port);
    let mut stream = TcpStream::connect_timeout(&address, timeout)
        .with_context(|| format!("cannot connect to {address}"))?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")?;
    let mut head = [0u8; 64];
    let mut read = 0;
    while read < head.len() {
        let n = stream.read(&mut head[read..])?;
        if n == 0 {
            break;
        }
        read += n;
        if head[..read].contains(&b'\n') {
            break;
        }
    }
    let status_line = String::from_utf8_lossy(&head[..read]);
    let status_line = status_line.lines().next().unwrap_or_default();
    match status_line.split_whitespace().nth(1) {
        Some("200") => {
            println!("healthy: {address} answered {status_line}");
            Ok(())
        }
        _ => bail!("unhealthy: {address} answered {status_line:?}"),
    }
}
