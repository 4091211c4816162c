//! Storage of a staff member's own account: their wrapped key, the wraps a
//! recovery grant replaces, and their own sessions. An extension of
//! [`Store`](super::Store), written once for both backends.

use uuid::Uuid;

use super::dialect::{for_each_backend, PostgresStore, SqliteStore};
use super::model::{AuditRecord, Holder, StoreError, StoreResult};
use super::rows::parse::parse_uuid;

/// One live session of a staff member, as the store keeps it.
#[derive(Debug, Clone)]
pub struct UserSession {
    /// The row's lookup key (never shown; see `core::own_sessions`).
    pub lookup_key: [u8; 32],
    /// True for an API (bearer-token) session.
    pub api: bool,
    /// When it started (UNIX seconds).
    pub created_at: i64,
    /// When it was last recorded as used (UNIX seconds).
    pub last_seen: i64,
}

/// A staff member's key upgraded at login (X25519 to hybrid): the new
/// recipient, the new ring wrapped under the same password, and each case
/// wrap of theirs made again to the new recipient.
pub struct KeyUpgrade {
    /// Whose key.
    pub user_id: Uuid,
    /// The wrapped identity the upgrade started from: if it changed
    /// meanwhile (a password change), nothing is stored.
    pub expected: Vec<u8>,
    /// The new recipient (`age1pq1…`).
    pub recipient: String,
    /// The new key ring wrapped under the password.
    pub wrapped_identity: Vec<u8>,
    /// By case: the wrap read, and the wrap to store in its place (only if
    /// it is still the one read).
    pub wraps: Vec<(Uuid, Vec<u8>, Vec<u8>)>,
    /// The confirmed TOTP secret as read, and sealed again to the new
    /// recipient (stored only if it is still the one read).
    pub two_factor: Option<(Vec<u8>, Vec<u8>)>,
}

/// A staff member's new key pair after a recovery grant: everything that
/// replaces the old one, stored in one transaction.
pub struct RecoveredKey {
    /// Whose key.
    pub user_id: Uuid,
    /// The new recipient (`age1…`).
    pub recipient: String,
    /// The new identity wrapped under the new password.
    pub wrapped_identity: Vec<u8>,
    /// The case keys wrapped to the new recipient, by case.
    pub wraps: Vec<(Uuid, Vec<u8>)>,
}

/// Queries and updates of one's own account.
#[async_trait::async_trait]
pub trait OwnAccountStore: Send + Sync {
    /// Replaces the wrapped identity of `user_id` if it is still `expected`
    /// (so a re-wrap never undoes a password change made meanwhile); true if
    /// it was replaced.
    async fn replace_wrapped_identity(
        &self,
        user_id: Uuid,
        expected: &[u8],
        wrapped: &[u8],
    ) -> StoreResult<bool>;
    /// The case keys wrapped to the organisation's recovery key, by case.
    async fn recovery_wraps(&self) -> StoreResult<Vec<(Uuid, Vec<u8>)>>;
    /// The case keys wrapped to staff member `user_id`, by case.
    async fn user_wraps(&self, user_id: Uuid) -> StoreResult<Vec<(Uuid, Vec<u8>)>>;
    /// Stores an upgraded key in one transaction if the wrapped identity is
    /// still `expected`, with `audit` appended to the chain: the new
    /// recipient, ring, wraps and TOTP secret; every session and pending
    /// login of the user ends (they hold the old ring, which no longer opens
    /// the new wraps). True if it was stored.
    async fn upgrade_user_key(&self, key: &KeyUpgrade, audit: &AuditRecord) -> StoreResult<bool>;
    /// Gives a staff member a new key pair in one transaction: their
    /// recipient and wrapped identity, every old wrap of theirs deleted and
    /// the new ones stored, every session of theirs ended. How many old
    /// wraps were deleted.
    async fn replace_user_key(&self, key: &RecoveredKey) -> StoreResult<u64>;
    /// The sessions of staff member `user_id` still live at `now`, oldest first.
    async fn sessions_of_user(&self, user_id: Uuid, now: i64) -> StoreResult<Vec<UserSession>>;
    /// Deletes every session of `user_id` but the one with `keep`; how many.
    async fn delete_other_sessions_of_user(
        &self,
        user_id: Uuid,
        keep: &[u8; 32],
    ) -> StoreResult<u64>;
    /// Deletes the session with `lookup_key` if it is one of `user_id`'s;
    /// true if there was one.
    async fn delete_session_of_user(
        &self,
        user_id: Uuid,
        lookup_key: &[u8; 32],
    ) -> StoreResult<bool>;
}

