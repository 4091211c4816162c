//! Storage of the shared rate limits, spent proof-of-work challenges and the
//! attachment total: an extension of [`Store`](super::Store) implemented for
//! both backends in this file (migration 0009). See [`crate::core::limits`].

use super::dialect::{for_each_backend, PostgresStore, SqliteStore};
use super::model::{StoreError, StoreResult};

/// The shared counters behind rate limits and budgets.
#[async_trait::async_trait]
pub trait LimitStore: Send + Sync {
    /// Adds `amount` to the counter `key` of the window starting at
    /// `window_start` (creating it) and returns the counter after the
    /// addition: one statement, one round trip.
    async fn add_to_counter(&self, key: &str, window_start: i64, amount: i64) -> StoreResult<i64>;
    /// The counter `key` of the window starting at `window_start` (0 if none).
    async fn counter(&self, key: &str, window_start: i64) -> StoreResult<i64>;
    /// Removes the counters of windows that started before `before`.
    async fn prune_counters(&self, before: i64) -> StoreResult<u64>;
    /// Records a redeemed proof-of-work challenge; `false` if it was redeemed
    /// before.
    async fn spend_pow(&self, challenge_hash: &[u8; 32], expires_at: i64) -> StoreResult<bool>;
    /// Removes spent challenges that expired before `now`.
    async fn prune_spent_pow(&self, now: i64) -> StoreResult<u64>;
    /// The total size in bytes of every stored attachment.
    async fn attachment_bytes(&self) -> StoreResult<i64>;
}

/// The implementation for one backend (see [`for_each_backend!`]).
macro_rules! limit_store {
    (store: $store:ident, db: $db:ty, text_order: $text_order:literal,) => {
        #[async_trait::async_trait]
        impl LimitStore for $store {
            async fn add_to_counter(
                &self,
                key: &str,
                window_start: i64,
                amount: i64,
            ) -> StoreResult<i64> {
                let (used,): (i64,) = sqlx::query_as(
                    "INSERT INTO rate_counters (key, window_start, used) VALUES ($1, $2, $3) \
                     ON CONFLICT (key, window_start) \
                     DO UPDATE SET used = rate_counters.used + excluded.used \
                     RETURNING used",
                )
                .bind(key)
                .bind(window_start)
                .bind(amount)
                .fetch_one(&self.pool)
                .await?;
                Ok(used)
            }

            async fn counter(&self, key: &str, window_start: i64) -> StoreResult<i64> {
                let row: Option<(i64,)> = sqlx::query_as(
                    "SELECT used FROM rate_counters WHERE key = $1 AND window_start = $2",
                )
                .bind(key)
                .bind(window_start)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map_or(0, |(n,)| n))
            }

            async fn prune_counters(&self, before: i64) -> StoreResult<u64> {
                self.run(
                    sqlx::query("DELETE FROM rate_counters WHERE window_start < $1").bind(before),
                )
                .await
            }

            async fn spend_pow(
                &self,
                challenge_hash: &[u8; 32],
                expires_at: i64,
            ) -> StoreResult<bool> {
                let statement = sqlx::query(
                    "INSERT INTO pow_spent (challenge_hash, expires_at) VALUES ($1, $2) \
                     ON CONFLICT (challenge_hash) DO NOTHING",
                )
                .bind(&challenge_hash[..])
                .bind(expires_at);
                match self.run(statement).await {
                    Ok(n) => Ok(n == 1),
                    Err(StoreError::Conflict) => Ok(false),
                    Err(e) => Err(e),
                }
            }

            async fn prune_spent_pow(&self, now: i64) -> StoreResult<u64> {
                self.run(sqlx::query("DELETE FROM pow_spent WHERE expires_at < $1").bind(now))
                    .await
            }

            async fn attachment_bytes(&self) -> StoreResult<i64> {
                let (n,): (i64,) = sqlx::query_as(
                    "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM attachments",
                )
                .fetch_one(&self.pool)
                .await?;
                Ok(n)
            }
        }
    };
}

for_each_backend!(limit_store);
