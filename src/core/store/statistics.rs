//! Storage of the statistics feature: an extension of [`Store`](super::Store),
//! written once for both backends.
//!
//! Only the columns statistics need are read — never content, never ids,
//! never a rationale or an authority's reference.

use std::ops::Range;

use super::dialect::{for_each_backend, PostgresStore, SqliteStore};
use super::model::StoreResult;
use super::rows::statistics::{EscalationCountRow, FiguresRow};
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
                self.fetch_all_converted(query).await
            }

            async fn first_received_at(&self) -> StoreResult<Option<i64>> {
                let (first,): (Option<i64>,) = sqlx::query_as("SELECT MIN(received_at) FROM cases")
                    .fetch_one(&self.pool)
                    .await?;
                Ok(first)
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
                self.fetch_all_converted(query).await
            }
        }
    };
}

for_each_backend!(statistics_store);
