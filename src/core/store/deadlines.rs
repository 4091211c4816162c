//! Storage of what the deadline rules need (SPEC §4 "Deadlines") and of the
//! one extension of the feedback deadline: an extension of
//! [`Store`](super::Store), written once for both backends.
//!
//! Which stored decision meets which deadline is not decided here but in
//! [`crate::core::deadlines`]: the store reports the earliest decision of any
//! authority, of Datatilsynet and of NSM among the decisions the domain counts
//! as deciding ([`Decision::DECIDING`], bound as parameters).

use uuid::Uuid;

use super::dialect::{for_each_backend, PostgresStore, SqliteStore};
use super::model::deadlines::{StoredDeadlineFacts, StoredFeedbackExtension};
use super::model::inbox::NextDeadlineOf;
use super::model::{StoreError, StoreResult};
use super::rows::deadlines::{DeadlineFactsRow, FeedbackExtensionRow};
use super::rows::parse::convert;
use crate::core::domain::{Authority, Decision};

/// Case ids per query of [`DeadlineStore::deadline_facts_of`]: well below
/// the bind-parameter limits of both backends.
const IDS_PER_QUERY: usize = 500;

/// Queries and updates of the deadline facts.
#[async_trait::async_trait]
pub trait DeadlineStore: Send + Sync {
    /// The deadline facts of one case; `None` if there is no such case.
    async fn deadline_facts(&self, case_id: Uuid) -> StoreResult<Option<StoredDeadlineFacts>>;
    /// The deadline facts of the cases among `case_ids` that exist, in no
    /// particular order; one query per 500 ids.
    async fn deadline_facts_of(&self, case_ids: &[Uuid]) -> StoreResult<Vec<StoredDeadlineFacts>>;
    /// The extension of the case's feedback deadline, if it has one.
    async fn feedback_extension(
        &self,
        case_id: Uuid,
    ) -> StoreResult<Option<StoredFeedbackExtension>>;
    /// Records the extension of the case's feedback deadline, in one
    /// transaction and only while it has none: `NotFound` if there is no
    /// such case, `Conflict` if it was extended already (nothing changes).
    async fn extend_feedback(
        &self,
        case_id: Uuid,
        by: Uuid,
        at: i64,
        reason: &[u8],
    ) -> StoreResult<()>;
    /// Stores the nearest open deadline of each of `case_ids` (at most 500)
    /// as `next` computes it from the facts, marked as computed under the
    /// rules `rules` (a fingerprint). The cases are locked while their
    /// facts are read, so of two refreshes of one case the later one reads
    /// what the earlier one did; ids of cases that do not exist are skipped.
    async fn refresh_next_deadlines(
        &self,
        case_ids: &[Uuid],
        rules: &str,
        next: &NextDeadlineOf<'_>,
    ) -> StoreResult<()>;
    /// Up to `limit` cases whose stored nearest deadline was not computed
    /// under `rules` (never computed, or under other settings).
    async fn cases_with_stale_deadline(&self, rules: &str, limit: u32) -> StoreResult<Vec<Uuid>>;
}

/// `$first, $first+1, …`: `count` numbered placeholders.
fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The query of the deadline facts of `ids` cases. Binds, in order: the keys
/// of [`Decision::DECIDING`], Datatilsynet's key, NSM's key, then the case ids
/// (see the `facts_query` method).
fn facts_sql(ids: usize) -> String {
    let deciding = Decision::DECIDING.len();
    let decisions = placeholders(1, deciding);
    let (datatilsynet, nsm) = (deciding + 1, deciding + 2);
    // The earliest deciding decision of case `c`, of any or of one authority.
    let earliest = |authority: Option<usize>, alias: &str| {
        let one = authority.map_or(String::new(), |n| format!(" AND d.authority = ${n}"));
        format!(
            "(SELECT MIN(d.decided_at) FROM escalation_decisions d WHERE d.case_id = c.id \
             AND d.decision IN ({decisions}){one}) AS {alias}"
        )
    };
    format!(
        "SELECT c.id, c.category, c.subtype, c.severity, c.status, c.received_at, \
         c.acknowledged_at, c.feedback_given_at, c.feedback_extended_at, {}, {}, {} \
         , c.retaliation_reported_at, c.retaliation_answered_at \
         FROM cases c WHERE c.id IN ({})",
        earliest(None, "first_decision_at"),
        earliest(Some(datatilsynet), "datatilsynet_decision_at"),
        earliest(Some(nsm), "nsm_decision_at"),
        placeholders(nsm + 1, ids),
    )
}

