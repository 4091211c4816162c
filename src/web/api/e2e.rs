//! Reports encrypted in the reporter's browser (docs/e2e.md):
//! `POST /api/v1/e2e/routing` tells the browser whom to encrypt for, and
//! `POST /api/v1/e2e/reports` takes the ciphertexts, wraps and lookup tag,
//! checked by [`crate::core::sealed`] and stored as any other case. Neither
//! ever receives a case code or a plaintext.

use actix_multipart::Multipart;
use actix_web::{web, HttpRequest, HttpResponse};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

use crate::core::casework::IncomingFile;
use crate::core::domain::report::{RoutingDraft, RoutingInput};
use crate::core::error::{CoreError, FieldError};
use crate::core::i18n::Lang;
use crate::core::sealed::{self, SealedReport};
use crate::web::api::auth::ApiLang;
use crate::web::api::error::{ApiError, Problem};
use crate::web::api::responses::{
    BadRequest, Conflict, PayloadTooLarge, RequestTimeout, StorageFull, TooManyRequests,
    Unprocessable, UnsupportedMediaType,
};
use crate::web::api::{files, iso_date};
use crate::web::http::multipart::read_sealed_form;
use crate::web::http::ErrorKind;
use crate::web::state::AppState;

/// What decides who receives a report.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoutingRequest {
    /// A category key from `GET /api/v1/categories`.
    #[schema(example = "avvik")]
    category: String,
    /// A sub-type key of that category, if any.
    #[serde(default)]
    subtype: Option<String>,
    /// A severity key; empty: `middels`.
    #[serde(default)]
    #[schema(example = "middels")]
    severity: String,
    /// Ids of handlers (from `GET /api/v1/handlers`) who must not see the report.
    #[serde(default)]
    exclude: Vec<String>,
}

impl RoutingRequest {
    fn parse(&self, state: &AppState, lang: Lang) -> Result<RoutingInput, ApiError> {
        RoutingDraft {
            category: &self.category,
            subtype: self.subtype.as_deref().unwrap_or(""),
            severity: &self.severity,
            exclude: self.exclude.iter().map(String::as_str).collect(),
        }
        .parse(&state.settings.taxonomy)
        .map_err(|problems| {
            let problem = match problems.first() {
                Some(FieldError { field, .. }) => match *field {
                    "category" => Problem::UnknownCategory,
                    "subtype" => Problem::UnknownSubtype,
                    "severity" => Problem::UnknownSeverity,
                    _ => Problem::UnknownHandler,
                },
                None => Problem::Kind(ErrorKind::BadRequest),
            };
            ApiError::new(lang, problem)
        })
    }
}

/// One recipient to wrap the case key to.
#[derive(Serialize, ToSchema)]
pub struct RoutedRecipient {
    /// `user:<uuid>` or `recovery`: the key of its wrap in `wraps`.
    pub holder: String,
    /// `age1…` (X25519) or `age1pq1…` (ML-KEM-768 + X25519).
    pub recipient: String,
}

/// Limits the browser needs before it encrypts.
#[derive(Serialize, ToSchema)]
pub struct SealedLimits {
    /// Most attachments of one report.
    pub max_attachments: usize,
    /// Most bytes of one attachment (its plaintext).
    pub max_attachment_bytes: u64,
    /// Most characters of the identity's name, contact and role.
    pub max_identity_chars: [usize; 3],
    /// Most characters of the description (as the server counts them:
    /// Unicode scalar values after trimming).
    pub max_text_chars: usize,
    /// Most characters of `when`, `place` and an attachment's name.
    pub max_short_field_chars: usize,
}

/// The routing a browser encrypts for.
#[derive(Serialize, ToSchema)]
pub struct Routing {
    /// Send back with the case; it must still match then.
    pub routing_id: String,
    /// The kind of case key to make: `hybrid` or `x25519`.
    pub key_kind: &'static str,
    /// The routed members and the recovery key (not the reporter).
    pub recipients: Vec<RoutedRecipient>,
    /// The identity custodians' recipients: an identity the reporter gives
    /// is sealed to all of them, in one age file. Empty: identities cannot
    /// be given.
    pub custodians: Vec<String>,
    /// The limits.
    pub limits: SealedLimits,
}

