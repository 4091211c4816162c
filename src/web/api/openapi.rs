//! The OpenAPI 3.1 description of the JSON API, served at
//! `GET /api/v1/openapi.json`. It is derived from the code: each handler
//! carries its own `#[utoipa::path]` (next to the handler, in its module),
//! and request and response bodies are the very types the handlers
//! deserialize and serialize (`#[derive(ToSchema)]`), so a field added to a
//! type appears in the description without further work. A test checks that
//! the description and the registered routes under `/api/v1` name the same
//! operations.
//!
//! Error responses are named once in `responses.rs` (`BadRequest`,
//! `Unauthorized`, …, each `{"error": {...}}` as [`ErrorBody`]) and listed
//! per operation;
//! `500 internal` and `503 unavailable` are added to every operation by
//! [`Conventions`], as is the optional `?lang=` parameter.

use std::sync::LazyLock;

use actix_web::{web, HttpResponse};
use serde_json::{json, Value};
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{Object, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi as Document, Required};
use utoipa::{Modify, OpenApi};

use super::error::ErrorBody;
use crate::core::domain::{Authority, CaseStatus, Decision, LegalBasis, Outcome, Severity};
use crate::core::inbox::InboxOrder;
use crate::core::settings::Settings;
use crate::web::state::AppState;

/// The name of the bearer security scheme.
pub const BEARER: &str = "bearer";

/// What applies to every operation: the `?lang=` parameter, the `500` and
/// `503` responses, and the bearer security scheme.
pub struct Conventions;

impl Modify for Conventions {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A session token from `POST /api/v1/reporter/session` or `POST /api/v1/staff/session`.",
                    ))
                    .build(),
            ),
        );
        // Any operation may fail on the server's side.
        let mut internal = <super::responses::Internal as utoipa::IntoResponses>::responses();
        internal.extend(<super::responses::Unavailable as utoipa::IntoResponses>::responses());
        for item in doc.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                op.parameters.get_or_insert_with(Vec::new).push(lang());
                for (status, response) in &internal {
                    op.responses
                        .responses
                        .entry(status.clone())
                        .or_insert_with(|| response.clone());
                }
            }
        }
    }
}

fn lang() -> Parameter {
    ParameterBuilder::new()
        .name("lang")
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .description(Some(
            "Language of messages and labels: `nb` (Norwegian bokmål), `nn` (Norwegian nynorsk) or `en` (English); anything else falls back to the language cookie, then `Accept-Language`, then the server's default.",
        ))
        .schema(Some(Object::with_type(Type::String)))
        .build()
}

/// The description of the API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Varsel JSON API",
        version = "1",
        description = "Everything a reporter and a handler can do on the web pages, for bearer-token clients. See docs/api.md.",
        license(name = "AGPL-3.0-or-later", identifier = "AGPL-3.0-or-later"),
    ),
    paths(
        openapi_json,
        super::session::reporter_login,
        super::session::reporter_logout,
        super::session::staff_login,
        super::session::staff_logout,
        super::two_factor::state,
        super::two_factor::setup,
        super::two_factor::confirm,
        super::two_factor::recovery_codes,
        super::pow::challenge,
        super::catalog::categories,
        super::catalog::handlers,
        super::reports::submit_json,
        super::e2e::routing,
        super::e2e::submit,
        super::reporter_case::view,
        super::reporter_case::reply,
        super::reporter_case::upload,
        super::reporter_case::download,
        super::followup::report_retaliation,
        super::followup::record_measure,
        super::notes::list,
        super::notes::add,
        super::staff_cases::inbox,
        super::staff_cases::view,
        super::staff_cases::reply,
        super::staff_cases::upload,
        super::staff_cases::download,
        super::staff_cases::acknowledge,
        super::export::export_case,
        super::staff_cases::set_status,
        super::staff_cases::triage,
        super::escalation::view,
        super::escalation::record,
        super::escalation::confirm,
        super::breach::record,
        super::escalation::close,
        super::escalation::reopen,
        super::escalation::register,
        super::deadlines::extend,
        super::legal_hold::place,
        super::legal_hold::lift,
        super::identity::reporter_status,
        super::identity::reporter_add,
        super::identity::staff_view,
        super::identity::staff_request,
        super::identity::custodian_list,
        super::identity::custodian_decide,
        super::accounts::list,
        super::accounts::create,
        super::accounts::roles,
        super::accounts::groups,
        super::accounts::deactivate,
        super::accounts::reactivate,
        super::account::change_password,
        super::account::sessions,
        super::account::end_session,
    ),
    components(schemas(ErrorBody)),
    modifiers(&Conventions),
    tags(
        (name = "public", description = "No token needed."),
        (name = "reporter", description = "A reporter token."),
        (name = "staff", description = "A staff token."),
        (name = "custodian", description = "A staff token of an identity custodian."),
        (name = "session", description = "Ending a session (the token stops working)."),
        (name = "admin", description = "A staff token of an administrator."),
    ),
)]
pub struct ApiDoc;

