//! Who calls the API: a bearer token (`Authorization: Bearer <session id>`)
//! naming a live API session. Cookies are never read here, and a cookie
//! session's id sent as a bearer token is refused, so the API needs no CSRF
//! protection and a page session can never drive it (nor an API session a page).

use std::future::{ready, Ready};
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::header::{HeaderValue, AUTHORIZATION};
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};

use crate::core::actor::{Actor, Reporter, StaffMember};
use crate::core::authz::{self, Denial, Permission};
use crate::core::i18n::Lang;
use crate::web::api::error::ApiError;
use crate::web::http::context::RequestLang;
use crate::web::http::session::{Session, SessionStore};
use crate::web::http::ErrorKind;
use crate::web::state::AppState;

/// The caller's language (`?lang=`, then `Accept-Language`, then the default).
#[derive(Debug, Clone, Copy)]
pub struct ApiLang(pub Lang);

/// The language the middleware chose for `req`.
pub fn lang_of(req: &HttpRequest) -> Lang {
    req.extensions()
        .get::<RequestLang>()
        .map(|l| l.0)
        .unwrap_or_default()
}

impl FromRequest for ApiLang {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(ApiLang(lang_of(req))))
    }
}

/// A caller holding a live API session.
pub struct ApiCaller {
    /// The caller's language.
    pub lang: Lang,
    token: String,
    session: Arc<Session>,
}

/// Longest `Authorization` value looked at; session ids are 64 characters.
const MAX_AUTHORIZATION: usize = 256;

/// The API session a bearer `Authorization` header names, with its token.
/// Anything else — no header, another scheme, an unknown or expired id, or
/// the id of a cookie session — is `None`.
pub fn bearer_session(
    sessions: &SessionStore,
    header: Option<&HeaderValue>,
) -> Option<(String, Arc<Session>)> {
    let value = header?.to_str().ok()?;
    if value.len() > MAX_AUTHORIZATION {
        return None;
    }
    let (scheme, token) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = token.trim();
    if token.is_empty() {
        return None;
    }
    let session = sessions.get(token).filter(|s| s.api)?;
    Some((token.to_owned(), session))
}

impl ApiCaller {
    fn unauthorized(&self) -> ApiError {
        ApiError::kind(self.lang, ErrorKind::Unauthorized)
    }

    /// The session token (to end the session).
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The reporter session, or 401 for any other kind of caller.
    pub fn reporter(&self) -> Result<&Reporter, ApiError> {
        authz::reporter_session(Some(&self.session.principal)).map_err(|_| self.unauthorized())
    }

    /// The staff session, or 401 for any other kind of caller.
    pub fn staff(&self) -> Result<&StaffMember, ApiError> {
        match &self.session.principal {
            Actor::Staff(s) => Ok(s),
            _ => Err(self.unauthorized()),
        }
    }

    /// The staff session, if [`authz`] grants it `permission`: 403 for
    /// other staff, 401 for anyone else.
    pub fn permitted(&self, permission: Permission) -> Result<&StaffMember, ApiError> {
        authz::staff_session(Some(&self.session.principal), permission).map_err(|d| match d {
            Denial::SignInRequired => self.unauthorized(),
            Denial::Forbidden => ApiError::kind(self.lang, ErrorKind::Forbidden),
        })
    }

    /// A staff member who works cases (handler or contact point).
    pub fn case_worker(&self) -> Result<&StaffMember, ApiError> {
        self.permitted(Permission::WorkCases)
    }
}

impl FromRequest for ApiCaller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let lang = lang_of(req);
        let found = req
            .app_data::<web::Data<AppState>>()
            .and_then(|state| bearer_session(&state.sessions, req.headers().get(AUTHORIZATION)));
        ready(match found {
            Some((token, session)) => Ok(ApiCaller {
                lang,
                token,
                session,
            }),
            None => Err(ApiError::kind(lang, ErrorKind::Unauthorized)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn header(s: &str) -> HeaderValue {
        HeaderValue::from_str(s).expect("header value")
    }

    #[test]
    fn only_api_sessions_are_accepted_as_bearer_tokens() {
        let sessions = SessionStore::new(10);
        let idle = Duration::from_secs(60);
        let (api, _) = sessions.create(Actor::Anonymous, idle, true).expect("room");
        let (cookie, _) = sessions
            .create(Actor::Anonymous, idle, false)
            .expect("room");
        let h = header(&format!("Bearer {api}"));
        assert!(bearer_session(&sessions, Some(&h)).is_some());
        let h = header(&format!("bearer  {api} "));
        assert!(bearer_session(&sessions, Some(&h)).is_some());
        let h = header(&format!("Bearer {cookie}"));
        assert!(bearer_session(&sessions, Some(&h)).is_none());
        let h = header(&format!("Basic {api}"));
        assert!(bearer_session(&sessions, Some(&h)).is_none());
        let h = header(&api);
        assert!(bearer_session(&sessions, Some(&h)).is_none());
        let h = header("Bearer ");
        assert!(bearer_session(&sessions, Some(&h)).is_none());
        assert!(bearer_session(&sessions, None).is_none());
        sessions.remove(&api);
        let h = header(&format!("Bearer {api}"));
        assert!(bearer_session(&sessions, Some(&h)).is_none());
    }
}
