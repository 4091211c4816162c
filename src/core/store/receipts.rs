//! Storage of one-time receipts and used submission tokens (migration
//! 0012): an extension of [`Store`](super::Store), written once for both
//! backends. The token of a submission is stored with its case, in the
//! case's own transaction (`store::batch`); this module reads it and purges
//! old ones.

use super::dialect::{for_each_backend, PostgresStore, SqliteStore};
use super::model::StoreResult;

/// One-time receipts and the submission tokens already used.
#[async_trait::async_trait]
pub trait ReceiptStore: Send + Sync {
    /// Stores a receipt: `sealed` found by `lookup_key`, made on `day`
    /// (UNIX seconds of its UTC midnight); `Conflict` if the key is taken.
    async fn create_receipt(
        &self,
        lookup_key: &[u8; 32],
        sealed: &[u8],
        day: i64,
    ) -> StoreResult<()>;
    /// The sealed receipt found by `lookup_key`, if there is one.
    async fn receipt(&self, lookup_key: &[u8; 32]) -> StoreResult<Option<Vec<u8>>>;
    /// Deletes a receipt; true if there was one.
    async fn delete_receipt(&self, lookup_key: &[u8; 32]) -> StoreResult<bool>;
    /// Whether a case was filed with the submission token of keyed hash `tag`.
    async fn submission_used(&self, tag: &[u8; 32]) -> StoreResult<bool>;
    /// Deletes the receipts made before `receipts_before` and the tokens
    /// used before `tokens_before` (days, as stored); how many rows went.
    async fn purge_receipts(&self, receipts_before: i64, tokens_before: i64) -> StoreResult<u64>;
}

/// The implementation for one backend (see [`for_each_backend!`]).
macro_rules! receipt_store {
    (store: $store:ident, db: $db:ty, text_order: $text_order:literal,) => {
        #[async_trait::async_trait]
        impl ReceiptStore for $store {
            async fn create_receipt(
                &self,
                lookup_key: &[u8; 32],
                sealed: &[u8],
                day: i64,
            ) -> StoreResult<()> {
                let statement = sqlx::query(
                    "INSERT INTO receipts (lookup_key, sealed, day) VALUES ($1, $2, $3)",
                )
                .bind(&lookup_key[..])
                .bind(sealed)
                .bind(day);
                self.run(statement).await?;
                Ok(())
            }

            async fn receipt(&self, lookup_key: &[u8; 32]) -> StoreResult<Option<Vec<u8>>> {
                let row: Option<(Vec<u8>,)> =
                    sqlx::query_as("SELECT sealed FROM receipts WHERE lookup_key = $1")
                        .bind(&lookup_key[..])
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.map(|(sealed,)| sealed))
            }

            async fn delete_receipt(&self, lookup_key: &[u8; 32]) -> StoreResult<bool> {
                let statement =
                    sqlx::query("DELETE FROM receipts WHERE lookup_key = $1").bind(&lookup_key[..]);
                Ok(self.run(statement).await? > 0)
            }

            async fn submission_used(&self, tag: &[u8; 32]) -> StoreResult<bool> {
                let row: Option<(i64,)> =
                    sqlx::query_as("SELECT day FROM submission_tokens WHERE token_tag = $1")
                        .bind(&tag[..])
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.is_some())
            }

            async fn purge_receipts(
                &self,
                receipts_before: i64,
                tokens_before: i64,
            ) -> StoreResult<u64> {
                let receipts =
                    sqlx::query("DELETE FROM receipts WHERE day < $1").bind(receipts_before);
                let receipts = self.run(receipts).await?;
                let tokens =
                    sqlx::query("DELETE FROM submission_tokens WHERE day < $1").bind(tokens_before);
                Ok(receipts + self.run(tokens).await?)
            }
        }
    };
}

for_each_backend!(receipt_store);