/// The description as the types give it, before [`vocabulary`].
static DERIVED: LazyLock<Value> = LazyLock::new(|| {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or(Value::Null);
    links(&mut doc);
    doc
});

/// The operations whose path names a case, which the inbox links to.
const CASE_OPERATIONS: &[&str] = &[
    "staff_case_view",
    "staff_case_reply",
    "staff_case_upload",
    "staff_case_acknowledge",
    "staff_case_export",
    "staff_case_set_status",
    "staff_case_triage",
    "escalation_view",
    "escalation_record",
    "breach_decision_record",
    "escalation_close",
    "escalation_reopen",
    "extend_feedback",
    "staff_case_measure",
    "staff_case_notes",
    "staff_case_note_add",
];

/// OpenAPI links: how a value one operation returns feeds the next, for
/// clients and for stateful testing (a report's code to the code login, the
/// inbox's case ids to the case operations, an upload to its download, a
/// decision to its confirmation).
fn links(doc: &mut Value) {
    let mut add = |path: &str, method: &str, status: &str, name: &str, link: Value| {
        let response = &mut doc["paths"][path][method]["responses"][status];
        if response.is_object() {
            response["links"][name] = link;
        }
    };
    add(
        "/api/v1/reports",
        "post",
        "201",
        "CodeLogin",
        json!({
            "operationId": "reporter_login",
            "requestBody": { "code": "$response.body#/case_code" },
        }),
    );
    for op in CASE_OPERATIONS {
        add(
            "/api/v1/staff/cases",
            "get",
            "200",
            op,
            json!({ "operationId": op, "parameters": { "case": "$response.body#/cases/0/id" } }),
        );
    }
    add(
        "/api/v1/staff/cases/{case}",
        "get",
        "200",
        "Download",
        json!({
            "operationId": "staff_case_download",
            "parameters": { "case": "$response.body#/id", "attachment": "$response.body#/attachments/0/id" },
        }),
    );
    add(
        "/api/v1/staff/cases/{case}/attachments",
        "post",
        "201",
        "Download",
        json!({
            "operationId": "staff_case_download",
            "parameters": { "case": "$request.path.case", "attachment": "$response.body#/0/id" },
        }),
    );
    add(
        "/api/v1/staff/cases/{case}/escalation",
        "post",
        "201",
        "Confirm",
        json!({
            "operationId": "escalation_confirm",
            "parameters": { "case": "$request.path.case", "decision": "$response.body#/id" },
        }),
    );
    add(
        "/api/v1/reporter/case",
        "get",
        "200",
        "Download",
        json!({
            "operationId": "reporter_case_download",
            "parameters": { "attachment": "$response.body#/attachments/0/id" },
        }),
    );
    add(
        "/api/v1/reporter/case/attachments",
        "post",
        "201",
        "Download",
        json!({
            "operationId": "reporter_case_download",
            "parameters": { "attachment": "$response.body#/0/id" },
        }),
    );
}

/// The description for a server with `settings`: the derived description
/// with the closed vocabularies (the domain's keys, this server's
/// categories and sub-types) and this server's length limits filled in.
pub fn document(settings: &Settings) -> Value {
    let mut doc = DERIVED.clone();
    vocabulary(&mut doc, settings);
    doc
}

/// The keys of a closed set, as JSON.
fn keys<T: Copy>(all: &[T], key: fn(T) -> &'static str) -> Value {
    all.iter().map(|v| Value::from(key(*v))).collect()
}

