//! Rows of the statistics feature: only the columns statistics need.

use super::parse::parse_key;
use crate::core::domain::{Authority, Category, Decision, Severity};
use crate::core::statistics::{CaseFigures, EscalationCount, SettledFeedback};
use crate::core::store::model::{StoreError, StoreResult};

/// The columns of a `cases` row that statistics count.
#[derive(sqlx::FromRow)]
pub(crate) struct FiguresRow {
    category: String,
    severity: String,
    received_at: i64,
    acknowledged_at: Option<i64>,
    feedback_given_at: Option<i64>,
    feedback_extended_at: Option<i64>,
}

impl TryFrom<FiguresRow> for CaseFigures {
    type Error = StoreError;

    fn try_from(r: FiguresRow) -> StoreResult<Self> {
        Ok(CaseFigures {
            category: parse_key("category", &r.category, Category::parse)?,
            severity: parse_key("severity", &r.severity, Severity::parse)?,
            received_at: r.received_at,
            acknowledged_at: r.acknowledged_at,
            feedback_given_at: r.feedback_given_at,
            feedback_extended_at: r.feedback_extended_at,
            settled_feedback: None,
        })
    }
}

/// A row of `retained_case_figures`: the figures of `cases` deleted cases.
#[derive(sqlx::FromRow)]
pub(crate) struct RetainedFiguresRow {
    received_at: i64,
    category: String,
    severity: String,
    acknowledged_after_days: i64,
    feedback: String,
    cases: i64,
}

impl RetainedFiguresRow {
    /// The figures of each of the cases the row counts.
    pub(crate) fn expand(self) -> StoreResult<Vec<CaseFigures>> {
        let figures = CaseFigures {
            category: parse_key("category", &self.category, Category::parse)?,
            severity: parse_key("severity", &self.severity, Severity::parse)?,
            received_at: self.received_at,
            // The day is what the acknowledgement figures read.
            acknowledged_at: (self.acknowledged_after_days >= 0)
                .then(|| self.received_at + self.acknowledged_after_days * 86_400),
            feedback_given_at: None,
            feedback_extended_at: None,
            settled_feedback: Some(parse_key(
                "feedback",
                &self.feedback,
                SettledFeedback::parse,
            )?),
        };
        let n = usize::try_from(self.cases).unwrap_or(0);
        Ok(vec![figures; n])
    }
}

/// How many decisions there were for one authority and decision
/// (`COUNT(*) AS count`).
#[derive(sqlx::FromRow)]
pub(crate) struct EscalationCountRow {
    authority: String,
    decision: String,
    count: i64,
}

impl TryFrom<EscalationCountRow> for EscalationCount {
    type Error = StoreError;

    fn try_from(r: EscalationCountRow) -> StoreResult<Self> {
        Ok(EscalationCount {
            authority: parse_key("authority", &r.authority, Authority::parse)?,
            decision: parse_key("decision", &r.decision, Decision::parse)?,
            // A count is never negative; the fallback only satisfies the type.
            count: u64::try_from(r.count).unwrap_or(0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(category: &str, severity: &str) -> FiguresRow {
        FiguresRow {
            category: category.to_owned(),
            severity: severity.to_owned(),
            received_at: 0,
            acknowledged_at: None,
            feedback_given_at: None,
            feedback_extended_at: None,
        }
    }

    #[test]
    fn figures_are_typed_and_unknown_keys_are_corrupt() {
        let ok = CaseFigures::try_from(figures("sikkerhet", "kritisk")).expect("valid row");
        assert_eq!(
            (ok.category, ok.severity),
            (Category::Sikkerhet, Severity::Kritisk)
        );
        assert!(matches!(
            CaseFigures::try_from(figures("miljo", "lav")),
            Err(StoreError::Corrupt {
                column: "category",
                ..
            })
        ));
        let count = |authority: &str| EscalationCountRow {
            authority: authority.to_owned(),
            decision: "escalate".to_owned(),
            count: 3,
        };
        assert!(matches!(
            EscalationCount::try_from(count("miljodirektoratet")),
            Err(StoreError::Corrupt {
                column: "authority",
                ..
            })
        ));
        let ok = EscalationCount::try_from(count("pst")).expect("valid row");
        assert_eq!(
            (ok.authority, ok.decision, ok.count),
            (Authority::Pst, Decision::Escalate, 3)
        );
    }
}
