//! The reporter's identity through the API ([`crate::core::identity`]): the
//! reporter gives it (`/reporter/case/identity`), a handler sees where it
//! stands and asks to see it (`/staff/cases/{case}/identity…`), a custodian
//! lists the requests and decides them (`/custodian/requests…`). Nothing
//! here ever returns an identity except to the one handler it was released
//! to, after the notice period.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::core::authz::Permission;
use crate::core::i18n::Lang;
use crate::core::identity::{
    self, HandlerIdentity, IdentityDraft, ReporterIdentity, SealedIdentity,
};
use crate::core::store::RequestState;
use crate::web::api::auth::ApiCaller;
use crate::web::api::error::ApiError;
use crate::web::api::iso_instant;
use crate::web::api::responses::{
    BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, Unauthorized, Unprocessable,
    UnsupportedMediaType,
};
use crate::web::http::{ErrorKind, SecretText};
use crate::web::state::AppState;

/// Who the reporter is: free text, each field optional, at least one given.
#[derive(Deserialize, Serialize, Zeroize, ZeroizeOnDrop, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct IdentityFields {
    /// Name.
    #[serde(default)]
    #[schema(example = "Kari Nordmann")]
    pub name: String,
    /// How to reach the reporter (telephone, e-mail, address).
    #[serde(default)]
    pub contact: String,
    /// Role or position.
    #[serde(default)]
    pub role: String,
}

impl IdentityFields {
    /// The identity; `None` if every field is empty.
    fn parse(&self, lang: Lang, state: &AppState) -> Result<Option<ReporterIdentity>, ApiError> {
        IdentityDraft {
            name: &self.name,
            contact: &self.contact,
            role: &self.role,
        }
        .parse(&state.settings.identity)
        .map_err(|fields| ApiError::core(lang, crate::core::error::CoreError::Invalid(fields)))
    }

    fn of(identity: &ReporterIdentity) -> Self {
        IdentityFields {
            name: identity.name.clone(),
            contact: identity.contact.clone(),
            role: identity.role.clone(),
        }
    }
}

/// Parses and seals the `identity` of a submitted report before the report
/// is stored; refused (`identity_unavailable`, 422) without a custodian.
pub(crate) async fn seal_for_report(
    state: &AppState,
    lang: Lang,
    fields: Option<&IdentityFields>,
) -> Result<Option<SealedIdentity>, ApiError> {
    let Some(given) = fields.map(|f| f.parse(lang, state)).transpose()?.flatten() else {
        return Ok(None);
    };
    identity::seal(state, &given)
        .await
        .map(Some)
        .map_err(|e| ApiError::core(lang, e))
}

/// Whether the reporter gave their identity, and whether they can.
#[derive(Serialize, ToSchema)]
pub struct ReporterIdentityStatus {
    /// An identity custodian is configured, so an identity can be given.
    pub offered: bool,
    /// The reporter has given their identity (it is never shown back).
    pub given: bool,
}

/// `GET /api/v1/reporter/case/identity`.
#[utoipa::path(
    get, operation_id = "reporter_identity_status", path = "/api/v1/reporter/case/identity", tag = "reporter", security(("bearer" = [])),
    responses((status = 200, description = "Whether the identity is given and can be.", body = ReporterIdentityStatus), Unauthorized),
)]
pub async fn reporter_status(
    state: web::Data<AppState>,
    caller: ApiCaller,
) -> Result<HttpResponse, ApiError> {
    let reporter = caller.reporter()?;
    let s = identity::reporter_state(&state, reporter)
        .await
        .map_err(|e| ApiError::core(caller.lang, e))?;
    Ok(HttpResponse::Ok().json(ReporterIdentityStatus {
        offered: s.offered,
        given: s.given,
    }))
}

/// `POST /api/v1/reporter/case/identity`: gives (or replaces) the identity.
#[utoipa::path(
    post, operation_id = "reporter_identity_add", path = "/api/v1/reporter/case/identity", tag = "reporter", security(("bearer" = [])),
    request_body = IdentityFields,
    responses((status = 201, description = "The identity is sealed to the custodians and stored.", body = ReporterIdentityStatus), BadRequest, Unauthorized, Unprocessable, PayloadTooLarge, UnsupportedMediaType),
)]
pub async fn reporter_add(
    state: web::Data<AppState>,
    caller: ApiCaller,
    body: web::Json<IdentityFields>,
) -> Result<HttpResponse, ApiError> {
    let reporter = caller.reporter()?;
    let lang = caller.lang;
    let Some(given) = body.parse(lang, &state)? else {
        return Err(ApiError::core(
            lang,
            crate::core::error::CoreError::Invalid(vec![crate::core::error::FieldError {
                field: "identity_name",
                problem: crate::core::error::FieldProblem::Required,
            }]),
        ));
    };
    drop(body);
    identity::reporter_add(&state, reporter, &given)
        .await
        .map_err(|e| ApiError::core(lang, e))?;
    Ok(HttpResponse::Created().json(ReporterIdentityStatus {
        offered: true,
        given: true,
    }))
}

