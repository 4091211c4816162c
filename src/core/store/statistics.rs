//! Storage of the statistics feature: an extension of [`Store`](super::Store),
//! written once for both backends.
//!
//! Only the columns statistics need are read — never content, never ids,
//! never a rationale or an authority's reference. The cases retention
//! deleted are read from their aggregates (`retained_case_figures`,
//! `retained_escalations`) beside the live ones, so a purge changes no figure.

use std::ops::Range;

use super::dialect::{for_each_backend, PostgresStore, SqliteStore};
use super::model::StoreResult;
use super::rows::statistics::{EscalationCountRow, FiguresRow, RetainedFiguresRow};
use crate::core::statistics::{CaseFigures, EscalationCount};

/// Queries and updates of the statistics feature.
#[async_trait::async_trait]
pub trait StatisticsStore: Send + Sync {
    /// The figures of the cases received in `received` (UNIX seconds).
    async fn case_figures(&self, received: Range<i64>) -> StoreResult<Vec<CaseFigures>>;
    /// When the first case was received, if there is one.
    async fn first_received_at(&self) -> StoreResult<Option<i64>>;
    /// How many escalation decisions made in `decided` (UNIX seconds) had
    /// each decision for each authority; combinations without any are left out.
    async fn escalation_counts(&self, decided: Range<i64>) -> StoreResult<Vec<EscalationCount>>;
}

/// The implementation for one backend (see [`for_each_backend!`]).
macro_rules! statistics_store {
    (store: $store:ident, db: $db:ty, text_order: $text_order:literal,) => {
        #[async_trait::async_trait]
        impl StatisticsStore for $store {
            async fn case_figures(&self, received: Range<i64>) -> StoreResult<Vec<CaseFigures>> {
                let query = sqlx::query_as::<_, FiguresRow>(
                    "SELECT category, severity, received_at, acknowledged_at, \
                     feedback_given_at, feedback_extended_at FROM cases \
                     WHERE received_at >= $1 AND received_at < $2 ORDER BY received_at",
                )
                .bind(received.start)
                .bind(received.end);
                let mut figures: Vec<CaseFigures> = self.fetch_all_converted(query).await?;
                let retained: Vec<RetainedFiguresRow> = sqlx::query_as(
                    "SELECT received_at, category, severity, acknowledged_after_days, feedback, \
                     cases FROM retained_case_figures \
                     WHERE received_at >= $1 AND received_at < $2",
                )
                .bind(received.start)
                .bind(received.end)
                .fetch_all(&self.pool)
                .await?;
                for row in retained {
                    figures.extend(row.expand()?);
                }
                figures.sort_by_key(|f| f.received_at);
                Ok(figures)
            }

            async fn first_received_at(&self) -> StoreResult<Option<i64>> {
                let (live,): (Option<i64>,) = sqlx::query_as("SELECT MIN(received_at) FROM cases")
                    .fetch_one(&self.pool)
                    .await?;
                let (retained,): (Option<i64>,) =
                    sqlx::query_as("SELECT MIN(received_at) FROM retained_case_figures")
                        .fetch_one(&self.pool)
                        .await?;
                Ok(live.into_iter().chain(retained).min())
            }

            async fn escalation_counts(
                &self,
                decided: Range<i64>,
            ) -> StoreResult<Vec<EscalationCount>> {
                let query = sqlx::query_as::<_, EscalationCountRow>(
                    "SELECT authority, decision, COUNT(*) AS count FROM escalation_decisions \
                     WHERE decided_at >= $1 AND decided_at < $2 \
                     GROUP BY authority, decision ORDER BY authority, decision",
                )
                .bind(decided.start)
                .bind(decided.end);
                let mut counts: Vec<EscalationCount> = self.fetch_all_converted(query).await?;
                // Decided days of deleted cases: a period starts at midnight.
                let query = sqlx::query_as::<_, EscalationCountRow>(
                    "SELECT authority, decision, decisions AS count FROM retained_escalations \
                     WHERE decided_day >= $1 AND decided_day < $2",
                )
                .bind(decided.start)
                .bind(decided.end);
                let retained: Vec<EscalationCount> = self.fetch_all_converted(query).await?;
                for r in retained {
                    match counts
                        .iter_mut()
                        .find(|c| c.authority == r.authority && c.decision == r.decision)
                    {
                        Some(c) => c.count += r.count,
                        None => counts.push(r),
                    }
                }
                counts.sort_by_key(|c| (c.authority.key(), c.decision.key()));
                Ok(counts)
            }
        }
    };
}

for_each_backend!(statistics_store);
