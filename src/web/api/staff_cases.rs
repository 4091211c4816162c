//! Cases through the API for staff who work them (`/api/v1/staff/cases…`):
//! the inbox, reading, replying, attachments, acknowledging and status. A case
//! not routed to the caller — or one that does not exist, or a malformed id —
//! is the same 404.

use crate::web::api::responses::{
    BadRequest, Forbidden, NotFound, PayloadTooLarge, Unauthorized, Unprocessable,
    UnsupportedMediaType,
};
use actix_multipart::Multipart;
use std::collections::BTreeMap;

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::core::case_file::{self, Parts};
use crate::core::casework::{self, CaseView};
use crate::core::deadlines::{CaseDeadlines, NextDeadline};
use crate::core::domain::routing::{TriageDraft, TriageInput};
use crate::core::domain::{CaseStatus, Category, DeadlineKind, Severity};
use crate::core::error::{CoreError, Refusal};
use crate::core::followup::MeasureView;
use crate::core::i18n::Lang;
use crate::core::inbox::{self, InboxQueryError, InboxRequest};
use crate::core::triage;
use crate::web::api::auth::ApiCaller;
use crate::web::api::deadlines::{case_deadlines_json, next_of, DeadlineJson, ExtensionJson};
use crate::web::api::error::{ApiError, Problem};
use crate::web::api::files::{UploadForm, Uploaded};
use crate::web::api::followup::{staff_measures_json, StaffMeasure};
use crate::web::api::reporter_case::MessageRequest;
use crate::web::api::{files, iso_date, iso_day, iso_instant};
use crate::web::api::{staff_thread, AuthorKind, ReportText, StaffAttachment, StaffMessage};
use crate::web::http::download::attachment_download;
use crate::web::http::ErrorKind;
use crate::web::state::AppState;

fn case_id(lang: Lang, raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::kind(lang, ErrorKind::NotFound))
}

/// The inbox's query parameters (read by [`InboxRequest::parse`]; other
/// parameters, such as `lang`, are ignored).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct InboxQuery {
    /// The order: `deadline` (the default) or `received`.
    sort: Option<String>,
    /// Only cases with this status (`closed` shows closed cases, which are otherwise left out).
    status: Option<String>,
    /// Only cases of this category.
    category: Option<String>,
    /// Only cases of this severity.
    severity: Option<String>,
    /// Only cases whose nearest deadline is `overdue`, `due_soon`, `open` or `none`.
    deadline: Option<String>,
    /// `unanswered`: only cases with a retaliation report no staff member has answered.
    retaliation: Option<String>,
    /// A `next_cursor` or `prev_cursor` of an earlier answer.
    cursor: Option<String>,
    /// Cases per page (at most the configured maximum).
    limit: Option<u32>,
}

/// One page of the inbox.
#[derive(Serialize, ToSchema)]
pub struct InboxPageJson {
    /// The cases, in order.
    pub cases: Vec<InboxCase>,
    /// The cursor of the next page; null on the last.
    #[schema(required)]
    pub next_cursor: Option<String>,
    /// The cursor of the previous page; null on the first.
    #[schema(required)]
    pub prev_cursor: Option<String>,
    /// The page size used.
    pub limit: u32,
    /// How many of the caller's cases have each filter value.
    pub counts: InboxCountsJson,
}

/// Counts per filter value: open cases, and the closed total under `status`.
#[derive(Serialize, ToSchema)]
pub struct InboxCountsJson {
    /// By status key.
    pub status: BTreeMap<String, i64>,
    /// By category key.
    pub category: BTreeMap<String, i64>,
    /// By severity key.
    pub severity: BTreeMap<String, i64>,
    /// By deadline state (`overdue`, `due_soon`, `open`, `none`).
    pub deadline: BTreeMap<String, i64>,
    /// `unanswered`: open cases with an unanswered retaliation report.
    pub retaliation: BTreeMap<String, i64>,
}

