//! Operations endpoints: `/healthz` (the process is up), `/readyz` (the
//! database answers and every migration is applied) and `/metrics`
//! (Prometheus text exposition format 0.0.4, for an administrator's
//! session or the configured scrape token).
//!
//! None of them writes a log line (they are outside the staff paths of
//! `http::middleware`), and the metrics are aggregates only: counts per
//! route template, status class, case status and category, the outbox,
//! the audit queue, rate-limit refusals and the database pool; never a
//! case id, a code, a user or an address.

use std::fmt::Write as _;
use std::sync::atomic::Ordering;

use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};

use crate::core::authz::{Denial, Permission};
use crate::core::store::Readiness;
use crate::web::http::{AppError, ErrorKind, Visitor};
use crate::web::state::AppState;

pub use crate::web::metrics::Metrics;

/// The content type of the text exposition format.
pub const EXPOSITION_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A label value, escaped as the exposition format wants.
fn label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// Writes the `# HELP` and `# TYPE` lines of a metric.
fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// The exposition of every metric at `now` (UNIX seconds).
pub async fn render(state: &AppState, now: i64) -> String {
    let metrics = &state.metrics;
    let mut out = String::new();
    family(
        &mut out,
        "varsel_build_info",
        "gauge",
        "The running version; always 1.",
    );
    let _ = writeln!(
        out,
        "varsel_build_info{{version=\"{}\"}} 1",
        label(env!("CARGO_PKG_VERSION"))
    );
    family(
        &mut out,
        "varsel_uptime_seconds",
        "gauge",
        "Seconds since this instance started.",
    );
    let _ = writeln!(out, "varsel_uptime_seconds {}", metrics.uptime_seconds());

    family(
        &mut out,
        "varsel_http_requests_total",
        "counter",
        "Requests answered by this instance, by route template, method and status class.",
    );
    let requests = metrics.requests();
    for ((route, method, class), count) in &requests {
        let _ = writeln!(
            out,
            "varsel_http_requests_total{{route=\"{}\",method=\"{method}\",status=\"{class}\"}} {count}",
            label(route)
        );
    }

    family(
        &mut out,
        "varsel_rate_limit_refusals_total",
        "counter",
        "Requests this instance refused for a spent budget or a refused proof of work, by lane.",
    );
    for (lane, counter) in [
        ("reporter", &state.rate_limits.refusals.reporter),
        ("pow", &state.rate_limits.refusals.pow),
        ("staff_login", &state.rate_limits.refusals.staff_login),
    ] {
        let _ = writeln!(
            out,
            "varsel_rate_limit_refusals_total{{lane=\"{lane}\"}} {}",
            counter.load(Ordering::Relaxed)
        );
    }

    let pool = state.store.pool_stats();
    family(
        &mut out,
        "varsel_db_pool_connections",
        "gauge",
        "Open database connections of this instance, by state.",
    );
    let _ = writeln!(
        out,
        "varsel_db_pool_connections{{state=\"idle\"}} {}",
        pool.idle
    );
    let _ = writeln!(
        out,
        "varsel_db_pool_connections{{state=\"in_use\"}} {}",
        pool.size.saturating_sub(pool.idle)
    );
    family(
        &mut out,
        "varsel_db_pool_max_connections",
        "gauge",
        "The most connections the pool opens.",
    );
    let _ = writeln!(out, "varsel_db_pool_max_connections {}", pool.max);

    let counts = state.store.operation_counts().await;
    family(
        &mut out,
        "varsel_db_up",
        "gauge",
        "1 if the database answered this scrape, else 0.",
    );
    let _ = writeln!(out, "varsel_db_up {}", u8::from(counts.is_ok()));
    if let Ok(counts) = counts {
        family(
            &mut out,
            "varsel_cases",
            "gauge",
            "Stored cases, by status and category.",
        );
        for (status, category, count) in &counts.cases {
            let _ = writeln!(
                out,
                "varsel_cases{{status=\"{}\",category=\"{}\"}} {count}",
                label(status),
                label(category)
            );
        }
        family(
            &mut out,
            "varsel_outbox_pending",
            "gauge",
            "Notifications not yet delivered and not given up on.",
        );
        let _ = writeln!(out, "varsel_outbox_pending {}", counts.outbox_pending);
        family(
            &mut out,
            "varsel_outbox_failed",
            "gauge",
            "Notifications given up on.",
        );
        let _ = writeln!(out, "varsel_outbox_failed {}", counts.outbox_failed);
        family(
            &mut out,
            "varsel_outbox_oldest_pending_age_seconds",
            "gauge",
            "Age of the oldest pending notification; 0 when none is pending.",
        );
        let age = counts
            .oldest_pending_created_at
            .map_or(0, |created| now.saturating_sub(created).max(0));
        let _ = writeln!(out, "varsel_outbox_oldest_pending_age_seconds {age}");
        family(
            &mut out,
            "varsel_audit_queue_length",
            "gauge",
            "Reporter audit entries waiting for the end of their day to join the chain.",
        );
        let _ = writeln!(out, "varsel_audit_queue_length {}", counts.audit_queue);
    }
    out
}

/// `GET /healthz`: the process is up. Touches no database.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("ok")
}

/// `GET /readyz`: 200 when the database answers and every migration is
/// applied; 503 with a short reason otherwise.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let (status, body) = match state.store.readiness().await {
        Ok(Readiness::Ready) => (StatusCode::OK, "ready".to_owned()),
        Ok(Readiness::MigrationsPending(versions)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "migrations pending: {}",
                versions
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "database unreachable".to_owned(),
        ),
    };
    HttpResponse::build(status)
        .content_type("text/plain; charset=utf-8")
        .body(body)
}

/// The bearer token of `Authorization`, if the request carries one.
fn bearer(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// `GET /metrics`: for the configured scrape token (401 if another token
/// is sent) or an administrator's session (403 for other staff); anyone
/// else gets the same 404 as an unknown page.
pub async fn metrics(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    match bearer(&req) {
        Some(token) => {
            if !state.settings.metrics.token_matches(token) {
                return Ok(HttpResponse::Unauthorized()
                    .insert_header((header::WWW_AUTHENTICATE, "Bearer"))
                    .finish());
            }
        }
        None => {
            let visitor = Visitor::extract(&req).await.map_err(|_| {
                AppError::new(ErrorKind::Unavailable, crate::core::i18n::Lang::default())
            })?;
            match visitor.staff_for(Permission::Administer) {
                Ok(_) => {}
                Err(Denial::Forbidden) => return Err(visitor.error(ErrorKind::Forbidden)),
                Err(Denial::SignInRequired) => return Err(visitor.error(ErrorKind::NotFound)),
            }
        }
    }
    let body = render(&state, state.now()).await;
    Ok(HttpResponse::Ok()
        .content_type(EXPOSITION_CONTENT_TYPE)
        .body(body))
}

/// Registers the operations routes.
pub fn configure(routes: &mut crate::web::registry::Registry<'_>) {
    routes
        .get("/healthz", healthz)
        .get("/readyz", readyz)
        .get("/metrics", metrics);
}

#[cfg(test)]
mod tests {
    use super::label;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
