//! `POST /api/v1/reports`: submitting a report, as JSON, or as
//! `multipart/form-data` with the report as JSON in a `report` part and files
//! in `attachment` parts. Validated completely before anything is stored; on
//! any failure, uploaded files are removed and nothing is kept.

use crate::web::api::responses::{
    BadRequest, Conflict, PayloadTooLarge, RequestTimeout, StorageFull, TooManyRequests,
    Unprocessable, UnsupportedMediaType,
};
use actix_multipart::Multipart;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::core::casework::{
    self, IncomingFile, PreparedCase, ReportDraft, ReportInput, ReportLimits,
};
use crate::core::error::{CoreError, FieldError, FieldProblem};
use crate::core::i18n::Lang;
use crate::core::identity::{self, SealedIdentity};
use crate::core::pow::Purpose;
use crate::core::receipts::{self, SubmissionTag};
use crate::core::settings::Settings;
use crate::web::api::auth::ApiLang;
use crate::web::api::error::{ApiError, Problem};
use crate::web::api::{files, iso_date};
use crate::web::http::rate_limit::PowProof;
use crate::web::http::ErrorKind;
use crate::web::state::AppState;

/// A report as an API client sends it, wiped from memory when dropped.
#[derive(Deserialize, Zeroize, ZeroizeOnDrop, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    /// A category key from `GET /api/v1/categories`.
    #[schema(example = "avvik")]
    category: String,
    /// A sub-type key of that category, if it has any.
    #[serde(default)]
    subtype: Option<String>,
    /// A severity key (`lav`, `middels`, `hoy`, `kritisk`); empty: `middels`.
    #[schema(example = "middels")]
    severity: String,
    /// What happened.
    description: String,
    /// When, in the reporter's words.
    #[serde(default)]
    when: Option<String>,
    /// Where, in the reporter's words.
    #[serde(default)]
    place: Option<String>,
    /// Ids of handlers (from `GET /api/v1/handlers`) who must not see the report.
    #[serde(default)]
    exclude: Vec<String>,
    /// The reporter's identity, optional: sealed to the identity custodians
    /// only, never to the case (refused with `identity_unavailable` when no
    /// custodian is configured).
    #[serde(default)]
    identity: Option<super::identity::IdentityFields>,
}

/// A submission with files: the report as JSON in a `report` part, files
/// in `attachment` parts.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ReportForm {
    /// The report, as the JSON body would be.
    #[schema(value_type = String, content_media_type = "application/json")]
    report: String,
    /// A file; repeat the part for several.
    #[schema(value_type = Vec<String>, format = Binary)]
    attachment: Vec<Vec<u8>>,
}

/// A filed report: the case code, shown this once.
#[derive(Serialize, ToSchema)]
pub struct Submitted {
    /// The case code; the only way back to the case.
    pub case_code: String,
    /// The day receipt will be acknowledged by, `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub acknowledge_by: String,
    /// Names of the attachments stored with whatever metadata they carry:
    /// Varsel removes it only from JPEG, PNG and WebP images.
    pub metadata_kept: Vec<String>,
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
    identity: Option<SealedIdentity>,
) -> Result<HttpResponse, ApiError> {
    let _max = state.settings.limits.max_attachments_per_case;
    casework::check_routable(state, &input.excluded)
        .await
        .map_err(|e| ApiError::core(lang, e))?;
    let submitted = match casework::submit_report(state, prepared, input, files).await {
        Ok(submitted) => submitted,
        // Sent twice at once with one Idempotency-Key: the other stored it.
        Err(CoreError::Conflict) if prepared.submission.is_some() => {
            return Err(ApiError::new(lang, Problem::AlreadyReceived))
        }
        Err(e) => return Err(ApiError::core(lang, e)),
    };
    if let Some(sealed) = identity {
        // The case exists: its code must reach the reporter whatever happens
        // to the identity, which they can give again with the code.
        if let Err(e) = identity::attach_to_new_case(state, submitted.case_id, &sealed).await {
            tracing::error!(error = %e, "cannot store a reporter identity");
        }
    }
    let acknowledge_by = iso_date(submitted.acknowledge_by);
    let code = prepared.code.expose_grouped();
    Ok(HttpResponse::Created().json(Submitted {
        case_code: code.as_str().to_owned(),
        acknowledge_by,
        metadata_kept: submitted.metadata_kept,
    }))
}

/// A multipart form's JSON part: `missing` if it is empty, else parsed (a
/// parse error names its line and column).
pub(super) fn json_part<T: serde::de::DeserializeOwned>(
    lang: Lang,
    json: &str,
    missing: Problem,
) -> Result<T, ApiError> {
    if json.trim().is_empty() {
        return Err(ApiError::new(lang, missing));
    }
    serde_json::from_str(json).map_err(|e| {
        ApiError::new(
            lang,
            Problem::InvalidJson {
                line: e.line(),
                column: e.column(),
            },
        )
    })
}

