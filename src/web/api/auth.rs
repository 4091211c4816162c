//! Who calls the API: a bearer token (`Authorization: Bearer <token>`)
//! naming a live API session, resolved from the database (so any instance
//! serves it). Cookies are never read here, and a cookie session's token sent
//! as a bearer token is refused, so the API needs no CSRF protection and a
//! page session can never drive it (nor an API session a page).

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::http::header::{HeaderValue, AUTHORIZATION};
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;
use zeroize::Zeroizing;

use crate::core::actor::{Actor, Reporter, StaffMember};
use crate::core::authz::{self, Denial, Permission};
use crate::core::i18n::Lang;
use crate::core::sessions;
use crate::web::api::error::ApiError;
use crate::web::http::context::RequestLang;
use crate::web::http::session::Session;
use crate::web::http::ErrorKind;
use crate::web::state::AppState;
/// The caller's language (`?lang=`, then the language cookie, then
/// `Accept-Language`, then the default).
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
    session: Session,
}

/// Longest `Authorization` value looked at; session tokens are 64 characters.
const MAX_AUTHORIZATION: usize = 256;

/// The token of a bearer `Authorization` header; `None` for no header,
/// another scheme or an empty token. Whether it names a live API session is
/// for [`sessions::resolve`] to say.
pub fn bearer_token(header: Option<&HeaderValue>) -> Option<Zeroizing<String>> {
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
    Some(Zeroizing::new(token.to_owned()))
}

impl ApiCaller {
    fn unauthorized(&self) -> ApiError {
        ApiError::kind(self.lang, ErrorKind::Unauthorized)
    }

    /// The session (to end it with [`sessions::end`]).
    pub fn session(&self) -> &Session {
        &self.session
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
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let lang = lang_of(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer_token(req.headers().get(AUTHORIZATION));
        Box::pin(async move {
            let unauthorized = || ApiError::kind(lang, ErrorKind::Unauthorized);
            let (Some(state), Some(token)) = (state, token) else {
                return Err(unauthorized());
            };
            let session = sessions::resolve(&state, &token)
                .await
                .map_err(|e| ApiError::core(lang, e))?
                // A cookie session's token never works as a bearer token.
                .filter(|s| s.api)
                .ok_or_else(unauthorized)?;
            Ok(ApiCaller { lang, session })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(s: &str) -> HeaderValue {
        HeaderValue::from_str(s).expect("header value")
    }

    fn token_of(s: &str) -> Option<String> {
        bearer_token(Some(&header(s))).map(|t| t.as_str().to_owned())
    }

    #[test]
    fn only_bearer_headers_carry_a_token() {
        let token = "ab".repeat(32);
        assert_eq!(token_of(&format!("Bearer {token}")), Some(token.clone()));
        assert_eq!(token_of(&format!("bearer  {token} ")), Some(token.clone()));
        assert_eq!(token_of(&format!("Basic {token}")), None);
        assert_eq!(token_of(&token), None);
        assert_eq!(token_of("Bearer "), None);
        assert_eq!(token_of(&format!("Bearer {}", "a".repeat(300))), None);
        assert!(bearer_token(None).is_none());
    }
}
