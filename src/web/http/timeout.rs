//! The body read timeout: a request body that stalls (no byte for
//! `server.body_idle_timeout_seconds`, e.g. a `Content-Length` that is never
//! sent) or takes longer than `server.body_deadline_seconds` in all is cut
//! off: the handler's read fails, and the answer is a 408 with the
//! connection closed. The header read timeout is actix's
//! `client_request_timeout`, set in `startup.rs`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::http::ConnectionType;
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage, ResponseError};
use futures_util::StreamExt;

use crate::web::api::error::ApiError;
use crate::web::http::context::RequestLang;
use crate::web::http::errors::{AppError, ErrorKind};
use crate::web::state::AppState;

fn has_body(req: &ServiceRequest) -> bool {
    let headers = req.headers();
    headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .is_some_and(|n| n > 0)
}

/// Wraps the request body in the idle and total timeouts.
pub async fn body_timeout(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let limits = req.app_data::<web::Data<AppState>>().map(|s| {
        (
            Duration::from_secs(u64::from(s.settings.server.body_idle_timeout_seconds)),
            Duration::from_secs(u64::from(s.settings.server.body_deadline_seconds)),
        )
    });
    let timed_out = Arc::new(AtomicBool::new(false));
    if let (Some((idle, total)), true) = (limits, has_body(&req)) {
        let deadline = tokio::time::Instant::now() + total;
        let flag = timed_out.clone();
        let inner = req.take_payload();
        let stream = futures_util::stream::unfold(
            (inner, false),
            move |(mut inner, finished)| {
                let flag = flag.clone();
                async move {
                    if finished {
                        return None;
                    }
                    let left = deadline.saturating_duration_since(tokio::time::Instant::now());
                    match tokio::time::timeout(idle.min(left), inner.next()).await {
                        Ok(Some(item)) => Some((item, (inner, false))),
                        Ok(None) => None,
                        Err(_) => {
                            flag.store(true, Ordering::SeqCst);
                            let error = std::io::Error::new(
                                std::io::ErrorKind::TimedOut,
                                "request body timed out",
                            );
                            Some((Err(PayloadError::Io(error)), (inner, true)))
                        }
                    }
                }
            },
        );
        req.set_payload(Payload::Stream {
            payload: Box::pin(stream),
        });
    }
    let res = next.call(req).await?;
    if !timed_out.load(Ordering::SeqCst) {
        return Ok(res.map_into_boxed_body());
    }
    let (req, _) = res.into_parts();
    let lang = req
        .extensions()
        .get::<RequestLang>()
        .map(|l| l.0)
        .unwrap_or_default();
    let mut response = if req.path().starts_with("/api/") {
        ApiError::kind(lang, ErrorKind::RequestTimeout).error_response()
    } else {
        AppError::new(ErrorKind::RequestTimeout, lang).error_response()
    };
    response.head_mut().set_connection_type(ConnectionType::Close);
    Ok(ServiceResponse::new(req, response))
}
