//! How deadlines read on the staff pages: the "next deadline" column of the
//! inbox, the deadline list of the case page and the explanation of a
//! refused extension.

use actix_web::http::StatusCode;
use time::OffsetDateTime;
use zeroize::Zeroize;

use super::show_moment;
use crate::core::deadlines::CaseDeadlines;
use crate::core::domain::deadline::MAX_EXTENSION_REASON_CHARS;
use crate::core::domain::{
    DeadlineKind, DeadlineSettings, DeadlineState, ExtensionError, TextFieldError,
};
use crate::core::i18n::Translator;

/// The translated name of a deadline.
pub(super) fn kind_label(t: &Translator, kind: DeadlineKind) -> String {
    t.t(&format!("deadlines.kind.{}", kind.key()))
}

/// CSS class and label of the marker of an open deadline, if it needs one.
pub(super) fn marker(t: &Translator, state: DeadlineState) -> Option<(&'static str, String)> {
    match state {
        DeadlineState::DueSoon => Some(("due-soon", t.t("staff.due.soon"))),
        DeadlineState::Overdue => Some(("overdue", t.t("staff.due.overdue"))),
        DeadlineState::Met | DeadlineState::Open => None,
    }
}

/// A UNIX-time instant of a deadline, as the pages show it.
fn show(at: OffsetDateTime) -> String {
    show_moment(at.unix_timestamp())
}

/// Why the feedback deadline was not extended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ExtensionProblem {
    /// Extended before; once only.
    AlreadyExtended,
    /// The original deadline was reached.
    TooLate {
        /// That deadline.
        due: OffsetDateTime,
    },
    /// Feedback was given.
    FeedbackGiven,
    /// The case is closed.
    Closed,
    /// No reason.
    ReasonRequired,
    /// A reason over the limit.
    ReasonTooLong {
        /// The limit in characters.
        max: usize,
    },
}

impl ExtensionProblem {
    pub(super) fn of(e: &ExtensionError) -> Self {
        match e {
            ExtensionError::Closed => ExtensionProblem::Closed,
            ExtensionError::FeedbackGiven => ExtensionProblem::FeedbackGiven,
            ExtensionError::TooLate { due } => ExtensionProblem::TooLate { due: *due },
            ExtensionError::Reason(TextFieldError::TooLong { max }) => {
                ExtensionProblem::ReasonTooLong { max: *max }
            }
            ExtensionError::Reason(TextFieldError::Empty) => ExtensionProblem::ReasonRequired,
            ExtensionError::AlreadyExtended => ExtensionProblem::AlreadyExtended,
        }
    }

    pub(super) fn status(self) -> StatusCode {
        match self {
            ExtensionProblem::ReasonRequired | ExtensionProblem::ReasonTooLong { .. } => {
                StatusCode::BAD_REQUEST
            }
            _ => StatusCode::CONFLICT,
        }
    }

    pub(super) fn message(self, t: &Translator) -> String {
        match self {
            ExtensionProblem::AlreadyExtended => t.t("deadlines.problem.already_extended"),
            ExtensionProblem::TooLate { due } => {
                t.f("deadlines.problem.too_late", &[("due", &show(due))])
            }
            ExtensionProblem::FeedbackGiven => t.t("deadlines.problem.feedback_given"),
            ExtensionProblem::Closed => t.t("deadlines.problem.closed"),
            ExtensionProblem::ReasonRequired => t.t("deadlines.problem.reason_required"),
            ExtensionProblem::ReasonTooLong { max } => t.f(
                "deadlines.problem.reason_too_long",
                &[("max", &max.to_string())],
            ),
        }
    }
}

/// One deadline of the case page's list.
pub(super) struct DeadlineLine {
    pub(super) kind: String,
    pub(super) due: String,
    pub(super) state: String,
    pub(super) class: Option<&'static str>,
    pub(super) extended: bool,
}

/// The recorded extension, its reason opened.
pub(super) struct ExtensionLine {
    pub(super) at: String,
    pub(super) by: String,
    pub(super) reason: String,
}

impl Drop for ExtensionLine {
    fn drop(&mut self) {
        self.reason.zeroize();
    }
}

