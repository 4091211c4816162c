//! Mail for real: notifications delivered to aiosmtpd (PyPI, pinned in
//! scripts/requirements-smtp.txt, installed by scripts/smtp-venv.sh into
//! target/smtp-venv), run as its own process with STARTTLS (a certificate
//! issued by a self-signed test CA that `openssl` makes for each test, the CA
//! trusted through `notifications.ca_file`) and AUTH LOGIN/PLAIN. The server records, for
//! each mail, whether TLS was active and who logged in. On both backends:
//!
//! - a new case's notice arrives over STARTTLS, authenticated;
//! - a wrong password fails the delivery, which is retried with backoff and
//!   never reaches the server;
//! - a server that requires STARTTLS refuses Varsel sending in plain text.
//!
//! The venv must exist: a test without it fails, it never skips.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, OnceLock};

use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};
use varsel::core::clock::ManualClock;
use varsel::core::settings::{Settings, SmtpTls};
use varsel::core::store::DeliveryState;

use crate::app::{mail_through, Backend, TestApp};
use crate::for_each_backend;
use crate::smtp::Mail;

for_each_backend!(
    a_new_case_notice_reaches_a_real_server_over_starttls_with_authentication,
    a_wrong_password_fails_the_delivery_and_it_is_retried,
    a_server_requiring_starttls_refuses_plain_text,
);

const USER: &str = "varsel-mailer";
const PASSWORD: &str = "Riktig-passord-8841";

/// aiosmtpd, running; stopped when dropped.
pub struct RealSmtp {
    child: Child,
    /// The port it listens on (127.0.0.1).
    pub port: u16,
    log: PathBuf,
    /// The test CA's certificate, for `notifications.ca_file`.
    ca: PathBuf,
    _dir: tempfile::TempDir,
}

/// How a service reaches a [`RealSmtp`]: STARTTLS, trusting the test CA,
/// logged in as [`USER`]. Cloned into a settings closure.
#[derive(Clone)]
pub struct RealSmtpClient {
    port: u16,
    ca: String,
}

impl RealSmtpClient {
    /// Points `s` at the server, as the right user with the right password.
    pub fn apply(&self, s: &mut Settings) {
        self.apply_with_password(s, PASSWORD);
    }

    /// As [`Self::apply`], logging in with `password`.
    pub fn apply_with_password(&self, s: &mut Settings, password: &str) {
        mail_through(s, self.port);
        let n = &mut s.notifications;
        n.tls = SmtpTls::Starttls;
        n.username = USER.into();
        n.password = password.into();
        n.ca_file = self.ca.clone();
    }
}

/// The venv's Python, or a failure naming the install script.
fn python() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let venv = std::env::var_os("SMTP_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/smtp-venv"));
    let python = venv.join("bin/python");
    assert!(
        python.exists(),
        "aiosmtpd is not installed: run `bash scripts/smtp-venv.sh` ({} is missing)",
        python.display()
    );
    python
}

