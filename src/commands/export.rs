//! `varsel export --case ID --user NAME --recipient age1… [--output F]`:
//! a case as one age-encrypted archive (`docs/export.md`), through the same
//! core operation as the case page and the API. The staff member's
//! passphrase unlocks their key, as at a login (prompted, or
//! `--passphrase-file`); the case must be routed to them.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{anyhow, bail, Context, Result};
use uuid::Uuid;

use crate::cli::ExportArgs;
use crate::commands::accounts::cli_core;
use crate::commands::age::{create_new_private, prompt_passphrase, read_passphrase_file};
use crate::core::casework;
use crate::core::error::{CoreError, FieldProblem, Refusal};
use crate::core::export::{self, ExportRecipients, MAX_RECIPIENTS};
use crate::core::i18n::Lang;
use crate::core::settings::Settings;

/// `varsel export`.
pub async fn export(settings: &Settings, args: &ExportArgs) -> Result<()> {
    let case = Uuid::parse_str(args.case.trim())
        .map_err(|_| anyhow!("--case must be a case id (a UUID)"))?;
    let recipients =
        ExportRecipients::parse(args.recipients.iter().map(String::as_str)).map_err(|e| match e
            .problem
        {
            FieldProblem::Required => anyhow!("give at least one --recipient (age1…)"),
            FieldProblem::TooLong { .. } => anyhow!("at most {MAX_RECIPIENTS} recipients"),
            _ => anyhow!("a --recipient is not an age X25519 public key (age1…)"),
        })?;
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("varsel-case-{case}.tar.age")));
    let to_stdout = output.as_os_str() == "-";
    if !to_stdout && output.exists() {
        bail!("{} exists; it is never overwritten", output.display());
    }
    let passphrase = match &args.passphrase_file {
        Some(path) => read_passphrase_file(path)?,
        None => prompt_passphrase(false)?,
    };
    let core = cli_core(settings).await?;
    let staff = casework::staff_password(&core, args.user.trim(), passphrase)
        .await
        .map_err(|e| match e {
            CoreError::Refused(Refusal::LoginFailed) => {
                anyhow!("the user name or passphrase is wrong, or the account cannot log in here")
            }
            other => anyhow::Error::new(other),
        })?;
    let exported = export::export_case(&core, &staff, case, &recipients, Lang::En)
        .await
        .map_err(|e| match e {
            CoreError::NotFound => anyhow!("no case {case} is routed to {}", staff.username),
            CoreError::Forbidden => anyhow!("{} does not work cases", staff.username),
            other => anyhow::Error::new(other),
        })?;
    if to_stdout {
        let mut out = std::io::stdout().lock();
        out.write_all(&exported.bytes)
            .and_then(|()| out.flush())
            .context("cannot write to stdout")?;
    } else {
        let mut file = create_new_private(&output)?;
        file.write_all(&exported.bytes)
            .and_then(|()| file.sync_all())
            .with_context(|| format!("cannot write {}", output.display()))?;
        eprintln!(
            "Wrote {} ({} bytes).",
            output.display(),
            exported.bytes.len()
        );
    }
    Ok(())
}