/// A case in the inbox.
#[derive(Serialize, ToSchema)]
pub struct InboxCase {
    /// The case id.
    pub id: Uuid,
    /// Category key.
    pub category: String,
    /// Severity key.
    pub severity: String,
    /// Status key.
    pub status: String,
    /// The day received, `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub received_on: String,
    /// The day of the nearest running deadline; null if none runs.
    #[schema(required, format = Date)]
    pub next_deadline: Option<String>,
    /// Which deadline that is.
    #[schema(required)]
    pub next_deadline_kind: Option<String>,
    /// When it falls due, RFC 3339.
    #[schema(required, format = DateTime)]
    pub next_deadline_due: Option<String>,
    /// Its state.
    #[schema(required)]
    pub next_deadline_state: Option<String>,
    /// Whether the reporter wrote since the caller last read the case.
    pub unread: bool,
    /// Whether the reporter reported retaliation that no staff member has
    /// answered yet (with a reply or a protective measure).
    pub retaliation_unanswered: bool,
}

/// A case as a staff member who works it sees it.
#[derive(Serialize, ToSchema)]
pub struct StaffCase {
    /// The case id.
    pub id: Uuid,
    /// Category key.
    pub category: String,
    /// Severity key.
    pub severity: String,
    /// The severity the reporter suggested.
    pub suggested_severity: String,
    /// Status key.
    pub status: String,
    /// The day received, `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub received_on: String,
    /// When receipt was acknowledged, RFC 3339.
    #[schema(required, format = DateTime)]
    pub acknowledged_at: Option<String>,
    /// The day of the nearest running deadline.
    #[schema(required, format = Date)]
    pub next_deadline: Option<String>,
    /// The day the reporter should next hear from the organisation.
    #[schema(required, format = Date)]
    pub answer_due: Option<String>,
    /// Every deadline of the case.
    pub deadlines: Vec<DeadlineJson>,
    /// The feedback deadline's extension, if it was extended.
    #[schema(required)]
    pub feedback_extension: Option<ExtensionJson>,
    /// The report.
    pub report: ReportText,
    /// The thread, oldest first.
    pub messages: Vec<StaffMessage>,
    /// The attachments.
    pub attachments: Vec<StaffAttachment>,
    /// Whether the reporter reported retaliation that no staff member has
    /// answered yet (its deadline is the `retaliation_response` deadline).
    pub retaliation_unanswered: bool,
    /// The measures taken to protect the reporter, oldest first.
    pub measures: Vec<StaffMeasure>,
}

/// A reply a staff member sent.
#[derive(Serialize, ToSchema)]
pub struct StaffReplied {
    /// Always `staff`.
    pub author: AuthorKind,
    /// The author's name.
    pub author_name: String,
    /// The day, `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub date: String,
    /// RFC 3339.
    #[schema(format = DateTime)]
    pub time: String,
}

/// A case's status after a change; every field absent if the case is gone.
#[derive(Serialize, ToSchema, Default)]
pub struct StatusChanged {
    /// Status key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// When receipt was acknowledged, RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub acknowledged_at: Option<Option<String>>,
    /// The day of the nearest running deadline.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = Date)]
    pub next_deadline: Option<Option<String>>,
    /// Which deadline that is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_deadline_kind: Option<Option<String>>,
}

/// The risk of a triaged case.
#[derive(Serialize, ToSchema)]
pub struct RiskJson {
    /// 1–5.
    pub probability: u8,
    /// 1–5.
    pub consequence: u8,
    /// Probability × consequence.
    pub score: u8,
    /// The accepted risk score of the organisation.
    pub accepted: u8,
    /// Whether the score is above it.
    pub above_accepted: bool,
}

/// A case's classification after triage.
#[derive(Serialize, ToSchema)]
pub struct Triaged {
    /// Category key.
    pub category: String,
    /// Sub-type key.
    #[schema(required)]
    pub subtype: Option<String>,
    /// Severity key.
    pub severity: String,
    /// The risk, if probability and consequence were given.
    #[schema(required)]
    pub risk: Option<RiskJson>,
    /// Whether the caller can still reach the case.
    pub still_member: bool,
}