/// The reporter's identity as a handler of the case sees it.
#[derive(Serialize, ToSchema)]
pub struct HandlerIdentityJson {
    /// `not_given` (the reporter gave none), `hidden` (you may ask to see
    /// it), `pending` (your request waits for a custodian), `waiting`
    /// (approved; readable from `readable_from`) or `readable`.
    #[schema(example = "hidden")]
    pub state: String,
    /// When your pending request was filed, RFC 3339.
    #[schema(required, format = DateTime)]
    pub requested_at: Option<String>,
    /// From when the released identity is readable, RFC 3339.
    #[schema(required, format = DateTime)]
    pub readable_from: Option<String>,
    /// When your last request was denied, RFC 3339.
    #[schema(required, format = DateTime)]
    pub denied_at: Option<String>,
    /// The custodian's reason for that denial.
    #[schema(required)]
    pub denial_reason: Option<String>,
    /// The identity, once released to you and readable.
    #[schema(required)]
    pub identity: Option<IdentityFields>,
}

fn handler_json(view: HandlerIdentity) -> HandlerIdentityJson {
    let mut json = HandlerIdentityJson {
        state: String::new(),
        requested_at: None,
        readable_from: None,
        denied_at: None,
        denial_reason: None,
        identity: None,
    };
    json.state = match view {
        HandlerIdentity::NotGiven => "not_given",
        HandlerIdentity::Hidden { denied } => {
            if let Some(mut d) = denied {
                json.denied_at = Some(iso_instant(d.at));
                json.denial_reason = d.reason.take();
            }
            "hidden"
        }
        HandlerIdentity::Pending { requested_at } => {
            json.requested_at = Some(iso_instant(requested_at));
            "pending"
        }
        HandlerIdentity::Waiting { readable_from } => {
            json.readable_from = Some(iso_instant(readable_from));
            "waiting"
        }
        HandlerIdentity::Readable {
            identity,
            readable_from,
        } => {
            json.readable_from = Some(iso_instant(readable_from));
            json.identity = Some(IdentityFields::of(&identity));
            "readable"
        }
    }
    .to_owned();
    json
}

fn case_of(lang: Lang, raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::kind(lang, ErrorKind::NotFound))
}

/// `GET /api/v1/staff/cases/{case}/identity`.
#[utoipa::path(
    get, operation_id = "staff_identity_view", path = "/api/v1/staff/cases/{case}/identity", tag = "staff", security(("bearer" = [])),
    params(("case" = Uuid, Path, description = "The case id.")),
    responses((status = 200, description = "Where the reporter's identity stands for you.", body = HandlerIdentityJson), Unauthorized, Forbidden, NotFound),
)]
pub async fn staff_view(
    state: web::Data<AppState>,
    caller: ApiCaller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let staff = caller.case_worker()?;
    let id = case_of(caller.lang, &path)?;
    let view = identity::handler_view(&state, staff, id)
        .await
        .map_err(|e| ApiError::core(caller.lang, e))?;
    Ok(HttpResponse::Ok().json(handler_json(view)))
}

/// `{"reason": "…"}`: why you need to know who the reporter is.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityRequestBody {
    /// The reason, sealed to the custodians and to you.
    #[schema(value_type = String)]
    reason: SecretText,
}

/// A filed request.
#[derive(Serialize, ToSchema)]
pub struct IdentityRequestFiled {
    /// Its id.
    pub id: Uuid,
    /// Always `pending`.
    #[schema(example = "pending")]
    pub state: String,
}

/// `POST /api/v1/staff/cases/{case}/identity/requests`.
#[utoipa::path(
    post, operation_id = "staff_identity_request", path = "/api/v1/staff/cases/{case}/identity/requests", tag = "staff", security(("bearer" = [])),
    params(("case" = Uuid, Path, description = "The case id.")),
    request_body = IdentityRequestBody,
    responses((status = 201, description = "The request waits for a custodian.", body = IdentityRequestFiled), BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Unprocessable, PayloadTooLarge, UnsupportedMediaType),
)]
pub async fn staff_request(
    state: web::Data<AppState>,
    caller: ApiCaller,
    path: web::Path<String>,
    body: web::Json<IdentityRequestBody>,
) -> Result<HttpResponse, ApiError> {
    let staff = caller.case_worker()?;
    let id = case_of(caller.lang, &path)?;
    let request = identity::request(&state, staff, id, &body.reason)
        .await
        .map_err(|e| ApiError::core(caller.lang, e))?;
    Ok(HttpResponse::Created().json(IdentityRequestFiled {
        id: request,
        state: RequestState::Pending.key().to_owned(),
    }))
}

