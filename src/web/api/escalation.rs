//! Escalation decisions, closing and reopening, and the escalation register
//! for bearer-token clients: the same operations as the staff pages
//! (`src/escalation.rs`), with the same rules and audit entries.

use crate::web::api::responses::{
    BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, Unauthorized, UnsupportedMediaType,
};
use crate::web::http::SecretText;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
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

/// A recorded escalation decision, as in the register (never its rationale).
#[derive(Serialize, ToSchema)]
pub struct RegisterEntryJson {
    /// The decision's id.
    pub id: Uuid,
    /// The case.
    pub case_id: Uuid,
    /// Authority key.
    pub authority: String,
    /// Decision key.
    pub decision: String,
    /// Legal basis key.
    pub legal_basis: String,
    /// When the organisation became aware, RFC 3339.
    #[schema(format = DateTime)]
    pub aware_at: String,
    /// When it was decided, RFC 3339.
    #[schema(format = DateTime)]
    pub decided_at: String,
    /// When the authority was notified, RFC 3339.
    #[schema(required, format = DateTime)]
    pub notified_at: Option<String>,
    /// Who decided.
    pub decided_by: Uuid,
    /// The authority's reference.
    #[schema(required)]
    pub authority_reference: Option<String>,
    /// Who confirmed.
    #[schema(required)]
    pub confirmed_by: Option<Uuid>,
    /// When it was confirmed, RFC 3339.
    #[schema(required, format = DateTime)]
    pub confirmed_at: Option<String>,
    /// The decider's name.
    pub decided_by_name: String,
    /// The confirmer's name.
    #[schema(required)]
    pub confirmed_by_name: Option<String>,
}

/// A decision of a case, with its rationale.
#[derive(Serialize, ToSchema)]
pub struct DecisionJson {
    /// The decision as in the register.
    #[serde(flatten)]
    pub record: RegisterEntryJson,
    /// Why; sealed to the case.
    pub rationale: String,
}

/// How a case was closed.
#[derive(Serialize, ToSchema)]
pub struct ClosureJson {
    /// Outcome key.
    pub outcome: String,
    /// When, RFC 3339.
    #[schema(format = DateTime)]
    pub closed_at: String,
    /// Who closed it.
    pub closed_by_name: String,
    /// The written evaluation.
    pub evaluation: String,
}

/// A case's escalation.
#[derive(Serialize, ToSchema)]
pub struct CaseEscalationJson {
    /// Its decisions.
    pub decisions: Vec<DecisionJson>,
    /// The current closure, if closed.
    #[schema(required)]
    pub closure: Option<ClosureJson>,
    /// Whether closing waits for a police or PST decision.
    pub police_decision_missing: bool,
}

/// A recorded decision's id.
#[derive(Serialize, ToSchema)]
pub struct Recorded {
    /// The decision's id.
    pub id: Uuid,
}

/// A confirmed decision.
#[derive(Serialize, ToSchema)]
pub struct Confirmed {
    /// The decision's id.
    pub id: Uuid,
    /// Always true.
    pub confirmed: bool,
}

/// A closed case.
#[derive(Serialize, ToSchema)]
pub struct Closed {
    /// Always `closed`.
    pub status: String,
    /// Outcome key.
    pub outcome: String,
}

/// A reopened case.
#[derive(Serialize, ToSchema)]
pub struct Reopened {
    /// Always `under_investigation`.
    pub status: String,
}

fn record_json(
    r: &EscalationRecord,
    decided_by_name: &str,
    confirmed_by_name: Option<&str>,
) -> RegisterEntryJson {
    RegisterEntryJson {
        id: r.id,
        case_id: r.case_id,
        authority: r.authority.key().to_owned(),
        decision: r.decision.key().to_owned(),
        legal_basis: r.legal_basis.key().to_owned(),
        aware_at: iso_instant(r.aware_at),
        decided_at: iso_instant(r.decided_at),
        notified_at: r.notified_at.map(iso_instant),
        decided_by: r.decided_by,
        authority_reference: r.authority_reference.clone(),
        confirmed_by: r.confirmed_by,
        confirmed_at: r.confirmed_at.map(iso_instant),
        decided_by_name: decided_by_name.to_owned(),
        confirmed_by_name: confirmed_by_name.map(str::to_owned),
    }
}

