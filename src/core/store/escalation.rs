//! Storage of escalation decisions and case closing: an extension of
//! [`Store`](super::Store), written once for both backends.

use uuid::Uuid;

use super::dialect::{for_each_backend, PostgresStore, SqliteStore};
use super::model::escalation::{Closure, EscalationRecord, RegisterEntry};
use super::model::StoreResult;
use super::rows::escalation::{decision_columns, ClosureRow, DecisionRow, RegisterRow};
use crate::core::domain::CaseStatus;

/// Queries and updates of the escalation register and case closing.
#[async_trait::async_trait]
pub trait EscalationStore: Send + Sync {
    /// Stores a decision.
    async fn insert_decision(&self, record: &EscalationRecord) -> StoreResult<()>;
    /// The decisions on a case, in the order they were decided.
    async fn decisions(&self, case_id: Uuid) -> StoreResult<Vec<EscalationRecord>>;
    /// Records `by`'s confirmation of decision `id` of `case_id`; `NotFound`
    /// unless it exists, is unconfirmed and was decided by someone else.
    async fn confirm_decision(&self, case_id: Uuid, id: Uuid, by: Uuid, at: i64)
        -> StoreResult<()>;
    /// Every decision, newest decision first, without rationales.
    async fn escalation_register(&self) -> StoreResult<Vec<RegisterEntry>>;
    /// Stores a closure and sets the case's status to `status`, in one transaction.
    async fn close_case(&self, closure: &Closure, status: CaseStatus) -> StoreResult<()>;
    /// Marks the case's open closure reopened and sets `status`, in one
    /// transaction; `NotFound` if the case has no open closure.
    async fn reopen_case(
        &self,
        case_id: Uuid,
        by: Uuid,
        at: i64,
        reason: &[u8],
        status: CaseStatus,
    ) -> StoreResult<()>;
    /// The case's closures, oldest first.
    async fn closures(&self, case_id: Uuid) -> StoreResult<Vec<Closure>>;
}

/// The implementation for one backend (see [`for_each_backend!`]).
macro_rules! escalation_store {
    (store: $store:ident, db: $db:ty, text_order: $text_order:literal,) => {
        #[async_trait::async_trait]
        impl EscalationStore for $store {
            async fn insert_decision(&self, r: &EscalationRecord) -> StoreResult<()> {
                let statement = sqlx::query(
                    "INSERT INTO escalation_decisions (id, case_id, authority, decision, \
                     legal_basis, rationale, aware_at, decided_at, notified_at, decided_by, \
                     authority_reference, confirmed_by, confirmed_at, recorded_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                )
                .bind(r.id.to_string())
                .bind(r.case_id.to_string())
                .bind(r.authority.key())
                .bind(r.decision.key())
                .bind(r.legal_basis.key())
                .bind(&r.rationale)
                .bind(r.aware_at)
                .bind(r.decided_at)
                .bind(r.notified_at)
                .bind(r.decided_by.to_string())
                .bind(&r.authority_reference)
                .bind(r.confirmed_by.map(|u| u.to_string()))
                .bind(r.confirmed_at)
                .bind(r.recorded_at);
                self.run(statement).await?;
                Ok(())
            }

            async fn decisions(&self, case_id: Uuid) -> StoreResult<Vec<EscalationRecord>> {
                let query = sqlx::query_as::<_, DecisionRow>(concat!(
                    "SELECT ",
                    decision_columns!(),
                    " FROM escalation_decisions d WHERE d.case_id = $1 \
                     ORDER BY d.decided_at, d.recorded_at, d.id"
                ))
                .bind(case_id.to_string());
                self.fetch_all_converted(query).await
            }

            async fn confirm_decision(
                &self,
                case_id: Uuid,
                id: Uuid,
                by: Uuid,
                at: i64,
            ) -> StoreResult<()> {
                let statement = sqlx::query(
                    "UPDATE escalation_decisions SET confirmed_by = $1, confirmed_at = $2 \
                     WHERE id = $3 AND case_id = $4 AND confirmed_by IS NULL \
                     AND decided_by <> $1",
                )
                .bind(by.to_string())
                .bind(at)
                .bind(id.to_string())
                .bind(case_id.to_string());
                self.run_found(statement).await
            }

            async fn escalation_register(&self) -> StoreResult<Vec<RegisterEntry>> {
                // The register never loads the rationale, not even encrypted.
                let query = sqlx::query_as::<_, RegisterRow>(
                    "SELECT d.id, d.case_id, d.authority, d.decision, d.legal_basis, \
                     d.aware_at, d.decided_at, d.notified_at, d.decided_by, \
                     d.authority_reference, d.confirmed_by, d.confirmed_at, d.recorded_at, \
                     u.display_name AS decided_by_name, c.display_name AS confirmed_by_name \
                     FROM escalation_decisions d \
                     JOIN users u ON u.id = d.decided_by \
                     LEFT JOIN users c ON c.id = d.confirmed_by \
                     ORDER BY d.decided_at DESC, d.recorded_at DESC, d.id",
                );
                self.fetch_all_converted(query).await
            }

            async fn close_case(&self, c: &Closure, status: CaseStatus) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                let statement = sqlx::query(
                    "INSERT INTO case_closures (id, case_id, closed_at, closed_by, outcome, \
                     evaluation, reopened_at, reopened_by, reopen_reason) \
                     VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL, NULL)",
                )
                .bind(c.id.to_string())
                .bind(c.case_id.to_string())
                .bind(c.closed_at)
                .bind(c.closed_by.to_string())
                .bind(c.outcome.key())
                .bind(&c.evaluation);
                Self::run_in(&mut tx, statement).await?;
                let statement = sqlx::query(
                    "UPDATE cases SET status = $1, updated_at = $2 WHERE id = $3",
                )
                .bind(status.key())
                .bind(c.closed_at)
                .bind(c.case_id.to_string());
                Self::run_found_in(&mut tx, statement).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn reopen_case(
                &self,
                case_id: Uuid,
                by: Uuid,
                at: i64,
                reason: &[u8],
                status: CaseStatus,
            ) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                let statement = sqlx::query(
                    "UPDATE case_closures SET reopened_at = $1, reopened_by = $2, \
                     reopen_reason = $3 WHERE case_id = $4 AND reopened_at IS NULL",
                )
                .bind(at)
                .bind(by.to_string())
                .bind(reason)
                .bind(case_id.to_string());
                Self::run_found_in(&mut tx, statement).await?;
                let statement = sqlx::query(
                    "UPDATE cases SET status = $1, updated_at = $2 WHERE id = $3",
                )
                .bind(status.key())
                .bind(at)
                .bind(case_id.to_string());
                Self::run_in(&mut tx, statement).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn closures(&self, case_id: Uuid) -> StoreResult<Vec<Closure>> {
                let query = sqlx::query_as::<_, ClosureRow>(
                    "SELECT id, case_id, closed_at, closed_by, outcome, evaluation, \
                     reopened_at, reopened_by, reopen_reason FROM case_closures \
                     WHERE case_id = $1 ORDER BY closed_at, id",
                )
                .bind(case_id.to_string());
                self.fetch_all_converted(query).await
            }
        }
    };
}

for_each_backend!(escalation_store);
