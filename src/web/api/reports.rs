//! `POST /api/v1/reports`: submitting a report, as JSON, or as
//! `multipart/form-data` with the report as JSON in a `report` part and files
//! in `attachment` parts. Validated completely before anything is stored; on
//! any failure, uploaded files are removed and nothing is kept.

use actix_multipart::Multipart;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::core::casework::{
    self, IncomingFile, PreparedCase, ReportDraft, ReportInput, ReportLimits,
};
use crate::core::error::{FieldError, FieldProblem};
use crate::core::i18n::Lang;
use crate::core::pow::Purpose;
use crate::core::settings::Settings;
use crate::web::api::auth::ApiLang;
use crate::web::api::error::{ApiError, Problem};
use crate::web::api::{files, iso_date};
use crate::web::http::rate_limit::PowProof;
use crate::web::http::ErrorKind;
use crate::web::state::AppState;

/// A report as an API client sends it, wiped from memory when dropped.
#[derive(Deserialize, Zeroize, ZeroizeOnDrop)]
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

impl ReportRequest {
    /// Converts the request into a valid submission with the one report
    /// parser ([`ReportDraft::parse`]), or names its first problem.
    fn validate(&self, lang: Lang, settings: &Settings) -> Result<ReportInput, ApiError> {
        let draft = ReportDraft {
            category: &self.category,
            subtype: self.subtype.as_deref().unwrap_or(""),
            severity: &self.severity,
            description: &self.description,
            when: self.when.as_deref().unwrap_or(""),
            place: self.place.as_deref().unwrap_or(""),
            exclude: self.exclude.iter().map(String::as_str).collect(),
        };
        let limits = ReportLimits {
            max_text_chars: settings.limits.max_text_chars,
            max_short_field_chars: settings.limits.max_short_field_chars,
        };
        draft.parse(&settings.taxonomy, limits).map_err(|problems| {
            let problem = match problems.first() {
                Some(FieldError { field, problem }) => match (*field, problem) {
                    ("category", _) => Problem::UnknownCategory,
                    ("subtype", _) => Problem::UnknownSubtype,
                    ("severity", _) => Problem::UnknownSeverity,
                    ("exclude", _) => Problem::UnknownHandler,
                    (field, FieldProblem::TooLong { max }) => Problem::TextTooLong {
                        field,
                        limit: *max as u64,
                    },
                    (field, _) => Problem::TextRequired { field },
                },
                None => Problem::Kind(ErrorKind::BadRequest),
            };
            ApiError::new(lang, problem)
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

/// Charges a valid report to the lane its proof of work chooses (headers
/// `Varsel-Pow-Challenge` and `Varsel-Pow-Solution`; none: the plain lane).
async fn admitted(state: &AppState, lang: Lang, req: &HttpRequest) -> Result<(), ApiError> {
    state
        .rate_limits
        .reporter(state, Purpose::Submit, PowProof::from_headers(req))
        .await
        .map(|_| ())
        .map_err(|e| ApiError::limited(lang, e))
}

/// `POST /api/v1/reports` with a JSON body.
pub async fn submit_json(
    state: web::Data<AppState>,
    ApiLang(lang): ApiLang,
    req: HttpRequest,
    body: web::Json<ReportRequest>,
) -> Result<HttpResponse, ApiError> {
    let input = body.validate(lang, &state.settings)?;
    drop(body);
    admitted(&state, lang, &req).await?;
    submit(&state, lang, &PreparedCase::new(), &input, &[]).await
}

/// `POST /api/v1/reports` with a `multipart/form-data` body.
pub async fn submit_multipart(
    state: web::Data<AppState>,
    ApiLang(lang): ApiLang,
    req: HttpRequest,
    payload: Multipart,
) -> Result<HttpResponse, ApiError> {
    let prepared = PreparedCase::new();
    let mut gate = state.rate_limits.budgets.upload_gate(&state, true);
    let form = files::receive(&state, lang, payload, &prepared.recipient, 0, &mut gate).await?;
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
        admitted(&state, lang, &req).await?;
        submit(&state, lang, &prepared, &input, &form.files).await
    }
    .await;
    if result.is_err() {
        form.discard().await;
        gate.refund().await;
    }
    result
}
