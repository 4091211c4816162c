//! Storage of retention and legal holds: an extension of
//! [`Store`](super::Store), written once for both backends.
//!
//! A purge deletes every row of a case in one transaction — each table of
//! [`CASE_TABLES`], then the case row — after folding what statistics count
//! of it into the day-granular aggregates, and appends its one audit entry.
//! The attachment files are the caller's to remove after the commit.

use uuid::Uuid;

use super::dialect::{for_each_backend, PostgresStore, SqliteStore};
use super::model::retention::{ClosedCase, PurgedFigures, StoredLegalHold};
use super::model::{AuditRecord, StoreResult};
use super::rows::parse::db_err;
use super::rows::retention::{ClosedCaseRow, LegalHoldRow};
use crate::core::clock::day_of;

/// Every table whose rows belong to one case (by its `case_id`), deleted in
/// this order before the `cases` row itself. A table added later that holds
/// case rows goes here (the foreign keys also cascade, but a purge does not
/// rely on them); the retention test finds any table with a `case_id`
/// column that still holds a purged case's row. The audit log and its
/// queue are not case data: their entries stay, and the chain with them.
pub const CASE_TABLES: &[&str] = &[
    // The outbox would only lose the case id (ON DELETE SET NULL).
    "notifications",
    "sessions",
    "login_challenges",
    "inbox_entries",
    "case_reads",
    "case_key_wraps",
    "case_exclusions",
    "case_sealed_exclusions",
    "case_notes",
    "messages",
    "attachments",
    "escalation_decisions",
    "case_closures",
    "reporter_identities",
    "identity_requests",
    "protection_measures",
    "legal_holds",
];

/// Whether the current decision for some authority on the case (`cases.id`)
/// is to defer: the latest by `decided_at`, `recorded_at`, `id`, the order
/// the case's decisions are read in.
macro_rules! deferred {
    () => {
        "EXISTS (SELECT 1 FROM escalation_decisions d WHERE d.case_id = cases.id \
         AND d.decision = 'defer' AND NOT EXISTS (SELECT 1 FROM escalation_decisions l \
         WHERE l.case_id = d.case_id AND l.authority = d.authority \
         AND (l.decided_at > d.decided_at OR (l.decided_at = d.decided_at \
         AND (l.recorded_at > d.recorded_at OR (l.recorded_at = d.recorded_at \
         AND l.id > d.id))))))"
    };
}

/// Whether the case (`cases.id`) is on legal hold.
macro_rules! held {
    () => {
        "EXISTS (SELECT 1 FROM legal_holds h WHERE h.case_id = cases.id)"
    };
}

/// Queries and updates of retention and legal holds.
#[async_trait::async_trait]
pub trait RetentionStore: Send + Sync {
    /// Every closed case not on legal hold and with no authority's current
    /// decision `defer`, with when it was closed.
    async fn purgeable_cases(&self) -> StoreResult<Vec<ClosedCase>>;
    /// Deletes every row of the case after folding `figures` and its
    /// escalation decisions into the statistics aggregates, and appends
    /// `audit` to the chain, in one transaction; returns the ids of its
    /// attachments, whose files are to be removed. `NotFound` (and nothing
    /// changed) if the case is gone, no longer closed, held or deferred.
    async fn purge_case(
        &self,
        case_id: Uuid,
        figures: &PurgedFigures,
        audit: &AuditRecord,
    ) -> StoreResult<Vec<Uuid>>;
    /// The case's legal hold, if it has one.
    async fn legal_hold(&self, case_id: Uuid) -> StoreResult<Option<StoredLegalHold>>;
    /// Places a hold on the case; `Conflict` if it has one, `NotFound` if
    /// the case does not exist.
    async fn place_legal_hold(
        &self,
        case_id: Uuid,
        by: Uuid,
        at: i64,
        reason: &[u8],
    ) -> StoreResult<()>;
    /// Lifts the case's hold; `NotFound` if it has none.
    async fn lift_legal_hold(&self, case_id: Uuid) -> StoreResult<()>;
}

