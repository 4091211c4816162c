//! `varsel user add | list | deactivate | reactivate | roles`: the account
//! lifecycle at the command line, through the same core operations as the
//! admin pages and the API (`crate::core::accounts`), audited as `cli`.

use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use zeroize::Zeroizing;

use crate::cli::{UserAddArgs, UserNameArgs, UserRolesArgs};
use crate::core::accounts::{self, AccountDraft, MIN_PASSWORD_CHARS};
use crate::core::actor::Actor;
use crate::core::error::{CoreError, FieldProblem};
use crate::core::i18n::{Lang, Translator};
use crate::core::service::Core;
use crate::core::settings::Settings;

/// A core on the configured database, for one command. Nobody logs in
/// through it, so its dummy key is made at the lowest work factor.
pub async fn cli_core(settings: &Settings) -> Result<Core> {
    let store = crate::commands::open_store(settings).await?;
    let dummy_key = tokio::task::spawn_blocking(|| crate::core::keys::DummyKey::new(1))
        .await
        .context("key task failed")??;
    Ok(Core {
        settings: settings.clone(),
        store,
        dummy_key: Arc::new(dummy_key),
        password_checks: Arc::new(crate::core::password_checks::PasswordChecks::new(
            settings.security.password_checks_at_once,
        )),
        clock: Arc::new(crate::core::clock::SystemClock),
        mail: Arc::new(crate::smtp::Smtp),
    })
}

/// The operator's words for a core failure (English, as the CLI speaks).
fn explain(e: CoreError, username: &str) -> anyhow::Error {
    match e {
        CoreError::NotFound => anyhow::anyhow!("there is no account {username:?}"),
        CoreError::Conflict => anyhow::anyhow!("the username {username} is taken"),
        CoreError::Refused(refusal) => {
            let params = refusal.params();
            let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
            anyhow::anyhow!(
                "{}",
                Translator::new(Lang::En).f(&format!("api.error.{}", refusal.code()), &params)
            )
        }
        CoreError::Invalid(fields) => {
            let what: Vec<String> = fields
                .iter()
                .map(|f| match (f.field, &f.problem) {
                    ("username", _) => {
                        "the username must be 1–64 characters of letters, digits, '.', '_' or '-'"
                            .to_owned()
                    }
                    ("roles", FieldProblem::Required) => "give at least one --role".to_owned(),
                    ("roles", _) => {
                        "unknown role (handler, contact, admin, auditor, custodian)".to_owned()
                    }
                    ("password", FieldProblem::Malformed) => {
                        format!("the password must be at least {MIN_PASSWORD_CHARS} characters")
                    }
                    (field, _) => format!("invalid {field}"),
                })
                .collect();
            anyhow::anyhow!("{}", what.join("; "))
        }
        other => anyhow::Error::new(other),
    }
}

pub(crate) fn read_password(path: &Path) -> Result<Zeroizing<String>> {
    let content = Zeroizing::new(
        std::fs::read_to_string(path)
            .with_context(|| format!("cannot read password file {}", path.display()))?,
    );
    Ok(Zeroizing::new(
        content.lines().next().unwrap_or("").to_owned(),
    ))
}

/// `varsel user add`.
pub async fn user_add(settings: &Settings, args: &UserAddArgs) -> Result<()> {
    let draft = AccountDraft {
        username: args.username.clone(),
        display_name: args.display_name.clone().unwrap_or_default(),
        email: args.email.clone().unwrap_or_default(),
        roles: args.roles.clone(),
        groups: args.groups.clone(),
        password: read_password(&args.password_file)?,
    };
    let username = args.username.trim().to_owned();
    let new = draft
        .parse()
        .map_err(|fields| explain(CoreError::Invalid(fields), &username))?;
    let core = cli_core(settings).await?;
    accounts::create(&core, &Actor::Cli, new, true)
        .await
        .map_err(|e| explain(e, &username))?;
    let roles = args.roles.join(", ");
    eprintln!("Created user {username} ({roles})");
    Ok(())
}

/// `varsel user list`: one line per account.
pub async fn user_list(settings: &Settings) -> Result<()> {
    let core = cli_core(settings).await?;
    let all = accounts::list(&core, &Actor::Cli)
        .await
        .map_err(|e| explain(e, ""))?;
    println!("username\tdisplay name\troles\tgroups\tstate");
    for a in all {
        let u = &a.user;
        let roles: Vec<&str> = u.roles.iter().map(|r| r.key()).collect();
        let state = match (u.active, a.deactivated_at) {
            (true, _) => "active".to_owned(),
            (false, Some(at)) => format!(
                "deactivated {}",
                time::OffsetDateTime::from_unix_timestamp(at)
                    .map(|t| t.date().to_string())
                    .unwrap_or_default()
            ),
            (false, None) => "deactivated".to_owned(),
        };
        println!(
            "{}\t{}\t{}\t{}\t{state}",
            u.username,
            u.display_name,
            roles.join(","),
            u.groups.join(",")
        );
    }
    Ok(())
}

/// `varsel user deactivate`.
pub async fn user_deactivate(settings: &Settings, args: &UserNameArgs) -> Result<()> {
    let core = cli_core(settings).await?;
    let done = accounts::deactivate(&core, &Actor::Cli, &args.username)
        .await
        .map_err(|e| explain(e, &args.username))?;
    eprintln!(
        "Deactivated {}: {} sessions ended, {} groups left, {} case keys removed.",
        args.username, done.sessions, done.groups, done.wraps
    );
    Ok(())
}

/// `varsel user reactivate`.
pub async fn user_reactivate(settings: &Settings, args: &UserNameArgs) -> Result<()> {
    let core = cli_core(settings).await?;
    accounts::reactivate(&core, &Actor::Cli, &args.username)
        .await
        .map_err(|e| explain(e, &args.username))?;
    eprintln!(
        "Reactivated {}: it can log in again, but is in no group and holds no case; \
         put it in groups to route new cases to it.",
        args.username
    );
    Ok(())
}

/// `varsel user roles`.
pub async fn user_roles(settings: &Settings, args: &UserRolesArgs) -> Result<()> {
    if args.roles.is_empty() {
        bail!("give at least one --role");
    }
    let core = cli_core(settings).await?;
    let ended = accounts::set_roles(&core, &Actor::Cli, &args.username, &args.roles)
        .await
        .map_err(|e| explain(e, &args.username))?;
    eprintln!(
        "Roles of {} set to {} ({ended} sessions ended).",
        args.username,
        args.roles.join(", ")
    );
    Ok(())
}

/// `varsel user reset-two-factor`: deletes the account's second factor and
/// ends its sessions (audited); the next login where two factors are
/// required sets one up again.
pub async fn user_reset_two_factor(
    settings: &Settings,
    args: &crate::cli::UserNameArgs,
) -> Result<()> {
    let core = cli_core(settings).await?;
    let user = core
        .store
        .user_by_username(args.username.trim())
        .await?
        .with_context(|| format!("there is no account {:?}", args.username))?;
    crate::core::two_factor::forget(&core, user.id)
        .await
        .map_err(|e| explain(e, &args.username))?;
    let ended = crate::core::sessions::end_for_user(&core, user.id)
        .await
        .map_err(|e| explain(e, &args.username))?;
    eprintln!(
        "The second factor of {} is deleted ({ended} sessions ended); it is set up again at the next login.",
        args.username.trim()
    );
    Ok(())
}
