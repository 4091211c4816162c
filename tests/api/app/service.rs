//! A running service as its clients see it: an address, the clients that
//! talk to it, and what comes back ([`Page`]). The actions are in
//! `pages.rs` (HTML forms) and `api.rs` (the JSON API).

use reqwest::header::HeaderMap;
use reqwest::{Client, Response, StatusCode};

/// A running Varsel, reached over HTTP; one method per action a test takes.
/// [`crate::app::TestApp`] and [`crate::app::ServedBinary`] deref to it.
#[derive(Clone)]
pub struct Service {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    /// Sent as `User-Agent` by every client, if set.
    user_agent: Option<&'static str>,
    /// Sent as `Accept-Language` by every client, if set.
    language: Option<&'static str>,
}

impl Service {
    /// The service at `address`.
    pub fn new(address: impl Into<String>) -> Self {
        Service {
            address: address.into(),
            user_agent: None,
            language: None,
        }
    }

    /// The same service, its clients sending `user_agent`.
    pub fn with_user_agent(&self, user_agent: &'static str) -> Service {
        Service {
            user_agent: Some(user_agent),
            ..self.clone()
        }
    }

    /// The same service, its clients asking for `language` (`Accept-Language`).
    pub fn with_language(&self, language: &'static str) -> Service {
        Service {
            language: Some(language),
            ..self.clone()
        }
    }

    /// `address` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// A browser-like client: keeps cookies, does not follow redirects.
    pub fn client(&self) -> Client {
        self.builder().cookie_store(true).build().expect("client")
    }

    /// A client without cookies that does not follow redirects.
    pub fn cookieless_client(&self) -> Client {
        self.builder().build().expect("client")
    }

    fn builder(&self) -> reqwest::ClientBuilder {
        let mut headers = HeaderMap::new();
        if let Some(language) = self.language {
            headers.insert(
                reqwest::header::ACCEPT_LANGUAGE,
                language.parse().expect("a header value"),
            );
        }
        let builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(headers);
        match self.user_agent {
            Some(agent) => builder.user_agent(agent),
            None => builder,
        }
    }

    /// `GET path` with `client`.
    pub async fn get(&self, client: &Client, path: &str) -> Page {
        Page::read(client.get(self.url(path)).send().await.expect("GET")).await
    }

    /// The text of the page at `path`, which must answer 200.
    pub async fn page(&self, client: &Client, path: &str) -> String {
        let page = self.get(client, path).await;
        assert_eq!(page.status, StatusCode::OK, "GET {path}: {}", page.text);
        page.text
    }
}

/// What a page request got back. Reads as its body (derefs to it).
pub struct Page {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub text: String,
}

impl Page {
    /// Reads `response` whole.
    pub async fn read(response: Response) -> Page {
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("a text body");
        Page {
            status,
            headers,
            text,
        }
    }

    /// The `Location` header, if any.
    pub fn location(&self) -> Option<&str> {
        self.headers
            .get("location")
            .map(|l| l.to_str().expect("an ASCII Location"))
    }

    /// Every `Set-Cookie` header.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().expect("an ASCII cookie").to_owned())
            .collect()
    }

    /// The value of the cookie `name` this answer sets, if it sets one.
    pub fn cookie(&self, name: &str) -> Option<String> {
        let prefix = format!("{name}=");
        self.set_cookies().iter().find_map(|c| {
            c.split(';')
                .next()
                .and_then(|pair| pair.strip_prefix(&prefix))
                .map(str::to_owned)
        })
    }

    /// The CSRF token of the page's forms.
    pub fn csrf(&self) -> String {
        super::html::csrf_of(&self.text)
    }

    /// Asserts a 303 to a location that starts with `to`.
    #[track_caller]
    pub fn assert_see_other(&self, to: &str) {
        assert_eq!(self.status, StatusCode::SEE_OTHER, "{}", self.text);
        let location = self.location().unwrap_or("");
        assert!(location.starts_with(to), "{location:?}, not {to}");
    }
}

impl std::fmt::Display for Page {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::ops::Deref for Page {
    type Target = str;

    fn deref(&self) -> &str {
        &self.text
    }
}