/// Fills in what the types alone cannot say: which strings are keys of a
/// closed set, which texts must not be blank, and how long they may be.
fn vocabulary(doc: &mut Value, settings: &Settings) {
    let taxonomy = settings.taxonomy.categories();
    let categories: Value = taxonomy
        .iter()
        .map(|c| Value::from(c.key.as_str()))
        .collect();
    let mut subtypes: Vec<Value> = taxonomy
        .iter()
        .flat_map(|c| c.subtypes.iter().map(|s| Value::from(s.key.as_str())))
        .collect();
    subtypes.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    subtypes.dedup();
    subtypes.push(Value::Null);
    let severities = keys(&Severity::ALL, Severity::key);
    let mut report_severities = severities.clone();
    if let Some(list) = report_severities.as_array_mut() {
        // An empty severity is the default, `middels`.
        list.push(Value::from(""));
    }
    let statuses: Value = CaseStatus::ALL
        .iter()
        .filter(|s| **s != CaseStatus::Closed)
        .map(|s| Value::from(s.key()))
        .collect();
    let limits = &settings.limits;
    // Required text: trimmed, so at least one character that is not white space.
    let text = json!({ "pattern": "\\S", "maxLength": limits.max_text_chars });
    let short = json!({ "maxLength": limits.max_short_field_chars });
    let moment = json!({ "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2})?$" });
    // An optional moment may also be empty: none.
    let optional_moment =
        json!({ "pattern": "^([0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2})?)?$" });
    let mut sorts = keys(&InboxOrder::ALL, InboxOrder::key);
    if let Some(list) = sorts.as_array_mut() {
        // Empty: the default order.
        list.push(Value::from(""));
    }
    let schemas = &mut doc["components"]["schemas"];
    let fields: &[(&str, &str, Value)] = &[
        ("ReportRequest", "category", json!({ "enum": categories })),
        ("ReportRequest", "subtype", json!({ "enum": subtypes })),
        (
            "ReportRequest",
            "severity",
            json!({ "enum": report_severities }),
        ),
        ("ReportRequest", "description", text.clone()),
        ("ReportRequest", "when", short.clone()),
        ("ReportRequest", "place", short.clone()),
        (
            "ReportRequest",
            "exclude",
            json!({ "items": { "type": "string", "format": "uuid" } }),
        ),
        ("MessageRequest", "body", text.clone()),
        ("MeasureRequest", "body", text.clone()),
        ("RetaliationRequest", "body", text.clone()),
        ("ReasonRequest", "reason", text.clone()),
        ("StatusRequest", "status", json!({ "enum": statuses })),
        ("TriageRequest", "category", json!({ "enum": categories })),
        ("TriageRequest", "subtype", json!({ "enum": subtypes })),
        ("TriageRequest", "severity", json!({ "enum": severities })),
        (
            "TriageRequest",
            "probability",
            json!({ "minimum": 1, "maximum": 5 }),
        ),
        (
            "TriageRequest",
            "consequence",
            json!({ "minimum": 1, "maximum": 5 }),
        ),
        (
            "DecisionRequest",
            "authority",
            json!({ "enum": keys(Authority::ALL, Authority::key) }),
        ),
        (
            "DecisionRequest",
            "decision",
            json!({ "enum": keys(Decision::ALL, Decision::key) }),
        ),
        (
            "DecisionRequest",
            "legal_basis",
            json!({ "enum": keys(LegalBasis::ALL, LegalBasis::key) }),
        ),
        ("DecisionRequest", "rationale", text.clone()),
        ("DecisionRequest", "aware_at", moment.clone()),
        ("DecisionRequest", "decided_at", moment.clone()),
        (
            "BreachDecisionRequest",
            "decision",
            json!({ "enum": crate::core::breach::CHOICES.iter().map(|(k, _)| Value::from(*k)).collect::<Value>() }),
        ),
        ("BreachDecisionRequest", "rationale", text.clone()),
        ("BreachDecisionRequest", "decided_at", moment.clone()),
        ("DecisionRequest", "notified_at", optional_moment),
        ("DecisionRequest", "authority_reference", short),
        (
            "CloseRequest",
            "outcome",
            json!({ "enum": keys(Outcome::ALL, Outcome::key) }),
        ),
        ("CloseRequest", "evaluation", text),
        ("UploadForm", "attachment", json!({ "minItems": 1 })),
        ("ReportForm", "attachment", json!({ "minItems": 0 })),
    ];
    for (schema, field, extra) in fields {
        merge(&mut schemas[*schema]["properties"][*field], extra);
    }
    let parameters: &[(&str, &str, Value)] = &[
        ("/api/v1/staff/cases", "sort", json!({ "enum": sorts })),
        ("/api/v1/staff/cases", "status", json!({ "enum": statuses })),
        (
            "/api/v1/staff/cases",
            "category",
            json!({ "enum": categories }),
        ),
        (
            "/api/v1/staff/cases",
            "severity",
            json!({ "enum": severities }),
        ),
        (
            "/api/v1/staff/cases",
            "deadline",
            json!({ "enum": keys(&crate::core::store::DeadlineBand::ALL, crate::core::inbox::band_key) }),
        ),
        (
            "/api/v1/staff/cases",
            "retaliation",
            json!({ "enum": ["unanswered"] }),
        ),
        (
            "/api/v1/staff/cases",
            "limit",
            json!({ "minimum": 1, "maximum": settings.inbox.max_page_size }),
        ),
        (
            "/api/v1/contact/register",
            "authority",
            json!({ "enum": keys(Authority::ALL, Authority::key) }),
        ),
        (
            "/api/v1/contact/register",
            "decision",
            json!({ "enum": keys(Decision::ALL, Decision::key) }),
        ),
        (
            "/api/v1/contact/register",
            "legal_basis",
            json!({ "enum": keys(LegalBasis::ALL, LegalBasis::key) }),
        ),
    ];
    for (path, name, extra) in parameters {
        let params = doc["paths"][*path]["get"]["parameters"].as_array_mut();
        for param in params.into_iter().flatten() {
            if param["name"] == *name {
                merge(&mut param["schema"], extra);
            }
        }
    }
}

