//! Follow-up of the reporter through the API (SPEC §4): the reporter reports
//! retaliation (`POST /api/v1/reporter/case/retaliation`), staff record a
//! measure taken to protect the reporter
//! (`POST /api/v1/staff/cases/{case}/measures`). The measures and the
//! reporter's dates are part of the case each side reads.

use crate::web::api::responses::{
    BadRequest, Forbidden, NotFound, PayloadTooLarge, Unauthorized, UnsupportedMediaType,
};
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::core::domain::TextField;
use crate::core::followup::{self, MeasureView, ReporterDates};
use crate::core::store::MessageKind;
use crate::web::api::auth::ApiCaller;
use crate::web::api::error::ApiError;
use crate::web::api::{iso_date, iso_day, iso_instant, AuthorKind};
use crate::web::http::{ErrorKind, SecretText};
use crate::web::state::AppState;

/// What a thread message is.
#[derive(Serialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum MessageKindJson {
    /// An ordinary message.
    Message,
    /// The reporter reports retaliation (arbeidsmiljøloven § 2 A-4).
    Retaliation,
}

impl From<MessageKind> for MessageKindJson {
    fn from(kind: MessageKind) -> Self {
        match kind {
            MessageKind::Message => MessageKindJson::Message,
            MessageKind::Retaliation => MessageKindJson::Retaliation,
        }
    }
}

/// `{"body": "…"}`: what happened, in a report of retaliation.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetaliationRequest {
    /// What happened, and when; sealed to the case.
    #[schema(value_type = String)]
    body: SecretText,
}

/// `{"body": "…", "visible_to_reporter": true}`: a protective measure.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeasureRequest {
    /// What was done to protect the reporter; sealed to the case.
    #[schema(value_type = String)]
    body: SecretText,
    /// Whether the reporter sees it on their case page.
    visible_to_reporter: bool,
}

/// A protective measure as the reporter sees it: the day and the text.
#[derive(Serialize, ToSchema)]
pub struct ReporterMeasure {
    /// The day, `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub date: String,
    /// What was done.
    pub body: String,
}

/// A protective measure as staff see it.
#[derive(Serialize, ToSchema)]
pub struct StaffMeasure {
    /// Its id.
    pub id: Uuid,
    /// When it was recorded, RFC 3339.
    #[schema(format = DateTime)]
    pub time: String,
    /// Who recorded it; null if the account is gone.
    #[schema(required)]
    pub author_name: Option<String>,
    /// Whether the reporter sees it.
    pub visible_to_reporter: bool,
    /// What was done.
    pub body: String,
}

/// A measure just recorded.
#[derive(Serialize, ToSchema)]
pub struct MeasureRecorded {
    /// Its id.
    pub id: Uuid,
    /// When, RFC 3339.
    #[schema(format = DateTime)]
    pub time: String,
    /// Whether the reporter sees it.
    pub visible_to_reporter: bool,
}

/// A retaliation report the reporter sent.
#[derive(Serialize, ToSchema)]
pub struct RetaliationReported {
    /// Always `reporter`.
    pub author: AuthorKind,
    /// Always `retaliation`.
    pub kind: MessageKindJson,
    /// The day, `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub date: String,
}

/// The acknowledgement and feedback dates of the reporter's case.
#[derive(Serialize, ToSchema)]
pub struct ReporterDatesJson {
    /// The day receipt was acknowledged; null until then.
    #[schema(required, format = Date)]
    pub acknowledged_on: Option<String>,
    /// The day by which receipt is to be acknowledged.
    #[schema(required, format = Date)]
    pub acknowledge_due: Option<String>,
    /// The day by which feedback is due: the configured months (3) after
    /// the acknowledgement, or after the acknowledgement deadline if receipt
    /// was not acknowledged; later once extended.
    #[schema(required, format = Date)]
    pub feedback_due: Option<String>,
    /// The day feedback was given; null until then.
    #[schema(required, format = Date)]
    pub feedback_given_on: Option<String>,
}

