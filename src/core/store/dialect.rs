//! What truly differs between SQLite and PostgreSQL, and nothing else: how the
//! pool is opened, how a write transaction begins, how appenders to the audit
//! chain are serialised, where the migrations are, and the one SQL fragment
//! the two spell differently.
//!
//! Every query is written once, with `$N` placeholders (sqlx's SQLite driver
//! takes them too), in a `macro_rules!` body per feature module;
//! [`for_each_backend!`] expands each body once per store type. The bodies
//! thus run on concrete sqlx types, which spares the dozens of generic bounds
//! sqlx would otherwise want on every method.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use std::sync::Arc;

use sqlx::{Postgres, Sqlite, Transaction};

use super::cache::Cache;
use super::model::{StoreError, StoreResult};
use super::writer::Writer;

/// Expands a feature module's implementation macro once per backend, giving
/// it the store type, the sqlx database type and the backend's SQL fragments:
///
/// - `text_order`: appended to an `ORDER BY` on a text column so that text is
///   ordered by code point on both backends. SQLite compares text bytewise
///   already; PostgreSQL would otherwise follow the database's locale.
macro_rules! for_each_backend {
    ($implement:ident) => {
        $implement! {
            store: SqliteStore,
            db: sqlx::Sqlite,
            text_order: "",
        }
        $implement! {
            store: PostgresStore,
            db: sqlx::Postgres,
            text_order: " COLLATE \"C\"",
        }
    };
}
pub(super) use for_each_backend;

/// The SQLite migrations, embedded.
static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

/// The PostgreSQL migrations, embedded.
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// Connections in the pool of a SQLite file.
const SQLITE_MAX_CONNECTIONS: u32 = 4;

/// How long a SQLite statement waits for another connection's write lock.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Connections in the PostgreSQL pool.
const POSTGRES_MAX_CONNECTIONS: u32 = 10;

/// How long to wait for a free PostgreSQL connection, connecting included:
/// when the database is unreachable a request fails after this long
/// (`StoreError::Unavailable`, a 503 with `Retry-After`), not later.
const POSTGRES_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

/// How long to wait for a free SQLite connection (writers otherwise queue
/// on the busy timeout).
const SQLITE_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// A store in a SQLite database file.
///
/// Write transactions start with `BEGIN IMMEDIATE`, so two writers never both
/// hold a read snapshot and then deadlock on upgrading it; the busy timeout
/// makes the second writer wait instead of failing.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pub(super) pool: SqlitePool,
    pub(super) cache: Arc<Cache>,
    pub(super) writer: Arc<Writer>,
}

/// A store in a PostgreSQL database.
///
/// Writers that derive a value from existing rows first update the case row,
/// whose lock serialises them per case; audit appenders lock the `audit_log`
/// table against each other (readers are not blocked).
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pub(super) pool: PgPool,
    pub(super) cache: Arc<Cache>,
    pub(super) writer: Arc<Writer>,
}

/// True if the URL names an in-memory database rather than a file.
fn is_in_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

/// Creates the directory of the database file if it does not exist (0700),
/// and the file itself with mode 0600 before SQLite opens it, narrowing the
/// modes of an existing file and its journal (SQLite gives the WAL and
/// shared-memory files the database file's mode).
async fn prepare_private_file(file: &Path) -> StoreResult<()> {
    let file = file.to_path_buf();
    let io = |e| StoreError::Database(sqlx::Error::Io(e));
    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::core::private_fs::create_private_dir_all(dir)?;
        }
        crate::core::private_fs::ensure_private_file(&file)?;
        for suffix in ["-wal", "-shm", "-journal"] {
            let mut name = file.clone().into_os_string();
            name.push(suffix);
            crate::core::private_fs::narrow_file_if_exists(Path::new(&name))?;
        }
        Ok(())
    })
    .await
    .map_err(|e| io(std::io::Error::other(e)))?
    .map_err(io)
}

impl SqliteStore {
    /// Opens (creating if missing, with its directory) the database the URL
    /// names: `sqlite://./data/varsel.db`, `sqlite:///abs/path.db` or
    /// `sqlite::memory:`.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .foreign_keys(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(SQLITE_BUSY_TIMEOUT);

        let pool = if is_in_memory(url) {
            // An in-memory database lives as long as a connection to it: keep
            // exactly one, forever (a shared-cache database would otherwise
            // also fail with "table is locked" under concurrent writers).
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(options)
                .await?
        } else {
            prepare_private_file(options.get_filename()).await?;
            SqlitePoolOptions::new()
                .max_connections(SQLITE_MAX_CONNECTIONS)
                .acquire_timeout(SQLITE_ACQUIRE_TIMEOUT)
                .connect_with(options)
                .await?
        };
        Ok(Self {
            pool,
            cache: Arc::default(),
            writer: Arc::default(),
        })
    }

    /// Applies the SQLite migrations.
    pub(super) async fn run_migrations(&self) -> StoreResult<()> {
        SQLITE_MIGRATIONS.run(&self.pool).await?;
        Ok(())
    }

    /// The migrations this binary knows, in order.
    pub fn migrator() -> &'static sqlx::migrate::Migrator {
        &SQLITE_MIGRATIONS
    }

    /// Begins a transaction that takes the write lock at once.
    pub(super) async fn begin_write(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// Begins the transaction that appends to the audit chain. The write lock
    /// `BEGIN IMMEDIATE` takes already keeps a second appender out.
    pub(super) async fn begin_audit_append(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        self.begin_write().await
    }

    /// Keeps other appenders off the audit chain until `tx` ends: the write
    /// lock of `BEGIN IMMEDIATE` does so already.
    pub(super) async fn lock_audit_chain(
        _tx: &mut Transaction<'static, Sqlite>,
    ) -> StoreResult<()> {
        Ok(())
    }
}

impl PostgresStore {
    /// Connects to the database the URL names (`postgres://…`); the database
    /// must exist.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(POSTGRES_MAX_CONNECTIONS)
            .acquire_timeout(POSTGRES_ACQUIRE_TIMEOUT)
            .connect(url)
            .await?;
        Ok(Self {
            pool,
            cache: Arc::default(),
            writer: Arc::default(),
        })
    }

    /// Applies the PostgreSQL migrations.
    pub(super) async fn run_migrations(&self) -> StoreResult<()> {
        POSTGRES_MIGRATIONS.run(&self.pool).await?;
        Ok(())
    }

    /// The migrations this binary knows, in order.
    pub fn migrator() -> &'static sqlx::migrate::Migrator {
        &POSTGRES_MIGRATIONS
    }

    /// Begins a write transaction. Row locks taken by its first `UPDATE`
    /// serialise writers where they must be (PostgreSQL has no
    /// database-wide write lock to take up front).
    pub(super) async fn begin_write(&self) -> StoreResult<Transaction<'static, Postgres>> {
        Ok(self.pool.begin().await?)
    }

    /// Begins the transaction that appends to the audit chain, holding a lock
    /// on the log: readers go on, but a second appender waits here until this
    /// one commits, so both never chain to the same last entry.
    pub(super) async fn begin_audit_append(&self) -> StoreResult<Transaction<'static, Postgres>> {
        let mut tx = self.pool.begin().await?;
        Self::lock_audit_chain(&mut tx).await?;
        Ok(tx)
    }

    /// Keeps other appenders off the audit chain until `tx` ends (readers go on).
    pub(super) async fn lock_audit_chain(
        tx: &mut Transaction<'static, Postgres>,
    ) -> StoreResult<()> {
        sqlx::query("LOCK TABLE audit_log IN EXCLUSIVE MODE")
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}