/// The test CA and the server certificate it issued, made by `openssl` once
/// per test process: (CA certificate, server certificate, server key).
fn certificates() -> &'static (PathBuf, PathBuf, PathBuf) {
    static MADE: OnceLock<(PathBuf, PathBuf, PathBuf)> = OnceLock::new();
    MADE.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("smtp-certs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("certificate directory");
        let file = |name: &str| dir.join(name);
        let (ca, ca_key) = (file("ca.pem"), file("ca-key.pem"));
        let (cert, key, csr) = (file("cert.pem"), file("key.pem"), file("server.csr"));
        let ext = file("server.ext");
        std::fs::write(
            &ext,
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=critical,CA:FALSE\n\
             extendedKeyUsage=serverAuth\n",
        )
        .expect("extensions file");
        let openssl = |args: &[&std::ffi::OsStr]| {
            let made = Command::new("openssl")
                .args(args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .expect("openssl runs");
            assert!(made.success(), "openssl failed: {args:?}");
        };
        let os = |s: &'static str| std::ffi::OsStr::new(s);
        // A self-signed test CA, and the server's certificate it issues.
        openssl(&[
            os("req"),
            os("-x509"),
            os("-newkey"),
            os("rsa:2048"),
            os("-nodes"),
            os("-days"),
            os("2"),
            os("-subj"),
            os("/CN=Varsel test CA"),
            os("-keyout"),
            ca_key.as_os_str(),
            os("-out"),
            ca.as_os_str(),
        ]);
        openssl(&[
            os("req"),
            os("-newkey"),
            os("rsa:2048"),
            os("-nodes"),
            os("-subj"),
            os("/CN=127.0.0.1"),
            os("-keyout"),
            key.as_os_str(),
            os("-out"),
            csr.as_os_str(),
        ]);
        openssl(&[
            os("x509"),
            os("-req"),
            os("-in"),
            csr.as_os_str(),
            os("-CA"),
            ca.as_os_str(),
            os("-CAkey"),
            ca_key.as_os_str(),
            os("-CAcreateserial"),
            os("-days"),
            os("2"),
            os("-extfile"),
            ext.as_os_str(),
            os("-out"),
            cert.as_os_str(),
        ]);
        (ca, cert, key)
    })
}

impl RealSmtp {
    /// Starts the server, which refuses mail before STARTTLS and AUTH.
    pub fn start() -> Self {
        Self::start_with(true)
    }

    /// Starts the server; `require_starttls` refuses mail before STARTTLS.
    fn start_with(require_starttls: bool) -> Self {
        let (ca, cert, key) = certificates();
        let dir = tempfile::tempdir().expect("temporary directory");
        let log = dir.path().join("events.jsonl");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp/aiosmtpd_server.py");
        let mut command = Command::new(python());
        command
            .arg(script)
            .arg("--log")
            .arg(&log)
            .arg("--cert")
            .arg(cert)
            .arg("--key")
            .arg(key)
            .args(["--user", USER, "--password", PASSWORD]);
        if require_starttls {
            command.arg("--require-starttls");
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("aiosmtpd starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("aiosmtpd says its port");
        let port = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("aiosmtpd did not start: {line:?}"));
        RealSmtp {
            child,
            port,
            log,
            ca: ca.clone(),
            _dir: dir,
        }
    }

    /// How a service reaches this server.
    pub fn client(&self) -> RealSmtpClient {
        RealSmtpClient {
            port: self.port,
            ca: self.ca.display().to_string(),
        }
    }

    /// Everything the server recorded, in order.
    fn events(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect()
    }

    /// The mails it accepted, as it recorded them (TLS state, login).
    fn records(&self) -> Vec<Value> {
        self.events()
            .into_iter()
            .filter(|e| e["event"] == "mail")
            .collect()
    }

    /// Every message accepted so far, each over STARTTLS and authenticated
    /// (asserted: the server never accepts one otherwise).
    pub fn mails(&self) -> Vec<Mail> {
        self.records()
            .into_iter()
            .map(|r| {
                assert_eq!(r["tls"], true, "{r}");
                assert_eq!(r["auth_user"], USER, "{r}");
                let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
                Mail {
                    from: text(&r["from"]),
                    to: r["to"]
                        .as_array()
                        .map(|a| a.iter().map(text).collect())
                        .unwrap_or_default(),
                    data: text(&r["data"]),
                }
            })
            .collect()
    }

    /// Messages accepted for `address`.
    pub fn mails_to(&self, address: &str) -> Vec<Mail> {
        self.mails()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t == address))
            .collect()
    }
}

