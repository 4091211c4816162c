//! A fresh database for one test, on either backend, and direct access to it:
//! its store, SQL written the same way for both backends, and a scan for
//! anything stored readable.

use std::path::Path;
use std::sync::Arc;

use varsel::core::settings::Settings;
use varsel::core::store::Store;

use crate::helpers::{postgres_admin_url, with_database, PgTestDb};

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite file in a temporary directory.
    Sqlite,
    /// A fresh database on the test PostgreSQL server.
    Postgres,
}

/// A value bound to a `$n` placeholder of [`TestDatabase::execute_bound`].
pub enum Bind {
    /// An integer.
    Int(i64),
    /// Text, or NULL.
    Text(Option<String>),
    /// Bytes.
    Bytes(Vec<u8>),
}

/// A database for one test, removed when the test ends.
pub struct TestDatabase {
    /// The URL the service connects to.
    pub url: String,
    /// The data directory (SQLite file and attachments).
    pub data_dir: tempfile::TempDir,
    pg: Option<PgTestDb>,
}

/// Runs `(sql, binds)` statements on one connection.
macro_rules! run_statements {
    ($connection:expr, $statements:expr) => {{
        let mut conn = $connection;
        for (sql, binds) in $statements {
            let mut query = sqlx::query(sql);
            for bind in binds {
                query = match bind {
                    Bind::Int(v) => query.bind(*v),
                    Bind::Text(v) => query.bind(v.clone()),
                    Bind::Bytes(v) => query.bind(v.clone()),
                };
            }
            query
                .execute(&mut conn)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        conn.close().await.expect("close the connection");
    }};
}

/// Reads every row of `sql`, each column as text.
macro_rules! text_rows {
    ($connection:expr, $sql:expr) => {{
        use sqlx::Row;
        let mut conn = $connection;
        let rows = sqlx::query($sql)
            .fetch_all(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", $sql));
        conn.close().await.expect("close the connection");
        rows.iter()
            .map(|row| {
                (0..row.len())
                    .map(|i| row.try_get::<String, _>(i).expect("a text column"))
                    .collect::<Vec<String>>()
            })
            .collect::<Vec<_>>()
    }};
}

/// Reads every row of `sql`, each column as its raw bytes (blobs as they
/// are, text as UTF-8, numbers and booleans in decimal, NULL as nothing).
macro_rules! raw_rows {
    ($connection:expr, $sql:expr) => {{
        use sqlx::Row;
        let mut conn = $connection;
        let rows = sqlx::query($sql)
            .fetch_all(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", $sql));
        conn.close().await.expect("close the connection");
        rows.iter()
            .map(|row| {
                (0..row.len())
                    .map(|i| {
                        if let Ok(v) = row.try_get::<Option<Vec<u8>>, _>(i) {
                            v.unwrap_or_default()
                        } else if let Ok(v) = row.try_get::<Option<String>, _>(i) {
                            v.unwrap_or_default().into_bytes()
                        } else if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
                            v.map(|v| v.to_string()).unwrap_or_default().into_bytes()
                        } else if let Ok(v) = row.try_get::<Option<bool>, _>(i) {
                            v.map(|v| v.to_string()).unwrap_or_default().into_bytes()
                        } else if let Ok(v) = row.try_get::<Option<i32>, _>(i) {
                            v.map(|v| v.to_string()).unwrap_or_default().into_bytes()
                        } else if let Ok(v) = row.try_get::<Option<i16>, _>(i) {
                            v.map(|v| v.to_string()).unwrap_or_default().into_bytes()
                        } else if let Ok(v) = row.try_get::<Option<f64>, _>(i) {
                            v.map(|v| v.to_string()).unwrap_or_default().into_bytes()
                        } else {
                            panic!("column {i} of {} has an unexpected type", $sql)
                        }
                    })
                    .collect::<Vec<Vec<u8>>>()
            })
            .collect::<Vec<_>>()
    }};
}

impl TestDatabase {
    /// A fresh database of `backend`.
    pub async fn create(backend: Backend) -> Self {
        let data_dir = tempfile::tempdir().expect("temporary directory");
        match backend {
            Backend::Sqlite => TestDatabase {
                url: format!("sqlite://{}", data_dir.path().join("varsel.db").display()),
                data_dir,
                pg: None,
            },
            Backend::Postgres => {
                let (_, pg) = PgTestDb::create().await;
                let url = with_database(&postgres_admin_url(), pg.name());
                TestDatabase {
                    url,
                    data_dir,
                    pg: Some(pg),
                }
            }
        }
    }

    /// A fresh PostgreSQL database with no tables at all (not migrated),
    /// reached as the server's administrator: the operator's set-up
    /// scripts run on it.
    pub async fn bare_postgres() -> Self {
        let data_dir = tempfile::tempdir().expect("temporary directory");
        let pg = PgTestDb::create_bare().await;
        TestDatabase {
            url: with_database(&postgres_admin_url(), pg.name()),
            data_dir,
            pg: Some(pg),
        }
    }

    /// Test settings: this database, port 0, fast key derivation.
    pub fn settings(&self) -> Settings {
        let mut s = Settings::default();
        s.server.port = 0;
        s.database.url = self.url.clone();
        s.storage.data_dir = self.data_dir.path().to_path_buf();
        s.security.password_work_factor = super::TEST_WORK_FACTOR;
        s
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        match self.pg {
            Some(_) => Backend::Postgres,
            None => Backend::Sqlite,
        }
    }

    /// A store on this database.
    pub async fn store(&self) -> Arc<dyn Store> {
        varsel::core::store::connect(&self.url)
            .await
            .expect("test store connects")
    }

    /// Runs `statements`, written the same way for both backends, in order.
    pub async fn execute(&self, statements: &[impl AsRef<str>]) {
        let statements: Vec<(&str, Vec<Bind>)> = statements
            .iter()
            .map(|sql| (sql.as_ref(), Vec::new()))
            .collect();
        self.execute_bound(&statements).await;
    }

    /// Runs `statements` with values bound to their `$1`, `$2`, … in order.
    pub async fn execute_bound(&self, statements: &[(&str, Vec<Bind>)]) {
        use sqlx::Connection;
        match self.backend() {
            Backend::Sqlite => run_statements!(
                sqlx::SqliteConnection::connect(&self.url)
                    .await
                    .expect("connect"),
                statements
            ),
            Backend::Postgres => run_statements!(
                sqlx::PgConnection::connect(&self.url)
                    .await
                    .expect("connect"),
                statements
            ),
        }
    }

    /// The rows of a query whose columns are all text.
    pub async fn text_rows(&self, sql: &str) -> Vec<Vec<String>> {
        use sqlx::Connection;
        match self.backend() {
            Backend::Sqlite => text_rows!(
                sqlx::SqliteConnection::connect(&self.url)
                    .await
                    .expect("connect"),
                sql
            ),
            Backend::Postgres => text_rows!(
                sqlx::PgConnection::connect(&self.url)
                    .await
                    .expect("connect"),
                sql
            ),
        }
    }

    /// The rows of a query, every column as raw bytes (see [`raw_rows!`]).
    pub async fn raw_rows(&self, sql: &str) -> Vec<Vec<Vec<u8>>> {
        use sqlx::Connection;
        match self.backend() {
            Backend::Sqlite => raw_rows!(
                sqlx::SqliteConnection::connect(&self.url)
                    .await
                    .expect("connect"),
                sql
            ),
            Backend::Postgres => raw_rows!(
                sqlx::PgConnection::connect(&self.url)
                    .await
                    .expect("connect"),
                sql
            ),
        }
    }

    /// The tables of the database.
    pub async fn table_names(&self) -> Vec<String> {
        let sql = match self.backend() {
            Backend::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%'"
            }
            Backend::Postgres => {
                "SELECT table_name::text FROM information_schema.tables \
                 WHERE table_schema = 'public' AND table_name NOT LIKE '_sqlx%'"
            }
        };
        self.text_rows(sql)
            .await
            .into_iter()
            .filter_map(|row| row.into_iter().next())
            .collect()
    }

    /// Where any of `needles` is readable in the rows `SELECT * FROM
    /// <table> <filter>` returns, for every table: "table: needle" for each
    /// hit. `filter(table)` gives the SQL after the table name (e.g. a
    /// `WHERE` clause), or `None` to skip the table.
    pub async fn readable_in_tables(
        &self,
        needles: &[String],
        filter: impl Fn(&str) -> Option<String>,
    ) -> Vec<String> {
        let mut hits = Vec::new();
        for table in self.table_names().await {
            let Some(rest) = filter(&table) else {
                continue;
            };
            let rows = self
                .raw_rows(&format!("SELECT * FROM {table} {rest}"))
                .await;
            for needle in needles {
                let n = needle.as_bytes();
                let found = rows
                    .iter()
                    .flatten()
                    .any(|cell| cell.windows(n.len()).any(|w| w == n));
                if found {
                    hits.push(format!("{table}: {needle}"));
                }
            }
        }
        hits
    }

    /// Where any of `needles` is stored readable: in a file of the data
    /// directory, or (PostgreSQL) in a column of any table.
    pub async fn readable(&self, needles: &[String]) -> Vec<String> {
        let mut hits = Vec::new();
        scan_dir(self.data_dir.path(), needles, &mut hits);
        if self.backend() == Backend::Postgres {
            scan_postgres(&self.url, needles, &mut hits).await;
        }
        hits
    }

    /// Drops a PostgreSQL database.
    pub async fn destroy(self) {
        if let Some(pg) = self.pg {
            pg.destroy().await;
        }
    }
}

fn scan_dir(dir: &Path, needles: &[String], hits: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).expect("read data dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            scan_dir(&path, needles, hits);
            continue;
        }
        let bytes = std::fs::read(&path).expect("read file");
        for n in needles {
            if bytes.windows(n.len()).any(|w| w == n.as_bytes()) {
                hits.push(format!("{n} in {}", path.display()));
            }
        }
    }
}

async fn scan_postgres(url: &str, needles: &[String], hits: &mut Vec<String>) {
    use sqlx::{Column, Connection, Row};
    let mut conn = sqlx::PgConnection::connect(url)
        .await
        .expect("connect to test database");
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .fetch_all(&mut conn)
    .await
    .expect("list tables");
    assert!(tables.iter().any(|t| t == "cases"), "schema present");
    for table in tables {
        // Table names come from the catalog, not from input.
        let rows = sqlx::query(&format!("SELECT * FROM \"{table}\""))
            .fetch_all(&mut conn)
            .await
            .expect("read table");
        for row in rows {
            for (i, column) in row.columns().iter().enumerate() {
                let bytes: Vec<u8> = if let Ok(Some(b)) = row.try_get::<Option<Vec<u8>>, _>(i) {
                    b
                } else if let Ok(Some(s)) = row.try_get::<Option<String>, _>(i) {
                    s.into_bytes()
                } else {
                    continue;
                };
                for n in needles {
                    if bytes.windows(n.len()).any(|w| w == n.as_bytes()) {
                        hits.push(format!("{n} in {table}.{}", column.name()));
                    }
                }
            }
        }
    }
    let _ = conn.close().await;
}
