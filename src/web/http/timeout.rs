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
use bytes::Bytes;
use futures_util::Stream;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

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

/// A request body that fails once it stalls for `idle` or passes `deadline`.
struct TimedPayload {
    inner: Payload,
    idle: Duration,
    deadline: tokio::time::Instant,
    timer: Pin<Box<tokio::time::Sleep>>,
    timed_out: Arc<AtomicBool>,
    done: bool,
}

impl Stream for TimedPayload {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(item)) => {
                let next = (tokio::time::Instant::now() + this.idle).min(this.deadline);
                this.timer.as_mut().reset(next);
                Poll::Ready(Some(item))
            }
            Poll::Ready(None) => {
                this.done = true;
                Poll::Ready(None)
            }
            Poll::Pending => match this.timer.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    this.done = true;
                    this.timed_out.store(true, Ordering::SeqCst);
                    let error =
                        std::io::Error::new(std::io::ErrorKind::TimedOut, "request body timed out");
                    Poll::Ready(Some(Err(PayloadError::Io(error))))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }
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
        let now = tokio::time::Instant::now();
        let timed = TimedPayload {
            inner: req.take_payload(),
            idle,
            deadline: now + total,
            timer: Box::pin(tokio::time::sleep_until(now + idle.min(total))),
            timed_out: timed_out.clone(),
            done: false,
        };
        req.set_payload(Payload::Stream {
            payload: Box::pin(timed),
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
    response
        .head_mut()
        .set_connection_type(ConnectionType::Close);
    Ok(ServiceResponse::new(req, response))
}
