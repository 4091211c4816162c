//! The follow-up parts of the reporter's case page (SPEC §4): the dates of
//! acknowledgement and feedback, the protection against retaliation with
//! its form, and the measures the handlers chose to show the reporter.
//! Rendered by `templates/reporter/protection.html` and
//! `templates/reporter/case_dates.html`, included from the case page.

use zeroize::Zeroize;

use crate::core::actor::Reporter;
use crate::core::followup::{self, ReporterDates};
use crate::core::i18n::Translator;
use crate::web::http::{AppError, Visitor};
use crate::web::state::AppState;

/// A measure shown to the reporter.
pub struct MeasureItem {
    /// The day it was recorded.
    pub date: String,
    /// What was done.
    pub body: String,
    /// Its age file in base64, for the script, where the key is in the
    /// browser (`body` is then empty).
    pub sealed: Option<String>,
}

/// The dates and the protection section of the case page.
#[derive(Default)]
pub struct FollowupPanel {
    /// When receipt was acknowledged.
    pub acknowledged: Option<String>,
    /// By when receipt is to be acknowledged, while it is not.
    pub acknowledge_due: Option<String>,
    /// By when feedback is due, while it is not given.
    pub feedback_due: Option<String>,
    /// What the feedback date runs from.
    pub feedback_rule: String,
    /// When feedback was given.
    pub feedback_given: Option<String>,
    /// The measures the handlers chose to show.
    pub measures: Vec<MeasureItem>,
    /// What the reporter was writing in the retaliation form.
    pub retaliation: String,
    /// The retaliation form's hint (how soon a handler answers).
    pub retaliation_hint: String,
}

impl Drop for FollowupPanel {
    fn drop(&mut self) {
        self.retaliation.zeroize();
        for m in &mut self.measures {
            m.body.zeroize();
        }
    }
}

fn day(t: time::OffsetDateTime) -> String {
    super::format_date(t.date())
}

/// The measures shown to the reporter, opened by the server.
pub async fn opened_measures(
    state: &AppState,
    visitor: &Visitor,
    reporter: &Reporter,
) -> Result<Vec<MeasureItem>, AppError> {
    Ok(followup::reporter_measures(state, reporter)
        .await
        .map_err(|e| visitor.fail(e))?
        .iter()
        .map(|m| MeasureItem {
            date: super::format_day(m.created_at),
            body: m.body.clone(),
            sealed: None,
        })
        .collect())
}

/// The panel of the reporter's case, with its `measures`.
pub async fn panel(
    state: &AppState,
    visitor: &Visitor,
    reporter: &Reporter,
    t: &Translator,
    measures: Vec<MeasureItem>,
) -> Result<FollowupPanel, AppError> {
    let dates: ReporterDates = followup::reporter_dates(state, reporter.case_id)
        .await
        .map_err(|e| visitor.fail(e))?;
    let settings = &state.settings.deadlines;
    Ok(FollowupPanel {
        acknowledged: dates.acknowledged_at.map(day),
        acknowledge_due: match dates.acknowledged_at {
            Some(_) => None,
            None => dates.acknowledge_due.map(day),
        },
        feedback_due: match dates.feedback_given_at {
            Some(_) => None,
            None => dates.feedback_due.map(day),
        },
        feedback_rule: t.f(
            "reporter.followup.feedback_rule",
            &[
                ("months", &settings.feedback_months.to_string()),
                ("days", &settings.acknowledge_days.to_string()),
            ],
        ),
        feedback_given: dates.feedback_given_at.map(day),
        measures,
        retaliation: String::new(),
        retaliation_hint: t.f(
            "reporter.followup.retaliation_hint",
            &[("days", &settings.retaliation_response_days.to_string())],
        ),
    })
}