/// `GET /api/v1/staff/cases/{case}/escalation` (contact points): the case's
/// decisions with their rationales, the current closure, and whether closing
/// waits for a police or PST decision.
#[utoipa::path(
    get, operation_id = "escalation_view", path = "/api/v1/staff/cases/{case}/escalation", tag = "staff", security(("bearer" = [])),
    params(("case" = Uuid, Path, description = "The case id.")),
    responses((status = 200, description = "The case's escalation decisions and closure (contact points).", body = CaseEscalationJson), Unauthorized, Forbidden, NotFound),
)]
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
    let decisions = view
        .decisions
        .iter()
        .map(|d| DecisionJson {
            record: record_json(
                &d.record,
                &d.decided_by_name,
                d.confirmed_by_name.as_deref(),
            ),
            rationale: d.rationale.clone(),
        })
        .collect();
    let closure = view.closure.as_ref().map(|c| ClosureJson {
        outcome: c.outcome.key().to_owned(),
        closed_at: iso_instant(c.closed_at),
        closed_by_name: c.closed_by_name.clone(),
        evaluation: c.evaluation.clone(),
    });
    Ok(HttpResponse::Ok().json(CaseEscalationJson {
        decisions,
        closure,
        police_decision_missing: view.police_decision_missing,
    }))
}

/// A decision as an API client sends it. Moments are `YYYY-MM-DD` or
/// `YYYY-MM-DDTHH:MM`, UTC.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    /// Authority key (`police`, `pst`, `datatilsynet`, `nsm`, ...).
    #[schema(example = "police")]
    authority: String,
    /// Decision key (`escalate`, `not_escalate`).
    #[schema(example = "escalate")]
    decision: String,
    /// Legal basis key.
    #[schema(example = "other")]
    legal_basis: String,
    /// Why; sealed to the case.
    #[schema(value_type = String)]
    rationale: SecretText,
    /// `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM`, UTC.
    #[schema(example = "2026-03-01")]
    aware_at: String,
    /// `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM`, UTC.
    #[schema(example = "2026-03-02T10:00")]
    decided_at: String,
    /// `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM`, UTC.
    #[serde(default)]
    notified_at: Option<String>,
    /// The authority's reference.
    #[serde(default)]
    authority_reference: Option<String>,
}

impl DecisionRequest {
    fn input(&self, lang: Lang, max_text: usize, now: i64) -> Result<DecisionInput, ApiError> {
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
        .parse(max_text, now)
        .map_err(|problems| {
            let problem = match problems.first() {
                Some(FieldError {
                    field: "decided_at",
                    problem: FieldProblem::BeforeEarliest { .. },
                }) => Problem::DecidedBeforeAware,
                Some(FieldError {
                    field: "decided_at",
                    problem: FieldProblem::InFuture,
                }) => Problem::DecidedInFuture,
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
#[utoipa::path(
    post, operation_id = "escalation_record", path = "/api/v1/staff/cases/{case}/escalation", tag = "staff", security(("bearer" = [])),
    params(("case" = Uuid, Path, description = "The case id.")),
    request_body = DecisionRequest,
    responses((status = 201, description = "The decision is recorded.", body = Recorded), BadRequest, Unauthorized, Forbidden, NotFound, Conflict, PayloadTooLarge, UnsupportedMediaType),
)]
pub async fn record(
    state: web::Data<AppState>,
    caller: ApiCaller,
    path: web::Path<String>,
    body: web::Json<DecisionRequest>,
) -> Result<HttpResponse, ApiError> {
    let staff = caller.permitted(Permission::DecideEscalation)?;
    let id = case_id(caller.lang, &path)?;
    ensure_case(&state, &caller, staff, id).await?;
    let input = body.input(
        caller.lang,
        state.settings.limits.max_text_chars,
        state.now(),
    )?;
    drop(body);
    let decision = escalation::record_decision(&state, staff, id, &input)
        .await
        .map_err(|e| ApiError::core(caller.lang, e))?;
    Ok(HttpResponse::Created().json(Recorded { id: decision }))
}

/// `POST /api/v1/staff/cases/{case}/escalation/{decision}/confirm` (a
/// second contact point).
#[utoipa::path(
    post, operation_id = "escalation_confirm", path = "/api/v1/staff/cases/{case}/escalation/{decision}/confirm", tag = "staff", security(("bearer" = [])),
    params(("case" = Uuid, Path, description = "The case id."), ("decision" = Uuid, Path, description = "The decision id.")),
    responses((status = 200, description = "The decision is confirmed by a second contact point.", body = Confirmed), Unauthorized, Forbidden, NotFound, Conflict),
)]
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
    Ok(HttpResponse::Ok().json(Confirmed {
        id: decision,
        confirmed: true,
    }))
}

