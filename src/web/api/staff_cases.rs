//! Cases through the API for staff who work them (`/api/v1/staff/cases…`):
//! the inbox, reading, replying, attachments, acknowledging and status. A case
//! not routed to the caller — or one that does not exist, or a malformed id —
//! is the same 404.

use actix_multipart::Multipart;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::core::case_file::{self, Parts};
use crate::core::casework::{self, CaseView};
use crate::core::deadlines::{CaseDeadlines, NextDeadline};
use crate::core::domain::routing::{TriageDraft, TriageInput};
use crate::core::domain::{CaseStatus, Category, Severity};
use crate::core::error::{CoreError, Refusal};
use crate::core::i18n::Lang;
use crate::core::inbox::{self, InboxQueryError, InboxRequest};
use crate::core::triage;
use crate::web::api::auth::ApiCaller;
use crate::web::api::deadlines::{case_deadlines_json, next_of};
use crate::web::api::error::{ApiError, Problem};
use crate::web::api::reporter_case::MessageRequest;
use crate::web::api::{files, iso_date, iso_day, iso_instant};
use crate::web::api::{thread_json, Reader};
use crate::web::http::download::attachment_download;
use crate::web::http::ErrorKind;
use crate::web::state::AppState;

fn case_id(lang: Lang, raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::kind(lang, ErrorKind::NotFound))
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
fn counts_json<T: Copy>(counts: &[(T, i64)], key: impl Fn(T) -> &'static str) -> Value {
    Value::Object(
        counts
            .iter()
            .map(|(value, n)| (key(*value).to_owned(), json!(n)))
            .collect(),
    )
}

/// `GET /api/v1/staff/cases?sort=&status=&category=&severity=&deadline=&cursor=&limit=`:
/// one page of the caller's cases (closed ones only with `status=closed`),
/// the cursors of the pages around it, and the counts per filter value.
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
    let cases: Vec<Value> = page
        .items
        .iter()
        .map(|i| {
            json!({
                "id": i.case_id,
                "category": i.category.key(),
                "severity": i.severity.key(),
                "status": i.status.key(),
                "received_on": iso_day(i.received_at),
                "next_deadline": i.next.map(|n| iso_date(n.due.date())),
                "next_deadline_kind": i.next.map(|n| n.kind.key()),
                "next_deadline_due": i.next.map(|n| iso_instant(n.due.unix_timestamp())),
                "next_deadline_state": i.next.map(|n| n.state.key()),
                "unread": i.unread,
            })
        })
        .collect();
    let counts = &page.counts;
    Ok(HttpResponse::Ok().json(json!({
        "cases": cases,
        "next_cursor": page.next_cursor,
        "prev_cursor": page.prev_cursor,
        "limit": page.limit,
        "counts": {
            "status": counts_json(&counts.status, CaseStatus::key),
            "category": counts_json(&counts.category, Category::key),
            "severity": counts_json(&counts.severity, Severity::key),
            "deadline": counts_json(&counts.deadline, inbox::band_key),
        },
    })))
}

fn staff_json(view: &CaseView, deadlines: &CaseDeadlines) -> Value {
    let (report, messages, attachments) = thread_json(view, Reader::Staff);
    let case = &view.case;
    let (list, extension) = case_deadlines_json(deadlines);
    json!({
        "id": case.id,
        "category": case.category.key(),
        "severity": case.severity.key(),
        "suggested_severity": case.suggested_severity.key(),
        "status": case.status.key(),
        "received_on": iso_day(case.received_at),
        "acknowledged_at": case.acknowledged_at.map(iso_instant),
        "next_deadline": next_of(&deadlines.statuses).map(|s| iso_date(s.deadline.due.date())),
        "answer_due": view.answer_due.map(iso_date),
        "deadlines": list,
        "feedback_extension": extension,
        "report": report,
        "messages": messages,
        "attachments": attachments,
    })
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
    Ok(HttpResponse::Ok().json(staff_json(&file.view, &file.deadlines)))
}

/// `POST /api/v1/staff/cases/{case}/messages`.
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
    Ok(HttpResponse::Created().json(json!({
        "author": "staff",
        "author_name": staff.display_name,
        "date": iso_day(now),
        "time": iso_instant(now),
    })))
}

/// `POST /api/v1/staff/cases/{case}/attachments` (multipart, `attachment` parts).
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
    let internal =
        |e: crate::core::store::StoreError| ApiError::internal(lang, &anyhow::Error::new(e));
    let not_found = || ApiError::kind(lang, ErrorKind::NotFound);
    let case = state
        .store
        .case_by_id(id)
        .await
        .map_err(internal)?
        .ok_or_else(not_found)?;
    let recipient =
        crate::core::keys::recipient(&case.recipient).map_err(|e| ApiError::internal(lang, &e))?;
    let form = files::receive_upload(&state, lang, &req, payload, id, &recipient).await?;
    let replied = casework::staff_reply(&state, staff, id, None, &form.files).await;
    files::uploaded_or_discarded(lang, form, replied).await
}

/// `GET /api/v1/staff/cases/{case}/attachments/{attachment}`.
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
        .map_err(|e| ApiError::internal(lang, &anyhow::Error::new(e)))?;
    Ok(HttpResponse::Ok().json(status_json(state, lang, case).await?))
}

async fn status_json(
    state: &AppState,
    lang: Lang,
    case: Option<crate::core::store::Case>,
) -> Result<Value, ApiError> {
    let Some(case) = case else {
        return Ok(json!({}));
    };
    let next: Option<NextDeadline> = crate::core::deadlines::next_deadlines(state, &[case.id])
        .await
        .map_err(|e| ApiError::internal(lang, &e))?
        .remove(&case.id);
    Ok(json!({
        "status": case.status.key(),
        "acknowledged_at": case.acknowledged_at.map(iso_instant),
        "next_deadline": next.map(|n| iso_date(n.due.date())),
        "next_deadline_kind": next.map(|n| n.kind.key()),
    }))
}

/// `POST /api/v1/staff/cases/{case}/acknowledge`.
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
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusRequest {
    status: String,
}

/// `POST /api/v1/staff/cases/{case}/status`.
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
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriageRequest {
    category: String,
    #[serde(default)]
    subtype: Option<String>,
    severity: String,
    #[serde(default)]
    probability: Option<u8>,
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
    Ok(HttpResponse::Ok().json(json!({
        "category": input.category.key(),
        "subtype": input.subtype.as_ref().map(|s| s.as_str()),
        "severity": input.severity.key(),
        "risk": input.risk.map(|r| json!({
            "probability": r.probability(),
            "consequence": r.consequence(),
            "score": r.score(),
            "accepted": accepted,
            "above_accepted": r.above(accepted),
        })),
        "still_member": outcome.still_member,
    })))
}
