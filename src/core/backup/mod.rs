//! `varsel backup` and `varsel restore`: one archive (a ustar file) holding
//! the database and the encrypted attachment files, and nothing else.
//!
//! The crypto promise holds in a backup because Varsel stores only
//! ciphertext: every report, message, attachment name, rationale and key
//! wrap is an age file in the database, every attachment an age file on
//! disk. The archive holds what the database and the attachment directory
//! hold, so it is no more readable than they are: cases still open only
//! with a staff member's password-wrapped key, the reporter's code or the
//! offline recovery key, none of which is in it.
//!
//! - SQLite: a consistent snapshot of the database file (`VACUUM INTO`),
//!   as `database.sqlite`.
//! - PostgreSQL: every Varsel table copied (`COPY … TO STDOUT`) in one
//!   `REPEATABLE READ` read-only transaction, so all tables show the same
//!   moment, as `tables/NAME.copy`, parents before the tables that refer
//!   to them.
//! - Then the attachment files (`attachments/ID.age`). A file added after
//!   the snapshot is restored as an orphan that the sweep removes.
//!
//! The first entry, `varsel-backup.json`, is the manifest: the format, the
//! backend, the applied migrations (the schema version) and the tables.
//!
//! A restore refuses an archive from a newer schema, and a target that
//! holds accounts, cases, audit entries or attachment files unless told
//! to replace them (`--force`). The restored database is brought up to
//! this version's migrations afterwards.

mod tar;

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::core::settings::Settings;

pub use self::tar::{TarReader, TarWriter};
pub use crate::core::store::backup::TableCopy;

/// Name of the manifest entry (the archive's first).
pub const MANIFEST: &str = "varsel-backup.json";
/// Name of the SQLite snapshot entry.
const SQLITE_ENTRY: &str = "database.sqlite";
/// Directory of the PostgreSQL table entries.
const TABLES_DIR: &str = "tables/";
/// Directory of the attachment entries.
const ATTACHMENTS_DIR: &str = "attachments/";
/// The archive format this version writes and reads.
const FORMAT: u32 = 1;
/// Largest manifest or table entry held in memory (1 GiB).
const MAX_IN_MEMORY: u64 = 1 << 30;

/// Which database a backup came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// A SQLite file.
    Sqlite,
    /// A PostgreSQL database.
    Postgres,
}

/// The first entry of a backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The archive format (1).
    pub format: u32,
    /// The Varsel version that wrote it.
    pub varsel_version: String,
    /// The database it came from.
    pub backend: Backend,
    /// The migrations applied to it: its schema version.
    pub migrations: Vec<i64>,
    /// PostgreSQL: the copied tables, parents first.
    pub tables: Vec<TableCopy>,
    /// The day it was made (UTC).
    pub day: String,
}

/// What a backup or a restore handled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Tables (PostgreSQL) or 1 (the SQLite file).
    pub tables: usize,
    /// Attachment files.
    pub attachments: usize,
    /// The schema version (the newest migration in the archive).
    pub schema_version: i64,
}

/// Which backend `url` names.
fn backend_of(url: &str) -> Result<Backend> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else {
        bail!("database.url must start with sqlite: or postgres://")
    }
}

/// The migration versions this binary knows, for `backend`.
fn known_migrations(backend: Backend) -> Vec<i64> {
    let migrator = match backend {
        Backend::Sqlite => crate::core::store::SqliteStore::migrator(),
        Backend::Postgres => crate::core::store::PostgresStore::migrator(),
    };
    migrator.iter().map(|m| m.version).collect()
}

/// The committed attachment files (`*.age`) in `dir`, by name.
fn attachment_files(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut files = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(files),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", dir.display())),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if is_attachment_name(&name) && entry.file_type()?.is_file() {
            files.push((name, entry.path()));
        }
    }
    files.sort();
    Ok(files)
}

/// Whether `name` is a committed attachment file's name (`UUID.age`).
fn is_attachment_name(name: &str) -> bool {
    name.strip_suffix(".age")
        .is_some_and(|id| uuid::Uuid::parse_str(id).is_ok())
}