/// The API's answer to a refused inbox query.
fn inbox_problem(error: InboxQueryError, max: u32) -> Problem {
    match error {
        InboxQueryError::UnknownSort => Problem::UnknownSort,
        InboxQueryError::UnknownFilter(param) => Problem::UnknownInboxFilter { param },
        InboxQueryError::BadCursor => Problem::InvalidCursor,
        _ => Problem::InvalidLimit {
            max: u64::from(max),
        },
    }
}

/// `{"value": count, ...}` for each value of one filter.
fn counts_json<T: Copy>(
    counts: &[(T, i64)],
    key: impl Fn(T) -> &'static str,
) -> BTreeMap<String, i64> {
    counts
        .iter()
        .map(|(value, n)| (key(*value).to_owned(), *n))
        .collect()
}

/// `GET /api/v1/staff/cases?sort=&status=&category=&severity=&deadline=&cursor=&limit=`:
/// one page of the caller's cases (closed ones only with `status=closed`),
/// the cursors of the pages around it, and the counts per filter value.
#[utoipa::path(
    get, operation_id = "staff_case_inbox", path = "/api/v1/staff/cases", tag = "staff", security(("bearer" = [])),
    params(InboxQuery),
    responses((status = 200, description = "One page of the cases routed to the caller, with counts per filter value.", body = InboxPageJson), BadRequest, Unauthorized, Forbidden),
)]
pub async fn inbox(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let staff = caller.case_worker()?;
    let lang = caller.lang;
    let query = web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map_err(|_| ApiError::kind(lang, ErrorKind::BadRequest))?;
    let max = state.settings.inbox.max_page_size;
    let request = InboxRequest::parse(
        |name| {
            query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        },
        max,
    )
    .map_err(|e| ApiError::new(lang, inbox_problem(e, max)))?;
    let page = inbox::inbox(&state, staff, &request)
        .await
        .map_err(|e| ApiError::core(lang, e))?;
    let cases: Vec<InboxCase> = page
        .items
        .iter()
        .map(|i| InboxCase {
            id: i.case_id,
            category: i.category.key().to_owned(),
            severity: i.severity.key().to_owned(),
            status: i.status.key().to_owned(),
            received_on: iso_day(i.received_at),
            next_deadline: i.next.map(|n| iso_date(n.due.date())),
            next_deadline_kind: i.next.map(|n| n.kind.key().to_owned()),
            next_deadline_due: i.next.map(|n| iso_instant(n.due.unix_timestamp())),
            next_deadline_state: i.next.map(|n| n.state.key().to_owned()),
            unread: i.unread,
            retaliation_unanswered: i.retaliation,
        })
        .collect();
    let counts = &page.counts;
    Ok(HttpResponse::Ok().json(InboxPageJson {
        cases,
        next_cursor: page.next_cursor.clone(),
        prev_cursor: page.prev_cursor.clone(),
        limit: page.limit,
        counts: InboxCountsJson {
            status: counts_json(&counts.status, CaseStatus::key),
            category: counts_json(&counts.category, Category::key),
            severity: counts_json(&counts.severity, Severity::key),
            deadline: counts_json(&counts.deadline, inbox::band_key),
            retaliation: counts_json(&counts.retaliation, inbox::RetaliationFilter::key),
        },
    }))
}

fn staff_json(view: &CaseView, deadlines: &CaseDeadlines, measures: &[MeasureView]) -> StaffCase {
    let (report, messages, attachments) = staff_thread(view);
    let case = &view.case;
    let (list, extension) = case_deadlines_json(deadlines);
    StaffCase {
        id: case.id,
        category: case.category.key().to_owned(),
        severity: case.severity.key().to_owned(),
        suggested_severity: case.suggested_severity.key().to_owned(),
        status: case.status.key().to_owned(),
        received_on: iso_day(case.received_at),
        acknowledged_at: case.acknowledged_at.map(iso_instant),
        next_deadline: next_of(&deadlines.statuses).map(|s| iso_date(s.deadline.due.date())),
        answer_due: view.answer_due.map(iso_date),
        deadlines: list,
        feedback_extension: extension,
        report,
        messages,
        attachments,
        retaliation_unanswered: deadlines.statuses.iter().any(|s| {
            s.deadline.kind == DeadlineKind::RetaliationResponse && s.deadline.met.is_none()
        }),
        measures: staff_measures_json(measures),
    }
}

