//! The service under test: in-process ([`TestApp`], fast) or as the real
//! `varsel serve` binary with its log captured ([`ServedBinary`]), each on a
//! fresh database of either backend. Both deref to a [`Service`], which has
//! one method per action a test takes: the pages (`app/pages.rs`) and the
//! JSON API (`app/api.rs`). A new action gets one method there.

mod abuse;
mod account;
mod accounts;
mod api;
mod cases;
mod database;
mod html;
mod identity;
mod pages;
mod retention;
mod served;
mod service;
mod sso;
mod two_factor;

use std::sync::Arc;

use uuid::Uuid;
use varsel::core::routing::RoutingRule;
use varsel::core::settings::{Settings, SmtpTls};
use varsel::core::store::{Case, InboxFilter, InboxLine, InboxPageQuery, InboxSort, Store, User};
use varsel::startup::Application;

pub use abuse::non_solution;
pub use api::{deadline, ApiResponse};
pub use cases::SeededCase;
pub use database::{Backend, Bind, TestDatabase};
pub use html::{code_on_receipt, csrf_of, find_case_code, inbox_row, submission_of};
pub use pages::{Decision, PageSession, ReportForm};
pub use served::ServedBinary;
pub use service::{Page, Service};
pub use sso::SsoApp;
pub use two_factor::{recovery_codes_on, totp_secret_on};

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
/// The public address notification mails link to ([`mail_through`]).
pub const PUBLIC_URL: &str = "https://varsel.example.org";
/// Every severity.
pub const ALL_SEVERITIES: [&str; 4] = ["lav", "middels", "hoy", "kritisk"];

/// A routing rule: `category`, at every severity, to `group`.
pub fn rule(category: &str, group: &str) -> RoutingRule {
    RoutingRule {
        category: category.to_owned(),
        severities: ALL_SEVERITIES.iter().map(|s| (*s).to_owned()).collect(),
        groups: vec![group.to_owned()],
    }
}

/// A report for the JSON API: `category` and `severity`, the reporter
/// excluding `exclude`.
pub fn api_report(category: &str, severity: &str, exclude: &[Uuid]) -> serde_json::Value {
    serde_json::json!({
        "category": category,
        "severity": severity,
        "description": "Noen har delt passord på en lapp ved skriveren.",
        "exclude": exclude,
    })
}

/// Notifications on, mailed in plain text through the test SMTP server on
/// `port` from `varsel@example.org`, linking to [`PUBLIC_URL`]; the
/// scheduler's own passes an hour apart (tests run each pass themselves).
pub fn mail_through(s: &mut Settings, port: u16) {
    let n = &mut s.notifications;
    n.enabled = true;
    n.smtp_host = "127.0.0.1".into();
    n.smtp_port = port;
    n.tls = SmtpTls::None;
    n.from = "Varsel <varsel@example.org>".into();
    n.public_url = PUBLIC_URL.into();
    n.interval_seconds = 3600;
    n.timeout_seconds = 10;
}

/// The service running in-process. Derefs to its [`Service`].
pub struct TestApp {
    service: Service,
    /// Direct access to the database, for arranging and inspecting.
    pub store: Arc<dyn Store>,
    /// The settings the service runs with.
    pub settings: Settings,
    /// The database (dropped with the app).
    pub db: TestDatabase,
    /// The running service's state (to drive its scheduler directly).
    pub state: actix_web::web::Data<varsel::web::state::AppState>,
}

impl std::ops::Deref for TestApp {
    type Target = Service;

    fn deref(&self) -> &Service {
        &self.service
    }
}

impl TestApp {
    /// Starts the service on a fresh database.
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Starts the service on a fresh database with adjusted settings.
    pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> Self {
        Self::start(backend, Arc::new(varsel::core::clock::SystemClock), adjust).await
    }

