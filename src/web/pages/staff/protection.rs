//! Follow-up of the reporter on the staff case page (SPEC §4): an
//! unanswered retaliation report with its deadline, the measures taken to
//! protect the reporter, and the form that records one (handled by
//! `measures.rs`). Rendered by
//! `templates/staff/protection.html`, included from the case page.

use zeroize::Zeroize;

use super::deadline_view::marker;
use super::show_moment;
use crate::core::deadlines::CaseDeadlines;
use crate::core::domain::DeadlineKind;
use crate::core::followup::MeasureView;
use crate::core::i18n::Translator;

/// One recorded measure.
pub(super) struct MeasureLine {
    pub(super) date: String,
    pub(super) by: String,
    pub(super) shown: bool,
    pub(super) body: String,
}

/// The protection section of the case page.
pub(super) struct ProtectionFields {
    /// When the unanswered retaliation report must be answered by.
    pub(super) retaliation_due: Option<String>,
    /// Its deadline state marker.
    pub(super) retaliation_marker: Option<(&'static str, String)>,
    pub(super) measures: Vec<MeasureLine>,
    /// The measure form was refused.
    pub(super) measure_invalid: bool,
    /// What was written in the refused measure form.
    pub(super) measure_draft: String,
}

impl Drop for ProtectionFields {
    fn drop(&mut self) {
        self.measure_draft.zeroize();
        for m in &mut self.measures {
            m.body.zeroize();
        }
    }
}

/// The protection section from the case's deadlines and measures.
pub(super) fn protection_fields(
    t: &Translator,
    deadlines: &CaseDeadlines,
    measures: &[MeasureView],
) -> ProtectionFields {
    let open = deadlines
        .statuses
        .iter()
        .find(|s| s.deadline.kind == DeadlineKind::RetaliationResponse && s.deadline.met.is_none());
    ProtectionFields {
        retaliation_due: open.map(|s| show_moment(s.deadline.due.unix_timestamp())),
        retaliation_marker: open
            .and_then(|s| s.state)
            .and_then(|state| marker(t, state)),
        measures: measures
            .iter()
            .map(|m| MeasureLine {
                date: show_moment(m.created_at),
                by: m
                    .author_name
                    .clone()
                    .unwrap_or_else(|| t.t("staff.case.from_staff")),
                shown: m.visible_to_reporter,
                body: m.body.clone(),
            })
            .collect(),
        measure_invalid: false,
        measure_draft: String::new(),
    }
}
