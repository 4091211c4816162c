//! The identity custodian's pages: `GET /custodian` lists handlers' requests
//! to see a reporter's identity, pending first, with their reasons (opened
//! with the custodian's own key); `POST /custodian/requests/{id}/decision`
//! approves or denies one with a reason ([`crate::core::identity::decide`]).

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use askama::Template;
use uuid::Uuid;
use zeroize::Zeroize;

use crate::core::actor::StaffMember;
use crate::core::authz::Permission;
use crate::core::error::{CoreError, FieldProblem};
use crate::core::i18n::Translator;
use crate::core::identity::{self, RequestView};
use crate::core::store::RequestState;
use crate::web::http::{SecretText, Visitor};
use crate::web::pages::staff::{permitted, StaffNav, StaffResult};
use crate::web::state::AppState;

/// Registers the routes of this area.
pub fn configure(routes: &mut crate::web::registry::Registry<'_>) {
    routes
        .get("/custodian", page)
        .post("/custodian/requests/{id}/decision", decide)
        // A refused decision's URL asked for with GET (the language switch).
        .get("/custodian/requests/{id}/decision", back);
}

/// One request on the page.
struct RequestLine {
    id: Uuid,
    heading: String,
    requested_by: String,
    requested_at: String,
    reason: String,
    state: String,
    pending: bool,
    decided: Option<String>,
    decision_reason: Option<String>,
}

impl Drop for RequestLine {
    fn drop(&mut self) {
        self.reason.zeroize();
        if let Some(r) = self.decision_reason.as_mut() {
            r.zeroize();
        }
    }
}

/// The custodian's page.
#[derive(Template)]
#[template(path = "custodian/requests.html")]
struct RequestsPage {
    t: Translator,
    csrf: String,
    nav: StaffNav,
    pending: Vec<RequestLine>,
    decided: Vec<RequestLine>,
    /// A refused decision: which request, the message, the reason as typed.
    problem: Option<(Uuid, String)>,
    draft: String,
}

impl Drop for RequestsPage {
    fn drop(&mut self) {
        self.draft.zeroize();
    }
}

/// A UNIX time as dd.mm.yyyy hh:mm in Oslo, with its zone.
fn moment(at: i64) -> String {
    crate::web::pages::staff::show_exact(at)
}

fn line(t: &Translator, r: &RequestView) -> RequestLine {
    let decided = r.decided.as_ref().map(|d| {
        let by = r.decided_by.clone().unwrap_or_default();
        match (r.state, r.readable_from) {
            (RequestState::Approved, Some(from)) => t.f(
                "custodian.page.approved_by",
                &[
                    ("name", &by),
                    ("time", &moment(d.at)),
                    ("from", &moment(from)),
                ],
            ),
            _ => t.f(
                "custodian.page.denied_by",
                &[("name", &by), ("time", &moment(d.at))],
            ),
        }
    });
    RequestLine {
        id: r.id,
        heading: t.f(
            "custodian.page.request_heading",
            &[("ref", &r.case_id.simple().to_string()[..8].to_uppercase())],
        ),
        requested_by: r.requested_by.clone(),
        requested_at: moment(r.requested_at),
        reason: r
            .reason
            .clone()
            .unwrap_or_else(|| t.t("custodian.page.reason_unreadable")),
        state: t.t(&format!("custodian.state.{}", r.state.key())),
        pending: r.state == RequestState::Pending,
        decided,
        decision_reason: r.decided.as_ref().and_then(|d| d.reason.clone()),
    }
}

async fn render_page(
    state: &AppState,
    visitor: &Visitor,
    custodian: &StaffMember,
    problem: Option<(Uuid, String)>,
    draft: String,
    status: StatusCode,
) -> StaffResult {
    let t = visitor.t();
    let requests = identity::custodian_requests(state, custodian)
        .await
        .map_err(|e| visitor.fail(e))?;
    let (pending, decided): (Vec<RequestLine>, Vec<RequestLine>) = requests
        .iter()
        .map(|r| line(&t, r))
        .partition(|l| l.pending);
    let page = RequestsPage {
        t,
        csrf: visitor.csrf().unwrap_or_default().to_owned(),
        nav: StaffNav::new(&t, custodian, false),
        pending,
        decided,
        problem,
        draft,
    };
    let body = page.render().map_err(|e| visitor.internal(e))?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body))
}

/// GET /custodian
async fn page(state: web::Data<AppState>, visitor: Visitor) -> StaffResult {
    let custodian = permitted(&visitor, Permission::KeepIdentities)?;
    render_page(
        &state,
        &visitor,
        custodian,
        None,
        String::new(),
        StatusCode::OK,
    )
    .await
}

/// The decision form.
#[derive(serde::Deserialize)]
struct DecisionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: SecretText,
}

/// POST /custodian/requests/{id}/decision
async fn decide(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<String>,
    form: web::Form<DecisionForm>,
) -> StaffResult {
    let custodian = permitted(&visitor, Permission::KeepIdentities)?;
    visitor.check_csrf(&form.csrf)?;
    let t = visitor.t();
    let id = Uuid::parse_str(&path).unwrap_or_else(|_| Uuid::nil());
    let parsed = identity::parse_decision(
        &form.decision,
        &form.reason,
        state.settings.limits.max_text_chars,
    );
    let result = match parsed {
        Ok(input) => identity::decide(&state, custodian, id, &input)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    let (message, status) = match result {
        Ok(()) => {
            return Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/custodian"))
                .finish())
        }
        Err(CoreError::Invalid(fields)) => {
            let message = match fields.first() {
                Some(f) if f.field == "decision" => t.t("custodian.page.decision_required"),
                Some(f) => match f.problem {
                    FieldProblem::TooLong { max } => t.f(
                        "custodian.staff.reason_too_long",
                        &[("max", &max.to_string())],
                    ),
                    _ => t.t("custodian.page.reason_required"),
                },
                None => t.t("custodian.page.reason_required"),
            };
            (message, StatusCode::BAD_REQUEST)
        }
        Err(CoreError::Refused(r)) => (
            t.t(&format!("api.error.{}", r.code())),
            StatusCode::CONFLICT,
        ),
        Err(e) => return Err(visitor.fail(e).into()),
    };
    render_page(
        &state,
        &visitor,
        custodian,
        Some((id, message)),
        String::from(&*form.reason),
        status,
    )
    .await
}

/// GET on the decision's URL: back to the list.
async fn back() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/custodian"))
        .finish()
}
