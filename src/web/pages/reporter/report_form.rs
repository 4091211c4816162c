//! GET /report — the report form, also shown again (with what the reporter
//! wrote, minus files) when a submission is refused.

use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use zeroize::Zeroize;

use super::{Choice, FormErrors};
use crate::core::casework;
use crate::core::domain::report::DEFAULT_SEVERITY;
use crate::core::domain::Severity;
use crate::core::i18n::Translator;
use crate::web::http::context::ensure_csrf;
use crate::web::http::{AppError, Visitor};
use crate::web::state::AppState;

/// The form value of a sub-type: `category.subtype` (sub-type keys are
/// unique only within their category).
pub fn subtype_value(category: &str, subtype: &str) -> String {
    format!("{category}.{subtype}")
}

/// What the reporter entered, kept to show the form again.
#[derive(Default)]
pub struct Entered {
    /// The form's submission token as submitted (empty: a fresh form).
    pub submission: String,
    /// Category key as submitted.
    pub category: String,
    /// Sub-type as submitted (`category.subtype`).
    pub subtype: String,
    /// Severity key as submitted.
    pub severity: String,
    /// The description.
    pub description: String,
    /// When it happened.
    pub when: String,
    /// Where it happened.
    pub place: String,
    /// Excluded handler ids as submitted.
    pub excluded: Vec<String>,
    /// The optional identity fields as submitted.
    pub identity: super::identity::IdentityEntered,
}

impl Drop for Entered {
    fn drop(&mut self) {
        self.description.zeroize();
        self.when.zeroize();
        self.place.zeroize();
    }
}

/// The report form.
#[derive(Template)]
#[template(path = "reporter/report.html")]
struct ReportPage<'a> {
    t: Translator,
    csrf: String,
    submission: String,
    languages: Vec<super::LanguageButton>,
    categories: Vec<Choice>,
    subtypes: Vec<SubtypeGroup>,
    severities: Vec<Choice>,
    handlers: Vec<Choice>,
    entered: &'a Entered,
    errors: FormErrors,
    attachment_limits: String,
    /// An identity custodian is configured: the identity fields are offered.
    identity_offered: bool,
    /// The `<script>` of the browser-encryption bundle, if this build has one.
    e2e_script: Option<String>,
}

/// The sub-types of one category, for an `<optgroup>`.
struct SubtypeGroup {
    label: String,
    options: Vec<Choice>,
}

/// Shows an empty form.
pub async fn show(state: web::Data<AppState>, visitor: Visitor) -> Result<HttpResponse, AppError> {
    let (csrf, cookie) = ensure_csrf(&state, &visitor);
    render_form(
        &state,
        &visitor,
        csrf,
        &Entered::default(),
        FormErrors::default(),
        StatusCode::OK,
        cookie,
    )
    .await
}

/// Renders the form with `entered` values and `errors`.
pub async fn render_form(
    state: &AppState,
    visitor: &Visitor,
    csrf: String,
    entered: &Entered,
    errors: FormErrors,
    status: StatusCode,
    cookie: Option<Cookie<'static>>,
) -> Result<HttpResponse, AppError> {
    let t = visitor.t();
    let handlers = casework::excludable_handlers(state)
        .await
        .map_err(|e| visitor.internal(e))?
        .into_iter()
        .map(|(id, name)| {
            let value = id.to_string();
            Choice {
                checked: entered.excluded.contains(&value),
                value,
                label: name,
                hint: String::new(),
            }
        })
        .collect();
    let taxonomy = &state.settings.taxonomy;
    let categories = taxonomy
        .categories()
        .iter()
        .map(|c| Choice {
            value: c.key.to_string(),
            label: t.t(&format!("category.{}", c.key)),
            hint: t.t(&format!("reporter.form.category_hint.{}", c.key)),
            checked: entered.category == c.key.as_str(),
        })
        .collect();
    let subtypes = taxonomy
        .categories()
        .iter()
        .map(|c| SubtypeGroup {
            label: t.t(&format!("category.{}", c.key)),
            options: c
                .subtypes
                .iter()
                .map(|s| {
                    let value = subtype_value(c.key.as_str(), s.key.as_str());
                    Choice {
                        checked: entered.subtype == value,
                        value,
                        label: t.subtype_label(&c.key, s),
                        hint: String::new(),
                    }
                })
                .collect(),
        })
        .collect();
    let chosen_severity = Severity::parse(&entered.severity).unwrap_or(DEFAULT_SEVERITY);
    let severities = Severity::ALL
        .into_iter()
        .map(|s| Choice {
            value: s.key().to_owned(),
            label: t.t(&format!("severity.{}", s.key())),
            hint: t.t(&format!("reporter.form.severity_hint.{}", s.key())),
            checked: s == chosen_severity,
        })
        .collect();
    let limits = &state.settings.limits;
    // The token of this form instance: kept when the form is shown again,
    // so that sending it twice still files one case.
    let submission = if crate::core::receipts::is_submission_token(&entered.submission) {
        entered.submission.clone()
    } else {
        crate::core::receipts::new_submission_token()
    };
    let page = ReportPage {
        t,
        csrf,
        submission,
        languages: super::language_buttons(t.lang()),
        categories,
        subtypes,
        severities,
        handlers,
        entered,
        errors,
        attachment_limits: super::attachment_limits(&t, limits),
        identity_offered: super::identity::offered(state, visitor).await?,
        e2e_script: crate::web::script::script_tag(),
    };
    let body = super::render(visitor, &page)?;
    Ok(super::html(status, body, cookie))
}