/// The case worker and the case id from the path, refusing as "not found" a
/// case the caller may not open; used before a request body is read or
/// validated, so that a case that is not the caller's answers the same
/// whatever the body holds. (A body that is not JSON at all is refused before
/// this by the extractor, whatever the case.)
async fn own_case<'c>(
    state: &AppState,
    caller: &'c ApiCaller,
    raw_id: &str,
) -> Result<(&'c crate::core::actor::StaffMember, Uuid), ApiError> {
    let staff = caller.case_worker()?;
    let id = case_id(caller.lang, raw_id)?;
    crate::core::open::ensure_staff_case(state, staff, id)
        .await
        .map_err(|e| ApiError::core(caller.lang, e))?;
    Ok((staff, id))
}

/// `GET /api/v1/staff/cases/{case}` (marks the case read).
#[utoipa::path(
    get, operation_id = "staff_case_view", path = "/api/v1/staff/cases/{case}", tag = "staff", security(("bearer" = [])),
    params(("case" = Uuid, Path, description = "The case id.")),
    responses((status = 200, description = "The case (marks it read).", body = StaffCase), Unauthorized, Forbidden, NotFound),
)]
pub async fn view(
    state: web::Data<AppState>,
    caller: ApiCaller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let staff = caller.case_worker()?;
    let id = case_id(caller.lang, &path)?;
    let file = case_file::staff_case_file(&state, staff, id, Parts::Case)
        .await
        .map_err(|e| ApiError::core(caller.lang, e))?;
    Ok(HttpResponse::Ok().json(staff_json(&file.view, &file.deadlines, &file.measures)))
}

/// `POST /api/v1/staff/cases/{case}/messages`.
#[utoipa::path(
    post, operation_id = "staff_case_reply", path = "/api/v1/staff/cases/{case}/messages", tag = "staff", security(("bearer" = [])),
    params(("case" = Uuid, Path, description = "The case id.")),
    request_body = MessageRequest,
    responses((status = 201, description = "The reply is stored.", body = StaffReplied), BadRequest, Unauthorized, Forbidden, NotFound, PayloadTooLarge, UnsupportedMediaType),
)]
pub async fn reply(
    state: web::Data<AppState>,
    caller: ApiCaller,
    path: web::Path<String>,
    body: web::Json<MessageRequest>,
) -> Result<HttpResponse, ApiError> {
    let (staff, id) = own_case(&state, &caller, &path).await?;
    let text = body.text(&caller, &state)?;
    drop(body);
    casework::staff_reply(&state, staff, id, Some(&text), &[])
        .await
        .map_err(|e| ApiError::core(caller.lang, e))?;
    let now = casework::now_in(&state);
    Ok(HttpResponse::Created().json(StaffReplied {
        author: AuthorKind::Staff,
        author_name: staff.display_name.clone(),
        date: iso_day(now),
        time: iso_instant(now),
    }))
}

/// `POST /api/v1/staff/cases/{case}/attachments` (multipart, `attachment` parts).
#[utoipa::path(
    post, operation_id = "staff_case_upload", path = "/api/v1/staff/cases/{case}/attachments", tag = "staff", security(("bearer" = [])),
    params(("case" = Uuid, Path, description = "The case id.")),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, description = "The files are stored.", body = Vec<Uploaded>), BadRequest, Unauthorized, Forbidden, NotFound, PayloadTooLarge, UnsupportedMediaType),
)]
pub async fn upload(
    state: web::Data<AppState>,
    caller: ApiCaller,
    path: web::Path<String>,
    req: HttpRequest,
    payload: Multipart,
) -> Result<HttpResponse, ApiError> {
    let lang = caller.lang;
    // Only a case the caller may open takes uploads: check before reading
    // the body (staff_reply below checks it again, by unwrapping).
    let (staff, id) = own_case(&state, &caller, &path).await?;
    let internal = |e: crate::core::store::StoreError| ApiError::core(lang, e.into());
    let not_found = || ApiError::kind(lang, ErrorKind::NotFound);
    let case = state
        .store
        .case_by_id(id)
        .await
        .map_err(internal)?
        .ok_or_else(not_found)?;
    let recipient =
        crate::core::keys::recipient(&case.recipient).map_err(|e| ApiError::internal(lang, &e))?;
    let form = files::receive_upload(&state, lang, &req, payload, id, &recipient, false).await?;
    let replied = casework::staff_reply(&state, staff, id, None, &form.files).await;
    files::uploaded_or_discarded(lang, form, replied).await
}

