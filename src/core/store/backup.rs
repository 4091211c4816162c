//! The database side of `varsel backup` and `varsel restore`
//! ([`crate::core::backup`]): a SQLite snapshot, the copy of every
//! PostgreSQL table in one repeatable-read transaction, and their way back.
//! No row is read into a value here: the database's own formats (the SQLite
//! file, `COPY`'s text) carry the bytes, ciphertext as stored.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{bail, Context, Result};
use futures_util::TryStreamExt;
use sqlx::postgres::PgConnection;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

use super::dialect::PostgresStore;

/// The tables whose rows make a database "hold data" for a restore.
const DATA_TABLES: [&str; 3] = ["users", "cases", "audit_log"];

/// The table of applied migrations (never copied: the target gets its own).
const MIGRATIONS_TABLE: &str = "_sqlx_migrations";

/// One copied PostgreSQL table: its name and columns, in the order of the
/// copy.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TableCopy {
    /// The table.
    pub name: String,
    /// Its columns, in the order of the copied lines.
    pub columns: Vec<String>,
}

/// The database file a SQLite URL names; an error for an in-memory one.
pub fn sqlite_file(url: &str) -> Result<PathBuf> {
    if url.contains(":memory:") || url.contains("mode=memory") {
        bail!("an in-memory database cannot be backed up or restored");
    }
    let options = SqliteConnectOptions::from_str(url)?;
    Ok(options.get_filename().to_path_buf())
}

/// The applied migrations of a database, on `conn`; none if it has no
/// migrations table.
macro_rules! applied_migrations {
    ($conn:expr) => {{
        let exists = sqlx::query("SELECT version FROM _sqlx_migrations WHERE 1 = 0")
            .execute(&mut *$conn)
            .await
            .is_ok();
        if exists {
            let rows: Vec<(i64,)> = sqlx::query_as(
                "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version",
            )
            .fetch_all(&mut *$conn)
            .await?;
            rows.into_iter().map(|(v,)| v).collect::<Vec<i64>>()
        } else {
            Vec::new()
        }
    }};
}

/// Whether any of [`DATA_TABLES`] has a row, on `conn` (a missing table
/// has none).
macro_rules! any_data {
    ($conn:expr) => {{
        let mut found = false;
        for table in DATA_TABLES {
            let sql = format!("SELECT 1 FROM {table} LIMIT 1");
            if let Ok(Some(_)) = sqlx::query(&sql).fetch_optional(&mut *$conn).await {
                found = true;
            }
        }
        found
    }};
}

/// Takes a consistent snapshot of the SQLite database `url` into the empty
/// file `snapshot` (`VACUUM INTO`); returns the snapshot's applied
/// migrations.
pub async fn sqlite_snapshot(url: &str, snapshot: &Path) -> Result<Vec<i64>> {
    let source = sqlite_file(url)?;
    if !source.exists() {
        bail!("no database at {}", source.display());
    }
    let mut conn = SqliteConnectOptions::from_str(url)?
        .create_if_missing(false)
        .connect()
        .await
        .context("cannot open the database")?;
    let target = snapshot
        .to_str()
        .context("the backup's path is not UTF-8")?
        .to_owned();
    sqlx::query("VACUUM INTO $1")
        .bind(target)
        .execute(&mut conn)
        .await
        .context("cannot take a snapshot of the database")?;
    conn.close().await?;
    let mut copy = SqliteConnectOptions::new()
        .filename(snapshot)
        .read_only(true)
        .connect()
        .await?;
    let migrations = applied_migrations!(&mut copy);
    copy.close().await?;
    Ok(migrations)
}

