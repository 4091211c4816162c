//! Storage of two-factor login (migration 0018): an extension of
//! [`Store`](super::Store), written once for both backends. Secrets arrive
//! sealed and recovery codes as keyed hashes; nothing here is readable alone.

use uuid::Uuid;

use super::dialect::{for_each_backend, PostgresStore, SqliteStore};
use super::model::StoreResult;

/// A staff member's two-factor row.
#[derive(Debug, Clone)]
pub struct StoredTwoFactor {
    /// The confirmed TOTP secret, sealed to the user's recipient; `None`
    /// until an enrolment is confirmed.
    pub sealed_secret: Option<Vec<u8>>,
    /// A secret being set up, sealed the same way.
    pub pending_secret: Option<Vec<u8>>,
    /// The last time step a code was accepted for.
    pub last_step: i64,
}

/// A login waiting for its second factor.
#[derive(Debug, Clone)]
pub struct PendingLogin {
    /// Whose.
    pub user_id: Uuid,
    /// The identity the password unlocked, sealed under the cookie's secret.
    pub sealed_identity: Vec<u8>,
    /// When it ends (UNIX seconds).
    pub expires_at: i64,
    /// Codes tried so far.
    pub attempts: i64,
}

/// Queries and updates of two-factor login.
#[async_trait::async_trait]
pub trait TwoFactorStore: Send + Sync {
    /// The two-factor row of `user_id`, if any.
    async fn two_factor(&self, user_id: Uuid) -> StoreResult<Option<StoredTwoFactor>>;
    /// Keeps `sealed` as the secret being set up (the confirmed one stays).
    async fn set_pending_two_factor(&self, user_id: Uuid, sealed: &[u8]) -> StoreResult<()>;
    /// Makes `sealed` the confirmed secret, with `step` as its last used
    /// step, and `recovery_tags` the only recovery codes; one transaction.
    async fn confirm_two_factor(
        &self,
        user_id: Uuid,
        sealed: &[u8],
        step: i64,
        recovery_tags: &[[u8; 32]],
        at: i64,
    ) -> StoreResult<()>;
    /// Records `step` as used if it is later than the last one used; false
    /// if it is not (the code was used already).
    async fn use_totp_step(&self, user_id: Uuid, step: i64) -> StoreResult<bool>;
    /// The keyed hashes of the unused recovery codes of `user_id`.
    async fn recovery_tags(&self, user_id: Uuid) -> StoreResult<Vec<Vec<u8>>>;
    /// Deletes the recovery code `tag`; false if it was used already.
    async fn use_recovery_tag(&self, user_id: Uuid, tag: &[u8]) -> StoreResult<bool>;
    /// Replaces every recovery code of `user_id` with `tags`; one transaction.
    async fn replace_recovery_tags(&self, user_id: Uuid, tags: &[[u8; 32]]) -> StoreResult<()>;
    /// Deletes the secrets and recovery codes of `user_id`.
    async fn forget_two_factor(&self, user_id: Uuid) -> StoreResult<()>;
    /// The users with a confirmed secret.
    async fn two_factor_users(&self) -> StoreResult<Vec<Uuid>>;

    /// Stores a pending login; `Conflict` if its lookup key is taken.
    async fn create_pending_login(
        &self,
        lookup_key: &[u8; 32],
        user_id: Uuid,
        sealed_identity: &[u8],
        expires_at: i64,
    ) -> StoreResult<()>;
    /// The pending login `lookup_key` names, if any.
    async fn pending_login(&self, lookup_key: &[u8; 32]) -> StoreResult<Option<PendingLogin>>;
    /// Counts one attempt on a pending login that is live at `now` and has
    /// had fewer than `max` attempts; false if it had no attempt left.
    async fn count_pending_attempt(
        &self,
        lookup_key: &[u8; 32],
        max: i64,
        now: i64,
    ) -> StoreResult<bool>;
    /// Deletes a pending login; true if there was one.
    async fn delete_pending_login(&self, lookup_key: &[u8; 32]) -> StoreResult<bool>;
    /// Deletes the pending logins that ended by `now`; how many.
    async fn delete_expired_pending_logins(&self, now: i64) -> StoreResult<u64>;
}