impl Drop for RealSmtp {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A service mailing to `smtp` over STARTTLS as `USER` with `password`.
async fn spawn(backend: Backend, smtp: &RealSmtp, clock: &ManualClock, password: &str) -> TestApp {
    let (client, password) = (smtp.client(), password.to_owned());
    TestApp::spawn_with_clock(backend, Arc::new(clock.clone()), move |s| {
        client.apply_with_password(s, &password);
        s.notifications.retry_base_seconds = 60;
    })
    .await
}

fn report() -> Value {
    json!({
        "category": "avvik",
        "severity": "hoy",
        "description": "Tilgangskortet til arkivet virker for alle.",
    })
}

async fn a_new_case_notice_reaches_a_real_server_over_starttls_with_authentication(
    backend: Backend,
) {
    let smtp = RealSmtp::start();
    let clock = ManualClock::new(OffsetDateTime::now_utc());
    let app = spawn(backend, &smtp, &clock, PASSWORD).await;
    app.add_staff("hanne", &["handler"], &[], Some("hanne@example.org"))
        .await;
    app.report(&report()).await;
    assert_eq!(app.tick().await.delivery.sent, 1);
    let mails = smtp.records();
    assert_eq!(mails.len(), 1, "{:?}", smtp.events());
    let mail = &mails[0];
    assert_eq!(mail["tls"], true, "STARTTLS was active");
    assert_eq!(mail["auth_user"], USER, "authenticated");
    assert_eq!(mail["to"], json!(["hanne@example.org"]));
    assert_eq!(mail["from"], "varsel@example.org");
    let data = mail["data"].as_str().unwrap_or_default();
    assert!(data.contains("/staff/login"), "{data}");
    assert!(!data.contains("Tilgangskortet"), "no case content");
    let entry = &app.store.notification_outbox().await.unwrap();
    assert!(entry.is_empty(), "delivered: {entry:?}");
    app.teardown().await;
}

async fn a_wrong_password_fails_the_delivery_and_it_is_retried(backend: Backend) {
    let smtp = RealSmtp::start();
    let clock = ManualClock::new(OffsetDateTime::now_utc());
    let app = spawn(backend, &smtp, &clock, "Feil-passord-1234").await;
    app.add_staff("hanne", &["handler"], &[], Some("hanne@example.org"))
        .await;
    app.report(&report()).await;
    assert_eq!(app.tick().await.delivery.retrying, 1);
    let entry = app.store.notification_outbox().await.unwrap().remove(0);
    assert_eq!(entry.state, DeliveryState::Retrying);
    assert_eq!(entry.attempts, 1);
    let error = entry.last_error.clone().unwrap_or_default();
    assert!(error.contains("535"), "{entry:?}");
    assert!(
        !error.contains("Feil-passord"),
        "the password is never shown"
    );
    // Not before the backoff; then once more, refused again.
    assert_eq!(app.tick().await.delivery.retrying, 0);
    clock.advance(Duration::seconds(61));
    assert_eq!(app.tick().await.delivery.retrying, 1);
    let entry = app.store.notification_outbox().await.unwrap().remove(0);
    assert_eq!(entry.attempts, 2);
    assert!(smtp.mails().is_empty());
    let failed = smtp
        .events()
        .into_iter()
        .filter(|e| e["event"] == "auth_failed" && e["user"] == USER)
        .count();
    assert!(failed >= 2, "{:?}", smtp.events());
    app.teardown().await;
}

async fn a_server_requiring_starttls_refuses_plain_text(backend: Backend) {
    let smtp = RealSmtp::start();
    let clock = ManualClock::new(OffsetDateTime::now_utc());
    let port = smtp.port;
    let app = TestApp::spawn_with_clock(backend, Arc::new(clock.clone()), move |s| {
        mail_through(s, port);
        s.notifications.tls = SmtpTls::None;
    })
    .await;
    app.add_staff("hanne", &["handler"], &[], Some("hanne@example.org"))
        .await;
    app.report(&report()).await;
    assert_eq!(app.tick().await.delivery.retrying, 1);
    assert!(smtp.mails().is_empty());
    let entry = app.store.notification_outbox().await.unwrap().remove(0);
    assert_eq!(entry.state, DeliveryState::Retrying);
    assert!(
        entry
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("530"),
        "{entry:?}"
    );
    app.teardown().await;
}
