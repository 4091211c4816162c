//! Escalation decisions, closing and reopening, and the escalation register
//! for bearer-token clients: the same operations as the staff pages
//! (`src/escalation.rs`), with the same rules and audit entries.

use crate::web::http::SecretText;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::core::authz::Permission;
use crate::core::domain::{Authority, Decision, LegalBasis, Outcome, TextField};
use crate::core::error::{FieldError, FieldProblem};
use crate::core::escalation::{self, DecisionDraft, DecisionInput, RegisterFilter};
use crate::core::i18n::Lang;
use crate::core::store::EscalationRecord;
use crate::web::api::auth::ApiCaller;
use crate::web::api::error::{ApiError, Problem};
use crate::web::api::iso_instant;
use crate::web::http::ErrorKind;
use crate::web::state::AppState;

fn case_id(lang: Lang, raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::kind(lang, ErrorKind::NotFound))
}

/// Refuses, as "not found", a case the caller may not open, before the body
/// is validated.
async fn ensure_case(
    state: &AppState,
    caller: &ApiCaller,
    staff: &crate::core::actor::StaffMember,
    id: Uuid,
) -> Result<(), ApiError> {
    crate::core::open::ensure_staff_case(state, staff, id)
        .await
        .map_err(|e| ApiError::core(caller.lang, e))
}

fn record_json(r: &EscalationRecord) -> Value {
    json!({
        "id": r.id,
        "case_id": r.case_id,
        "authority": r.authority.key(),
        "decision": r.decision.key(),
        "legal_basis": r.legal_basis.key(),
        "aware_at": iso_instant(r.aware_at),
        "decided_at": iso_instant(r.decided_at),
        "notified_at": r.notified_at.map(iso_instant),
        "decided_by": r.decided_by,
        "authority_reference": r.authority_reference,
        "confirmed_by": r.confirmed_by,
        "confirmed_at": r.confirmed_at.map(iso_instant),
    })
}

/// `GET /api/v1/staff/cases/{case}/escalation` (contact points): the case's
/// decisions with their rationales, the current closure, and whether closing
/// waits for a police or PST decision.
pub async fn view(
    state: web::Data<AppState>,
    caller: ApiCaller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let staff = caller.permitted(Permission::DecideEscalation)?;
    let id = case_id(caller.lang, &path)?;
    let view = escalation::case_escalation(&state, staff, id)
        .await
        .map_err(|e| ApiError::core(caller.lang, e))?;
    let decisions: Vec<Value> = view
        .decisions
        .iter()
        .map(|d| {
            let mut v = record_json(&d.record);
            v["rationale"] = json!(d.rationale);
            v["decided_by_name"] = json!(d.decided_by_name);
            v["confirmed_by_name"] = json!(d.confirmed_by_name);
            v
        })
        .collect();
    let closure = view.closure.as_ref().map(|c| {
        json!({
            "outcome": c.outcome.key(),
            "closed_at": iso_instant(c.closed_at),
            "closed_by_name": c.closed_by_name,
            "evaluation": c.evaluation,
        })
    });
    Ok(HttpResponse::Ok().json(json!({
        "decisions": decisions,
        "closure": closure,
        "police_decision_missing": view.police_decision_missing,
    })))
}

/// A decision as an API client sends it. Moments are `YYYY-MM-DD` or
/// `YYYY-MM-DDTHH:MM`, UTC.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    authority: String,
    decision: String,
    legal_basis: String,
    rationale: SecretText,
    aware_at: String,
    decided_at: String,
    #[serde(default)]
    notified_at: Option<String>,
    #[serde(default)]
    authority_reference: Option<String>,
}

impl DecisionRequest {
    fn input(&self, lang: Lang, max_text: usize) -> Result<DecisionInput, ApiError> {
        DecisionDraft {
            authority: &self.authority,
            decision: &self.decision,
            legal_basis: &self.legal_basis,
            rationale: &self.rationale,
            aware_at: &self.aware_at,
            decided_at: &self.decided_at,
            notified_at: self.notified_at.as_deref().unwrap_or(""),
            authority_reference: self.authority_reference.as_deref().unwrap_or(""),
        }
        .parse(max_text)
        .map_err(|problems| {
            let problem = match problems.first() {
                Some(FieldError {
                    field: field @ ("rationale" | "authority_reference"),
                    problem: FieldProblem::TooLong { max },
                }) => Problem::TextTooLong {
                    field,
                    limit: *max as u64,
                },
                Some(FieldError {
                    field: field @ ("rationale" | "authority_reference"),
                    ..
                }) => Problem::TextRequired { field },
                _ => Problem::InvalidDecision,
            };
            ApiError::new(lang, problem)
        })
    }
}