/// `GET /api/v1/staff/cases/{case}/attachments/{attachment}`.
#[utoipa::path(
    get, operation_id = "staff_case_download", path = "/api/v1/staff/cases/{case}/attachments/{attachment}", tag = "staff", security(("bearer" = [])),
    params(("case" = Uuid, Path, description = "The case id."), ("attachment" = Uuid, Path, description = "The attachment id.")),
    responses((status = 200, description = "The file, as `Content-Disposition: attachment`.", content_type = "application/octet-stream", body = Vec<u8>), Unauthorized, Forbidden, NotFound),
)]
pub async fn download(
    state: web::Data<AppState>,
    caller: ApiCaller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let staff = caller.case_worker()?;
    let (case, attachment) = path.into_inner();
    let id = case_id(caller.lang, &case)?;
    let attachment = case_id(caller.lang, &attachment)?;
    let opened = casework::staff_attachment(&state, staff, id, attachment)
        .await
        .map_err(|e| ApiError::core(caller.lang, e))?;
    attachment_download(&state, opened)
        .await
        .map_err(|e| ApiError::internal(caller.lang, &e))
}

/// The answer to a change of a case's status (acknowledging is one): the
/// change's refusal, or 200 with the case's status and next deadline as they
/// now stand (`{}` if the case is gone).
async fn status_response(
    state: &AppState,
    lang: Lang,
    id: Uuid,
    changed: Result<(), CoreError>,
) -> Result<HttpResponse, ApiError> {
    changed.map_err(|e| ApiError::core(lang, e))?;
    let case = state
        .store
        .case_by_id(id)
        .await
        .map_err(|e| ApiError::core(lang, e.into()))?;
    Ok(HttpResponse::Ok().json(status_json(state, lang, case).await?))
}

async fn status_json(
    state: &AppState,
    lang: Lang,
    case: Option<crate::core::store::Case>,
) -> Result<StatusChanged, ApiError> {
    let Some(case) = case else {
        return Ok(StatusChanged::default());
    };
    let next: Option<NextDeadline> = crate::core::deadlines::next_deadlines(state, &[case.id])
        .await
        .map_err(|e| ApiError::internal(lang, &e))?
        .remove(&case.id);
    Ok(StatusChanged {
        status: Some(case.status.key().to_owned()),
        acknowledged_at: Some(case.acknowledged_at.map(iso_instant)),
        next_deadline: Some(next.map(|n| iso_date(n.due.date()))),
        next_deadline_kind: Some(next.map(|n| n.kind.key().to_owned())),
    })
}

/// `POST /api/v1/staff/cases/{case}/acknowledge`.
#[utoipa::path(
    post, operation_id = "staff_case_acknowledge", path = "/api/v1/staff/cases/{case}/acknowledge", tag = "staff", security(("bearer" = [])),
    params(("case" = Uuid, Path, description = "The case id.")),
    responses((status = 200, description = "Receipt is acknowledged (idempotent).", body = StatusChanged), Unauthorized, Forbidden, NotFound),
)]
pub async fn acknowledge(
    state: web::Data<AppState>,
    caller: ApiCaller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let staff = caller.case_worker()?;
    let id = case_id(caller.lang, &path)?;
    let acknowledged = casework::acknowledge(&state, staff, id).await;
    status_response(&state, caller.lang, id, acknowledged).await
}

/// `{"status": "under_investigation"}`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusRequest {
    /// A status key; not `closed` (use `/close`).
    #[schema(example = "under_investigation")]
    status: String,
}