impl From<ReporterDates> for ReporterDatesJson {
    fn from(d: ReporterDates) -> Self {
        let day = |t: time::OffsetDateTime| iso_date(t.date());
        ReporterDatesJson {
            acknowledged_on: d.acknowledged_at.map(day),
            acknowledge_due: d.acknowledge_due.map(day),
            feedback_due: d.feedback_due.map(day),
            feedback_given_on: d.feedback_given_at.map(day),
        }
    }
}

/// The reporter's view of the measures shown to them.
pub(crate) fn reporter_measures_json(measures: &[MeasureView]) -> Vec<ReporterMeasure> {
    measures
        .iter()
        .map(|m| ReporterMeasure {
            date: iso_day(m.created_at),
            body: m.body.clone(),
        })
        .collect()
}

/// Staff's view of every measure.
pub(crate) fn staff_measures_json(measures: &[MeasureView]) -> Vec<StaffMeasure> {
    measures
        .iter()
        .map(|m| StaffMeasure {
            id: m.id,
            time: iso_instant(m.created_at),
            author_name: m.author_name.clone(),
            visible_to_reporter: m.visible_to_reporter,
            body: m.body.clone(),
        })
        .collect()
}

/// `POST /api/v1/reporter/case/retaliation`.
#[utoipa::path(
    post, operation_id = "reporter_case_retaliation", path = "/api/v1/reporter/case/retaliation", tag = "reporter", security(("bearer" = [])),
    request_body = RetaliationRequest,
    responses((status = 201, description = "The retaliation report is stored in the thread; handlers see it flagged, with a deadline to respond.", body = RetaliationReported), BadRequest, Unauthorized, PayloadTooLarge, UnsupportedMediaType),
)]
pub async fn report_retaliation(
    state: web::Data<AppState>,
    caller: ApiCaller,
    body: web::Json<RetaliationRequest>,
) -> Result<HttpResponse, ApiError> {
    let reporter = caller.reporter()?;
    let text = TextField::parse(&body.body, state.settings.limits.max_text_chars)
        .map_err(|e| ApiError::text(caller.lang, "body", e))?;
    drop(body);
    followup::report_retaliation(&state, reporter, &text)
        .await
        .map_err(|e| ApiError::core(caller.lang, e))?;
    Ok(HttpResponse::Created().json(RetaliationReported {
        author: AuthorKind::Reporter,
        kind: MessageKindJson::Retaliation,
        date: iso_day(crate::core::casework::now_in(&state)),
    }))
}

/// `POST /api/v1/staff/cases/{case}/measures`.
#[utoipa::path(
    post, operation_id = "staff_case_measure", path = "/api/v1/staff/cases/{case}/measures", tag = "staff", security(("bearer" = [])),
    params(("case" = Uuid, Path, description = "The case id.")),
    request_body = MeasureRequest,
    responses((status = 201, description = "The measure is stored, sealed to the case; it answers an unanswered retaliation report.", body = MeasureRecorded), BadRequest, Unauthorized, Forbidden, NotFound, PayloadTooLarge, UnsupportedMediaType),
)]
pub async fn record_measure(
    state: web::Data<AppState>,
    caller: ApiCaller,
    path: web::Path<String>,
    body: web::Json<MeasureRequest>,
) -> Result<HttpResponse, ApiError> {
    let staff = caller.case_worker()?;
    let lang = caller.lang;
    let id = Uuid::parse_str(&path).map_err(|_| ApiError::kind(lang, ErrorKind::NotFound))?;
    // A case that is not the caller's is "not found" before the body is judged.
    crate::core::open::ensure_staff_case(&state, staff, id)
        .await
        .map_err(|e| ApiError::core(lang, e))?;
    let text = TextField::parse(&body.body, state.settings.limits.max_text_chars)
        .map_err(|e| ApiError::text(lang, "body", e))?;
    let visible = body.visible_to_reporter;
    drop(body);
    let measure = followup::record_measure(&state, staff, id, &text, visible)
        .await
        .map_err(|e| ApiError::core(lang, e))?;
    Ok(HttpResponse::Created().json(MeasureRecorded {
        id: measure,
        time: iso_instant(crate::core::casework::now_in(&state)),
        visible_to_reporter: visible,
    }))
}
