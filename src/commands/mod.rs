//! The `varsel` subcommands: the age tool (`keygen`, `encrypt`, `decrypt`)
//! and the operator's commands (`serve`, `migrate`, `user`, `audit` …).

pub mod accounts;
pub mod admin;
pub mod age;
pub mod export;
pub mod operations;
pub mod passwords;

use std::sync::Arc;

use crate::core::settings::Settings;
use crate::core::store::{self, Store};

/// Opens the configured database for a command, applying pending
/// migrations unless `database.migrate_on_start` is off (then only `varsel
/// migrate` changes the schema; see `deploy/postgres/roles.sql`).
pub async fn open_store(settings: &Settings) -> anyhow::Result<Arc<dyn Store>> {
    let store = store::connect(&settings.database.url).await?;
    if settings.database.migrate_on_start {
        store.migrate().await?;
    }
    Ok(store)
}
