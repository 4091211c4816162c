//! `POST /api/v1/reports`: submitting a report, as JSON, or as
//! `multipart/form-data` with the report as JSON in a `report` part and files
//! in `attachment` parts. Validated completely before anything is stored; on
//! any failure, uploaded files are removed and nothing is kept.

use actix_multipart::Multipart;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;
use zeroize::Zeroize;

use crate::core::casework::{self, IncomingFile, PreparedCase, ReportInput};
use crate::core::domain::{Category, Severity, TextField};
use crate::core::i18n::Lang;
use crate::core::routing;
use crate::core::settings::Settings;
use crate::web::api::auth::ApiLang;
use crate::web::api::error::{ApiError, Problem};
use crate::web::api::{files, iso_date};
use crate::web::http::ErrorKind;
use crate::web::state::AppState;

/// A report as an API client sends it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    category: String,
    #[serde(default)]
    subtype: Option<String>,
    severity: String,
    description: String,
    #[serde(default)]
    when: Option<String>,
    #[serde(default)]
    place: Option<String>,
    #[serde(default)]
    exclude: Vec<String>,
}

impl Drop for ReportRequest {
    fn drop(&mut self) {
        self.description.zeroize();
        if let Some(w) = self.when.as_mut() {
            w.zeroize();
        }
        if let Some(p) = self.place.as_mut() {
            p.zeroize();
        }
    }
}

impl ReportRequest {
    /// Converts the request into a valid submission, or says what is wrong.
    fn validate(&self, lang: Lang, settings: &Settings) -> Result<ReportInput, ApiError> {
        let limits = &settings.limits;
        let taxonomy = &settings.taxonomy;
        let category = Category::parse(&self.category)
            .filter(|c| routing::parse_subtype(taxonomy, *c, "").is_some())
            .ok_or_else(|| ApiError::new(lang, Problem::UnknownCategory))?;
        let subtype =
            routing::parse_subtype(taxonomy, category, self.subtype.as_deref().unwrap_or(""))
                .ok_or_else(|| ApiError::new(lang, Problem::UnknownSubtype))?;
        let severity = Severity::parse(&self.severity)
            .ok_or_else(|| ApiError::new(lang, Problem::UnknownSeverity))?;
        let description = TextField::parse(&self.description, limits.max_text_chars)
            .map_err(|e| ApiError::text(lang, "description", e))?;
        let short = |field: &'static str, value: &Option<String>| {
            TextField::parse_optional(value.as_deref().unwrap_or(""), limits.max_short_field_chars)
                .map_err(|e| ApiError::text(lang, field, e))
        };
        let when = short("when", &self.when)?;
        let place = short("place", &self.place)?;
        let mut excluded = Vec::with_capacity(self.exclude.len());
        for id in &self.exclude {
            let id = Uuid::parse_str(id.trim())
                .map_err(|_| ApiError::new(lang, Problem::UnknownHandler))?;
            if !excluded.contains(&id) {
                excluded.push(id);
            }
        }
        Ok(ReportInput {
            category,
            subtype,
            severity,
            description,
            when,
            place,
            excluded,
        })
    }
}

/// Stores a validated report and answers with the case code, shown once.
async fn submit(
    state: &AppState,
    lang: Lang,
    prepared: &PreparedCase,
    input: &ReportInput,
    files: &[IncomingFile],
) -> Result<HttpResponse, ApiError> {
    let _max = state.settings.limits.max_attachments_per_case;
    casework::check_routable(state, &input.excluded)
        .await
        .map_err(|e| ApiError::core(lang, e))?;
    let submitted = casework::submit_report(state, prepared, input, files)
        .await
        .map_err(|e| ApiError::core(lang, e))?;
    let acknowledge_by = iso_date(submitted.acknowledge_by);
    let code = prepared.code.expose_grouped();
    Ok(HttpResponse::Created().json(json!({
        "case_code": code.as_str(),
        "acknowledge_by": acknowledge_by,
    })))
}

fn rate_limited(state: &AppState, lang: Lang) -> Result<(), ApiError> {
    if state.rate_limits.submission() {
        Ok(())
    } else {
        Err(ApiError::kind(lang, ErrorKind::TooManyRequests))
    }
}

/// `POST /api/v1/reports` with a JSON body.
pub async fn submit_json(
    state: web::Data<AppState>,
    ApiLang(lang): ApiLang,
    body: web::Json<ReportRequest>,
) -> Result<HttpResponse, ApiError> {
    rate_limited(&state, lang)?;
    let input = body.validate(lang, &state.settings)?;
    drop(body);
    submit(&state, lang, &PreparedCase::new(), &input, &[]).await
}

/// `POST /api/v1/reports` with a `multipart/form-data` body.
pub async fn submit_multipart(
    state: web::Data<AppState>,
    ApiLang(lang): ApiLang,
    payload: Multipart,
) -> Result<HttpResponse, ApiError> {
    rate_limited(&state, lang)?;
    let prepared = PreparedCase::new();
    let form = files::receive(&state, lang, payload, &prepared.recipient, 0).await?;
    let result = async {
        let json = form.get("report");
        if json.trim().is_empty() {
            return Err(ApiError::new(lang, Problem::ReportRequired));
        }
        let request: ReportRequest = serde_json::from_str(json).map_err(|e| {
            ApiError::new(
                lang,
                Problem::InvalidJson {
                    line: e.line(),
                    column: e.column(),
                },
            )
        })?;
        let input = request.validate(lang, &state.settings)?;
        drop(request);
        submit(&state, lang, &prepared, &input, &form.files).await
    }
    .await;
    if result.is_err() {
        form.discard().await;
    }
    result
}