    /// Starts the service on a fresh database with adjusted settings and the
    /// given clock (a `ManualClock` moves the time of deadlines, the
    /// scheduler and sessions). Sessions last for years unless `adjust` says
    /// otherwise: a test that moves the clock by days is about deadlines, and
    /// the tests of session expiry set the lifetimes they test.
    pub async fn spawn_with_clock(
        backend: Backend,
        clock: Arc<dyn varsel::core::clock::Clock>,
        adjust: impl FnOnce(&mut Settings),
    ) -> Self {
        const TEN_YEARS_IN_MINUTES: u64 = 10 * 366 * 24 * 60;
        Self::start(backend, clock, |s| {
            s.sessions.reporter_idle_minutes = TEN_YEARS_IN_MINUTES;
            s.sessions.staff_idle_minutes = TEN_YEARS_IN_MINUTES;
            s.sessions.staff_max_hours = TEN_YEARS_IN_MINUTES / 60;
            adjust(s);
        })
        .await
    }

    /// Starts the service on a fresh database with adjusted settings and `clock`.
    async fn start(
        backend: Backend,
        clock: Arc<dyn varsel::core::clock::Clock>,
        adjust: impl FnOnce(&mut Settings),
    ) -> Self {
        let db = TestDatabase::create(backend).await;
        Self::start_on(db, clock, adjust).await
    }

    /// Starts the service on `db` (which may hold data already, such as a
    /// restored backup) with adjusted settings.
    pub async fn spawn_on(db: TestDatabase, adjust: impl FnOnce(&mut Settings)) -> Self {
        Self::start_on(db, Arc::new(varsel::core::clock::SystemClock), adjust).await
    }

    /// Starts the service on `db` with adjusted settings and `clock`.
    pub async fn spawn_on_with_clock(
        db: TestDatabase,
        clock: Arc<dyn varsel::core::clock::Clock>,
        adjust: impl FnOnce(&mut Settings),
    ) -> Self {
        Self::start_on(db, clock, adjust).await
    }

    /// The database, to start another service on it (with other settings,
    /// as after an upgrade); this one keeps running until the test ends.
    pub fn into_database(self) -> TestDatabase {
        self.db
    }

    /// Starts the service on `db` with adjusted settings and `clock`.
    async fn start_on(
        db: TestDatabase,
        clock: Arc<dyn varsel::core::clock::Clock>,
        adjust: impl FnOnce(&mut Settings),
    ) -> Self {
        let mut settings = db.settings();
        adjust(&mut settings);
        let app = Application::build_with_clock(settings.clone(), clock)
            .await
            .expect("service builds");
        let state = app.state();
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        let store = db.store().await;
        TestApp {
            service: Service::new(address),
            store,
            settings,
            db,
            state,
        }
    }

    /// The audit chain after the reporter's queued entries have joined it
    /// (they wait for the end of their day, then come after every staff
    /// entry of that day, in random order). Every queued day is taken as
    /// finished, whatever a test's clock says.
    pub async fn audit_entries_after_the_day(&self) -> Vec<varsel::core::audit::AuditEntry> {
        let far_future = varsel::core::clock::system_now() + 20 * 365 * 86_400;
        varsel::core::audit_log::append_finished_days(&*self.store, far_future)
            .await
            .unwrap();
        self.store.audit_entries().await.unwrap()
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
        self.add_user_with(username, display_name, roles, groups, None)
            .await
    }

    /// Like [`TestApp::add_user_in`], with an e-mail address if given.
    pub async fn add_user_with(
        &self,
        username: &str,
        display_name: &str,
        roles: &[&str],
        groups: &[&str],
        email: Option<&str>,
    ) -> Uuid {
        let kind = self.settings.security.key_kind();
        self.add_user_keyed(username, display_name, roles, groups, email, kind)
            .await
    }

    /// An account with X25519 keys, as made before hybrid keys.
    pub async fn add_x25519_user(
        &self,
        username: &str,
        display_name: &str,
        roles: &[&str],
    ) -> Uuid {
        self.add_user_keyed(
            username,
            display_name,
            roles,
            &[],
            None,
            varsel::core::keys::KeyKind::X25519,
        )
        .await
    }