/// The implementation for one backend (see [`for_each_backend!`]).
macro_rules! two_factor_store {
    (store: $store:ident, db: $db:ty, text_order: $text_order:literal,) => {
        #[async_trait::async_trait]
        impl TwoFactorStore for $store {
            async fn two_factor(&self, user_id: Uuid) -> StoreResult<Option<StoredTwoFactor>> {
                let row: Option<(Option<Vec<u8>>, Option<Vec<u8>>, i64)> = sqlx::query_as(
                    "SELECT sealed_secret, pending_secret, last_step FROM two_factor \
                     WHERE user_id = $1",
                )
                .bind(user_id.to_string())
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(|(sealed_secret, pending_secret, last_step)| StoredTwoFactor {
                    sealed_secret,
                    pending_secret,
                    last_step,
                }))
            }

            async fn set_pending_two_factor(&self, user_id: Uuid, sealed: &[u8]) -> StoreResult<()> {
                let statement = sqlx::query(
                    "INSERT INTO two_factor (user_id, pending_secret, last_step) \
                     VALUES ($1, $2, 0) \
                     ON CONFLICT (user_id) DO UPDATE SET pending_secret = excluded.pending_secret",
                )
                .bind(user_id.to_string())
                .bind(sealed);
                self.run(statement).await?;
                Ok(())
            }

            async fn confirm_two_factor(
                &self,
                user_id: Uuid,
                sealed: &[u8],
                step: i64,
                recovery_tags: &[[u8; 32]],
                at: i64,
            ) -> StoreResult<()> {
                let id = user_id.to_string();
                let mut tx = self.begin_write().await?;
                let statement = sqlx::query(
                    "INSERT INTO two_factor (user_id, sealed_secret, pending_secret, last_step, \
                     enrolled_at) VALUES ($1, $2, NULL, $3, $4) \
                     ON CONFLICT (user_id) DO UPDATE SET sealed_secret = excluded.sealed_secret, \
                     pending_secret = NULL, last_step = excluded.last_step, \
                     enrolled_at = excluded.enrolled_at",
                )
                .bind(&id)
                .bind(sealed)
                .bind(step)
                .bind(at);
                Self::run_in(&mut tx, statement).await?;
                let statement =
                    sqlx::query("DELETE FROM two_factor_recovery WHERE user_id = $1").bind(&id);
                Self::run_in(&mut tx, statement).await?;
                for tag in recovery_tags {
                    let statement = sqlx::query(
                        "INSERT INTO two_factor_recovery (user_id, code_tag) VALUES ($1, $2)",
                    )
                    .bind(&id)
                    .bind(&tag[..]);
                    Self::run_in(&mut tx, statement).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn use_totp_step(&self, user_id: Uuid, step: i64) -> StoreResult<bool> {
                let statement = sqlx::query(
                    "UPDATE two_factor SET last_step = $2 \
                     WHERE user_id = $1 AND last_step < $2 AND sealed_secret IS NOT NULL",
                )
                .bind(user_id.to_string())
                .bind(step);
                Ok(self.run(statement).await? > 0)
            }

            async fn recovery_tags(&self, user_id: Uuid) -> StoreResult<Vec<Vec<u8>>> {
                let rows: Vec<(Vec<u8>,)> = sqlx::query_as(
                    "SELECT code_tag FROM two_factor_recovery WHERE user_id = $1",
                )
                .bind(user_id.to_string())
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(|(tag,)| tag).collect())
            }

            async fn use_recovery_tag(&self, user_id: Uuid, tag: &[u8]) -> StoreResult<bool> {
                let statement = sqlx::query(
                    "DELETE FROM two_factor_recovery WHERE user_id = $1 AND code_tag = $2",
                )
                .bind(user_id.to_string())
                .bind(tag);
                Ok(self.run(statement).await? > 0)
            }

            async fn replace_recovery_tags(
                &self,
                user_id: Uuid,
                tags: &[[u8; 32]],
            ) -> StoreResult<()> {
                let id = user_id.to_string();
                let mut tx = self.begin_write().await?;
                let statement =
                    sqlx::query("DELETE FROM two_factor_recovery WHERE user_id = $1").bind(&id);
                Self::run_in(&mut tx, statement).await?;
                for tag in tags {
                    let statement = sqlx::query(
                        "INSERT INTO two_factor_recovery (user_id, code_tag) VALUES ($1, $2)",
                    )
                    .bind(&id)
                    .bind(&tag[..]);
                    Self::run_in(&mut tx, statement).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn forget_two_factor(&self, user_id: Uuid) -> StoreResult<()> {
                let id = user_id.to_string();
                let mut tx = self.begin_write().await?;
                let statement =
                    sqlx::query("DELETE FROM two_factor_recovery WHERE user_id = $1").bind(&id);
                Self::run_in(&mut tx, statement).await?;
                let statement = sqlx::query("DELETE FROM two_factor WHERE user_id = $1").bind(&id);
                Self::run_in(&mut tx, statement).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn two_factor_users(&self) -> StoreResult<Vec<Uuid>> {
                let rows: Vec<(String,)> = sqlx::query_as(
                    "SELECT user_id FROM two_factor WHERE sealed_secret IS NOT NULL",
                )
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .filter_map(|(id,)| Uuid::parse_str(&id).ok())
                    .collect())
            }

            async fn create_pending_login(
                &self,
                lookup_key: &[u8; 32],
                user_id: Uuid,
                sealed_identity: &[u8],
                expires_at: i64,
            ) -> StoreResult<()> {
                let statement = sqlx::query(
                    "INSERT INTO pending_logins (lookup_key, user_id, sealed_identity, \
                     expires_at, attempts) VALUES ($1, $2, $3, $4, 0)",
                )
                .bind(&lookup_key[..])
                .bind(user_id.to_string())
                .bind(sealed_identity)
                .bind(expires_at);
                self.run(statement).await?;
                Ok(())
            }

            async fn pending_login(
                &self,
                lookup_key: &[u8; 32],
            ) -> StoreResult<Option<PendingLogin>> {
                let row: Option<(String, Vec<u8>, i64, i64)> = sqlx::query_as(
                    "SELECT user_id, sealed_identity, expires_at, attempts \
                     FROM pending_logins WHERE lookup_key = $1",
                )
                .bind(&lookup_key[..])
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.and_then(|(user_id, sealed_identity, expires_at, attempts)| {
                    Some(PendingLogin {
                        user_id: Uuid::parse_str(&user_id).ok()?,
                        sealed_identity,
                        expires_at,
                        attempts,
                    })
                }))
            }

            async fn count_pending_attempt(
                &self,
                lookup_key: &[u8; 32],
                max: i64,
                now: i64,
            ) -> StoreResult<bool> {
                let statement = sqlx::query(
                    "UPDATE pending_logins SET attempts = attempts + 1 \
                     WHERE lookup_key = $1 AND attempts < $2 AND expires_at > $3",
                )
                .bind(&lookup_key[..])
                .bind(max)
                .bind(now);
                Ok(self.run(statement).await? > 0)
            }

            async fn delete_pending_login(&self, lookup_key: &[u8; 32]) -> StoreResult<bool> {
                let statement = sqlx::query("DELETE FROM pending_logins WHERE lookup_key = $1")
                    .bind(&lookup_key[..]);
                Ok(self.run(statement).await? > 0)
            }

            async fn delete_expired_pending_logins(&self, now: i64) -> StoreResult<u64> {
                let statement =
                    sqlx::query("DELETE FROM pending_logins WHERE expires_at <= $1").bind(now);
                self.run(statement).await
            }
        }
    };
}

for_each_backend!(two_factor_store);
