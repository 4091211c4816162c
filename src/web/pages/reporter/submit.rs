//! POST /report — reads the form (attachments are encrypted as they arrive),
//! validates it, checks that someone can receive it, stores the case and shows
//! the receipt with the case code, once. A refused form is shown again with
//! what the reporter wrote (files must be chosen again) and nothing stored.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use zeroize::Zeroizing;

use super::report_form::{render_form, Entered};
use super::FormErrors;
use crate::core::casework::{self, PreparedCase, ReportDraft, ReportInput, ReportLimits};
use crate::core::error::{CoreError, FieldError, FieldProblem, Refusal};
use crate::core::i18n::Translator;
use crate::core::pow::Purpose;
use crate::core::settings::Settings;
use crate::web::http::multipart::{read_form_keeping_text, FormWithFiles, RefusedForm};
use crate::web::http::rate_limit::{Limited, PowProof, POW_CHALLENGE_FIELD, POW_SOLUTION_FIELD};
use crate::web::http::{AppError, ErrorKind, Visitor};
use crate::web::state::AppState;

/// The receipt, the only page that ever shows the case code.
#[derive(Template)]
#[template(path = "reporter/receipt.html")]
struct ReceiptPage {
    t: Translator,
    code: Zeroizing<String>,
    acknowledge_by: String,
    /// Files stored with their metadata, named so the reporter knows.
    metadata_kept: Vec<String>,
}