/// Checks the restored SQLite file `staged` (intact, with exactly the
/// migrations `expected`) and puts it in place of `target`, with no
/// journal of the old file left beside it.
pub async fn sqlite_install(staged: &Path, target: &Path, expected: &[i64]) -> Result<()> {
    let mut conn = SqliteConnectOptions::new()
        .filename(staged)
        .read_only(true)
        .connect()
        .await
        .context("the backup's database cannot be opened")?;
    let (check,): (String,) = sqlx::query_as("PRAGMA quick_check")
        .fetch_one(&mut conn)
        .await
        .context("the backup's database cannot be read")?;
    if check != "ok" {
        bail!("the backup's database is damaged: {check}");
    }
    let applied = applied_migrations!(&mut conn);
    conn.close().await?;
    if applied != expected {
        bail!("the backup's database does not have the schema its manifest names");
    }
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::core::private_fs::create_private_dir_all(dir)?;
    }
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut name = target.as_os_str().to_owned();
        name.push(suffix);
        match std::fs::remove_file(PathBuf::from(name)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
    }
    std::fs::rename(staged, target)
        .with_context(|| format!("cannot put the database at {}", target.display()))?;
    Ok(())
}

/// Whether the database `url` holds accounts, cases or audit entries. A
/// SQLite file that does not exist holds nothing.
pub async fn holds_data(url: &str) -> Result<bool> {
    if url.starts_with("sqlite:") {
        let file = sqlite_file(url)?;
        if !file.exists() {
            return Ok(false);
        }
        let mut conn = SqliteConnectOptions::from_str(url)?
            .create_if_missing(false)
            .read_only(true)
            .connect()
            .await
            .context("cannot open the target database")?;
        let found = any_data!(&mut conn);
        conn.close().await?;
        Ok(found)
    } else {
        let mut conn = PgConnection::connect(url)
            .await
            .context("cannot connect to the target database")?;
        let found = any_data!(&mut conn);
        conn.close().await?;
        Ok(found)
    }
}

/// An identifier, quoted for PostgreSQL.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The tables of the current schema with their columns, and the foreign
/// keys between them (child, parent).
async fn pg_schema(
    conn: &mut PgConnection,
) -> Result<(BTreeMap<String, Vec<String>>, Vec<(String, String)>)> {
    let columns: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.table_name::text, c.column_name::text FROM information_schema.columns c \
         JOIN information_schema.tables t \
         ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
         WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' \
         ORDER BY c.table_name, c.ordinal_position",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut tables: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (table, column) in columns {
        if table != MIGRATIONS_TABLE {
            tables.entry(table).or_default().push(column);
        }
    }
    let keys: Vec<(String, String)> = sqlx::query_as(
        "SELECT child.relname::text, parent.relname::text FROM pg_constraint k \
         JOIN pg_class child ON child.oid = k.conrelid \
         JOIN pg_class parent ON parent.oid = k.confrelid \
         WHERE k.contype = 'f' AND k.connamespace = current_schema()::regnamespace",
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok((tables, keys))
}

/// The tables in an order where every table comes after those it refers
/// to (a table referring to itself is loaded in one statement).
fn parents_first(
    tables: &BTreeMap<String, Vec<String>>,
    keys: &[(String, String)],
) -> Result<Vec<String>> {
    let mut placed: Vec<String> = Vec::new();
    let mut left: BTreeSet<&String> = tables.keys().collect();
    while !left.is_empty() {
        let ready: Vec<&String> = left
            .iter()
            .copied()
            .filter(|table| {
                keys.iter().all(|(child, parent)| {
                    child != *table || parent == *table || !left.contains(parent)
                })
            })
            .collect();
        if ready.is_empty() {
            bail!("the tables' foreign keys form a cycle");
        }
        for table in ready {
            left.remove(table);
            placed.push(table.clone());
        }
    }
    Ok(placed)
}

/// A PostgreSQL database copied: its applied migrations, and each table
/// with its `COPY` text, parents first.
pub struct PgDump {
    /// The applied migrations.
    pub migrations: Vec<i64>,
    /// Each table and its rows in `COPY` text format.
    pub tables: Vec<(TableCopy, Vec<u8>)>,
}

