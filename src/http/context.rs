//! The visitor of a request: their language and session, if any.

use std::future::{ready, Ready};
use std::sync::Arc;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};

use crate::http::errors::{AppError, ErrorKind};
use crate::http::session::{Principal, ReporterSession, Session, StaffSession, COOKIE};
use crate::i18n::{Lang, Translator};
use crate::state::AppState;

/// The language chosen for this request (set by the language middleware).
#[derive(Debug, Clone, Copy)]
pub struct RequestLang(pub Lang);

/// Who is asking, in which language.
pub struct Visitor {
    /// The interface language.
    pub lang: Lang,
    /// The cookie session id, if the visitor has a live session.
    pub session_id: Option<String>,
    /// The session.
    pub session: Option<Arc<Session>>,
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

    /// An internal error for this visitor, logged with an incident id.
    pub fn internal(&self, err: impl Into<anyhow::Error>) -> AppError {
        AppError::internal(self.lang, &err.into())
    }

    /// The reporter session, or 404 (a reporter page without a session does
    /// not reveal that it exists).
    pub fn reporter(&self) -> Option<&ReporterSession> {
        match self.session.as_deref().map(|s| &s.principal) {
            Some(Principal::Reporter(r)) => Some(r),
            _ => None,
        }
    }

    /// The staff session, if logged in.
    pub fn staff(&self) -> Option<&StaffSession> {
        match self.session.as_deref().map(|s| &s.principal) {
            Some(Principal::Staff(s)) => Some(s),
            _ => None,
        }
    }

    /// The CSRF token of the session, if any.
    pub fn csrf(&self) -> Option<&str> {
        self.session.as_deref().map(|s| s.csrf.as_str())
    }

    /// Checks a submitted CSRF token against the session's.
    pub fn check_csrf(&self, submitted: &str) -> Result<(), AppError> {
        match &self.session {
            Some(s) if s.csrf_matches(submitted) => Ok(()),
            _ => Err(self.error(ErrorKind::Csrf)),
        }
    }
}

/// Builds the session cookie: HttpOnly, SameSite=Strict, Secure over TLS, no
/// expiry (it ends with the browser session).
pub fn session_cookie(id: &str, secure: bool) -> Cookie<'static> {
    Cookie::build(COOKIE, id.to_owned())
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
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let lang = req
            .extensions()
            .get::<RequestLang>()
            .map(|l| l.0)
            .unwrap_or_default();
        let state = req.app_data::<web::Data<AppState>>();
        let (session_id, session) = match (state, req.cookie(COOKIE)) {
            (Some(state), Some(cookie)) => match state.sessions.get(cookie.value()) {
                Some(s) if !s.api => (Some(cookie.value().to_owned()), Some(s)),
                _ => (None, None),
            },
            _ => (None, None),
        };
        ready(Ok(Visitor {
            lang,
            session_id,
            session,
        }))
    }
}

/// Makes sure the visitor has a session, so a form can carry a CSRF token.
/// Returns the token and, for a new session, the cookie to set.
pub fn ensure_session(
    state: &AppState,
    visitor: &Visitor,
) -> Result<(String, Option<Cookie<'static>>), AppError> {
    if let Some(session) = &visitor.session {
        return Ok((session.csrf.clone(), None));
    }
    let (id, session) = state
        .sessions
        .create(Principal::Anonymous, state.reporter_idle(), false)
        .map_err(|_| visitor.error(ErrorKind::TooManyRequests))?;
    Ok((
        session.csrf.clone(),
        Some(session_cookie(&id, state.settings.server.tls)),
    ))
}

/// Logs the visitor in as `principal`: the old session ends and a new id is
/// issued (no session fixation). Returns the cookie to set.
pub fn start_session(
    state: &AppState,
    visitor: &Visitor,
    principal: Principal,
) -> Result<Cookie<'static>, AppError> {
    if let Some(old) = &visitor.session_id {
        state.sessions.remove(old);
    }
    let idle = match principal {
        Principal::Staff(_) => state.staff_idle(),
        _ => state.reporter_idle(),
    };
    let (id, _) = state
        .sessions
        .create(principal, idle, false)
        .map_err(|_| visitor.error(ErrorKind::TooManyRequests))?;
    Ok(session_cookie(&id, state.settings.server.tls))
}

/// Ends the visitor's session (its keys are dropped and zeroized) and returns
/// the cookie that clears it.
pub fn end_session(state: &AppState, visitor: &Visitor) -> Cookie<'static> {
    if let Some(id) = &visitor.session_id {
        state.sessions.remove(id);
    }
    clear_session_cookie(state.settings.server.tls)
}