/// Handles a submitted report.
pub async fn submit(
    state: web::Data<AppState>,
    visitor: Visitor,
    payload: Multipart,
) -> Result<HttpResponse, AppError> {
    // Without a session there is no token to check against; `read_form` must
    // never be given `None` here, which would skip the check.
    let Some(csrf) = visitor.csrf().map(str::to_owned) else {
        return Err(visitor.error(ErrorKind::Csrf));
    };
    let prepared = PreparedCase::new();
    let limits = &state.settings.limits;
    let mut gate = state.rate_limits.budgets.upload_gate(&state, true);
    let form = match read_form_keeping_text(
        payload,
        Some(&csrf),
        &prepared.recipient,
        &state.settings.storage.attachments_dir(),
        limits,
        limits.max_attachments_per_case,
        &mut gate,
    )
    .await
    {
        Ok(form) => form,
        Err(refused) => return refused_form(&state, &visitor, csrf, refused).await,
    };
    let entered = entered_from(&form);
    // The form again, as entered, with its problems.
    let form_again = |errors| {
        render_form(
            &state,
            &visitor,
            csrf.clone(),
            &entered,
            errors,
            StatusCode::BAD_REQUEST,
            None,
        )
    };
    let mut errors = FormErrors::default();
    let input = validate(&visitor.t(), &state.settings, &form, &mut errors);
    let Some(input) = input.filter(|_| errors.is_empty()) else {
        form.discard().await;
        gate.refund().await;
        return form_again(errors).await;
    };
    // Only a valid form is charged to a lane's budget: a flood of empty or
    // invalid reports costs the reporters' budget nothing.
    let proof = PowProof::from_fields(form.get(POW_CHALLENGE_FIELD), form.get(POW_SOLUTION_FIELD));
    let admitted = match state
        .rate_limits
        .reporter(&state, Purpose::Submit, proof)
        .await
    {
        Ok(_) => Ok(()),
        Err(Limited::Pow(_)) => {
            form.discard().await;
            gate.refund().await;
            errors.add("report-form", visitor.t().t("reporter.errors.pow_refused"));
            return form_again(errors).await;
        }
        Err(Limited::TooMany) => {
            form.discard().await;
            gate.refund().await;
            return Err(visitor.error(ErrorKind::TooManyRequests));
        }
        // An unreachable database is answered like a failed submission:
        // the form again, as typed (below).
        Err(Limited::Store(e)) => Err(CoreError::from(e)),
    };
    let stored = match admitted {
        Ok(()) => match casework::check_routable(&state, &input.excluded).await {
            Ok(()) => casework::submit_report(&state, &prepared, &input, &form.files).await,
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    match stored {
        Ok(submitted) => receipt(&visitor, &prepared, &submitted),
        Err(e) => {
            form.discard().await;
            gate.refund().await;
            let t = visitor.t();
            let (field, message) = match e {
                // With nobody excluded, no handler exists at all: the
                // exclusions are not what needs fixing.
                CoreError::Refused(Refusal::NoEligibleHandler) if input.excluded.is_empty() => {
                    ("report-form", t.t("reporter.errors.no_handlers"))
                }
                CoreError::Refused(Refusal::NoEligibleHandler) => {
                    ("exclude", t.t("reporter.errors.no_one_left"))
                }
                CoreError::Refused(Refusal::UnknownHandler) => {
                    ("exclude", t.t("reporter.errors.exclude_unknown"))
                }
                CoreError::Refused(Refusal::TooManyAttachments { .. }) => {
                    ("attachment", super::too_many_attachments(&t, limits))
                }
                CoreError::Unavailable => {
                    // The database is out of reach: the form again, as
                    // typed, asking to send it again shortly.
                    errors.add("report-form", t.t("reporter.errors.unavailable"));
                    let mut page = render_form(
                        &state,
                        &visitor,
                        csrf.clone(),
                        &entered,
                        errors,
                        StatusCode::SERVICE_UNAVAILABLE,
                        None,
                    )
                    .await?;
                    page.headers_mut().insert(
                        actix_web::http::header::RETRY_AFTER,
                        actix_web::http::header::HeaderValue::from_static(
                            crate::web::http::errors::UNAVAILABLE_RETRY_AFTER,
                        ),
                    );
                    return Ok(page);
                }
                other => return Err(visitor.internal(other)),
            };
            errors.add(field, message);
            form_again(errors).await
        }
    }
}

fn receipt(
    visitor: &Visitor,
    prepared: &PreparedCase,
    submitted: &casework::Submitted,
) -> Result<HttpResponse, AppError> {
    let page = ReceiptPage {
        t: visitor.t(),
        code: prepared.code.expose_grouped(),
        acknowledge_by: super::format_date(submitted.acknowledge_by),
        metadata_kept: submitted.metadata_kept.clone(),
    };
    let body = super::render(visitor, &page)?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .content_type("text/html; charset=utf-8")
        .body(body))
}

/// Shows the form again after `read_form` refused it (its files are gone).
async fn refused_form(
    state: &AppState,
    visitor: &Visitor,
    csrf: String,
    refused: RefusedForm,
) -> Result<HttpResponse, AppError> {
    let (status, about_files, message) =
        super::refusal(visitor, &state.settings.limits, refused.error)?;
    let field = if about_files {
        "attachment"
    } else {
        "description"
    };
    let mut errors = FormErrors::default();
    errors.add(field, message);
    let entered = entered_from(&refused.partial);
    render_form(state, visitor, csrf, &entered, errors, status, None).await
}

fn entered_from(form: &FormWithFiles) -> Entered {
    Entered {
        category: form.get("category").to_owned(),
        subtype: form.get("subtype").to_owned(),
        severity: form.get("severity").to_owned(),
        description: form.get("description").to_owned(),
        when: form.get("when").to_owned(),
        place: form.get("place").to_owned(),
        excluded: form.all("exclude").to_vec(),
    }
}

/// Converts the form into a [`ReportInput`] with the one report parser
/// ([`ReportDraft::parse`]), recording every problem next to its field.
fn validate(
    t: &Translator,
    settings: &Settings,
    form: &FormWithFiles,
    errors: &mut FormErrors,
) -> Option<ReportInput> {
    let limits = &settings.limits;
    let draft = ReportDraft {
        category: form.get("category"),
        subtype: form.get("subtype"),
        severity: form.get("severity"),
        description: form.get("description"),
        when: form.get("when"),
        place: form.get("place"),
        exclude: form.all("exclude").iter().map(String::as_str).collect(),
    };
    let report_limits = ReportLimits {
        max_text_chars: limits.max_text_chars,
        max_short_field_chars: limits.max_short_field_chars,
    };
    match draft.parse(&settings.taxonomy, report_limits) {
        Ok(input) => Some(input),
        Err(problems) => {
            for problem in problems {
                errors.add(problem.field, field_message(t, &problem));
            }
            None
        }
    }
}

/// The reporter's message for a problem with one field of the report.
fn field_message(t: &Translator, problem: &FieldError) -> String {
    let key = match (problem.field, &problem.problem) {
        ("category", FieldProblem::Required) => "reporter.errors.category_missing",
        ("category", _) => "reporter.errors.category_unknown",
        ("subtype", _) => "reporter.errors.subtype_unknown",
        ("severity", _) => "reporter.errors.severity_unknown",
        ("description", FieldProblem::TooLong { .. }) => "reporter.errors.description_too_long",
        ("description", _) => "reporter.errors.description_missing",
        ("exclude", _) => "reporter.errors.exclude_unknown",
        (_, _) => "reporter.errors.short_field_too_long",
    };
    match problem.problem {
        FieldProblem::TooLong { max } => t.f(key, &[("max", &max.to_string())]),
        _ => t.t(key),
    }
}
