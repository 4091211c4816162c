//! What the administrators' forms share: the answer to a form (a redirect to
//! the page after a change, the page again with the problem after a refusal)
//! and the confirmation shown after the redirect.

use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;
use askama::Template;
use serde::Deserialize;

use crate::core::i18n::Translator;
use crate::web::http::Visitor;
use crate::web::pages::staff::StaffResult;

/// Renders `page` as an HTML response with `status`.
pub(super) fn respond(visitor: &Visitor, page: &impl Template, status: StatusCode) -> StaffResult {
    let body = page.render().map_err(|e| visitor.internal(e))?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body))
}

/// A 303 to `page` with the confirmation `notice` (POST-redirect-GET).
pub(super) fn done(page: &str, notice: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("{page}?notice={notice}")))
        .finish()
}

/// A 303 to `page`: a form's URL asked for with GET (the language switch of
/// a page re-rendered after a refusal). It names nothing the caller did not
/// send; the page does the checking.
pub(super) fn back_to(page: &'static str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, page))
        .finish()
}

/// The query of a page that may show a confirmation.
#[derive(Deserialize)]
pub(super) struct NoticeQuery {
    #[serde(default)]
    notice: Option<String>,
}

impl NoticeQuery {
    /// The confirmation to show: `{area}.notice.{key}` if `key` is one of
    /// `known` (anything else in the URL is ignored).
    pub(super) fn message(&self, t: &Translator, area: &str, known: &[&str]) -> Option<String> {
        let key = self.notice.as_deref()?;
        known
            .contains(&key)
            .then(|| t.t(&format!("{area}.notice.{key}")))
    }
}
