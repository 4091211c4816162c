//! `varsel serve` as a child process, its log captured.

use std::sync::Arc;

use super::database::{Backend, TestDatabase};
use super::service::Service;
use super::{PASSWORD, TEST_WORK_FACTOR};

/// `varsel serve` as a child process, its stderr (the log) captured. Derefs
/// to its [`Service`].
pub struct ServedBinary {
    service: Service,
    instance: ServedInstance,
    /// The database.
    pub db: TestDatabase,
    /// Environment the child runs with (for running other subcommands on the same setup).
    pub env: Vec<(String, String)>,
}

impl std::ops::Deref for ServedBinary {
    type Target = Service;

    fn deref(&self) -> &Service {
        &self.service
    }
}

impl ServedBinary {
    /// Starts `varsel serve` on a fresh database.
    pub async fn start(backend: Backend) -> Self {
        Self::start_with_env(backend, &[]).await
    }

    /// Starts `varsel serve` on a fresh database with `extra` environment
    /// variables (settings such as `VARSEL_RATE_LIMITS__SUBMISSIONS_PER_MINUTE`).
    pub async fn start_with_env(backend: Backend, extra: &[(&str, &str)]) -> Self {
        Self::start_on(TestDatabase::create(backend).await, extra).await
    }

    /// Starts `varsel serve` on `db` (prepared by the test) with `extra`
    /// environment variables, which win over the defaults (a database URL
    /// with another role, say).
    pub async fn start_on(db: TestDatabase, extra: &[(&str, &str)]) -> Self {
        let mut env = vec![
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
        env.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let instance = ServedInstance::spawn(&env).await;
        ServedBinary {
            service: instance.service.clone(),
            instance,
            db,
            env,
        }
    }

    /// Starts one more `varsel serve` on the same database and data
    /// directory, with the same settings (another instance behind the same
    /// proxy). It is stopped when dropped.
    pub async fn another(&self) -> ServedInstance {
        ServedInstance::spawn(&self.env).await
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

    /// Creates a staff account with `varsel user add` (the test password,
    /// `display_name` if given, one `role`); it must succeed.
    pub fn add_user(&self, username: &str, display_name: Option<&str>, role: &str) {
        let pw = self.db.data_dir.path().join("pw.txt");
        std::fs::write(&pw, format!("{PASSWORD}\n")).expect("write the password file");
        let mut args = vec!["user", "add", "--username", username];
        if let Some(name) = display_name {
            args.extend(["--display-name", name]);
        }
        let pw_arg = pw.to_str().expect("a UTF-8 path");
        args.extend(["--role", role, "--password-file", pw_arg]);
        let out = self.command(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::remove_file(&pw).expect("remove the password file");
    }

    /// Everything the server logged so far.
    pub fn log(&self) -> String {
        self.instance.log()
    }

    /// Kills the server at once (SIGKILL: no shutdown, no flush), keeping
    /// the database for inspection.
    pub fn kill(&mut self) {
        self.instance.kill();
    }

    /// Stops the server and removes the database.
    pub async fn stop(self) -> String {
        let log = self.instance.stop();
        self.db.destroy().await;
        log
    }
}

/// One `varsel serve` process, its stderr (the log) captured; killed when
/// dropped. Derefs to its [`Service`].
pub struct ServedInstance {
    service: Service,
    child: std::process::Child,
    log: Arc<std::sync::Mutex<String>>,
}

impl std::ops::Deref for ServedInstance {
    type Target = Service;

    fn deref(&self) -> &Service {
        &self.service
    }
}

impl ServedInstance {
    /// Starts `varsel serve` with `env` and waits until it listens.
    async fn spawn(env: &[(String, String)]) -> Self {
        use std::io::{BufRead, BufReader};
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
        ServedInstance {
            service: Service::new(address),
            child,
            log,
        }
    }

    /// Everything the process logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Stops the process and returns its log.
    pub fn stop(mut self) -> String {
        self.kill();
        self.log()
    }

    /// Kills the process at once, as a crash or `kill -9` would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServedInstance {
    fn drop(&mut self) {
        self.kill();
    }
}
