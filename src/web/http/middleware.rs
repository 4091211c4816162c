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

/// Name of the language cookie (a session cookie holding `nb`, `nn` or `en`).
pub const LANG_COOKIE: &str = "varsel_lang";

fn query_lang(query: &str) -> Option<Lang> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == "lang")
        .and_then(|(_, v)| Lang::parse(v))
}

/// Whether `path` is on the staff side or the API, where the browser's
/// `Accept-Language` chooses the language. Everywhere else — the reporter's
/// pages and the error page of an unknown address — the configured default
/// wins over it: Tor Browser asks for English whatever its user reads, and a
/// reporter's page must not follow a header that differs from browser to
/// browser.
fn honours_accept_language(path: &str) -> bool {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    matches!(
        first,
        "staff" | "contact" | "admin" | "stats" | "stats.csv" | "api"
    )
}

/// Chooses the language — `?lang=`, then the cookie, then (staff pages and
/// the API only) `Accept-Language`, then the configured default — and logs
/// the request.
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
    let from_header = if honours_accept_language(req.path()) {
        req.headers()
            .get("Accept-Language")
            .and_then(|v| v.to_str().ok())
            .and_then(Lang::from_accept_language)
    } else {
        None
    };
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

#[cfg(test)]
mod tests {
    use super::honours_accept_language;

    #[test]
    fn only_staff_pages_and_the_api_follow_the_browser_language() {
        for path in [
            "/staff/inbox",
            "/admin/groups",
            "/stats",
            "/stats.csv",
            "/api/v1/reports",
            "/contact/register",
        ] {
            assert!(honours_accept_language(path), "{path}");
        }
        for path in [
            "/",
            "/report",
            "/followup",
            "/case",
            "/case/reply",
            "/no/such/page",
            "/staffing",
            "/apis",
        ] {
            assert!(!honours_accept_language(path), "{path}");
        }
    }
}
