//! POST /report — reads the form (attachments are encrypted as they arrive),
//! validates it, checks that someone can receive it, stores the case and
//! answers with a redirect to its one-time receipt ([`super::receipt`]). A
//! refused form is shown again with what the reporter wrote (files must be
//! chosen again) and nothing stored; so is a form whose CSRF token failed
//! (it expired), and a form sent by one of its language buttons is shown
//! again in that language, stored nowhere. The form's submission token
//! makes sending it twice file one case.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::report_form::{render_form, Entered};
use super::FormErrors;
use crate::core::casework::{self, PreparedCase, ReportDraft, ReportInput, ReportLimits};
use crate::core::error::{CoreError, FieldError, FieldProblem, Refusal};
use crate::core::i18n::Translator;
use crate::core::pow::Purpose;
use crate::core::receipts;
use crate::core::settings::Settings;
use crate::web::http::context::ensure_csrf;
use crate::web::http::multipart::{
    read_form_keeping_text, read_text_only, FormError, FormWithFiles, RefusedForm,
};
use crate::web::http::rate_limit::{Limited, PowProof, POW_CHALLENGE_FIELD, POW_SOLUTION_FIELD};
use crate::web::http::{AppError, ErrorKind, Visitor};
use crate::web::state::AppState;

/// Field name of the form's submission token.
pub const SUBMISSION_FIELD: &str = "submission";

/// Handles a submitted report.
pub async fn submit(
    state: web::Data<AppState>,
    visitor: Visitor,
    req: HttpRequest,
    payload: Multipart,
) -> Result<HttpResponse, AppError> {
    let limits = &state.settings.limits;
    // A language button: the form again, in that language, as typed.
    if super::is_rerender(&req) {
        let form = read_text_only(payload, limits).await;
        let (csrf, cookie) = ensure_csrf(&state, &visitor);
        let mut entered = entered_from(&form);
        // Nothing vouches for this request (no CSRF check: it may come from
        // another site), so its submission token is not taken over: one
        // planted in the form could later tell its planter whether this
        // visitor filed a report. The form gets a fresh token.
        entered.submission.clear();
        let errors = FormErrors::default();
        return render_form(
            &state,
            &visitor,
            csrf,
            &entered,
            errors,
            StatusCode::OK,
            cookie,
        )
        .await;
    }
    // Without a CSRF cookie there is no token to check against (the
    // browser was closed, or the form came from elsewhere): the form again,
    // as typed. `read_form` must never be given `None` here, which would
    // skip the check.
    let Some(csrf) = visitor.csrf().map(str::to_owned) else {
        let form = read_text_only(payload, limits).await;
        return expired_form(&state, &visitor, &form).await;
    };
    let mut prepared = PreparedCase::new(state.settings.security.key_kind());
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
    // The same form sent again (a reload of the old POST, a double click):
    // nothing new is stored.
    let tag = receipts::submission_tag(&state.csrf_key[..], form.get(SUBMISSION_FIELD));
    if let Some(tag) = &tag {
        if let Ok(true) = receipts::submission_used(&state, tag).await {
            form.discard().await;
            gate.refund().await;
            return super::receipt::already_received(
                &state,
                &visitor,
                &req,
                tag,
                form.get(SUBMISSION_FIELD),
            )
            .await;
        }
    }
    prepared.submission = tag;
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
    let identity =
        super::identity::seal_from_form(&state, &visitor, &entered.identity, &mut errors).await?;
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
        Ok(submitted) => {
            super::identity::attach(&state, submitted.case_id, identity).await;
            super::receipt::issued(
                &state,
                &visitor,
                &prepared,
                &submitted,
                form.get(SUBMISSION_FIELD),
            )
            .await
        }
        Err(e) => {
            form.discard().await;
            gate.refund().await;
            let t = visitor.t();
            let (field, message) = match e {
                // Sent twice at once: the other request stored the case.
                CoreError::Conflict if tag.is_some() => {
                    if let Some(tag) = &tag {
                        if let Ok(true) = receipts::submission_used(&state, tag).await {
                            return super::receipt::already_received(
                                &state,
                                &visitor,
                                &req,
                                tag,
                                form.get(SUBMISSION_FIELD),
                            )
                            .await;
                        }
                    }
                    return Err(visitor.fail(CoreError::Conflict));
                }
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

/// Shows the form again after `read_form` refused it (its files are gone).
async fn refused_form(
    state: &AppState,
    visitor: &Visitor,
    csrf: String,
    refused: RefusedForm,
) -> Result<HttpResponse, AppError> {
    match refused.error {
        FormError::Csrf => return expired_form(state, visitor, &refused.partial).await,
        FormError::Malformed => {
            let mut errors = FormErrors::default();
            errors.add(
                "report-form",
                visitor.t().t("reporter.errors.malformed_form"),
            );
            let entered = entered_from(&refused.partial);
            let status = StatusCode::BAD_REQUEST;
            return render_form(state, visitor, csrf, &entered, errors, status, None).await;
        }
        _ => {}
    }
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

/// A form whose CSRF token failed or is missing (it expired, or the
/// browser lost its cookie): shown again as typed with a fresh CSRF token
/// and a fresh submission token (one sent by a request nothing vouches for
/// is never taken over), saying that nothing was stored and files must be
/// chosen again.
async fn expired_form(
    state: &AppState,
    visitor: &Visitor,
    form: &FormWithFiles,
) -> Result<HttpResponse, AppError> {
    let (csrf, cookie) = ensure_csrf(state, visitor);
    let mut errors = FormErrors::default();
    errors.add("report-form", visitor.t().t("reporter.errors.form_expired"));
    let mut entered = entered_from(form);
    entered.submission.clear();
    let status = ErrorKind::Csrf.status();
    render_form(state, visitor, csrf, &entered, errors, status, cookie).await
}

fn entered_from(form: &FormWithFiles) -> Entered {
    Entered {
        submission: form.get(SUBMISSION_FIELD).to_owned(),
        category: form.get("category").to_owned(),
        subtype: form.get("subtype").to_owned(),
        severity: form.get("severity").to_owned(),
        description: form.get("description").to_owned(),
        when: form.get("when").to_owned(),
        place: form.get("place").to_owned(),
        excluded: form.all("exclude").to_vec(),
        identity: super::identity::IdentityEntered::from_form(form),
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