/// Name of the header that makes a submission idempotent.
pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

/// The tag of the request's `Idempotency-Key` (none: `None`); a key of the
/// wrong form is refused, and one a report was filed with before is
/// `already_received` (409), nothing stored.
pub(super) async fn idempotency(
    state: &AppState,
    lang: Lang,
    req: &HttpRequest,
) -> Result<Option<SubmissionTag>, ApiError> {
    let Some(value) = req.headers().get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let tag = value
        .to_str()
        .ok()
        .and_then(|key| receipts::idempotency_tag(&state.csrf_key[..], key))
        .ok_or_else(|| ApiError::new(lang, Problem::InvalidIdempotencyKey))?;
    let used = receipts::submission_used(state, &tag)
        .await
        .map_err(|e| ApiError::core(lang, e))?;
    if used {
        return Err(ApiError::new(lang, Problem::AlreadyReceived));
    }
    Ok(Some(tag))
}

/// Charges a valid report to the lane its proof of work chooses (headers
/// `Varsel-Pow-Challenge` and `Varsel-Pow-Solution`; none: the plain lane).
pub(super) async fn admitted(
    state: &AppState,
    lang: Lang,
    req: &HttpRequest,
) -> Result<(), ApiError> {
    state
        .rate_limits
        .reporter(state, Purpose::Submit, PowProof::from_headers(req))
        .await
        .map(|_| ())
        .map_err(|e| ApiError::limited(lang, e))
}

/// `POST /api/v1/reports` with a JSON body.
#[utoipa::path(
    post, operation_id = "submit_report", path = "/api/v1/reports", tag = "public", security(()),
    params(
        ("Varsel-Pow-Challenge" = Option<String>, Header, description = "A challenge from `GET /api/v1/pow/challenge` (optional; with a solution it admits the request to the proof-of-work lane)."),
        ("Varsel-Pow-Solution" = Option<String>, Header, description = "The counter that solves the challenge (decimal)."),
        ("Idempotency-Key" = Option<String>, Header, description = "A key the client makes for this report (16 to 128 visible ASCII characters, such as a random UUID): sending the same report again with the same key files no second case, and is answered 409 `already_received`. Stored only as a keyed hash, for 30 days."),
    ),
    request_body(content(
        (ReportRequest = "application/json"),
        (ReportForm = "multipart/form-data"),
    )),
    responses((status = 201, description = "Filed; the case code is shown this once.", body = Submitted), BadRequest, Conflict, PayloadTooLarge, UnsupportedMediaType, Unprocessable, TooManyRequests, RequestTimeout, StorageFull),
)]
pub async fn submit_json(
    state: web::Data<AppState>,
    ApiLang(lang): ApiLang,
    req: HttpRequest,
    body: web::Json<ReportRequest>,
) -> Result<HttpResponse, ApiError> {
    let submission = idempotency(&state, lang, &req).await?;
    let input = body.validate(lang, &state.settings)?;
    let identity = super::identity::seal_for_report(&state, lang, body.identity.as_ref()).await?;
    drop(body);
    admitted(&state, lang, &req).await?;
    let mut prepared = PreparedCase::new(state.settings.security.key_kind());
    prepared.submission = submission;
    submit(&state, lang, &prepared, &input, &[], identity).await
}

/// `POST /api/v1/reports` with a `multipart/form-data` body.
pub async fn submit_multipart(
    state: web::Data<AppState>,
    ApiLang(lang): ApiLang,
    req: HttpRequest,
    payload: Multipart,
) -> Result<HttpResponse, ApiError> {
    let mut prepared = PreparedCase::new(state.settings.security.key_kind());
    prepared.submission = idempotency(&state, lang, &req).await?;
    let mut gate = state.rate_limits.budgets.upload_gate(&state, true);
    let form = files::receive(&state, lang, payload, &prepared.recipient, 0, &mut gate).await?;
    let result = async {
        let request: ReportRequest = json_part(lang, form.get("report"), Problem::ReportRequired)?;
        let input = request.validate(lang, &state.settings)?;
        let identity =
            super::identity::seal_for_report(&state, lang, request.identity.as_ref()).await?;
        drop(request);
        admitted(&state, lang, &req).await?;
        submit(&state, lang, &prepared, &input, &form.files, identity).await
    }
    .await;
    if result.is_err() {
        form.discard().await;
        gate.refund().await;
    }
    result
}