/// The deadline parts of the case page.
pub(super) struct DeadlineFields {
    pub(super) lines: Vec<DeadlineLine>,
    /// Marker of the deadline the reporter waits for (acknowledgement or feedback).
    pub(super) answer_marker: Option<(&'static str, String)>,
    pub(super) extension: Option<ExtensionLine>,
    pub(super) can_extend: bool,
    pub(super) extension_hint: String,
    pub(super) reason_hint: String,
}

pub(super) fn deadline_fields(
    t: &Translator,
    settings: &DeadlineSettings,
    deadlines: &CaseDeadlines,
) -> DeadlineFields {
    let lines = deadlines
        .statuses
        .iter()
        .map(|s| {
            let d = &s.deadline;
            let state = match (d.met, d.met_in_time()) {
                (Some(at), Some(in_time)) => {
                    let key = if in_time { "met" } else { "met_late" };
                    t.f(
                        "deadlines.page.met_at",
                        &[
                            ("state", &t.t(&format!("deadlines.state.{key}"))),
                            ("at", &show(at)),
                        ],
                    )
                }
                _ => t.t(&format!("deadlines.state.{}", s.state_key())),
            };
            DeadlineLine {
                kind: kind_label(t, d.kind),
                due: show(d.due),
                state,
                class: s.state.and_then(|state| marker(t, state)).map(|(c, _)| c),
                extended: d.kind == DeadlineKind::Feedback && deadlines.extension.is_some(),
            }
        })
        .collect();
    let answer_marker = deadlines
        .statuses
        .iter()
        .find(|s| {
            matches!(
                s.deadline.kind,
                DeadlineKind::Acknowledge | DeadlineKind::Feedback
            ) && s.deadline.met.is_none()
        })
        .and_then(|s| s.state)
        .and_then(|state| marker(t, state));
    DeadlineFields {
        lines,
        answer_marker,
        extension: deadlines.extension.as_ref().map(|e| ExtensionLine {
            at: show_moment(e.at),
            by: e
                .by_name
                .clone()
                .unwrap_or_else(|| t.t("deadlines.page.extended_by_unknown")),
            reason: e.reason.clone(),
        }),
        can_extend: deadlines.can_extend,
        extension_hint: t.f(
            "deadlines.page.extension_hint",
            &[("months", &settings.feedback_extended_months.to_string())],
        ),
        reason_hint: t.f(
            "deadlines.page.extension_reason_hint",
            &[("max", &MAX_EXTENSION_REASON_CHARS.to_string())],
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::i18n::Lang;
    use time::macros::datetime;

    #[test]
    fn every_kind_state_and_problem_reads_in_both_languages() {
        let problems = [
            ExtensionProblem::AlreadyExtended,
            ExtensionProblem::TooLate {
                due: datetime!(2026-06-01 09:30 UTC),
            },
            ExtensionProblem::FeedbackGiven,
            ExtensionProblem::Closed,
            ExtensionProblem::ReasonRequired,
            ExtensionProblem::ReasonTooLong { max: 2_000 },
        ];
        for lang in [Lang::Nb, Lang::En] {
            let t = Translator::new(lang);
            for kind in DeadlineKind::ALL {
                assert!(!kind_label(&t, kind).starts_with("deadlines."), "{kind:?}");
            }
            for key in ["met", "met_late", "open", "due_soon", "overdue", "closed"] {
                let label = t.t(&format!("deadlines.state.{key}"));
                assert!(!label.starts_with("deadlines."), "{key}");
            }
            for p in problems {
                let message = p.message(&t);
                assert!(
                    !message.starts_with("deadlines.") && !message.contains('{'),
                    "{message}"
                );
            }
        }
        let en = Translator::new(Lang::En);
        let late = problems[1].message(&en);
        // 09:30 UTC in June is 11:30 Norwegian summer time.
        assert!(late.contains("01.06.2026 11:30 CEST"), "{late}");
        assert_eq!(problems[1].status(), StatusCode::CONFLICT);
        assert_eq!(problems[4].status(), StatusCode::BAD_REQUEST);
    }
}
