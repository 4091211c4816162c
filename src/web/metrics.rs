//! This instance's request counters for `/metrics` (see
//! `web::operations`): counts per route template, method and status class
//! only, fed by the request middleware.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

use actix_web::http::StatusCode;

/// This instance's counters (process-wide aggregates, nothing per visitor).
#[derive(Debug)]
pub struct Metrics {
    started: Instant,
    /// Requests per (route template, method, status class).
    requests: Mutex<BTreeMap<(String, &'static str, &'static str), u64>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            started: Instant::now(),
            requests: Mutex::default(),
        }
    }
}

/// A method as a label: the standard ones by name, anything else `other`
/// (a client cannot grow the label set).
fn method_label(method: &actix_web::http::Method) -> &'static str {
    use actix_web::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// A status as its class: `2xx` … `5xx`.
fn status_class(status: StatusCode) -> &'static str {
    match status.as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

impl Metrics {
    /// Counts one answered request. `route` is the matched route template
    /// (never the path itself), `None` if no route matched.
    pub fn request(
        &self,
        route: Option<String>,
        method: &actix_web::http::Method,
        status: StatusCode,
    ) {
        let route = route.unwrap_or_else(|| "(unmatched)".to_owned());
        if let Ok(mut requests) = self.requests.lock() {
            *requests
                .entry((route, method_label(method), status_class(status)))
                .or_insert(0) += 1;
        }
    }
}

impl Metrics {
    /// A copy of the request counts.
    pub fn requests(&self) -> BTreeMap<(String, &'static str, &'static str), u64> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// Whole seconds since this instance started.
    pub fn uptime_seconds(&self) -> u64 {
        self.started.elapsed().as_secs()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_and_methods_bounded() {
        let odd = actix_web::http::Method::from_bytes(b"FOOBAR").unwrap_or_default();
        assert_eq!(method_label(&odd), "other");
        assert_eq!(status_class(StatusCode::SERVICE_UNAVAILABLE), "5xx");
    }
}