/// A request as a custodian sees it.
#[derive(Serialize, ToSchema)]
pub struct CustodianRequestJson {
    /// Its id.
    pub id: Uuid,
    /// The case.
    pub case_id: Uuid,
    /// The handler who asked (display name).
    pub requested_by: String,
    /// When, RFC 3339.
    #[schema(format = DateTime)]
    pub requested_at: String,
    /// The handler's reason; null if your key does not open it.
    #[schema(required)]
    pub reason: Option<String>,
    /// `pending`, `approved` or `denied`.
    #[schema(example = "pending")]
    pub state: String,
    /// The custodian who decided.
    #[schema(required)]
    pub decided_by: Option<String>,
    /// When, RFC 3339.
    #[schema(required, format = DateTime)]
    pub decided_at: Option<String>,
    /// The custodian's reason.
    #[schema(required)]
    pub decision_reason: Option<String>,
    /// From when an approved identity is readable, RFC 3339.
    #[schema(required, format = DateTime)]
    pub readable_from: Option<String>,
}

/// `GET /api/v1/custodian/requests`: every request, pending first.
#[utoipa::path(
    get, operation_id = "custodian_requests", path = "/api/v1/custodian/requests", tag = "custodian", security(("bearer" = [])),
    responses((status = 200, description = "Every request, pending first, newest first.", body = Vec<CustodianRequestJson>), Unauthorized, Forbidden),
)]
pub async fn custodian_list(
    state: web::Data<AppState>,
    caller: ApiCaller,
) -> Result<HttpResponse, ApiError> {
    let custodian = caller.permitted(Permission::KeepIdentities)?;
    let requests = identity::custodian_requests(&state, custodian)
        .await
        .map_err(|e| ApiError::core(caller.lang, e))?;
    let list: Vec<CustodianRequestJson> = requests
        .iter()
        .map(|r| CustodianRequestJson {
            id: r.id,
            case_id: r.case_id,
            requested_by: r.requested_by.clone(),
            requested_at: iso_instant(r.requested_at),
            reason: r.reason.clone(),
            state: r.state.key().to_owned(),
            decided_by: r.decided_by.clone(),
            decided_at: r.decided.as_ref().map(|d| iso_instant(d.at)),
            decision_reason: r.decided.as_ref().and_then(|d| d.reason.clone()),
            readable_from: r.readable_from.map(iso_instant),
        })
        .collect();
    Ok(HttpResponse::Ok().json(list))
}

/// `{"decision": "approve" | "deny", "reason": "…"}`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    /// `approve` or `deny`.
    #[schema(example = "approve")]
    decision: String,
    /// Why; sealed to the handler and the custodians.
    #[schema(value_type = String)]
    reason: SecretText,
}

/// What a decision did.
#[derive(Serialize, ToSchema)]
pub struct DecisionMade {
    /// `approved` or `denied`.
    #[schema(example = "approved")]
    pub state: String,
    /// From when the handler can read the identity (approved), RFC 3339.
    #[schema(required, format = DateTime)]
    pub readable_from: Option<String>,
}

/// `POST /api/v1/custodian/requests/{request}/decision`.
#[utoipa::path(
    post, operation_id = "custodian_decide", path = "/api/v1/custodian/requests/{request}/decision", tag = "custodian", security(("bearer" = [])),
    params(("request" = Uuid, Path, description = "The request id.")),
    request_body = DecisionBody,
    responses((status = 200, description = "Decided. On approval the reporter has been told in the case thread.", body = DecisionMade), BadRequest, Unauthorized, Forbidden, NotFound, Conflict, PayloadTooLarge, UnsupportedMediaType),
)]
pub async fn custodian_decide(
    state: web::Data<AppState>,
    caller: ApiCaller,
    path: web::Path<String>,
    body: web::Json<DecisionBody>,
) -> Result<HttpResponse, ApiError> {
    let custodian = caller.permitted(Permission::KeepIdentities)?;
    let lang = caller.lang;
    let input = identity::parse_decision(
        &body.decision,
        &body.reason,
        state.settings.limits.max_text_chars,
    )
    .map_err(|e| ApiError::core(lang, e))?;
    drop(body);
    let id = case_of(lang, &path)?;
    let done = identity::decide(&state, custodian, id, &input)
        .await
        .map_err(|e| ApiError::core(lang, e))?;
    Ok(HttpResponse::Ok().json(DecisionMade {
        state: if done.approved {
            RequestState::Approved
        } else {
            RequestState::Denied
        }
        .key()
        .to_owned(),
        readable_from: done.readable_from.map(iso_instant),
    }))
}
