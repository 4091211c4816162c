//! The Datatilsynet decision on a personal-data breach, recorded by a case
//! worker the case reaches (`src/core/breach.rs`), for bearer-token clients.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::core::authz::Permission;
use crate::core::breach::{self, BreachDecisionDraft, BreachDecisionInput};
use crate::core::error::{FieldError, FieldProblem};
use crate::core::i18n::Lang;
use crate::web::api::auth::ApiCaller;
use crate::web::api::error::{ApiError, Problem};
use crate::web::api::escalation::Recorded;
use crate::web::api::responses::{
    BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, Unauthorized, UnsupportedMediaType,
};
use crate::web::http::{ErrorKind, SecretText};
use crate::web::state::AppState;

/// A breach decision.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BreachDecisionRequest {
    /// `notify` or `do_not_notify` (Datatilsynet, GDPR art. 33).
    #[schema(example = "do_not_notify")]
    decision: String,
    /// Why; sealed to the case.
    #[schema(value_type = String)]
    rationale: SecretText,
    /// When it was decided: `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM`, UTC; not
    /// before the case's receipt, not in the future.
    #[schema(example = "2026-03-02T10:00")]
    decided_at: String,
}

impl BreachDecisionRequest {
    fn input(
        &self,
        lang: Lang,
        max_text: usize,
        now: i64,
    ) -> Result<BreachDecisionInput, ApiError> {
        BreachDecisionDraft {
            decision: &self.decision,
            rationale: &self.rationale,
            decided_at: &self.decided_at,
        }
        .parse(max_text, now)
        .map_err(|problems| {
            let problem = match problems.first() {
                Some(FieldError {
                    field: field @ "rationale",
                    problem: FieldProblem::TooLong { max },
                }) => Problem::TextTooLong {
                    field,
                    limit: *max as u64,
                },
                Some(FieldError {
                    field: field @ "rationale",
                    ..
                }) => Problem::TextRequired { field },
                Some(FieldError {
                    field: "decided_at",
                    problem: FieldProblem::InFuture,
                }) => Problem::DecidedInFuture,
                _ => Problem::InvalidBreachDecision,
            };
            ApiError::new(lang, problem)
        })
    }
}

/// `POST /api/v1/staff/cases/{case}/breach-decision` (any case worker the
/// case reaches): records whether Datatilsynet is to be notified of a
/// personal-data breach; `201` with the decision's id. It meets the case's
/// `breach_decision` deadline.
#[utoipa::path(
    post, operation_id = "breach_decision_record", path = "/api/v1/staff/cases/{case}/breach-decision", tag = "staff", security(("bearer" = [])),
    params(("case" = Uuid, Path, description = "The case id.")),
    request_body = BreachDecisionRequest,
    responses((status = 201, description = "The decision is recorded.", body = Recorded), BadRequest, Unauthorized, Forbidden, NotFound, Conflict, PayloadTooLarge, UnsupportedMediaType),
)]
pub async fn record(
    state: web::Data<AppState>,
    caller: ApiCaller,
    path: web::Path<String>,
    body: web::Json<BreachDecisionRequest>,
) -> Result<HttpResponse, ApiError> {
    let staff = caller.permitted(Permission::WorkCases)?;
    let id =
        Uuid::parse_str(&path).map_err(|_| ApiError::kind(caller.lang, ErrorKind::NotFound))?;
    crate::core::open::ensure_staff_case(&state, staff, id)
        .await
        .map_err(|e| ApiError::core(caller.lang, e))?;
    let input = body.input(
        caller.lang,
        state.settings.limits.max_text_chars,
        state.now(),
    )?;
    drop(body);
    let decision = breach::record(&state, staff, id, &input)
        .await
        .map_err(|e| ApiError::core(caller.lang, e))?;
    Ok(HttpResponse::Created().json(Recorded { id: decision }))
}
