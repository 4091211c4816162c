//! Storage of case triage and the re-routing it causes: an extension of
//! [`Store`](super::Store), written once for both backends.

use uuid::Uuid;

use super::dialect::{for_each_backend, PostgresStore, SqliteStore};
use super::model::routing::{Retriage, TriageFacts};
use super::model::{Holder, StoreError, StoreResult};
use super::rows::routing::TriageFactsRow;
use crate::core::domain::SubtypeKey;

/// Queries and updates of the routing feature.
#[async_trait::async_trait]
pub trait RoutingStore: Send + Sync {
    /// The triage facts of a case; `None` if there is no such case.
    async fn triage_facts(&self, case_id: Uuid) -> StoreResult<Option<TriageFacts>>;
    /// Re-classifies a case, adds and removes staff wraps, all or nothing;
    /// `NotFound` if there is no such case. Reporter and recovery wraps are
    /// never touched.
    async fn retriage(&self, change: &Retriage) -> StoreResult<()>;
}

/// The implementation for one backend (see [`for_each_backend!`]).
macro_rules! routing_store {
    (store: $store:ident, db: $db:ty, text_order: $text_order:literal,) => {
        #[async_trait::async_trait]
        impl RoutingStore for $store {
            async fn triage_facts(&self, case_id: Uuid) -> StoreResult<Option<TriageFacts>> {
                let query = sqlx::query_as::<_, TriageFactsRow>(
                    "SELECT subtype, risk_probability, risk_consequence FROM cases WHERE id = $1",
                )
                .bind(case_id.to_string());
                self.fetch_converted(query).await
            }

            async fn retriage(&self, change: &Retriage) -> StoreResult<()> {
                let id = change.case_id.to_string();
                let mut tx = self.begin_write().await?;
                // A deactivation takes the same lock first, so the two never
                // interleave: a wrap is never added for an account being
                // deactivated, nor the last active holder's removed under it.
                Self::lock_audit_chain(&mut tx).await?;
                let statement = sqlx::query(
                    "UPDATE cases SET category = $1, severity = $2, subtype = $3, \
                     risk_probability = $4, risk_consequence = $5, updated_at = $6 WHERE id = $7",
                )
                .bind(change.category.key())
                .bind(change.severity.key())
                .bind(change.facts.subtype.as_ref().map(SubtypeKey::as_str))
                .bind(change.facts.risk_probability)
                .bind(change.facts.risk_consequence)
                .bind(change.at)
                .bind(&id);
                Self::run_found_in(&mut tx, statement).await?;
                for wrap in &change.added {
                    let Some(user) = wrap.holder.user_id() else {
                        continue;
                    };
                    // Only to an account still active (it may have been
                    // deactivated since routing read it).
                    let statement = sqlx::query(
                        "INSERT INTO case_key_wraps (case_id, holder, user_id, wrapped) \
                         SELECT $1, $2, $3, $4 WHERE EXISTS \
                         (SELECT 1 FROM users WHERE id = $3 AND active = TRUE) \
                         ON CONFLICT (case_id, holder) DO NOTHING",
                    )
                    .bind(&id)
                    .bind(wrap.holder.as_db())
                    .bind(user.to_string())
                    .bind(&wrap.wrapped);
                    Self::run_in(&mut tx, statement).await?;
                }
                for user in &change.removed {
                    let statement = sqlx::query(
                        "DELETE FROM case_key_wraps WHERE case_id = $1 AND holder = $2",
                    )
                    .bind(&id)
                    .bind(Holder::User(*user).as_db());
                    Self::run_in(&mut tx, statement).await?;
                }
                // The case must stay readable: an active staff member's wrap
                // or the recovery key's. Otherwise nothing changes.
                let (holders,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM case_key_wraps w LEFT JOIN users u ON u.id = w.user_id \
                     WHERE w.case_id = $1 AND (w.holder = 'recovery' \
                     OR (w.user_id IS NOT NULL AND u.active = TRUE))",
                )
                .bind(&id)
                .fetch_one(&mut *tx)
                .await?;
                if holders == 0 {
                    return Err(StoreError::Conflict);
                }
                tx.commit().await?;
                Ok(())
            }
        }
    };
}

for_each_backend!(routing_store);
