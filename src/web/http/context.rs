//! The visitor of a request: their language and session, if any.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;
use zeroize::Zeroizing;

use crate::core::actor::{Actor, Reporter, StaffMember};
use crate::core::error::CoreError;
use crate::core::i18n::{Lang, Translator};
use crate::core::sessions;
use crate::web::http::errors::{AppError, ErrorKind};
use crate::web::http::session::{Session, COOKIE};
use crate::web::state::AppState;

/// The language chosen for this request (set by the language middleware).
#[derive(Debug, Clone, Copy)]
pub struct RequestLang(pub Lang);

/// Name of the cookie that carries an anonymous visitor's CSRF nonce.
pub const CSRF_COOKIE: &str = "varsel_csrf";

/// Who is asking, in which language.
pub struct Visitor {
    /// The interface language.
    pub lang: Lang,
    /// The live cookie session the visitor's session cookie names, if any
    /// (resolved from the database, so from any instance).
    pub session: Option<Session>,
    /// The CSRF token forms must echo: the session's, or for a visitor
    /// without a session the one derived from their CSRF cookie.
    csrf_token: Option<Zeroizing<String>>,
}

/// The CSRF token of an anonymous visitor: `HMAC-SHA-256(server key, label || nonce)`
/// for the random nonce in their CSRF cookie. Nothing is kept on the server,
/// so anonymous visitors cannot fill its memory; the key is shared by every
/// instance (see [`AppState::csrf_key`]), so a form fetched from one posts
/// to another, and after a restart.
fn anonymous_token(key: &[u8; 64], nonce: &str) -> Zeroizing<String> {
    use hmac::digest::KeyInit;
    use hmac::Mac;
    // A 64-byte key is exactly HMAC-SHA-256's block size: this constructor is infallible.
    let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new(key.into());
    mac.update(b"varsel.csrf.v1:");
    mac.update(nonce.as_bytes());
    Zeroizing::new(hex::encode(mac.finalize().into_bytes()))
}

impl Visitor {
    /// Strings in the visitor's language.
    pub fn t(&self) -> Translator {
        Translator::new(self.lang)
    }

    /// An error for this visitor.
    pub fn error(&self, kind: ErrorKind) -> AppError {
        AppError::new(kind, self.lang)
    }

    /// The error page for a core operation's failure ([`AppError::core`]).
    pub fn fail(&self, err: CoreError) -> AppError {
        AppError::core(self.lang, err)
    }

    /// An internal error for this visitor, logged with an incident id.
    pub fn internal(&self, err: impl Into<anyhow::Error>) -> AppError {
        AppError::internal(self.lang, &err.into())
    }

    /// Who the session belongs to; `None` without a session.
    pub fn principal(&self) -> Option<&Actor> {
        self.session.as_ref().map(|s| &s.principal)
    }

    /// The reporter session, if [`crate::core::authz`] lets it follow up its case;
    /// callers answer 404 otherwise (a reporter page without a session does
    /// not reveal that it exists).
    pub fn reporter(&self) -> Option<&Reporter> {
        crate::core::authz::reporter_session(self.principal()).ok()
    }

    /// The staff session, if [`crate::core::authz`] grants it `permission`.
    pub fn staff_for(
        &self,
        permission: crate::core::authz::Permission,
    ) -> Result<&StaffMember, crate::core::authz::Denial> {
        crate::core::authz::staff_session(self.principal(), permission)
    }

    /// The staff session, if logged in.
    pub fn staff(&self) -> Option<&StaffMember> {
        match self.session.as_ref().map(|s| &s.principal) {
            Some(Actor::Staff(s)) => Some(s),
            _ => None,
        }
    }

    /// The CSRF token forms must carry, if the visitor has a session or a CSRF cookie.
    pub fn csrf(&self) -> Option<&str> {
        self.csrf_token.as_ref().map(|t| t.as_str())
    }

    /// Checks a submitted CSRF token, in constant time.
    pub fn check_csrf(&self, submitted: &str) -> Result<(), AppError> {
        match &self.csrf_token {
            Some(expected) if tokens_match(expected.as_str(), submitted) => Ok(()),
            _ => Err(self.error(ErrorKind::Csrf)),
        }
    }
}