/// Copies every table of the PostgreSQL database `url` in one
/// `REPEATABLE READ`, read-only transaction: one consistent moment.
pub async fn postgres_dump(url: &str) -> Result<PgDump> {
    let mut conn = PgConnection::connect(url)
        .await
        .context("cannot connect to the database")?;
    let mut tx = conn
        .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .await?;
    let migrations = applied_migrations!(&mut *tx);
    let (tables, keys) = pg_schema(&mut tx).await?;
    let mut out = Vec::with_capacity(tables.len());
    for name in parents_first(&tables, &keys)? {
        let columns = tables.get(&name).cloned().unwrap_or_default();
        let list: Vec<String> = columns.iter().map(|c| ident(c)).collect();
        let statement = format!("COPY {} ({}) TO STDOUT", ident(&name), list.join(", "));
        let mut data = Vec::new();
        {
            let mut stream = tx.copy_out_raw(&statement).await?;
            while let Some(chunk) = stream.try_next().await? {
                data.extend_from_slice(&chunk);
            }
        }
        out.push((TableCopy { name, columns }, data));
    }
    tx.commit().await?;
    conn.close().await?;
    Ok(PgDump {
        migrations,
        tables: out,
    })
}

/// Loads copied tables into the PostgreSQL database `url`: first migrates
/// it to exactly the backup's schema (`migrations`), then in one
/// transaction empties every table, loads each (triggers off, so derived
/// tables come back as they were copied) and moves every sequence past
/// the restored values. The caller then migrates to this version.
pub async fn postgres_load(
    url: &str,
    migrations: &[i64],
    tables: &[(TableCopy, Vec<u8>)],
) -> Result<()> {
    let mut conn = PgConnection::connect(url)
        .await
        .context("cannot connect to the target database")?;
    let applied = applied_migrations!(&mut conn);
    if let Some(newer) = applied.iter().find(|v| !migrations.contains(v)) {
        bail!(
            "the target database has migration {newer}, which the backup's schema lacks; \
             restore into a fresh database"
        );
    }
    let wanted: Vec<sqlx::migrate::Migration> = PostgresStore::migrator()
        .iter()
        .filter(|m| migrations.contains(&m.version))
        .cloned()
        .collect();
    let to_backup_schema = sqlx::migrate::Migrator {
        migrations: Cow::Owned(wanted),
        ..sqlx::migrate::Migrator::DEFAULT
    };
    to_backup_schema
        .run_direct(&mut conn)
        .await
        .context("cannot migrate the target database to the backup's schema")?;

    let mut tx = conn.begin().await?;
    let (present, _) = pg_schema(&mut tx).await?;
    for (table, _) in tables {
        match present.get(&table.name) {
            Some(columns) if table.columns.iter().all(|c| columns.contains(c)) => {}
            _ => bail!(
                "the target database's table {} differs from the backup's",
                table.name
            ),
        }
    }
    let all: Vec<String> = present.keys().map(|t| ident(t)).collect();
    if !all.is_empty() {
        sqlx::query(&format!("TRUNCATE {}", all.join(", ")))
            .execute(&mut *tx)
            .await?;
    }
    for (table, data) in tables {
        let name = ident(&table.name);
        sqlx::query(&format!("ALTER TABLE {name} DISABLE TRIGGER USER"))
            .execute(&mut *tx)
            .await?;
        let list: Vec<String> = table.columns.iter().map(|c| ident(c)).collect();
        let mut copy = tx
            .copy_in_raw(&format!("COPY {name} ({}) FROM STDIN", list.join(", ")))
            .await?;
        copy.send(data.as_slice()).await?;
        copy.finish()
            .await
            .with_context(|| format!("cannot load table {}", table.name))?;
        sqlx::query(&format!("ALTER TABLE {name} ENABLE TRIGGER USER"))
            .execute(&mut *tx)
            .await?;
    }
    let serials: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, \
         pg_get_serial_sequence(quote_ident(table_name::text), column_name::text)::text \
         FROM information_schema.columns \
         WHERE table_schema = current_schema() \
         AND pg_get_serial_sequence(quote_ident(table_name::text), column_name::text) IS NOT NULL",
    )
    .fetch_all(&mut *tx)
    .await?;
    for (table, column, sequence) in serials {
        let sql = format!(
            "SELECT setval($1::regclass, COALESCE((SELECT MAX({}) FROM {}), 0) + 1, false)",
            ident(&column),
            ident(&table)
        );
        sqlx::query(&sql).bind(sequence).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    conn.close().await?;
    Ok(())
}