/// Adds the members of `extra` to the object `target`; an `enum` replaces
/// the `type` (so a nullable field's `null` stays allowed when it is listed).
fn merge(target: &mut Value, extra: &Value) {
    let (Some(target), Some(extra)) = (target.as_object_mut(), extra.as_object()) else {
        return;
    };
    if extra.contains_key("enum") {
        target.remove("type");
    }
    for (key, value) in extra {
        target.insert(key.clone(), value.clone());
    }
}

/// `GET /api/v1/openapi.json`: this description.
#[utoipa::path(
    get, operation_id = "openapi_json",
    path = "/api/v1/openapi.json",
    tag = "public",
    security(()),
    responses((status = 200, description = "The OpenAPI 3.1 description of this API.", content_type = "application/json", body = Object)),
)]
pub async fn openapi_json(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(document(&state.settings))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn spec_operations() -> BTreeSet<(String, String)> {
        let doc = ApiDoc::openapi();
        let mut ops = BTreeSet::new();
        for (path, item) in &doc.paths.paths {
            let methods = [
                ("GET", item.get.is_some()),
                ("POST", item.post.is_some()),
                ("PUT", item.put.is_some()),
                ("PATCH", item.patch.is_some()),
                ("DELETE", item.delete.is_some()),
            ];
            for (method, present) in methods {
                if present {
                    ops.insert((method.to_owned(), path.clone()));
                }
            }
        }
        ops
    }

    #[test]
    fn the_description_names_exactly_the_registered_api_routes() {
        let registered: BTreeSet<(String, String)> = crate::web::routes::registered_routes()
            .into_iter()
            .filter(|(_, path)| path.starts_with("/api/v1/"))
            .map(|(method, path)| (method.as_str().to_owned(), path))
            .collect();
        let described = spec_operations();
        let undocumented: Vec<_> = registered.difference(&described).collect();
        let unregistered: Vec<_> = described.difference(&registered).collect();
        assert!(
            undocumented.is_empty(),
            "registered but not in the OpenAPI description: {undocumented:?}"
        );
        assert!(
            unregistered.is_empty(),
            "in the OpenAPI description but not registered: {unregistered:?}"
        );
    }

    #[test]
    fn operation_ids_are_unique_and_every_link_names_one() {
        let doc = document(&Settings::default());
        let mut ids = BTreeSet::new();
        let mut targets = Vec::new();
        for item in doc["paths"].as_object().into_iter().flatten().map(|p| p.1) {
            for op in item.as_object().into_iter().flatten().map(|o| o.1) {
                let id = op["operationId"].as_str().unwrap_or_default().to_owned();
                assert!(ids.insert(id.clone()), "duplicate operationId {id}");
                for response in op["responses"].as_object().into_iter().flatten() {
                    for link in response.1["links"].as_object().into_iter().flatten() {
                        targets.push(
                            link.1["operationId"]
                                .as_str()
                                .unwrap_or_default()
                                .to_owned(),
                        );
                    }
                }
            }
        }
        assert!(targets.len() >= CASE_OPERATIONS.len() + 5);
        for target in targets {
            assert!(ids.contains(&target), "link to unknown operation {target}");
        }
    }

    #[test]
    fn the_description_is_openapi_3_1_with_bearer_auth_and_error_bodies() {
        let doc = document(&Settings::default());
        assert!(
            doc["openapi"]
                .as_str()
                .is_some_and(|v| v.starts_with("3.1")),
            "{}",
            doc["openapi"]
        );
        assert_eq!(
            doc["components"]["securitySchemes"][BEARER]["scheme"],
            "bearer"
        );
        assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
        // Every operation has a success and the internal error, and every
        // operation that needs a token says so and documents 401.
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                let responses = &op["responses"];
                assert!(responses["500"].is_object(), "{method} {path}: no 500");
                assert!(responses["503"].is_object(), "{method} {path}: no 503");
                assert!(
                    responses
                        .as_object()
                        .is_some_and(|r| r.keys().any(|k| k.starts_with('2'))),
                    "{method} {path}: no success response"
                );
                let needs_token = op["security"]
                    .as_array()
                    .is_some_and(|s| s.iter().any(|r| r.get(BEARER).is_some()));
                if needs_token {
                    assert!(responses["401"].is_object(), "{method} {path}: no 401");
                }
            }
        }
    }
}