/// `POST /api/v1/e2e/routing`.
#[utoipa::path(
    post, operation_id = "e2e_routing", path = "/api/v1/e2e/routing", tag = "public", security(()),
    request_body(content = RoutingRequest, content_type = "application/json"),
    responses((status = 200, description = "Whom to encrypt the report for.", body = Routing), BadRequest, UnsupportedMediaType, Unprocessable, TooManyRequests),
)]
pub async fn routing(
    state: web::Data<AppState>,
    ApiLang(lang): ApiLang,
    body: web::Json<RoutingRequest>,
) -> Result<HttpResponse, ApiError> {
    let input = body.parse(&state, lang)?;
    let offer = sealed::offer(&state, &input)
        .await
        .map_err(|e| ApiError::core(lang, e))?;
    let limits = &state.settings.limits;
    let identity = &state.settings.identity;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(Routing {
            routing_id: hex::encode(offer.id),
            key_kind: offer.kind_name(),
            recipients: offer
                .recipients
                .into_iter()
                .map(|r| RoutedRecipient {
                    holder: r.holder.as_db(),
                    recipient: r.recipient,
                })
                .collect(),
            custodians: offer.custodians.into_iter().map(|(_, r)| r).collect(),
            limits: SealedLimits {
                max_attachments: limits.max_attachments_per_case,
                max_attachment_bytes: limits.max_attachment_bytes,
                max_text_chars: limits.max_text_chars,
                max_short_field_chars: limits.max_short_field_chars,
                max_identity_chars: [
                    identity.max_name_chars,
                    identity.max_contact_chars,
                    identity.max_role_chars,
                ],
            },
        }))
}

/// The JSON `envelope` part of a browser-encrypted report.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// The `routing_id` of `POST /api/v1/e2e/routing`.
    routing_id: String,
    /// As in the routing request.
    category: String,
    /// As in the routing request.
    #[serde(default)]
    subtype: Option<String>,
    /// As in the routing request.
    #[serde(default)]
    severity: String,
    /// As in the routing request.
    #[serde(default)]
    exclude: Vec<String>,
    /// The case recipient the browser made, of the routing's `key_kind`.
    case_recipient: String,
    /// The case code's lookup tag, 64 hex digits.
    lookup_tag: String,
    /// The case identity wrapped to each routed holder and to `reporter`:
    /// base64 of each age file.
    wraps: BTreeMap<String, String>,
    /// Each attachment's sealed `{"name", "content_type"}`: base64 of each
    /// age file, in the order of the `attachment` parts.
    #[serde(default)]
    attachment_names: Vec<String>,
    /// The reporter's identity, if given: base64 of one age file of
    /// `{"name", "contact", "role"}` sealed to every custodian of the routing.
    #[serde(default)]
    identity: Option<String>,
}

/// A browser-encrypted report: the `envelope` (JSON), the `report` (an age
/// file), then one `attachment` part (an age file) per file.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SealedForm {
    /// The envelope, JSON.
    #[schema(value_type = String, content_media_type = "application/json")]
    envelope: String,
    /// The report's age file.
    #[schema(value_type = String, format = Binary)]
    report: Vec<u8>,
    /// An attachment's age file; repeat the part for several.
    #[schema(value_type = Vec<String>, format = Binary)]
    attachment: Vec<Vec<u8>>,
}

/// A filed browser-encrypted report. The case code is not here: only the
/// browser ever knew it.
#[derive(Serialize, ToSchema)]
pub struct SealedSubmitted {
    /// The day receipt will be acknowledged by, `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub acknowledge_by: String,
}

fn decode_hex32(s: &str, lang: Lang, part: &'static str) -> Result<[u8; 32], ApiError> {
    hex::decode(s)
        .ok()
        .and_then(|v| <[u8; 32]>::try_from(v).ok())
        .ok_or_else(|| ApiError::new(lang, Problem::InvalidCiphertext { part }))
}

fn decode_b64(s: &str, lang: Lang, part: &'static str) -> Result<Vec<u8>, ApiError> {
    STANDARD
        .decode(s)
        .map_err(|_| ApiError::new(lang, Problem::InvalidCiphertext { part }))
}