/// `{"outcome": "substantiated", "evaluation": "…"}`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseRequest {
    /// Outcome key.
    #[schema(example = "substantiated")]
    outcome: String,
    /// The written evaluation; sealed to the case.
    #[schema(value_type = String)]
    evaluation: SecretText,
}

/// `POST /api/v1/staff/cases/{case}/close`: closes with an outcome and a
/// written evaluation (sealed to the case).
#[utoipa::path(
    post, operation_id = "escalation_close", path = "/api/v1/staff/cases/{case}/close", tag = "staff", security(("bearer" = [])),
    params(("case" = Uuid, Path, description = "The case id.")),
    request_body = CloseRequest,
    responses((status = 200, description = "The case is closed.", body = Closed), BadRequest, Unauthorized, Forbidden, NotFound, Conflict, PayloadTooLarge, UnsupportedMediaType),
)]
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
    Ok(HttpResponse::Ok().json(Closed {
        status: "closed".to_owned(),
        outcome: outcome.key().to_owned(),
    }))
}

/// `POST /api/v1/staff/cases/{case}/reopen`: reopens a closed case with a
/// reason (sealed to the case).
#[utoipa::path(
    post, operation_id = "escalation_reopen", path = "/api/v1/staff/cases/{case}/reopen", tag = "staff", security(("bearer" = [])),
    params(("case" = Uuid, Path, description = "The case id.")),
    request_body = super::ReasonRequest,
    responses((status = 200, description = "The case is reopened.", body = Reopened), BadRequest, Unauthorized, Forbidden, NotFound, Conflict, PayloadTooLarge, UnsupportedMediaType),
)]
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
    Ok(HttpResponse::Ok().json(Reopened {
        status: "under_investigation".to_owned(),
    }))
}

/// `?authority=&decision=&legal_basis=&year=`, each optional.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RegisterQuery {
    /// Only this authority.
    #[serde(default)]
    authority: Option<String>,
    /// Only this decision.
    #[serde(default)]
    decision: Option<String>,
    /// Only this legal basis.
    #[serde(default)]
    legal_basis: Option<String>,
    /// Only decisions of this year.
    #[serde(default)]
    year: Option<i32>,
    /// The language, taken by the middleware like on every request; named
    /// here so that the filter's check for unknown parameters accepts it.
    #[serde(default, rename = "lang")]
    #[param(ignore)]
    _lang: Option<String>,
}

/// `GET /api/v1/contact/register` (contact points): every recorded decision
/// matching the filter, never a rationale.
#[utoipa::path(
    get, operation_id = "escalation_register", path = "/api/v1/contact/register", tag = "staff", security(("bearer" = [])),
    params(RegisterQuery),
    responses((status = 200, description = "Every recorded decision matching the filter (contact points).", body = Vec<RegisterEntryJson>), BadRequest, Unauthorized, Forbidden),
)]
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
    let body: Vec<RegisterEntryJson> = entries
        .iter()
        .map(|e| {
            record_json(
                &e.record,
                &e.decided_by_name,
                e.confirmed_by_name.as_deref(),
            )
        })
        .collect();
    Ok(HttpResponse::Ok().json(body))
}
