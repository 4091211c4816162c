//! `POST /staff/cases/{id}/identity/requests`: a handler of the case asks a
//! custodian to see the reporter's identity, with a written reason. A
//! refused request shows the case page again with the reason as typed.

use actix_web::http::StatusCode;

use super::case::render_case_with;
use super::{case_form, see_other, CaseAction, StaffResult};
use crate::core::error::{CoreError, FieldProblem};
use crate::core::i18n::Translator;
use crate::core::identity;
use crate::web::http::SecretText;

/// The request form.
#[derive(serde::Deserialize)]
pub(super) struct RequestForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: SecretText,
}

fn problem_of(t: &Translator, e: &CoreError) -> Option<String> {
    match e {
        CoreError::Invalid(fields) => Some(match fields.first().map(|f| &f.problem) {
            Some(FieldProblem::TooLong { max }) => t.f(
                "custodian.staff.reason_too_long",
                &[("max", &max.to_string())],
            ),
            _ => t.t("custodian.staff.reason_required"),
        }),
        CoreError::Refused(r) => Some(t.t(&format!("api.error.{}", r.code()))),
        _ => None,
    }
}

/// POST /staff/cases/{id}/identity/requests
pub(super) async fn request(action: CaseAction<RequestForm>) -> StaffResult {
    let (state, visitor, path, form) = action.into_parts();
    let (staff, id) = case_form(&visitor, &form.csrf, &path)?;
    match identity::request(&state, staff, id, &form.reason).await {
        Ok(_) => Ok(see_other(&format!("/staff/cases/{id}#identity"))),
        Err(e) => match problem_of(&visitor.t(), &e) {
            Some(problem) => {
                let status = match e {
                    CoreError::Invalid(_) => StatusCode::BAD_REQUEST,
                    _ => StatusCode::CONFLICT,
                };
                render_case_with(
                    &state,
                    &visitor,
                    staff,
                    id,
                    Some((problem, String::from(&*form.reason), status)),
                )
                .await
            }
            None => Err(visitor.fail(e).into()),
        },
    }
}
