//! Exporting a case from its page (`docs/export.md`): the form asks for the
//! recipients' age public keys and answers with the encrypted archive as a
//! download, `varsel-case-<id>.tar.age`. A refused form comes back on a page
//! of its own, the problem tied to the field.

use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;
use serde::Deserialize;

use super::{case_form, case_id, case_worker, render, CaseAction, StaffNav, StaffResult};
use crate::core::error::FieldProblem;
use crate::core::export::{self, ExportRecipients, MAX_RECIPIENTS};
use crate::core::i18n::Translator;
use crate::web::http::download::export_download;
use crate::web::http::Visitor;
use crate::web::state::AppState;

/// The export page (the form alone, with its problem if it was refused).
#[derive(Template)]
#[template(path = "staff/export.html")]
struct ExportPage {
    t: Translator,
    csrf: String,
    nav: StaffNav,
    case_path: String,
    recipients: String,
    error: Option<String>,
}

/// The export form.
#[derive(Deserialize)]
pub(super) struct ExportForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    recipients: String,
}

fn page(
    visitor: &Visitor,
    staff: &crate::core::actor::StaffMember,
    case: uuid::Uuid,
    recipients: String,
    error: Option<String>,
    status: StatusCode,
) -> StaffResult {
    let t = visitor.t();
    let page = ExportPage {
        nav: StaffNav::new(&t, staff, false),
        csrf: visitor.csrf().unwrap_or_default().to_owned(),
        case_path: format!("/staff/cases/{case}"),
        recipients,
        error,
        t,
    };
    render(visitor, &page, status)
}

/// GET /staff/cases/{id}/export
pub(super) async fn form(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<String>,
) -> StaffResult {
    let staff = case_worker(&visitor)?;
    let case = case_id(&visitor, &path)?;
    crate::core::open::ensure_staff_case(&state, staff, case)
        .await
        .map_err(|e| visitor.fail(e))?;
    page(&visitor, staff, case, String::new(), None, StatusCode::OK)
}

/// POST /staff/cases/{id}/export
pub(super) async fn submit(action: CaseAction<ExportForm>) -> StaffResult {
    let (state, visitor, path, form) = action.into_parts();
    let (staff, case) = case_form(&visitor, &form.csrf, &path)?;
    // Not theirs: "not found" before the form is looked at.
    crate::core::open::ensure_staff_case(&state, staff, case)
        .await
        .map_err(|e| visitor.fail(e))?;
    let recipients = match ExportRecipients::parse([form.recipients.as_str()]) {
        Ok(recipients) => recipients,
        Err(e) => {
            let t = visitor.t();
            let message = match e.problem {
                FieldProblem::Required => t.t("export.form.problem_required"),
                FieldProblem::TooLong { .. } => t.f(
                    "export.form.problem_too_many",
                    &[("max", &MAX_RECIPIENTS.to_string())],
                ),
                _ => t.t("export.form.problem_malformed"),
            };
            return page(
                &visitor,
                staff,
                case,
                form.recipients,
                Some(message),
                StatusCode::BAD_REQUEST,
            );
        }
    };
    let exported = export::export_case(&state, staff, case, &recipients, visitor.t().lang())
        .await
        .map_err(|e| visitor.fail(e))?;
    Ok(export_download(exported))
}
