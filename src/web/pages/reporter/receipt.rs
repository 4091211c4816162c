//! The receipt after a report: `POST /report` answers with a 303 to
//! `GET /report/receipt`, which shows the case code from a one-time receipt
//! ([`crate::core::receipts`]) that the reporter's receipt cookie opens.
//! Reloading it asks for nothing again; `POST /report/receipt` ("I have
//! written down my code") deletes it, and from then on the page says the
//! code is no longer shown. A form posted again finds its submission token
//! used: the reporter whose receipt it is gets the receipt again, anyone
//! else the "already received" page. Nothing here stores or logs the code.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::core::i18n::Translator;
use crate::core::receipts::{self, SubmissionTag};
use crate::web::http::context::ensure_csrf;
use crate::web::http::{AppError, Visitor};
use crate::web::state::AppState;

/// Name of the cookie that holds a receipt's secret (only for `/report`).
pub const RECEIPT_COOKIE: &str = "varsel_receipt";
/// Where the receipt is shown.
pub const RECEIPT_PATH: &str = "/report/receipt";

/// The receipt, the only page that ever shows the case code.
#[derive(Template)]
#[template(path = "reporter/receipt.html")]
struct ReceiptPage {
    t: Translator,
    csrf: String,
    code: Zeroizing<String>,
    acknowledge_by: String,
    shown_until: String,
    /// Files stored with their metadata, named so the reporter knows.
    metadata_kept: Vec<String>,
}

/// The receipt after it was confirmed, or once it has expired.
#[derive(Template)]
#[template(path = "reporter/receipt_gone.html")]
struct ReceiptGonePage {
    t: Translator,
}

/// A form posted again, by someone whose receipt it is not (or no longer).
#[derive(Template)]
#[template(path = "reporter/already_received.html")]
struct AlreadyReceivedPage {
    t: Translator,
}

/// The confirmation form.
#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    csrf: String,
}

/// The receipt cookie: HttpOnly, SameSite=Strict, only for `/report`, no
/// expiry (it ends with the browser session; the receipt ends sooner).
fn receipt_cookie(value: &str, secure: bool) -> Cookie<'static> {
    Cookie::build(RECEIPT_COOKIE, value.to_owned())
        .path("/report")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .finish()
}

fn clear_receipt_cookie(secure: bool) -> Cookie<'static> {
    let mut cookie = receipt_cookie("", secure);
    cookie.make_removal();
    cookie
}

/// The receipt the request's cookie opens, if it is still there.
async fn open_receipt(
    state: &AppState,
    visitor: &Visitor,
    req: &HttpRequest,
) -> Result<Option<receipts::Receipt>, AppError> {
    let Some(cookie) = req.cookie(RECEIPT_COOKIE) else {
        return Ok(None);
    };
    let token = Zeroizing::new(cookie.value().to_owned());
    receipts::open(state, &token)
        .await
        .map_err(|e| visitor.fail(e))
}

/// The answer to a report just stored: its receipt, and a 303 to it.
pub async fn issued(
    state: &AppState,
    visitor: &Visitor,
    prepared: &crate::core::casework::PreparedCase,
    submitted: &crate::core::casework::Submitted,
    submission_token: &str,
) -> Result<HttpResponse, AppError> {
    let acknowledge_by = submitted.acknowledge_by;
    let issued = receipts::issue(
        state,
        &prepared.code,
        acknowledge_by,
        prepared.submission.as_ref(),
        &submitted.metadata_kept,
        receipts::receipt_secret(&state.csrf_key[..], submission_token),
    )
    .await;
    match issued {
        Ok(token) => Ok(super::see_other(
            RECEIPT_PATH,
            Some(receipt_cookie(&token, state.settings.server.tls)),
        )),
        // The case is stored but its receipt is not: the code is shown
        // here, this once, rather than lost.
        Err(e) => {
            tracing::warn!(error = %e, "cannot store a receipt; shown directly");
            let (csrf, _) = ensure_csrf(state, visitor);
            let page = ReceiptPage {
                t: visitor.t(),
                csrf,
                code: prepared.code.expose_grouped(),
                acknowledge_by: super::format_date(acknowledge_by),
                shown_until: shown_until(state, visitor),
                metadata_kept: submitted.metadata_kept.clone(),
            };
            let body = super::render(visitor, &page)?;
            Ok(super::html(StatusCode::OK, body, None))
        }
    }
}

