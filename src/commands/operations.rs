//! `varsel backup` and `varsel restore` (see [`crate::core::backup`]).

use anyhow::Result;

use crate::cli::{BackupArgs, RestoreArgs};
use crate::core::settings::{redact_url, Settings};

/// `varsel backup --output FILE`.
pub async fn backup(settings: &Settings, args: &BackupArgs) -> Result<()> {
    let summary = crate::core::backup::create(settings, &args.output).await?;
    eprintln!(
        "Backed up {} (schema {}, {} table(s)) and {} attachment file(s) to {}",
        redact_url(&settings.database.url),
        summary.schema_version,
        summary.tables,
        summary.attachments,
        args.output.display()
    );
    Ok(())
}

/// `varsel restore --input FILE [--force]`.
pub async fn restore(settings: &Settings, args: &RestoreArgs) -> Result<()> {
    let summary = crate::core::backup::restore(settings, &args.input, args.force).await?;
    eprintln!(
        "Restored {} (schema {}, {} table(s)) and {} attachment file(s) into {} and {}",
        args.input.display(),
        summary.schema_version,
        summary.tables,
        summary.attachments,
        redact_url(&settings.database.url),
        settings.storage.attachments_dir().display()
    );
    Ok(())
}