/// `POST /api/v1/staff/cases/{case}/status`.
#[utoipa::path(
    post, operation_id = "staff_case_set_status", path = "/api/v1/staff/cases/{case}/status", tag = "staff", security(("bearer" = [])),
    params(("case" = Uuid, Path, description = "The case id.")),
    request_body = StatusRequest,
    responses((status = 200, description = "The status is changed.", body = StatusChanged), BadRequest, Unauthorized, Forbidden, NotFound, PayloadTooLarge, UnsupportedMediaType),
)]
pub async fn set_status(
    state: web::Data<AppState>,
    caller: ApiCaller,
    path: web::Path<String>,
    body: web::Json<StatusRequest>,
) -> Result<HttpResponse, ApiError> {
    let (staff, id) = own_case(&state, &caller, &path).await?;
    let status = CaseStatus::parse(body.status.trim())
        .ok_or_else(|| ApiError::new(caller.lang, Problem::UnknownStatus))?;
    let changed = casework::set_status(&state, staff, id, status).await;
    status_response(&state, caller.lang, id, changed).await
}

/// `{"category": "avvik", "subtype": null, "severity": "hoy", "probability": 3, "consequence": 4}`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TriageRequest {
    /// Category key.
    #[schema(example = "avvik")]
    category: String,
    /// Sub-type key of that category.
    #[serde(default)]
    subtype: Option<String>,
    /// Severity key.
    #[schema(example = "hoy")]
    severity: String,
    /// 1–5; with `consequence`, or neither.
    #[serde(default)]
    probability: Option<u8>,
    /// 1–5; with `probability`, or neither.
    #[serde(default)]
    consequence: Option<u8>,
}

impl TriageRequest {
    fn input(&self, taxonomy: &crate::core::domain::Taxonomy) -> Option<TriageInput> {
        let number = |v: Option<u8>| v.map(|v| v.to_string()).unwrap_or_default();
        let (probability, consequence) = (number(self.probability), number(self.consequence));
        TriageDraft {
            category: &self.category,
            subtype: self.subtype.as_deref().unwrap_or(""),
            severity: &self.severity,
            probability: &probability,
            consequence: &consequence,
        }
        .parse(taxonomy)
    }
}

/// `POST /api/v1/staff/cases/{case}/triage`: re-classifies and re-routes the
/// case; `still_member` says whether the caller can still reach it.
#[utoipa::path(
    post, operation_id = "staff_case_triage", path = "/api/v1/staff/cases/{case}/triage", tag = "staff", security(("bearer" = [])),
    params(("case" = Uuid, Path, description = "The case id.")),
    request_body = TriageRequest,
    responses((status = 200, description = "Re-classified and re-routed.", body = Triaged), BadRequest, Unauthorized, Forbidden, NotFound, PayloadTooLarge, UnsupportedMediaType, Unprocessable),
)]
pub async fn triage(
    state: web::Data<AppState>,
    caller: ApiCaller,
    path: web::Path<String>,
    body: web::Json<TriageRequest>,
) -> Result<HttpResponse, ApiError> {
    let (staff, id) = own_case(&state, &caller, &path).await?;
    let input = body
        .input(&state.settings.taxonomy)
        .ok_or_else(|| ApiError::new(caller.lang, Problem::InvalidClassification))?;
    let outcome = match triage::triage(&state, staff, id, &input).await {
        Ok(outcome) => outcome,
        Err(CoreError::Refused(Refusal::NoEligibleHandler)) => {
            return Err(ApiError::new(caller.lang, Problem::NoOneLeft))
        }
        Err(e) => return Err(ApiError::core(caller.lang, e)),
    };
    let accepted = state.settings.routing.accepted_risk;
    Ok(HttpResponse::Ok().json(Triaged {
        category: input.category.key().to_owned(),
        subtype: input.subtype.as_ref().map(|s| s.as_str().to_owned()),
        severity: input.severity.key().to_owned(),
        risk: input.risk.map(|r| RiskJson {
            probability: r.probability(),
            consequence: r.consequence(),
            score: r.score(),
            accepted,
            above_accepted: r.above(accepted),
        }),
        still_member: outcome.still_member,
    }))
}