/// Writes a backup of the database and attachments `settings` name to
/// `output`, which must not exist (created 0600).
pub async fn create(settings: &Settings, output: &Path) -> Result<Summary> {
    let backend = backend_of(&settings.database.url)?;
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode_private()
        .open(output)
        .with_context(|| format!("cannot create {}", output.display()))?;
    let result = write_backup(settings, backend, BufWriter::new(file), output).await;
    if result.is_err() {
        let _ = std::fs::remove_file(output);
    }
    result
}

/// Opening files 0600 on Unix.
trait PrivateOpen {
    fn mode_private(&mut self) -> &mut Self;
}

impl PrivateOpen for std::fs::OpenOptions {
    fn mode_private(&mut self) -> &mut Self {
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            self.mode(crate::core::private_fs::FILE_MODE);
        }
        self
    }
}

async fn write_backup(
    settings: &Settings,
    backend: Backend,
    out: BufWriter<File>,
    output: &Path,
) -> Result<Summary> {
    let url = &settings.database.url;
    let day = time::OffsetDateTime::from_unix_timestamp(crate::core::clock::system_now())
        .map(|t| t.date().to_string())
        .unwrap_or_default();
    let mut tar = TarWriter::new(out);
    let (manifest, tables) = match backend {
        Backend::Sqlite => {
            let snapshot = sibling(output, "snapshot");
            let _ = std::fs::remove_file(&snapshot);
            crate::core::private_fs::ensure_private_file(&snapshot)?;
            let taken = crate::core::store::backup::sqlite_snapshot(url, &snapshot).await;
            let written = match taken {
                Ok(migrations) => {
                    let manifest = Manifest {
                        format: FORMAT,
                        varsel_version: env!("CARGO_PKG_VERSION").to_owned(),
                        backend,
                        migrations,
                        tables: Vec::new(),
                        day,
                    };
                    append_snapshot(&mut tar, &manifest, &snapshot).map(|()| manifest)
                }
                Err(e) => Err(e),
            };
            let _ = std::fs::remove_file(&snapshot);
            (written?, 1)
        }
        Backend::Postgres => {
            let dump = crate::core::store::backup::postgres_dump(url).await?;
            let manifest = Manifest {
                format: FORMAT,
                varsel_version: env!("CARGO_PKG_VERSION").to_owned(),
                backend,
                migrations: dump.migrations,
                tables: dump.tables.iter().map(|(t, _)| t.clone()).collect(),
                day,
            };
            tar.append_bytes(MANIFEST, &serde_json::to_vec_pretty(&manifest)?)?;
            for (table, data) in &dump.tables {
                tar.append_bytes(&format!("{TABLES_DIR}{}.copy", table.name), data)?;
            }
            let count = dump.tables.len();
            (manifest, count)
        }
    };
    let mut attachments = 0;
    for (name, path) in attachment_files(&settings.storage.attachments_dir())? {
        // A file removed since the snapshot (its case deleted) is skipped.
        let Ok(mut file) = File::open(&path) else {
            continue;
        };
        let size = file.metadata()?.len();
        tar.append(&format!("{ATTACHMENTS_DIR}{name}"), size, &mut file)?;
        let _ = crate::core::private_fs::set_fixed_times(&file);
        attachments += 1;
    }
    let out = tar.finish()?;
    out.into_inner()
        .map_err(|e| e.into_error())?
        .sync_all()
        .context("cannot write the backup")?;
    Ok(Summary {
        tables,
        attachments,
        schema_version: manifest.migrations.iter().copied().max().unwrap_or(0),
    })
}

/// Adds the manifest and the SQLite snapshot file to the archive.
fn append_snapshot(
    tar: &mut TarWriter<BufWriter<File>>,
    manifest: &Manifest,
    snapshot: &Path,
) -> Result<()> {
    tar.append_bytes(MANIFEST, &serde_json::to_vec_pretty(manifest)?)?;
    let mut db = File::open(snapshot)?;
    let size = db.metadata()?.len();
    tar.append(SQLITE_ENTRY, size, &mut db)?;
    Ok(())
}

/// `path` with `.suffix` appended to its file name.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{suffix}"));
    PathBuf::from(name)
}

