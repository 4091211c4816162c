//! The breach-decision section of the staff case page: the Datatilsynet
//! decisions recorded so far and the form (handler: `breach.rs`).

use uuid::Uuid;

use super::show_moment;
use crate::core::breach::{choice_key, BreachDecisions, CHOICES};
use crate::core::i18n::Translator;

/// One recorded Datatilsynet decision.
pub(super) struct BreachLine {
    pub(super) decision: String,
    pub(super) decided_at: String,
    pub(super) decided_by: String,
    pub(super) rationale: String,
}

/// The breach-decision section of the case page: shown on a personal-data
/// breach case, to every case worker it reaches.
#[derive(Default)]
pub(super) struct BreachSection {
    /// The case is a personal-data breach.
    pub(super) shown: bool,
    /// The form's action.
    pub(super) action: String,
    /// The decisions recorded so far.
    pub(super) decisions: Vec<BreachLine>,
    /// The choices (key, label).
    pub(super) choices: Vec<(&'static str, String)>,
    /// The problem with the last submission, tied to its field.
    pub(super) error: Option<String>,
    /// The field the error belongs to (`decision`, `rationale`, `decided_at`).
    pub(super) error_field: &'static str,
}

/// The section for case `case_id`, from what the case file read;
/// `error` is the message of a refused submission and its field.
pub(super) fn section(
    t: &Translator,
    case_id: Uuid,
    read: Option<&BreachDecisions>,
    error: Option<(String, &'static str)>,
) -> BreachSection {
    let Some(read) = read else {
        return BreachSection::default();
    };
    let (error, error_field) = match error {
        Some((message, field)) => (Some(message), field),
        None => (None, "decision"),
    };
    BreachSection {
        shown: read.applies || !read.decisions.is_empty(),
        action: format!("/staff/cases/{case_id}/breach-decision"),
        decisions: read
            .decisions
            .iter()
            .map(|d| BreachLine {
                decision: t.t(&format!("breach.choice.{}", choice_key(d.decision))),
                decided_at: show_moment(d.decided_at),
                decided_by: d.decided_by_name.clone(),
                rationale: d.rationale.clone(),
            })
            .collect(),
        choices: CHOICES
            .iter()
            .map(|(key, _)| (*key, t.t(&format!("breach.choice.{key}"))))
            .collect(),
        error,
        error_field,
    }
}
