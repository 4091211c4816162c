//! Single sign-on against a real OpenID Connect provider: `oidc-provider`
//! (npm, pinned in `tests/oidc/package-lock.json`) run under Node.js as its
//! own process, and the browser's walk through the redirect chain: our
//! `/staff/login/oidc` → the provider → its login form → its consent form
//! → our callback → the key passphrase page.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};

use reqwest::{Client, StatusCode};

use super::{Backend, Page, Service, TestApp};

/// The client id the provider knows Varsel by.
pub const CLIENT_ID: &str = "varsel-test";
/// Its secret.
const CLIENT_SECRET: &str = "varsel-test-secret-0123456789abcdef";

/// `oidc-provider` running under Node.js; stopped when dropped.
pub struct TestProvider {
    /// `http://127.0.0.1:PORT`, as its ID tokens name it.
    pub issuer: String,
    child: Child,
    /// Held open: the provider stops when it closes.
    _stdin: Option<ChildStdin>,
}

impl TestProvider {
    /// Starts the provider for a client whose callback is `redirect_uri`.
    /// Fails, rather than skips, if Node.js or the package is missing.
    pub fn start(redirect_uri: &str) -> Self {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oidc");
        assert!(
            dir.join("node_modules/oidc-provider/package.json").exists(),
            "the single sign-on tests need oidc-provider: run `npm ci --prefix tests/oidc`"
        );
        let mut child = Command::new("node")
            .arg(dir.join("provider.mjs"))
            .args([CLIENT_ID, CLIENT_SECRET, redirect_uri])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the single sign-on tests need Node.js (`node`) on the PATH");
        let stdout = child.stdout.take().expect("the provider's output");
        let mut lines = BufReader::new(stdout);
        let mut line = String::new();
        lines
            .read_line(&mut line)
            .expect("the provider's first line");
        // Whatever it prints later is read and dropped (a closed pipe would stop it).
        std::thread::spawn(move || std::io::copy(&mut lines, &mut std::io::sink()));
        let issuer = line
            .trim()
            .strip_prefix("issuer ")
            .unwrap_or_else(|| panic!("the provider did not start: {line:?}"))
            .to_owned();
        let stdin = child.stdin.take();
        TestProvider {
            issuer,
            child,
            _stdin: stdin,
        }
    }
}

impl Drop for TestProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The service with single sign-on through a freshly started provider.
pub struct SsoApp {
    /// The service.
    pub app: TestApp,
    /// The provider.
    pub provider: TestProvider,
}

impl std::ops::Deref for SsoApp {
    type Target = TestApp;

    fn deref(&self) -> &TestApp {
        &self.app
    }
}

/// A port free at the moment (the service binds it next).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

impl SsoApp {
    /// Starts a provider, then the service with `[oidc]` pointing at it.
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, |_| {}).await
    }

    /// [`SsoApp::spawn`], with settings adjusted.
    pub async fn spawn_with(
        backend: Backend,
        adjust: impl FnOnce(&mut varsel::core::settings::Settings),
    ) -> Self {
        let port = free_port();
        let callback = format!("http://127.0.0.1:{port}/staff/login/oidc/callback");
        let provider = TestProvider::start(&callback);
        let issuer = provider.issuer.clone();
        let app = TestApp::spawn_with(backend, |s| {
            s.server.port = port;
            s.oidc.enabled = true;
            s.oidc.issuer_url = issuer;
            s.oidc.client_id = CLIENT_ID.into();
            s.oidc.client_secret = CLIENT_SECRET.into();
            s.oidc.redirect_url = callback;
            adjust(s);
        })
        .await;
        SsoApp { app, provider }
    }

    /// Links account `username` to `subject` of the test provider, as an
    /// operator would (`varsel user link-oidc`).
    pub async fn link(&self, username: &str, subject: &str) {
        let change = varsel::core::sso::LinkChange {
            store: &*self.app.store,
            by: varsel::core::audit::AuditActor::Cli,
            at: varsel::core::clock::system_now(),
            issuer: &self.provider.issuer,
        };
        change.link(username, subject).await.expect("linked");
    }
}

