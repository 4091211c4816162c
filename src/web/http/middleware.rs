//! Request middleware: the interface language, and a request log that records
//! method, route pattern, status and duration — never addresses, user agents,
//! query strings or bodies.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage};

use crate::core::i18n::Lang;
use crate::web::http::context::RequestLang;
use crate::web::state::AppState;

/// Name of the language cookie (a session cookie holding `nb` or `en`).
pub const LANG_COOKIE: &str = "varsel_lang";

fn query_lang(query: &str) -> Option<Lang> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == "lang")
        .and_then(|(_, v)| Lang::parse(v))
}

/// Chooses the language (`?lang=`, then the cookie, then `Accept-Language`,
/// then the configured default) and logs the request.
pub async fn language_and_log(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let default = req
        .app_data::<web::Data<AppState>>()
        .and_then(|s| Lang::parse(&s.settings.server.default_language))
        .unwrap_or_default();
    let from_query = query_lang(req.query_string());
    let from_cookie = req.cookie(LANG_COOKIE).and_then(|c| Lang::parse(c.value()));
    let from_header = req
        .headers()
        .get("Accept-Language")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .and_then(|tag| Lang::parse(tag.split(';').next().unwrap_or("")));
    let lang = from_query
        .or(from_cookie)
        .or(from_header)
        .unwrap_or(default);
    req.extensions_mut().insert(RequestLang(lang));
    let secure = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|s| s.settings.server.tls);
    let method = req.method().clone();
    let started = Instant::now();
    let mut res = next.call(req).await?;
    if let Some(lang) = from_query {
        let cookie = Cookie::build(LANG_COOKIE, lang.code())
            .path("/")
            .http_only(true)
            .same_site(SameSite::Strict)
            .secure(secure)
            .finish();
        let _ = res.response_mut().add_cookie(&cookie);
    }
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "(unmatched)".to_owned());
    tracing::info!(
        method = %method,
        route = %route,
        status = res.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
        "request"
    );
    Ok(res)
}
