//! Request middleware: the interface language, and a request log that records
//! method, route pattern, status and duration — never addresses, user agents,
//! query strings or bodies — for staff requests only: reporter requests
//! write no request line, and anything logged while serving them carries
//! the date alone (`crate::telemetry`).

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage};
use tracing::Instrument;

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
        "staff" | "contact" | "admin" | "custodian" | "stats" | "stats.csv" | "api"
    )
}

/// Path prefixes of the staff side (pages and API). Every other path is
/// treated as one a reporter may use: the landing page, the report form,
/// the code login and case pages, their API, challenges, static files.
const STAFF_PREFIXES: &[&str] = &[
    "/staff",
    "/admin",
    "/stats",
    "/stats.csv",
    "/contact",
    "/custodian",
    "/api/v1/staff",
    "/api/v1/admin",
    "/api/v1/contact",
    "/api/v1/custodian",
];

/// True unless `path` is on the staff side (deny by default: a new route is
/// logged like a reporter's until it is listed as staff).
pub fn is_reporter_path(path: &str) -> bool {
    !STAFF_PREFIXES.iter().any(|prefix| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

fn set_lang_cookie<B>(res: &mut ServiceResponse<B>, lang: Option<Lang>, secure: bool) {
    if let Some(lang) = lang {
        let cookie = Cookie::build(LANG_COOKIE, lang.code())
            .path("/")
            .http_only(true)
            .same_site(SameSite::Strict)
            .secure(secure)
            .finish();
        let _ = res.response_mut().add_cookie(&cookie);
    }
}

/// Whether the browser says this request comes from another site: its
/// Fetch Metadata header `Sec-Fetch-Site` is anything but `same-origin` (or
/// `none`, a request the user made by hand). A sibling site of the same
/// organisation (`same-site`, say the intranet) counts as another site.
/// Browsers that send no such header are left to the CSRF token, which
/// every storing action checks anyway.
pub fn is_cross_site(headers: &actix_web::http::header::HeaderMap) -> bool {
    headers
        .get("Sec-Fetch-Site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|site| !matches!(site.trim(), "same-origin" | "none"))
}

/// Refuses a form (any method but GET, HEAD and OPTIONS) sent to a page from
/// another site, before it is read: no page is ever drawn from fields or
/// tokens another site chose (a planted submission token, a pre-filled case
/// code or reply), and nothing is stored. The JSON API, which no browser
/// cookie authenticates, is not concerned.
pub async fn refuse_cross_site(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<actix_web::body::EitherBody<impl MessageBody>>, Error> {
    use actix_web::http::Method;
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe && !req.path().starts_with("/api/") && is_cross_site(req.headers()) {
        let lang = req
            .extensions()
            .get::<RequestLang>()
            .map(|l| l.0)
            .unwrap_or_default();
        let error = crate::web::http::AppError::new(crate::web::http::ErrorKind::CrossSite, lang);
        return Ok(req.error_response(error).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// Counts an answered request for `/metrics`: its route template, method
/// and status class only.
fn count_request<B>(res: &ServiceResponse<B>, method: &actix_web::http::Method) {
    if let Some(state) = res.request().app_data::<web::Data<AppState>>() {
        state
            .metrics
            .request(res.request().match_pattern(), method, res.status());
    }
}

/// Chooses the language — `?lang=`, then the cookie, then (staff pages and
/// the API only) `Accept-Language`, then the configured default — and logs
/// staff requests.
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
    if is_reporter_path(req.path()) {
        // No request line, and every line written meanwhile carries the
        // date alone (`telemetry`): nothing logged places a reporter's
        // action within the day (SPEC §3.5).
        let span = tracing::info_span!(crate::telemetry::REPORTER_SPAN);
        let mut res = next.call(req).instrument(span).await?;
        set_lang_cookie(&mut res, from_query, secure);
        count_request(&res, &method);
        return Ok(res);
    }
    let mut res = next.call(req).await?;
    set_lang_cookie(&mut res, from_query, secure);
    count_request(&res, &method);
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
    use super::{honours_accept_language, is_reporter_path};

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

    #[test]
    fn only_same_origin_and_typed_requests_count_as_this_site() {
        use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
        let with = |value: Option<&'static str>| {
            let mut headers = HeaderMap::new();
            if let Some(v) = value {
                headers.insert(
                    HeaderName::from_static("sec-fetch-site"),
                    HeaderValue::from_static(v),
                );
            }
            super::is_cross_site(&headers)
        };
        assert!(!with(None));
        assert!(!with(Some("same-origin")));
        assert!(!with(Some("none")));
        assert!(with(Some("same-site")));
        assert!(with(Some("cross-site")));
    }

    #[test]
    fn only_staff_paths_are_logged_with_their_time() {
        for path in [
            "/",
            "/report",
            "/report/receipt",
            "/followup",
            "/case",
            "/case/reply",
            "/case/identity",
            "/api/v1/reports",
            "/api/v1/reporter/case",
            "/api/v1/reporter/session",
            "/pow/challenge",
            "/staffing",
            "/statsx",
        ] {
            assert!(is_reporter_path(path), "{path}");
        }
        for path in [
            "/staff/inbox",
            "/admin",
            "/api/v1/staff/cases",
            "/api/v1/staff/session",
            "/api/v1/custodian/requests",
            "/stats",
            "/stats.csv",
            "/custodian",
        ] {
            assert!(!is_reporter_path(path), "{path}");
        }
    }
}
