//! The service under test: in-process (`TestApp`, fast) or as the real
//! `varsel serve` binary with its logs captured (`ServedBinary`), each on a
//! fresh database of either backend.

use std::sync::Arc;

use uuid::Uuid;
use varsel::core::settings::Settings;
use varsel::core::store::{Store, User};
use varsel::startup::Application;

use crate::helpers::{postgres_admin_url, with_database, PgTestDb};

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite file in a temporary directory.
    Sqlite,
    /// A fresh database on the test PostgreSQL server.
    Postgres,
}

/// Runs an `async fn(Backend)` test once per backend: `name_sqlite`, `name_postgres`.
#[macro_export]
macro_rules! for_each_backend {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::app::Backend::Sqlite).await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::app::Backend::Postgres).await;
                }
            }
        )*
    };
}

/// Scrypt work factor for test accounts: low, so logins are fast.
pub const TEST_WORK_FACTOR: u8 = 10;
/// Password of every test account.
pub const PASSWORD: &str = "correct horse battery staple";

/// A database for one test, removed when the test ends.
pub struct TestDatabase {
    /// The URL the service connects to.
    pub url: String,
    /// The data directory (SQLite file and attachments).
    pub data_dir: tempfile::TempDir,
    pg: Option<PgTestDb>,
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

    /// Test settings: this database, port 0, fast key derivation.
    pub fn settings(&self) -> Settings {
        let mut s = Settings::default();
        s.server.port = 0;
        s.database.url = self.url.clone();
        s.storage.data_dir = self.data_dir.path().to_path_buf();
        s.security.password_work_factor = TEST_WORK_FACTOR;
        s
    }

    /// Drops a PostgreSQL database.
    pub async fn destroy(self) {
        if let Some(pg) = self.pg {
            pg.destroy().await;
        }
    }
}

/// The service running in-process.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    /// Direct access to the database, for arranging and inspecting.
    pub store: Arc<dyn Store>,
    /// The settings the service runs with.
    pub settings: Settings,
    /// The database (dropped with the app).
    pub db: TestDatabase,
    /// The running service's state (to drive its scheduler directly).
    pub state: actix_web::web::Data<varsel::web::state::AppState>,
}

impl TestApp {
    /// Starts the service on a fresh database.
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Starts the service on a fresh database with adjusted settings.
    pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> Self {
        Self::spawn_with_clock(backend, Arc::new(varsel::core::clock::SystemClock), adjust).await
    }

    /// Starts the service on a fresh database with adjusted settings and the
    /// given clock (a `ManualClock` moves the scheduler's time).
    pub async fn spawn_with_clock(
        backend: Backend,
        clock: Arc<dyn varsel::core::clock::Clock>,
        adjust: impl FnOnce(&mut Settings),
    ) -> Self {
        let db = TestDatabase::create(backend).await;
        let mut settings = db.settings();
        adjust(&mut settings);
        let app = Application::build_with_clock(settings.clone(), clock)
            .await
            .expect("service builds");
        let state = app.state();
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        let store = varsel::core::store::connect(&settings.database.url)
            .await
            .expect("test store connects");
        TestApp {
            address,
            store,
            settings,
            db,
            state,
        }
    }

    /// Creates a staff account with `roles` and the test password; returns its id.
    pub async fn add_user(&self, username: &str, display_name: &str, roles: &[&str]) -> Uuid {
        self.add_user_in(username, display_name, roles, &[]).await
    }

    /// Like [`TestApp::add_user`], the account a member of `groups`.
    pub async fn add_user_in(
        &self,
        username: &str,
        display_name: &str,
        roles: &[&str],
        groups: &[&str],
    ) -> Uuid {
        let (recipient, wrapped_identity) =
            varsel::core::keys::new_user_keys(PASSWORD.as_bytes(), TEST_WORK_FACTOR).expect("keys");
        let user = User {
            id: Uuid::new_v4(),
            username: username.to_owned(),
            display_name: display_name.to_owned(),
            roles: roles
                .iter()
                .map(|r| varsel::core::domain::Role::parse(r).expect("role"))
                .collect(),
            recipient,
            wrapped_identity,
            email: None,
            active: true,
            groups: groups.iter().map(|g| (*g).to_owned()).collect(),
            created_at: varsel::core::clock::system_now(),
        };
        self.store.create_user(&user).await.expect("user created");
        user.id
    }

    /// A browser-like client: keeps cookies, does not follow redirects.
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
    }

    /// `address` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Removes the database.
    pub async fn teardown(self) {
        self.db.destroy().await;
    }
}

/// The CSRF token in a page's form (`name="csrf" value="…"`).
pub fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\"").expect("page has a csrf field");
    let rest = &html[at..];
    let v = rest.find("value=\"").expect("csrf field has a value") + 7;
    let end = rest[v..].find('"').expect("value ends");
    rest[v..v + end].to_owned()
}

/// `varsel serve` as a child process, its stderr (the log) captured.
pub struct ServedBinary {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    child: std::process::Child,
    log: Arc<std::sync::Mutex<String>>,
    /// The database.
    pub db: TestDatabase,
    /// Environment the child runs with (for running other subcommands on the same setup).
    pub env: Vec<(String, String)>,
}

impl ServedBinary {
    /// Starts `varsel serve` on a fresh database.
    pub async fn start(backend: Backend) -> Self {
        use std::io::{BufRead, BufReader};
        let db = TestDatabase::create(backend).await;
        let env = vec![
            ("VARSEL_SERVER__PORT".to_owned(), "0".to_owned()),
            ("VARSEL_DATABASE__URL".to_owned(), db.url.clone()),
            (
                "VARSEL_STORAGE__DATA_DIR".to_owned(),
                db.data_dir.path().display().to_string(),
            ),
            (
                "VARSEL_SECURITY__PASSWORD_WORK_FACTOR".to_owned(),
                TEST_WORK_FACTOR.to_string(),
            ),
            ("VARSEL_LOG".to_owned(), "debug,sqlx=debug".to_owned()),
            ("NO_COLOR".to_owned(), "1".to_owned()),
        ];
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_varsel"))
            .arg("serve")
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start varsel serve");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(std::sync::Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("Varsel is listening on ") {
                    let _ = tx.send(rest.trim_end_matches('/').to_owned());
                }
                let mut l = sink.lock().unwrap_or_else(|p| p.into_inner());
                l.push_str(&line);
                l.push('\n');
            }
        });
        let address = tokio::task::spawn_blocking(move || {
            rx.recv_timeout(std::time::Duration::from_secs(60))
        })
        .await
        .expect("join")
        .unwrap_or_else(|_| panic!("varsel serve did not start"));
        ServedBinary {
            address,
            child,
            log,
            db,
            env,
        }
    }

    /// Runs another `varsel` subcommand against the same configuration.
    pub fn command(&self, args: &[&str]) -> std::process::Output {
        std::process::Command::new(env!("CARGO_BIN_EXE_varsel"))
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("VARSEL_LOG", "warn")
            .output()
            .expect("run varsel")
    }

    /// Everything the server logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Stops the server and removes the database.
    pub async fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let log = self.log();
        self.db.destroy().await;
        log
    }
}