/// The implementation for one backend (see [`for_each_backend!`]).
macro_rules! retention_store {
    (store: $store:ident, db: $db:ty, text_order: $text_order:literal,) => {
        #[async_trait::async_trait]
        impl RetentionStore for $store {
            async fn purgeable_cases(&self) -> StoreResult<Vec<ClosedCase>> {
                let query = sqlx::query_as::<_, ClosedCaseRow>(concat!(
                    "SELECT cases.id, cases.category, cases.severity, cases.received_at, \
                     cases.acknowledged_at, cases.feedback_given_at, \
                     cases.feedback_extended_at, \
                     (SELECT MAX(k.closed_at) FROM case_closures k \
                     WHERE k.case_id = cases.id AND k.reopened_at IS NULL) AS closed_at \
                     FROM cases WHERE cases.status = 'closed' AND NOT ",
                    held!(),
                    " AND NOT ",
                    deferred!(),
                    " ORDER BY cases.id"
                ));
                self.fetch_all_converted(query).await
            }

            async fn purge_case(
                &self,
                case_id: Uuid,
                figures: &PurgedFigures,
                audit: &AuditRecord,
            ) -> StoreResult<Vec<Uuid>> {
                let id = case_id.to_string();
                let mut tx = self.begin_write().await?;
                // Locks the case row (a hold placed meanwhile waits for it)
                // and checks again that it may go.
                let statement = sqlx::query(concat!(
                    "UPDATE cases SET updated_at = updated_at WHERE id = $1 \
                     AND status = 'closed' AND NOT ",
                    held!(),
                    " AND NOT ",
                    deferred!()
                ))
                .bind(&id);
                Self::run_found_in(&mut tx, statement).await?;

                let statement = sqlx::query(
                    "INSERT INTO retained_case_figures (received_at, category, severity, \
                     acknowledged_after_days, feedback, cases) VALUES ($1, $2, $3, $4, $5, 1) \
                     ON CONFLICT (received_at, category, severity, acknowledged_after_days, \
                     feedback) DO UPDATE SET cases = retained_case_figures.cases + 1",
                )
                .bind(day_of(figures.received_at))
                .bind(figures.category.key())
                .bind(figures.severity.key())
                .bind(figures.acknowledged_after_days.unwrap_or(-1))
                .bind(figures.feedback.key());
                Self::run_in(&mut tx, statement).await?;
                let decisions: Vec<(i64, String, String)> = sqlx::query_as(
                    "SELECT decided_at, authority, decision FROM escalation_decisions \
                     WHERE case_id = $1",
                )
                .bind(&id)
                .fetch_all(&mut *tx)
                .await?;
                for (decided_at, authority, decision) in decisions {
                    let statement = sqlx::query(
                        "INSERT INTO retained_escalations (decided_day, authority, decision, \
                         decisions) VALUES ($1, $2, $3, 1) \
                         ON CONFLICT (decided_day, authority, decision) \
                         DO UPDATE SET decisions = retained_escalations.decisions + 1",
                    )
                    .bind(day_of(decided_at))
                    .bind(authority)
                    .bind(decision);
                    Self::run_in(&mut tx, statement).await?;
                }

                let attachments: Vec<(String,)> =
                    sqlx::query_as("SELECT id FROM attachments WHERE case_id = $1")
                        .bind(&id)
                        .fetch_all(&mut *tx)
                        .await?;
                let attachments = attachments
                    .iter()
                    .map(|(a,)| super::rows::parse::parse_uuid(a))
                    .collect::<StoreResult<Vec<Uuid>>>()?;
                for table in CASE_TABLES {
                    // The table names are the constants above, never input.
                    let sql = format!("DELETE FROM {table} WHERE case_id = $1");
                    Self::run_in(&mut tx, sqlx::query(&sql).bind(&id)).await?;
                }
                let statement = sqlx::query("DELETE FROM cases WHERE id = $1").bind(&id);
                Self::run_found_in(&mut tx, statement).await?;

                Self::append_audit_in(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(attachments)
            }

            async fn legal_hold(&self, case_id: Uuid) -> StoreResult<Option<StoredLegalHold>> {
                let query = sqlx::query_as::<_, LegalHoldRow>(
                    "SELECT h.placed_by, u.display_name AS placed_by_name, h.placed_at, \
                     h.reason FROM legal_holds h JOIN users u ON u.id = h.placed_by \
                     WHERE h.case_id = $1",
                )
                .bind(case_id.to_string());
                self.fetch_converted(query).await
            }

            async fn place_legal_hold(
                &self,
                case_id: Uuid,
                by: Uuid,
                at: i64,
                reason: &[u8],
            ) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                // Waits for a purge of the case that holds its row.
                let statement =
                    sqlx::query("UPDATE cases SET updated_at = updated_at WHERE id = $1")
                        .bind(case_id.to_string());
                Self::run_found_in(&mut tx, statement).await?;
                let statement = sqlx::query(
                    "INSERT INTO legal_holds (case_id, placed_by, placed_at, reason) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(case_id.to_string())
                .bind(by.to_string())
                .bind(at)
                .bind(reason);
                statement.execute(&mut *tx).await.map_err(db_err)?;
                tx.commit().await?;
                Ok(())
            }

            async fn lift_legal_hold(&self, case_id: Uuid) -> StoreResult<()> {
                let statement = sqlx::query("DELETE FROM legal_holds WHERE case_id = $1")
                    .bind(case_id.to_string());
                self.run_found(statement).await
            }
        }
    };
}

for_each_backend!(retention_store);