/// The `action` of the first form on `html`, `&amp;` decoded.
fn form_action(html: &str) -> String {
    let start = html.find("action=\"").expect("a form") + "action=\"".len();
    let end = html[start..].find('"').expect("the end of the action") + start;
    html[start..end].replace("&amp;", "&")
}

/// `location` made absolute against `base` (an absolute URL).
fn absolute(base: &str, location: &str) -> String {
    reqwest::Url::parse(base)
        .and_then(|b| b.join(location))
        .expect("a location")
        .to_string()
}

/// Where the browser went last, and what it got.
pub struct Landed {
    /// The URL of the last request.
    pub url: String,
    /// Its answer.
    pub page: Page,
}

impl Service {
    /// Follows redirects from `url` with `client` (GET) until an answer is
    /// not a redirect, or the next location starts with `stop_before`.
    pub async fn walk(&self, client: &Client, url: String, stop_before: Option<&str>) -> Landed {
        let mut url = url;
        for _ in 0..20 {
            let page = Page::read(client.get(&url).send().await.expect("GET")).await;
            let Some(location) = page.location().filter(|_| page.status.is_redirection()) else {
                return Landed { url, page };
            };
            let next = absolute(&url, location);
            if stop_before.is_some_and(|p| next.starts_with(p)) {
                return Landed { url: next, page };
            }
            url = next;
        }
        panic!("too many redirects");
    }

    /// Posts `fields` to the form of `landed`'s page, then follows redirects.
    async fn submit_provider_form(
        &self,
        client: &Client,
        landed: &Landed,
        fields: &[(&str, &str)],
        stop_before: Option<&str>,
    ) -> Landed {
        let action = absolute(&landed.url, &form_action(&landed.page.text));
        let r = client
            .post(&action)
            .form(fields)
            .send()
            .await
            .expect("POST");
        let page = Page::read(r).await;
        match page.location().filter(|_| page.status.is_redirection()) {
            Some(location) => {
                let next = absolute(&action, location);
                if stop_before.is_some_and(|p| next.starts_with(p)) {
                    return Landed { url: next, page };
                }
                self.walk(client, next, stop_before).await
            }
            None => Landed { url: action, page },
        }
    }

    /// Signs in at the provider as `subject` (its login form, then its
    /// consent form), starting from the login page's button. Stops before
    /// our callback: the callback URL the provider sends the browser to.
    pub async fn sign_in_at_provider(&self, client: &Client, subject: &str) -> String {
        let login = self.page(client, "/staff/login").await;
        assert!(login.contains("href=\"/staff/login/oidc\""), "{login}");
        let callback = self.url("/staff/login/oidc/callback");
        let form = self
            .walk(client, self.url("/staff/login/oidc"), Some(&callback))
            .await;
        assert_eq!(form.page.status, StatusCode::OK, "{}", form.page.text);
        assert!(form.page.contains("name=\"login\""), "{}", form.page.text);
        let consent = self
            .submit_provider_form(
                client,
                &form,
                &[("prompt", "login"), ("login", subject), ("password", "x")],
                Some(&callback),
            )
            .await;
        if consent.url.starts_with(&callback) {
            return consent.url;
        }
        assert!(
            consent.page.contains("value=\"consent\""),
            "{}",
            consent.page.text
        );
        let back = self
            .submit_provider_form(client, &consent, &[("prompt", "consent")], Some(&callback))
            .await;
        assert!(back.url.starts_with(&callback), "{}", back.url);
        back.url
    }

    /// The whole single sign-on as `subject` in `client`, up to the page our
    /// callback leads to.
    pub async fn sso_login(&self, client: &Client, subject: &str) -> Landed {
        let callback = self.sign_in_at_provider(client, subject).await;
        self.walk(client, callback, None).await
    }

    /// Posts `passphrase` to the passphrase page (whose CSRF token it reads first).
    pub async fn unlock_key(&self, client: &Client, passphrase: &str) -> Page {
        let form = self.page(client, "/staff/login/passphrase").await;
        self.post_form_with_token(
            client,
            Some(&super::csrf_of(&form)),
            "/staff/login/passphrase",
            &[("passphrase", passphrase)],
        )
        .await
    }
}