fn shown_until(state: &AppState, visitor: &Visitor) -> String {
    let minutes = receipts::receipt_lifetime(state) / 60;
    visitor.t().f(
        "reporter.receipt.shown_until_confirmed",
        &[("minutes", &minutes.to_string())],
    )
}

/// A form posted again whose submission token was used: the receipt again
/// if it is this reporter's and still there, else "already received". The
/// receipt is found by the cookie, or, when the browser dropped the first
/// answer and its cookie (a double click), by the form's own token.
pub async fn already_received(
    state: &AppState,
    visitor: &Visitor,
    req: &HttpRequest,
    tag: &SubmissionTag,
    submission_token: &str,
) -> Result<HttpResponse, AppError> {
    if let Some(receipt) = open_receipt(state, visitor, req).await? {
        let theirs = receipt
            .submission
            .as_ref()
            .is_some_and(|own| crate::web::http::context::bytes_match(own, tag));
        if theirs {
            return Ok(super::see_other(RECEIPT_PATH, None));
        }
    }
    if let Some(secret) = receipts::receipt_secret(&state.csrf_key[..], submission_token) {
        let token = secret.token();
        let found = receipts::open(state, &token)
            .await
            .map_err(|e| visitor.fail(e))?;
        let theirs = found.is_some_and(|receipt| {
            receipt
                .submission
                .as_ref()
                .is_some_and(|own| crate::web::http::context::bytes_match(own, tag))
        });
        if theirs {
            let cookie = receipt_cookie(&token, state.settings.server.tls);
            return Ok(super::see_other(RECEIPT_PATH, Some(cookie)));
        }
    }
    let body = super::render(visitor, &AlreadyReceivedPage { t: visitor.t() })?;
    Ok(super::html(StatusCode::CONFLICT, body, None))
}

/// `GET /report/receipt`: the code while the receipt lasts, then a page
/// that says it is no longer shown.
pub async fn show(
    state: web::Data<AppState>,
    visitor: Visitor,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let Some(receipt) = open_receipt(&state, &visitor, &req).await? else {
        let body = super::render(&visitor, &ReceiptGonePage { t: visitor.t() })?;
        return Ok(super::html(StatusCode::OK, body, None));
    };
    let (csrf, cookie) = ensure_csrf(&state, &visitor);
    let page = ReceiptPage {
        t: visitor.t(),
        csrf,
        code: Zeroizing::new(receipt.code.as_str().to_owned()),
        acknowledge_by: super::format_date(receipt.acknowledge_by),
        shown_until: shown_until(&state, &visitor),
        metadata_kept: receipt.metadata_kept.clone(),
    };
    let body = super::render(&visitor, &page)?;
    Ok(super::html(StatusCode::OK, body, cookie))
}

/// `POST /report/receipt`: "I have written down my code". The receipt is
/// deleted and its cookie cleared; the page then says the code is gone.
pub async fn confirm(
    state: web::Data<AppState>,
    visitor: Visitor,
    req: HttpRequest,
    form: web::Form<ConfirmForm>,
) -> Result<HttpResponse, AppError> {
    visitor.check_csrf(&form.csrf)?;
    if let Some(cookie) = req.cookie(RECEIPT_COOKIE) {
        let token = Zeroizing::new(cookie.value().to_owned());
        receipts::confirm(&state, &token)
            .await
            .map_err(|e| visitor.fail(e))?;
    }
    Ok(super::see_other(
        RECEIPT_PATH,
        Some(clear_receipt_cookie(state.settings.server.tls)),
    ))
}