/// The implementation for one backend (see [`for_each_backend!`]).
macro_rules! deadline_store {
    (store: $store:ident, db: $db:ty, text_order: $text_order:literal,) => {
        impl $store {
            /// The deadline facts of `ids` (at most [`IDS_PER_QUERY`]) in one
            /// query, on `executor`.
            async fn facts_query_on<'e, E>(
                executor: E,
                ids: &[Uuid],
            ) -> StoreResult<Vec<StoredDeadlineFacts>>
            where
                E: sqlx::Executor<'e, Database = $db>,
            {
                let sql = facts_sql(ids.len());
                let mut query = sqlx::query_as::<_, DeadlineFactsRow>(&sql);
                for decision in Decision::DECIDING {
                    query = query.bind(decision.key());
                }
                query = query
                    .bind(Authority::Datatilsynet.key())
                    .bind(Authority::Nsm.key());
                for id in ids {
                    query = query.bind(id.to_string());
                }
                convert(query.fetch_all(executor).await?)
            }

            /// The deadline facts of `ids` (at most [`IDS_PER_QUERY`]) in one query.
            async fn facts_query(&self, ids: &[Uuid]) -> StoreResult<Vec<StoredDeadlineFacts>> {
                Self::facts_query_on(&self.pool, ids).await
            }
        }

        #[async_trait::async_trait]
        impl DeadlineStore for $store {
            async fn deadline_facts(
                &self,
                case_id: Uuid,
            ) -> StoreResult<Option<StoredDeadlineFacts>> {
                Ok(self.facts_query(&[case_id]).await?.pop())
            }

            async fn deadline_facts_of(
                &self,
                case_ids: &[Uuid],
            ) -> StoreResult<Vec<StoredDeadlineFacts>> {
                let mut out = Vec::with_capacity(case_ids.len());
                for chunk in case_ids.chunks(IDS_PER_QUERY) {
                    out.extend(self.facts_query(chunk).await?);
                }
                Ok(out)
            }

            async fn feedback_extension(
                &self,
                case_id: Uuid,
            ) -> StoreResult<Option<StoredFeedbackExtension>> {
                let row: Option<FeedbackExtensionRow> = sqlx::query_as(
                    "SELECT feedback_extended_at, feedback_extended_by, \
                     feedback_extension_reason FROM cases WHERE id = $1",
                )
                .bind(case_id.to_string())
                .fetch_optional(&self.pool)
                .await?;
                match row {
                    Some(row) => row.into_extension(),
                    None => Ok(None),
                }
            }

            async fn extend_feedback(
                &self,
                case_id: Uuid,
                by: Uuid,
                at: i64,
                reason: &[u8],
            ) -> StoreResult<()> {
                let id = case_id.to_string();
                let mut tx = self.begin_write().await?;
                let statement = sqlx::query(
                    "UPDATE cases SET feedback_extended_at = $1, feedback_extended_by = $2, \
                     feedback_extension_reason = $3, updated_at = $1 \
                     WHERE id = $4 AND feedback_extended_at IS NULL",
                )
                .bind(at)
                .bind(by.to_string())
                .bind(reason)
                .bind(&id);
                let done = Self::run_in(&mut tx, statement).await?;
                if done == 0 {
                    let exists: Option<(i32,)> =
                        sqlx::query_as("SELECT 1 FROM cases WHERE id = $1")
                            .bind(&id)
                            .fetch_optional(&mut *tx)
                            .await?;
                    return Err(match exists {
                        Some(_) => StoreError::Conflict,
                        None => StoreError::NotFound,
                    });
                }
                tx.commit().await?;
                Ok(())
            }

            async fn refresh_next_deadlines(
                &self,
                case_ids: &[Uuid],
                rules: &str,
                next: &NextDeadlineOf<'_>,
            ) -> StoreResult<()> {
                if case_ids.is_empty() {
                    return Ok(());
                }
                let ids = &case_ids[..case_ids.len().min(IDS_PER_QUERY)];
                let mut tx = self.begin_write().await?;
                // Lock the rows (PostgreSQL; SQLite's write lock is held already).
                let lock = format!(
                    "UPDATE cases SET deadline_rules = deadline_rules WHERE id IN ({})",
                    placeholders(1, ids.len())
                );
                let mut statement = sqlx::query(&lock);
                for id in ids {
                    statement = statement.bind(id.to_string());
                }
                Self::run_in(&mut tx, statement).await?;
                let facts = Self::facts_query_on(&mut *tx, ids).await?;
                for f in &facts {
                    let due = next(f);
                    let statement = sqlx::query(
                        "UPDATE cases SET next_deadline_at = $1, next_deadline_kind = $2, \
                         deadline_rules = $3 WHERE id = $4",
                    )
                    .bind(due.map(|(at, _)| at))
                    .bind(due.map(|(_, kind)| kind.key()))
                    .bind(rules)
                    .bind(f.case_id.to_string());
                    Self::run_in(&mut tx, statement).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn cases_with_stale_deadline(
                &self,
                rules: &str,
                limit: u32,
            ) -> StoreResult<Vec<Uuid>> {
                let rows: Vec<(String,)> = sqlx::query_as(
                    "SELECT id FROM cases WHERE deadline_rules IS NULL OR deadline_rules <> $1 \
                     LIMIT $2",
                )
                .bind(rules)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|(id,)| super::rows::parse::parse_uuid(id))
                    .collect()
            }
        }
    };
}

for_each_backend!(deadline_store);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_follow_the_deciding_decisions_and_authorities() {
        assert_eq!(placeholders(3, 2), "$3, $4");
        assert_eq!(placeholders(1, 0), "");
        let sql = facts_sql(2);
        // Escalate and do-not-escalate are bound as $1 and $2, Datatilsynet as
        // $3, NSM as $4; the two case ids follow.
        assert_eq!(Decision::DECIDING.len(), 2);
        assert_eq!(sql.matches("d.decision IN ($1, $2)").count(), 3);
        assert!(sql.contains("d.authority = $3) AS datatilsynet_decision_at"));
        assert!(sql.contains("d.authority = $4) AS nsm_decision_at"));
        assert!(sql.ends_with("c.id IN ($5, $6)"));
        assert!(!sql.contains('?'));
    }
}