    /// Like [`TestApp::add_user_with`], with keys of `kind` whatever the
    /// settings say (an account from before hybrid keys, say).
    pub async fn add_user_keyed(
        &self,
        username: &str,
        display_name: &str,
        roles: &[&str],
        groups: &[&str],
        email: Option<&str>,
        kind: varsel::core::keys::KeyKind,
    ) -> Uuid {
        let (recipient, wrapped_identity) =
            varsel::core::keys::new_user_keys(PASSWORD.as_bytes(), TEST_WORK_FACTOR, kind)
                .expect("keys");
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
            email: email.map(str::to_owned),
            active: true,
            groups: groups.iter().map(|g| (*g).to_owned()).collect(),
            created_at: varsel::core::clock::system_now(),
        };
        self.store.create_user(&user).await.expect("user created");
        user.id
    }

    /// A staff account shown as "`username` (display)", with `roles`,
    /// `groups` and, if given, an e-mail address; returns its id.
    pub async fn add_staff(
        &self,
        username: &str,
        roles: &[&str],
        groups: &[&str],
        email: Option<&str>,
    ) -> Uuid {
        let display_name = format!("{username} (display)");
        self.add_user_with(username, &display_name, roles, groups, email)
            .await
    }

    /// The stored case `id`.
    pub async fn stored_case(&self, id: Uuid) -> Case {
        self.store
            .case_by_id(id)
            .await
            .expect("read the case")
            .expect("the case exists")
    }

    /// The cases whose key is wrapped to `user`, straight from the store,
    /// newest first.
    pub async fn held_cases(&self, user: Uuid) -> Vec<Case> {
        let mut cases = Vec::new();
        for line in inbox_lines(&self.store, user).await {
            cases.push(self.stored_case(line.case_id).await);
        }
        cases
    }

    /// The ids of the cases whose key is wrapped to `user`.
    pub async fn held_case_ids(&self, user: Uuid) -> Vec<Uuid> {
        self.held_cases(user).await.iter().map(|c| c.id).collect()
    }

    /// The actions of the audit log, in order.
    /// The actions of the audit chain, after the reporter's queued entries
    /// have joined it ([`TestApp::audit_entries_after_the_day`]).
    pub async fn audit_actions(&self) -> Vec<String> {
        self.audit_entries_after_the_day()
            .await
            .into_iter()
            .map(|e| e.action)
            .collect()
    }

    /// The names of the files in the attachments directory (committed and partial).
    pub fn attachment_files(&self) -> Vec<String> {
        std::fs::read_dir(self.settings.storage.attachments_dir())
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// One pass of the notification scheduler at the clock's time.
    pub async fn tick(&self) -> varsel::core::notifications::TickReport {
        let clock = self.state.clock.clone();
        varsel::core::notifications::tick(&self.state, &*clock)
            .await
            .expect("a scheduler pass")
    }

    /// Runs a `varsel` subcommand on this service's database.
    pub fn command(&self, args: &[&str]) -> std::process::Output {
        crate::helpers::varsel()
            .args(args)
            .env("VARSEL_DATABASE__URL", &self.settings.database.url)
            .env(
                "VARSEL_STORAGE__DATA_DIR",
                self.settings.storage.data_dir.display().to_string(),
            )
            .env("VARSEL_LOG", "warn")
            .output()
            .expect("run varsel")
    }

    /// Removes the database.
    pub async fn teardown(self) {
        self.db.destroy().await;
    }
}

/// Every inbox line of `user` (open cases, then closed ones), each newest
/// first, straight from the store.
pub async fn inbox_lines(store: &Arc<dyn Store>, user: Uuid) -> Vec<InboxLine> {
    let mut lines = Vec::new();
    for status in [None, Some(varsel::core::domain::CaseStatus::Closed)] {
        let query = InboxPageQuery {
            user_id: user,
            sort: InboxSort::Received,
            filter: InboxFilter {
                status,
                ..InboxFilter::default()
            },
            from: None,
            limit: 10_000,
            now: 0,
            soon: 0,
        };
        lines.extend(store.inbox_page(&query).await.expect("read the inbox"));
    }
    lines
}