/// The implementation for one backend (see [`for_each_backend!`]).
macro_rules! own_account_store {
    (store: $store:ident, db: $db:ty, text_order: $text_order:literal,) => {
        #[async_trait::async_trait]
        impl OwnAccountStore for $store {
            async fn replace_wrapped_identity(
                &self,
                user_id: Uuid,
                expected: &[u8],
                wrapped: &[u8],
            ) -> StoreResult<bool> {
                let statement = sqlx::query(
                    "UPDATE users SET wrapped_identity = $2 \
                     WHERE id = $1 AND wrapped_identity = $3",
                )
                .bind(user_id.to_string())
                .bind(wrapped)
                .bind(expected);
                Ok(self.run(statement).await? > 0)
            }

            async fn recovery_wraps(&self) -> StoreResult<Vec<(Uuid, Vec<u8>)>> {
                let rows: Vec<(String, Vec<u8>)> =
                    sqlx::query_as("SELECT case_id, wrapped FROM case_key_wraps WHERE holder = $1")
                        .bind(Holder::Recovery.as_db())
                        .fetch_all(&self.pool)
                        .await?;
                rows.into_iter()
                    .map(|(id, wrapped)| Ok((parse_uuid(&id)?, wrapped)))
                    .collect()
            }

            async fn user_wraps(&self, user_id: Uuid) -> StoreResult<Vec<(Uuid, Vec<u8>)>> {
                let rows: Vec<(String, Vec<u8>)> = sqlx::query_as(
                    "SELECT case_id, wrapped FROM case_key_wraps WHERE user_id = $1 \
                     ORDER BY case_id",
                )
                .bind(user_id.to_string())
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|(id, wrapped)| Ok((parse_uuid(&id)?, wrapped)))
                    .collect()
            }

            async fn upgrade_user_key(
                &self,
                key: &KeyUpgrade,
                audit: &AuditRecord,
            ) -> StoreResult<bool> {
                let id = key.user_id.to_string();
                let mut tx = self.begin_write().await?;
                let statement = sqlx::query(
                    "UPDATE users SET recipient = $2, wrapped_identity = $3 \
                     WHERE id = $1 AND wrapped_identity = $4",
                )
                .bind(&id)
                .bind(&key.recipient)
                .bind(&key.wrapped_identity)
                .bind(&key.expected);
                if Self::run_in(&mut tx, statement).await? == 0 {
                    tx.rollback().await?;
                    return Ok(false);
                }
                for (case_id, old, new) in &key.wraps {
                    // A wrap changed meanwhile stays as it is: the ring's
                    // earlier key still opens it.
                    let statement = sqlx::query(
                        "UPDATE case_key_wraps SET wrapped = $3 \
                         WHERE case_id = $1 AND user_id = $2 AND wrapped = $4",
                    )
                    .bind(case_id.to_string())
                    .bind(&id)
                    .bind(new)
                    .bind(old);
                    Self::run_in(&mut tx, statement).await?;
                }
                if let Some((old, new)) = &key.two_factor {
                    let statement = sqlx::query(
                        "UPDATE two_factor SET sealed_secret = $2 \
                         WHERE user_id = $1 AND sealed_secret = $3",
                    )
                    .bind(&id)
                    .bind(new)
                    .bind(old);
                    Self::run_in(&mut tx, statement).await?;
                }
                for table in ["sessions", "pending_logins"] {
                    // The table names are the constants above, never input.
                    let sql = format!("DELETE FROM {table} WHERE user_id = $1");
                    Self::run_in(&mut tx, sqlx::query(&sql).bind(&id)).await?;
                }
                Self::append_audit_in(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn replace_user_key(&self, key: &RecoveredKey) -> StoreResult<u64> {
                let id = key.user_id.to_string();
                let mut tx = self.begin_write().await?;
                let statement = sqlx::query(
                    "UPDATE users SET recipient = $2, wrapped_identity = $3 WHERE id = $1",
                )
                .bind(&id)
                .bind(&key.recipient)
                .bind(&key.wrapped_identity);
                Self::run_found_in(&mut tx, statement).await?;
                let statement =
                    sqlx::query("DELETE FROM case_key_wraps WHERE user_id = $1").bind(&id);
                let deleted = Self::run_in(&mut tx, statement).await?;
                for (case_id, wrapped) in &key.wraps {
                    let statement = sqlx::query(
                        "INSERT INTO case_key_wraps (case_id, holder, user_id, wrapped) \
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind(case_id.to_string())
                    .bind(Holder::User(key.user_id).as_db())
                    .bind(&id)
                    .bind(wrapped);
                    Self::run_in(&mut tx, statement).await?;
                }
                let statement = sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(&id);
                Self::run_in(&mut tx, statement).await?;
                tx.commit().await?;
                Ok(deleted)
            }

            async fn sessions_of_user(
                &self,
                user_id: Uuid,
                now: i64,
            ) -> StoreResult<Vec<UserSession>> {
                let rows: Vec<(Vec<u8>, bool, i64, i64)> = sqlx::query_as(
                    "SELECT lookup_key, api, created_at, last_seen FROM sessions \
                     WHERE user_id = $1 AND ends_at > $2 ORDER BY created_at, lookup_key",
                )
                .bind(user_id.to_string())
                .bind(now)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|(key, api, created_at, last_seen)| {
                        let lookup_key: [u8; 32] =
                            key.try_into().map_err(|_| StoreError::Corrupt {
                                column: "sessions.lookup_key",
                                value: "not 32 bytes".to_owned(),
                            })?;
                        Ok(UserSession {
                            lookup_key,
                            api,
                            created_at,
                            last_seen,
                        })
                    })
                    .collect()
            }

            async fn delete_other_sessions_of_user(
                &self,
                user_id: Uuid,
                keep: &[u8; 32],
            ) -> StoreResult<u64> {
                let statement =
                    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND lookup_key <> $2")
                        .bind(user_id.to_string())
                        .bind(&keep[..]);
                self.run(statement).await
            }

            async fn delete_session_of_user(
                &self,
                user_id: Uuid,
                lookup_key: &[u8; 32],
            ) -> StoreResult<bool> {
                let statement =
                    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND lookup_key = $2")
                        .bind(user_id.to_string())
                        .bind(&lookup_key[..]);
                Ok(self.run(statement).await? > 0)
            }
        }
    };
}

for_each_backend!(own_account_store);
