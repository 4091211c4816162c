//! Routes, one module per area.

use actix_web::{web, HttpResponse};

/// The stylesheet, embedded in the binary.
const STYLESHEET: &str = include_str!("../../templates/varsel.css");

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(STYLESHEET)
}

/// Any request no route takes: a path that exists with other methods gets
/// 405 with `Allow` naming them (HEAD wherever GET is), on the error page in
/// the visitor's language; any other path the same "not found" page as
/// everything else.
pub async fn not_found(
    req: actix_web::HttpRequest,
    visitor: crate::web::http::Visitor,
) -> Result<HttpResponse, crate::web::http::AppError> {
    use actix_web::ResponseError;
    let allow = allowed_methods(req.path());
    if allow.is_empty() {
        return Err(visitor.error(crate::web::http::ErrorKind::NotFound));
    }
    let mut response = visitor
        .error(crate::web::http::ErrorKind::MethodNotAllowed)
        .error_response();
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&allow.join(", ")) {
        response
            .headers_mut()
            .insert(actix_web::http::header::ALLOW, value);
    }
    Ok(response)
}

/// The methods the routes of `path` take, in registration order, with HEAD
/// after GET; empty if no route has this path.
fn allowed_methods(path: &str) -> Vec<&'static str> {
    use std::sync::OnceLock;
    static ROUTES: OnceLock<Vec<(actix_web::http::Method, actix_web::dev::ResourceDef)>> =
        OnceLock::new();
    let routes = ROUTES.get_or_init(|| {
        registered_routes()
            .into_iter()
            .map(|(method, pattern)| (method, actix_web::dev::ResourceDef::new(pattern)))
            .collect()
    });
    let mut allow: Vec<&'static str> = Vec::new();
    for (method, def) in routes {
        if !def.is_match(path) {
            continue;
        }
        let head = (*method == actix_web::http::Method::GET).then_some("HEAD");
        for name in std::iter::once(method.as_str()).chain(head) {
            if !allow.contains(&name) {
                allow.push(name);
            }
        }
    }
    allow
}

/// Registers every route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    register(cfg);
}

/// Every registered `(method, path pattern)`, once each, in order; the same
/// registration as [`configure`] runs, on an app that is never served.
pub fn registered_routes() -> Vec<(actix_web::http::Method, String)> {
    let mut routes = Vec::new();
    let _ = actix_web::App::new().configure(|cfg| routes = register(cfg));
    let mut seen = std::collections::HashSet::new();
    routes.retain(|route| seen.insert(route.clone()));
    routes
}

/// Registers every route on `cfg`; returns what it registered.
fn register(cfg: &mut web::ServiceConfig) -> Vec<(actix_web::http::Method, String)> {
    // A method a page's path does not take: 405 with `Allow`, not actix's empty one.
    let mut routes = super::registry::Registry::new(cfg).with_fallback(|| web::to(not_found));
    routes.get("/static/varsel.css", stylesheet);
    routes.get("/static/pow.js", super::api::pow::script);
    routes.get(super::script::PATH, super::script::serve);
    routes.get("/pow/challenge", super::api::pow::challenge);
    super::operations::configure(&mut routes);
    super::pages::reporter::configure(&mut routes);
    super::pages::staff::configure(&mut routes);
    super::api::configure(&mut routes);
    super::pages::admin::configure(&mut routes);
    super::pages::statistics::configure(&mut routes);
    super::pages::custodian::configure(&mut routes);
    routes.into_recorded()
}
