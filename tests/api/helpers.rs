//! Shared helpers for the black-box tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The `varsel` binary under test.
pub fn varsel() -> Command {
    Command::new(env!("CARGO_BIN_EXE_varsel"))
}

/// Runs `varsel` with `args`, feeding `stdin`.
pub fn run(args: &[&str], stdin: &[u8]) -> Output {
    use std::io::Write;
    let mut child = varsel()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn varsel");
    let mut input = child.stdin.take().expect("stdin");
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait for varsel");
    writer.join().expect("stdin writer");
    out
}

/// Asserts failure with exactly one line on stderr, and returns that line.
pub fn one_line_error(out: &Output) -> String {
    assert!(!out.status.success(), "expected failure, got success");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(stderr.trim_end().lines().count(), 1, "stderr: {stderr}");
    assert!(stderr.starts_with("varsel: error: "), "stderr: {stderr}");
    stderr.trim_end().to_owned()
}

/// The repository's copy of the C2SP age vectors.
pub fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("crypto/tests/testdata/age")
}

/// A fresh, migrated SQLite store in a temporary directory; the directory
/// lives as long as the returned guard.
pub async fn sqlite_store() -> (
    std::sync::Arc<dyn varsel::core::store::Store>,
    tempfile::TempDir,
) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}", dir.path().join("varsel.db").display());
    let store = varsel::core::store::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("open SQLite store at {url}: {e}"));
    store.migrate().await.expect("migrate SQLite store");
    (store, dir)
}

/// The PostgreSQL server the store tests use: `TEST_POSTGRES_URL`, else the
/// local trust-auth cluster.
pub fn postgres_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// `url` with its database name replaced by `name` (query string kept).
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority = base.find("://").map_or(0, |i| i + 3);
    let path = base[authority..]
        .find('/')
        .map_or(base.len(), |i| authority + i);
    match query {
        Some(query) => format!("{}/{name}?{query}", &base[..path]),
        None => format!("{}/{name}", &base[..path]),
    }
}

/// A database of its own on the test PostgreSQL server, for one test.
pub struct PgTestDb {
    admin_url: String,
    name: String,
}

impl PgTestDb {
    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Creates a fresh database and returns a migrated store on it. Fails the
    /// test (never skips it) if the server cannot be reached.
    pub async fn create() -> (std::sync::Arc<dyn varsel::core::store::Store>, Self) {
        use sqlx::Connection;
        let admin_url = postgres_admin_url();
        let mut admin = sqlx::PgConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "PostgreSQL is unreachable at {admin_url} ({e}); start it (pg_ctlcluster \
                 --skip-systemctl-redirect <version> main start) or set TEST_POSTGRES_URL"
                )
            });
        let name = format!("varsel_t_{}", uuid::Uuid::new_v4().simple());
        // An identifier cannot be a bind parameter; `name` is generated hex.
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("create test database {name}: {e}"));
        let _ = admin.close().await;
        let db = Self { admin_url, name };
        let url = with_database(&db.admin_url, &db.name);
        let store = varsel::core::store::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("open PostgreSQL store at {url}: {e}"));
        store.migrate().await.expect("migrate PostgreSQL store");
        (store, db)
    }

    /// Creates a fresh, empty database (no migration): for tests of the
    /// operator's own set-up steps. Fails the test if the server cannot be
    /// reached.
    pub async fn create_bare() -> Self {
        use sqlx::Connection;
        let admin_url = postgres_admin_url();
        let mut admin = sqlx::PgConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL is unreachable at {admin_url} ({e})"));
        let name = format!("varsel_t_{}", uuid::Uuid::new_v4().simple());
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("create test database {name}: {e}"));
        let _ = admin.close().await;
        Self { admin_url, name }
    }

    /// Drops the database, disconnecting whoever is still on it (best effort).
    pub async fn destroy(self) {
        use sqlx::Connection;
        if let Ok(mut admin) = sqlx::PgConnection::connect(&self.admin_url).await {
            let _ = sqlx::query(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut admin)
            .await;
            let _ = admin.close().await;
        }
    }
}

/// The stanza types of an age file's header, in order.
pub fn stanzas(age: &[u8]) -> Vec<String> {
    let header_end = age
        .windows(4)
        .position(|w| w == b"\n---")
        .expect("an age header");
    String::from_utf8_lossy(&age[..header_end])
        .lines()
        .filter_map(|l| l.strip_prefix("-> "))
        .map(|l| l.split(' ').next().unwrap_or_default().to_owned())
        .collect()
}