/// `POST /api/v1/staff/cases/{case}/escalation` (contact points): records a
/// decision; `201` with its id.
pub async fn record(
    state: web::Data<AppState>,
    caller: ApiCaller,
    path: web::Path<String>,
    body: web::Json<DecisionRequest>,
) -> Result<HttpResponse, ApiError> {
    let staff = caller.permitted(Permission::DecideEscalation)?;
    let id = case_id(caller.lang, &path)?;
    ensure_case(&state, &caller, staff, id).await?;
    let input = body.input(caller.lang, state.settings.limits.max_text_chars)?;
    drop(body);
    let decision = escalation::record_decision(&state, staff, id, &input)
        .await
        .map_err(|e| ApiError::core(caller.lang, e))?;
    Ok(HttpResponse::Created().json(json!({ "id": decision })))
}

/// `POST /api/v1/staff/cases/{case}/escalation/{decision}/confirm` (a
/// second contact point).
pub async fn confirm(
    state: web::Data<AppState>,
    caller: ApiCaller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let staff = caller.permitted(Permission::DecideEscalation)?;
    let (case, decision) = path.into_inner();
    let id = case_id(caller.lang, &case)?;
    let decision = Uuid::parse_str(&decision)
        .map_err(|_| ApiError::new(caller.lang, Problem::CannotConfirm))?;
    escalation::confirm_decision(&state, staff, id, decision)
        .await
        .map_err(|e| ApiError::core(caller.lang, e))?;
    Ok(HttpResponse::Ok().json(json!({ "id": decision, "confirmed": true })))
}

/// `{"outcome": "substantiated", "evaluation": "…"}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloseRequest {
    outcome: String,
    evaluation: SecretText,
}

/// `POST /api/v1/staff/cases/{case}/close`: closes with an outcome and a
/// written evaluation (sealed to the case).
pub async fn close(
    state: web::Data<AppState>,
    caller: ApiCaller,
    path: web::Path<String>,
    body: web::Json<CloseRequest>,
) -> Result<HttpResponse, ApiError> {
    let staff = caller.case_worker()?;
    let lang = caller.lang;
    let id = case_id(lang, &path)?;
    ensure_case(&state, &caller, staff, id).await?;
    let outcome = Outcome::parse(body.outcome.trim())
        .ok_or_else(|| ApiError::new(lang, Problem::InvalidOutcome))?;
    let evaluation = TextField::parse(&body.evaluation, state.settings.limits.max_text_chars)
        .map_err(|e| ApiError::text(lang, "evaluation", e))?;
    drop(body);
    escalation::close_case(&state, staff, id, outcome, &evaluation)
        .await
        .map_err(|e| ApiError::core(lang, e))?;
    Ok(HttpResponse::Ok().json(json!({ "status": "closed", "outcome": outcome.key() })))
}

/// `POST /api/v1/staff/cases/{case}/reopen`: reopens a closed case with a
/// reason (sealed to the case).
pub async fn reopen(
    state: web::Data<AppState>,
    caller: ApiCaller,
    path: web::Path<String>,
    body: web::Json<super::ReasonRequest>,
) -> Result<HttpResponse, ApiError> {
    let staff = caller.case_worker()?;
    let lang = caller.lang;
    let id = case_id(lang, &path)?;
    ensure_case(&state, &caller, staff, id).await?;
    let reason = TextField::parse(&body.reason, state.settings.limits.max_text_chars)
        .map_err(|e| ApiError::text(lang, "reason", e))?;
    drop(body);
    escalation::reopen_case(&state, staff, id, &reason)
        .await
        .map_err(|e| ApiError::core(lang, e))?;
    Ok(HttpResponse::Ok().json(json!({ "status": "under_investigation" })))
}

/// `?authority=&decision=&legal_basis=&year=`, each optional.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterQuery {
    #[serde(default)]
    authority: Option<String>,
    #[serde(default)]
    decision: Option<String>,
    #[serde(default)]
    legal_basis: Option<String>,
    #[serde(default)]
    year: Option<i32>,
}

/// `GET /api/v1/contact/register` (contact points): every recorded decision
/// matching the filter, never a rationale.
pub async fn register(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let staff = caller.permitted(Permission::ReadRegister)?;
    let lang = caller.lang;
    let invalid = || ApiError::new(lang, Problem::InvalidFilter);
    let query =
        web::Query::<RegisterQuery>::from_query(req.query_string()).map_err(|_| invalid())?;
    fn pick<T>(raw: &Option<String>, parse: fn(&str) -> Option<T>) -> Result<Option<T>, ()> {
        match raw.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(s) => parse(s).map(Some).ok_or(()),
        }
    }
    let filter = RegisterFilter {
        authority: pick(&query.authority, Authority::parse).map_err(|()| invalid())?,
        decision: pick(&query.decision, Decision::parse).map_err(|()| invalid())?,
        legal_basis: pick(&query.legal_basis, LegalBasis::parse).map_err(|()| invalid())?,
        year: query.year,
    };
    let entries = escalation::register(&state, staff, &filter)
        .await
        .map_err(|e| ApiError::core(lang, e))?;
    let body: Vec<Value> = entries
        .iter()
        .map(|e| {
            let mut v = record_json(&e.record);
            v["decided_by_name"] = json!(e.decided_by_name);
            v["confirmed_by_name"] = json!(e.confirmed_by_name);
            v
        })
        .collect();
    Ok(HttpResponse::Ok().json(body))
}