/// Builds the session cookie: HttpOnly, SameSite=Strict, Secure over TLS, no
/// expiry (it ends with the browser session).
pub fn session_cookie(token: &str, secure: bool) -> Cookie<'static> {
    Cookie::build(COOKIE, token.to_owned())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .finish()
}

/// A cookie that removes the session cookie.
pub fn clear_session_cookie(secure: bool) -> Cookie<'static> {
    let mut c = session_cookie("", secure);
    c.make_removal();
    c
}

impl FromRequest for Visitor {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let lang = req
            .extensions()
            .get::<RequestLang>()
            .map(|l| l.0)
            .unwrap_or_default();
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = req
            .cookie(COOKIE)
            .map(|c| Zeroizing::new(c.value().to_owned()));
        let nonce = req
            .cookie(CSRF_COOKIE)
            .map(|c| c.value().to_owned())
            .filter(|n| is_nonce(n));
        Box::pin(async move {
            let Some(state) = state else {
                return Ok(Visitor {
                    lang,
                    session: None,
                    csrf_token: None,
                });
            };
            let session = match &token {
                Some(token) => sessions::resolve(&state, token)
                    .await
                    .map_err(|e| AppError::core(lang, e))?
                    // A bearer (API) session's token never works as a cookie.
                    .filter(|s| !s.api),
                None => None,
            };
            let csrf_token = match (&session, nonce) {
                (Some(s), _) => Some(Zeroizing::new(s.csrf().to_owned())),
                (None, Some(nonce)) => Some(anonymous_token(&state.csrf_key, &nonce)),
                _ => None,
            };
            Ok(Visitor {
                lang,
                session,
                csrf_token,
            })
        })
    }
}

/// Compares two tokens in constant time.
pub fn tokens_match(expected: &str, submitted: &str) -> bool {
    use subtle::ConstantTimeEq;
    expected.len() == submitted.len() && bool::from(expected.as_bytes().ct_eq(submitted.as_bytes()))
}

/// Compares two byte strings in constant time (for equal lengths).
pub fn bytes_match(expected: &[u8], submitted: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    expected.len() == submitted.len() && bool::from(expected.ct_eq(submitted))
}

fn is_nonce(value: &str) -> bool {
    value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The CSRF token for a form: the session's, or for a visitor without one a
/// token bound to a random nonce in a session cookie (set on first use).
/// No server-side state is created for anonymous visitors.
pub fn ensure_csrf(state: &AppState, visitor: &Visitor) -> (String, Option<Cookie<'static>>) {
    if let Some(token) = &visitor.csrf_token {
        return (token.as_str().to_owned(), None);
    }
    let mut nonce = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut nonce);
    let nonce = hex::encode(nonce);
    let cookie = Cookie::build(CSRF_COOKIE, nonce.clone())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.settings.server.tls)
        .finish();
    let token = anonymous_token(&state.csrf_key, &nonce);
    (token.as_str().to_owned(), Some(cookie))
}

/// Logs the visitor in as `principal`: the old session ends and a new secret
/// is issued (no session fixation). The session is stored in the database,
/// so every instance serves it. Returns the cookie to set.
pub async fn start_session(
    state: &AppState,
    visitor: &Visitor,
    principal: Actor,
) -> Result<Cookie<'static>, AppError> {
    if let Some(old) = &visitor.session {
        sessions::end(state, old)
            .await
            .map_err(|e| visitor.fail(e))?;
    }
    let started = sessions::start(state, principal, false)
        .await
        .map_err(|e| visitor.fail(e))?;
    Ok(session_cookie(&started.token, state.settings.server.tls))
}

/// Ends the visitor's session on every instance (the row with its sealed
/// keys is deleted) and returns the cookie that clears it.
pub async fn end_session(state: &AppState, visitor: &Visitor) -> Result<Cookie<'static>, AppError> {
    if let Some(session) = &visitor.session {
        sessions::end(state, session)
            .await
            .map_err(|e| visitor.fail(e))?;
    }
    Ok(clear_session_cookie(state.settings.server.tls))
}
