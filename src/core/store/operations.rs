//! What operations asks of the database: readiness (does it answer, are
//! all migrations applied) and the aggregate counts the metrics endpoint
//! exports. Only counts are read: never an id, a code or content.

use super::dialect::{for_each_backend, PostgresStore, SqliteStore};
use super::model::StoreResult;

/// Whether the database can serve this version of Varsel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    /// It answers and every migration this binary knows is applied.
    Ready,
    /// It answers, but these migration versions are not applied (or failed).
    MigrationsPending(Vec<i64>),
}

/// Aggregate counts for the metrics endpoint: no per-case or per-reporter data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OperationCounts {
    /// Cases per (status, category).
    pub cases: Vec<(String, String, i64)>,
    /// Notifications not yet sent and not given up on (first try or retry).
    pub outbox_pending: i64,
    /// Notifications given up on.
    pub outbox_failed: i64,
    /// When the oldest pending notification was created (UNIX seconds).
    pub oldest_pending_created_at: Option<i64>,
    /// Reporter audit entries waiting to join the chain.
    pub audit_queue: i64,
}

/// Connections of the store's pool.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Open connections.
    pub size: u32,
    /// Of those, idle.
    pub idle: u32,
    /// The most the pool opens.
    pub max: u32,
}

/// Queries of the operations feature.
#[async_trait::async_trait]
pub trait OperationsStore: Send + Sync {
    /// Asks the database a trivial question and compares its applied
    /// migrations with this binary's; an error if it does not answer.
    async fn readiness(&self) -> StoreResult<Readiness>;
    /// The aggregate counts of the metrics endpoint.
    async fn operation_counts(&self) -> StoreResult<OperationCounts>;
    /// The pool's connections, without touching the database.
    fn pool_stats(&self) -> PoolStats;
    /// Closes the pool: every later query fails as unavailable (shutdown).
    async fn close(&self);
}

/// The implementation for one backend (see [`for_each_backend!`]).
macro_rules! operations_store {
    (store: $store:ident, db: $db:ty, text_order: $text_order:literal,) => {
        #[async_trait::async_trait]
        impl OperationsStore for $store {
            async fn readiness(&self) -> StoreResult<Readiness> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                let exists: Option<(i64,)> = match sqlx::query_as::<_, (i64,)>(
                    "SELECT COUNT(*) FROM _sqlx_migrations",
                )
                .fetch_one(&self.pool)
                .await
                {
                    Ok(row) => Some(row),
                    Err(sqlx::Error::Database(_)) => None,
                    Err(e) => return Err(e.into()),
                };
                let applied: Vec<(i64, bool)> = match exists {
                    Some(_) => {
                        sqlx::query_as("SELECT version, success FROM _sqlx_migrations")
                            .fetch_all(&self.pool)
                            .await?
                    }
                    None => Vec::new(),
                };
                let pending: Vec<i64> = Self::migrator()
                    .iter()
                    .map(|m| m.version)
                    .filter(|v| !applied.iter().any(|(a, ok)| a == v && *ok))
                    .collect();
                Ok(if pending.is_empty() {
                    Readiness::Ready
                } else {
                    Readiness::MigrationsPending(pending)
                })
            }

            async fn operation_counts(&self) -> StoreResult<OperationCounts> {
                let cases: Vec<(String, String, i64)> = sqlx::query_as(
                    "SELECT status, category, COUNT(*) FROM cases \
                     GROUP BY status, category ORDER BY status, category",
                )
                .fetch_all(&self.pool)
                .await?;
                let (pending, failed, oldest): (i64, i64, Option<i64>) = sqlx::query_as(
                    "SELECT \
                     COUNT(CASE WHEN sent_at IS NULL AND failed_at IS NULL THEN 1 END), \
                     COUNT(CASE WHEN failed_at IS NOT NULL THEN 1 END), \
                     MIN(CASE WHEN sent_at IS NULL AND failed_at IS NULL THEN created_at END) \
                     FROM notifications",
                )
                .fetch_one(&self.pool)
                .await?;
                let (audit_queue,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_queue")
                    .fetch_one(&self.pool)
                    .await?;
                Ok(OperationCounts {
                    cases,
                    outbox_pending: pending,
                    outbox_failed: failed,
                    oldest_pending_created_at: oldest,
                    audit_queue,
                })
            }

            fn pool_stats(&self) -> PoolStats {
                let size = self.pool.size();
                let idle = u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX);
                PoolStats {
                    size,
                    idle: idle.min(size),
                    max: self.pool.options().get_max_connections(),
                }
            }

            async fn close(&self) {
                self.pool.close().await;
            }
        }
    };
}

for_each_backend!(operations_store);