/// Restores the backup `input` into the database and data directory
/// `settings` name. Refuses a backup of a newer schema or of the other
/// backend, and (unless `force`) a target that holds data.
pub async fn restore(settings: &Settings, input: &Path, force: bool) -> Result<Summary> {
    let backend = backend_of(&settings.database.url)?;
    let file = File::open(input).with_context(|| format!("cannot open {}", input.display()))?;
    let mut tar = TarReader::new(BufReader::new(file));
    let manifest: Manifest = match tar.next_entry()? {
        Some((name, _)) if name == MANIFEST => serde_json::from_slice(&tar.read_entry(1 << 20)?)
            .context("the backup's manifest cannot be read")?,
        _ => bail!("{} is not a Varsel backup", input.display()),
    };
    if manifest.format != FORMAT {
        bail!(
            "backup format {} is not supported (this version reads {FORMAT})",
            manifest.format
        );
    }
    if manifest.backend != backend {
        bail!(
            "the backup is of a {:?} database; restore it into the same kind (database.url)",
            manifest.backend
        );
    }
    let known: BTreeSet<i64> = known_migrations(backend).into_iter().collect();
    if let Some(unknown) = manifest.migrations.iter().find(|v| !known.contains(v)) {
        bail!(
            "the backup's schema has migration {unknown}, which this Varsel ({}) does not know; \
             restore it with the version that made it ({}) or a newer one",
            env!("CARGO_PKG_VERSION"),
            manifest.varsel_version
        );
    }
    let attachments_dir = settings.storage.attachments_dir();
    let url = &settings.database.url;
    if !force {
        if !attachment_files(&attachments_dir)?.is_empty() {
            bail!(
                "{} holds attachment files; restore into an empty data directory, or give --force to replace",
                attachments_dir.display()
            );
        }
        if crate::core::store::backup::holds_data(url).await? {
            bail!("the target database holds data; restore into an empty one, or give --force to replace it");
        }
    }
    crate::core::private_fs::create_private_dir_all(&settings.storage.data_dir)?;
    crate::core::private_fs::create_private_dir_all(&attachments_dir)?;

    // The database entries come first, in the order they are needed.
    let mut pending_entry = tar.next_entry()?;
    let tables = match backend {
        Backend::Sqlite => {
            let Some((name, _)) = &pending_entry else {
                bail!("the backup holds no database");
            };
            if name != SQLITE_ENTRY {
                bail!("the backup holds no database");
            }
            let target = crate::core::store::backup::sqlite_file(url)?;
            let staged = sibling(&target, "restoring");
            let _ = std::fs::remove_file(&staged);
            {
                let mut out = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode_private()
                    .open(&staged)
                    .with_context(|| format!("cannot create {}", staged.display()))?;
                tar.copy_entry(&mut out)?;
                out.sync_all()?;
            }
            let installed =
                crate::core::store::backup::sqlite_install(&staged, &target, &manifest.migrations)
                    .await;
            if installed.is_err() {
                let _ = std::fs::remove_file(&staged);
            }
            installed?;
            pending_entry = tar.next_entry()?;
            1
        }
        Backend::Postgres => {
            let mut data = Vec::with_capacity(manifest.tables.len());
            for table in &manifest.tables {
                let expected = format!("{TABLES_DIR}{}.copy", table.name);
                match &pending_entry {
                    Some((name, _)) if *name == expected => {}
                    _ => bail!("the backup lacks {expected}"),
                }
                data.push((table.clone(), tar.read_entry(MAX_IN_MEMORY)?));
                pending_entry = tar.next_entry()?;
            }
            crate::core::store::backup::postgres_load(url, &manifest.migrations, &data).await?;
            data.len()
        }
    };

    let mut attachments = 0;
    while let Some((name, _)) = pending_entry {
        if let Some(file_name) = name.strip_prefix(ATTACHMENTS_DIR) {
            if !is_attachment_name(file_name) {
                bail!("unexpected entry {name} in the backup");
            }
            let path = attachments_dir.join(file_name);
            let mut out = crate::core::private_fs::create_private_file(&path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            tar.copy_entry(&mut out)?;
            out.flush()?;
            crate::core::private_fs::set_fixed_times(&out)?;
            attachments += 1;
        } else {
            bail!("unexpected entry {name} in the backup");
        }
        pending_entry = tar.next_entry()?;
    }

    // Up to this version's schema.
    let store = crate::core::store::connect(url).await?;
    store
        .migrate()
        .await
        .context("cannot migrate the restored database")?;
    store.close().await;
    Ok(Summary {
        tables,
        attachments,
        schema_version: manifest.migrations.iter().copied().max().unwrap_or(0),
    })
}