/// The sealed report the envelope and the `report` part describe.
fn sealed_report(
    state: &AppState,
    lang: Lang,
    envelope: &Envelope,
    report: Vec<u8>,
    submission: Option<crate::core::receipts::SubmissionTag>,
) -> Result<SealedReport, ApiError> {
    let routing = RoutingRequest {
        category: envelope.category.clone(),
        subtype: envelope.subtype.clone(),
        severity: envelope.severity.clone(),
        exclude: envelope.exclude.clone(),
    }
    .parse(state, lang)?;
    let wraps = envelope
        .wraps
        .iter()
        .map(|(holder, wrapped)| Ok((holder.clone(), decode_b64(wrapped, lang, "wraps")?)))
        .collect::<Result<Vec<_>, ApiError>>()?;
    let attachment_names = envelope
        .attachment_names
        .iter()
        .map(|name| decode_b64(name, lang, "attachment_names"))
        .collect::<Result<Vec<_>, ApiError>>()?;
    let identity = match &envelope.identity {
        Some(sealed) => Some(decode_b64(sealed, lang, "identity")?),
        None => None,
    };
    Ok(SealedReport {
        identity,
        routing_id: decode_hex32(&envelope.routing_id, lang, "routing_id")?,
        routing,
        case_recipient: envelope.case_recipient.clone(),
        lookup_tag: decode_hex32(&envelope.lookup_tag, lang, "lookup_tag")?,
        wraps,
        report,
        attachment_names,
        submission,
    })
}

/// Checks every stored attachment file of the form, as it arrived.
async fn check_files(
    state: &AppState,
    lang: Lang,
    case_recipient: &str,
    files: &[IncomingFile],
) -> Result<(), ApiError> {
    for file in files {
        sealed::check_attachment(
            file.pending.pending_path(),
            case_recipient,
            state.settings.limits.max_attachment_bytes,
        )
        .await
        .map_err(|e| ApiError::core(lang, e))?;
    }
    Ok(())
}

/// `POST /api/v1/e2e/reports`.
#[utoipa::path(
    post, operation_id = "e2e_submit_report", path = "/api/v1/e2e/reports", tag = "public", security(()),
    params(
        ("Varsel-Pow-Challenge" = Option<String>, Header, description = "As for `POST /api/v1/reports`."),
        ("Varsel-Pow-Solution" = Option<String>, Header, description = "As for `POST /api/v1/reports`."),
        ("Idempotency-Key" = Option<String>, Header, description = "As for `POST /api/v1/reports`."),
    ),
    request_body(content = SealedForm, content_type = "multipart/form-data"),
    responses((status = 201, description = "Filed. The case code stays with the browser that made it.", body = SealedSubmitted), BadRequest, Conflict, PayloadTooLarge, UnsupportedMediaType, Unprocessable, TooManyRequests, RequestTimeout, StorageFull),
)]
pub async fn submit(
    state: web::Data<AppState>,
    ApiLang(lang): ApiLang,
    req: HttpRequest,
    payload: Multipart,
) -> Result<HttpResponse, ApiError> {
    files::require_multipart(&req, lang)?;
    let submission = super::reports::idempotency(&state, lang, &req).await?;
    let limits = &state.settings.limits;
    let max_report =
        crate::web::http::multipart::max_sealed_bytes(sealed::max_report_bytes(&state)) as usize;
    let mut gate = state.rate_limits.budgets.upload_gate(&state, true);
    let form = read_sealed_form(
        payload,
        &state.settings.storage.attachments_dir(),
        limits,
        max_report,
        &mut gate,
    )
    .await
    .map_err(|e| ApiError::form(lang, e, limits))?;
    let result = async {
        let envelope: Envelope =
            super::reports::json_part(lang, form.get("envelope"), Problem::EnvelopeRequired)?;
        let report = form
            .report
            .clone()
            .ok_or_else(|| ApiError::new(lang, Problem::ReportRequired))?;
        let sealed = sealed_report(&state, lang, &envelope, report, submission)?;
        check_files(&state, lang, &sealed.case_recipient, &form.files).await?;
        // Everything is checked before the request is charged to a lane's
        // budget: a malformed case or a changed routing costs it nothing.
        let checked = sealed::check(&state, &sealed, &form.files)
            .await
            .map_err(|e| ApiError::core(lang, e))?;
        super::reports::admitted(&state, lang, &req).await?;
        match sealed::store(&state, &sealed, checked, &form.files).await {
            Ok(submitted) => Ok(HttpResponse::Created().json(SealedSubmitted {
                acknowledge_by: iso_date(submitted.acknowledge_by),
            })),
            Err(CoreError::Conflict) if sealed.submission.is_some() => {
                Err(ApiError::new(lang, Problem::AlreadyReceived))
            }
            Err(e) => Err(ApiError::core(lang, e)),
        }
    }
    .await;
    if result.is_err() {
        form.discard().await;
        gate.refund().await;
    }
    result
}
