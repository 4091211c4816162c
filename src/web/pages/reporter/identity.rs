//! The reporter's identity on the reporter pages: the optional fields of
//! the report form (offered only when an identity custodian is configured),
//! and `GET`/`POST /case/identity`, where a reporter gives it later. The
//! identity is sealed to the custodians ([`crate::core::identity`]); the
//! pages never show it back.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use uuid::Uuid;
use zeroize::Zeroize;

use super::FormErrors;
use crate::core::error::{CoreError, FieldError, FieldProblem, Refusal};
use crate::core::i18n::Translator;
use crate::core::identity::{self, IdentityDraft, IdentityRefusal, SealedIdentity};
use crate::web::http::multipart::FormWithFiles;
use crate::web::http::{AppError, ErrorKind, Visitor};
use crate::web::state::AppState;

/// The identity fields as the reporter typed them, kept to show a form again.
#[derive(Default)]
pub struct IdentityEntered {
    /// `identity_name`.
    pub name: String,
    /// `identity_contact`.
    pub contact: String,
    /// `identity_role`.
    pub role: String,
}

impl Drop for IdentityEntered {
    fn drop(&mut self) {
        self.name.zeroize();
        self.contact.zeroize();
        self.role.zeroize();
    }
}

impl IdentityEntered {
    /// The fields of a submitted report form.
    pub fn from_form(form: &FormWithFiles) -> Self {
        IdentityEntered {
            name: form.get("identity_name").to_owned(),
            contact: form.get("identity_contact").to_owned(),
            role: form.get("identity_role").to_owned(),
        }
    }

    fn draft(&self) -> IdentityDraft<'_> {
        IdentityDraft {
            name: &self.name,
            contact: &self.contact,
            role: &self.role,
        }
    }
}

/// The message for one problem with an identity field.
fn field_message(t: &Translator, problem: &FieldError) -> String {
    match problem.problem {
        FieldProblem::TooLong { max } => {
            t.f("custodian.form.too_long", &[("max", &max.to_string())])
        }
        _ => t.t("custodian.form.unavailable"),
    }
}

/// Parses and seals the identity of a report form, before the report is
/// stored: `None` if the reporter gave none, or if it was refused (the
/// problem is added to `errors`, next to its field).
pub async fn seal_from_form(
    state: &AppState,
    visitor: &Visitor,
    entered: &IdentityEntered,
    errors: &mut FormErrors,
) -> Result<Option<SealedIdentity>, AppError> {
    let t = visitor.t();
    let parsed = match entered.draft().parse(&state.settings.identity) {
        Ok(parsed) => parsed,
        Err(problems) => {
            for p in problems {
                errors.add(p.field, field_message(&t, &p));
            }
            return Ok(None);
        }
    };
    let Some(given) = parsed else {
        return Ok(None);
    };
    match identity::seal(state, &given).await {
        Ok(sealed) => Ok(Some(sealed)),
        Err(CoreError::Refused(Refusal::Identity(IdentityRefusal::NoCustodian))) => {
            errors.add("identity_name", t.t("custodian.form.unavailable"));
            Ok(None)
        }
        Err(e) => Err(visitor.fail(e)),
    }
}

/// Stores the identity sealed with a report once the report is stored. The
/// case exists by now and its code must reach the reporter, so a failure is
/// logged and the reporter can give the identity again from the case page.
pub async fn attach(state: &AppState, case_id: Uuid, sealed: Option<SealedIdentity>) {
    if let Some(sealed) = sealed {
        if let Err(e) = identity::attach_to_new_case(state, case_id, &sealed).await {
            tracing::error!(error = %e, "cannot store a reporter identity");
        }
    }
}

/// Whether the report form offers the identity fields.
pub async fn offered(state: &AppState, visitor: &Visitor) -> Result<bool, AppError> {
    identity::available(state)
        .await
        .map_err(|e| visitor.internal(e))
}

/// What the reporter's case page says about their identity.
#[derive(Default)]
pub struct IdentityNote {
    /// An identity can be given.
    pub offered: bool,
    /// It has been given.
    pub given: bool,
}

/// The case page's note for the signed-in reporter.
pub async fn note(state: &AppState, visitor: &Visitor) -> Result<IdentityNote, AppError> {
    let Some(reporter) = visitor.reporter() else {
        return Ok(IdentityNote::default());
    };
    let s = identity::reporter_state(state, reporter)
        .await
        .map_err(|e| visitor.fail(e))?;
    Ok(IdentityNote {
        offered: s.offered,
        given: s.given,
    })
}

/// `/case/identity`: the form to give one's identity later.
#[derive(Template)]
#[template(path = "reporter/identity.html")]
struct IdentityPage<'a> {
    t: Translator,
    csrf: String,
    offered: bool,
    given: bool,
    entered: &'a IdentityEntered,
    errors: FormErrors,
}

/// The submitted form.
#[derive(serde::Deserialize)]
pub struct IdentityForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    identity_name: String,
    #[serde(default)]
    identity_contact: String,
    #[serde(default)]
    identity_role: String,
}

impl Drop for IdentityForm {
    fn drop(&mut self) {
        self.identity_name.zeroize();
        self.identity_contact.zeroize();
        self.identity_role.zeroize();
    }
}

async fn render_page(
    state: &AppState,
    visitor: &Visitor,
    entered: &IdentityEntered,
    errors: FormErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let (Some(_), Some(csrf)) = (visitor.reporter(), visitor.csrf()) else {
        return Err(visitor.error(ErrorKind::NotFound));
    };
    let n = note(state, visitor).await?;
    let page = IdentityPage {
        t: visitor.t(),
        csrf: csrf.to_owned(),
        offered: n.offered,
        given: n.given,
        entered,
        errors,
    };
    let body = super::render(visitor, &page)?;
    Ok(super::html(status, body, None))
}

/// GET /case/identity
pub async fn show(state: web::Data<AppState>, visitor: Visitor) -> Result<HttpResponse, AppError> {
    if visitor.reporter().is_none() {
        return Ok(super::see_other("/followup", None));
    }
    render_page(
        &state,
        &visitor,
        &IdentityEntered::default(),
        FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

/// POST /case/identity
pub async fn submit(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: web::Form<IdentityForm>,
) -> Result<HttpResponse, AppError> {
    let Some(reporter) = visitor.reporter() else {
        return Err(visitor.error(ErrorKind::Csrf));
    };
    visitor.check_csrf(&form.csrf)?;
    let entered = IdentityEntered {
        name: form.identity_name.clone(),
        contact: form.identity_contact.clone(),
        role: form.identity_role.clone(),
    };
    drop(form);
    let t = visitor.t();
    let mut errors = FormErrors::default();
    let parsed = match entered.draft().parse(&state.settings.identity) {
        Ok(Some(given)) => Some(given),
        Ok(None) => {
            errors.add("identity_name", t.t("custodian.form.empty"));
            None
        }
        Err(problems) => {
            for p in problems {
                errors.add(p.field, field_message(&t, &p));
            }
            None
        }
    };
    let Some(given) = parsed else {
        return render_page(&state, &visitor, &entered, errors, StatusCode::BAD_REQUEST).await;
    };
    match identity::reporter_add(&state, reporter, &given).await {
        Ok(()) => Ok(super::see_other("/case#identity", None)),
        Err(CoreError::Refused(Refusal::Identity(IdentityRefusal::NoCustodian))) => {
            errors.add("identity_name", t.t("custodian.form.unavailable"));
            render_page(
                &state,
                &visitor,
                &entered,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(visitor.fail(e)),
    }
}
