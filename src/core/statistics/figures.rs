//! What statistics know about a case.

use crate::core::domain::{Category, Severity};

/// What statistics know about a case: no content, no identifiers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFigures {
    /// Category.
    pub category: Category,
    /// Current severity.
    pub severity: Severity,
    /// UNIX seconds, truncated to the day.
    pub received_at: i64,
    /// UNIX seconds of the acknowledgement, if sent.
    pub acknowledged_at: Option<i64>,
    /// UNIX seconds of the first time feedback was given, if it was.
    pub feedback_given_at: Option<i64>,
    /// UNIX seconds of the extension of the feedback deadline, if extended.
    pub feedback_extended_at: Option<i64>,
    /// For a case retention deleted: where its feedback deadline stood when
    /// it was folded into the aggregates (its times are kept to the day only,
    /// which cannot judge a deadline due at a time of day). `None` for a
    /// live case, whose outcome is judged from its times.
    pub settled_feedback: Option<SettledFeedback>,
}

/// The feedback outcome of a deleted case, fixed when it was deleted
/// ([`crate::core::retention`] waits until it no longer changes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettledFeedback {
    /// Feedback was given by the deadline.
    Met,
    /// Feedback was given after it.
    Late,
    /// The deadline passed without feedback.
    Overdue,
    /// The case had no feedback deadline that could be computed.
    NoDeadline,
}

impl SettledFeedback {
    /// The stored form.
    pub fn key(self) -> &'static str {
        match self {
            SettledFeedback::Met => "met",
            SettledFeedback::Late => "late",
            SettledFeedback::Overdue => "overdue",
            SettledFeedback::NoDeadline => "none",
        }
    }

    /// Parses [`SettledFeedback::key`].
    pub fn parse(s: &str) -> Option<Self> {
        [
            SettledFeedback::Met,
            SettledFeedback::Late,
            SettledFeedback::Overdue,
            SettledFeedback::NoDeadline,
        ]
        .into_iter()
        .find(|o| o.key() == s)
    }
}
