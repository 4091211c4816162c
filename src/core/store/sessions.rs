//! Storage of sessions (migration 0008): an extension of
//! [`Store`](super::Store), written once for both backends.
//!
//! A row is found by its lookup key only, and holds the unlocked identity
//! only sealed (see `core::sessions`); `ends_at` is kept as
//! `min(last_seen + idle_seconds, expires_at)` so that liveness and the
//! expiry sweep are one indexed comparison.

use uuid::Uuid;

use super::dialect::{for_each_backend, PostgresStore, SqliteStore};
use super::model::sessions::{NewSession, SessionSubject, StoredSession};
use super::model::{StoreError, StoreResult};
use super::rows::sessions::{kind_of, SessionRow};

/// Queries and updates of sessions.
#[async_trait::async_trait]
pub trait SessionStore: Send + Sync {
    /// Stores a new session; `Conflict` if its lookup key is taken.
    async fn create_session(&self, session: &NewSession) -> StoreResult<()>;
    /// The session with `lookup_key`, live or not, with its staff member's
    /// account as it is now (one query, by primary keys).
    async fn session(&self, lookup_key: &[u8; 32]) -> StoreResult<Option<StoredSession>>;
    /// Records that the session was used at `at` (UNIX seconds), moving its
    /// idle end; a session that has ended by then is left alone. True if
    /// a live session was touched.
    async fn touch_session(&self, lookup_key: &[u8; 32], at: i64) -> StoreResult<bool>;
    /// Deletes a session; true if there was one.
    async fn delete_session(&self, lookup_key: &[u8; 32]) -> StoreResult<bool>;
    /// Deletes every session of staff member `user_id`; how many there were.
    async fn delete_sessions_of_user(&self, user_id: Uuid) -> StoreResult<u64>;
    /// Deletes every reporter session of case `case_id`; how many there were.
    async fn delete_sessions_of_case(&self, case_id: Uuid) -> StoreResult<u64>;
    /// Deletes every session that has ended by `now`, and every login
    /// challenge expired by then; how many sessions there were.
    async fn delete_expired_sessions(&self, now: i64) -> StoreResult<u64>;
    /// Stores a login challenge: the hash of its nonce, its case, its expiry.
    async fn create_login_challenge(
        &self,
        nonce_hash: &[u8; 32],
        case_id: Uuid,
        expires_at: i64,
    ) -> StoreResult<()>;
    /// Deletes the login challenge of `nonce_hash` and returns its case and
    /// expiry, if there was one (a challenge is answered once).
    async fn take_login_challenge(&self, nonce_hash: &[u8; 32])
        -> StoreResult<Option<(Uuid, i64)>>;
}

/// The implementation for one backend (see [`for_each_backend!`]).
macro_rules! session_store {
    (store: $store:ident, db: $db:ty, text_order: $text_order:literal,) => {
        #[async_trait::async_trait]
        impl SessionStore for $store {
            async fn create_session(&self, session: &NewSession) -> StoreResult<()> {
                let (user_id, case_id) = match session.subject {
                    SessionSubject::Staff(id) => (Some(id.to_string()), None),
                    SessionSubject::Reporter(id) => (None, Some(id.to_string())),
                };
                let idle_end = session.created_at.saturating_add(session.idle_seconds);
                let ends_at = session.expires_at.map_or(idle_end, |e| e.min(idle_end));
                let statement = sqlx::query(
                    "INSERT INTO sessions (lookup_key, kind, user_id, case_id, api, \
                     sealed_identity, created_at, last_seen, idle_seconds, expires_at, ends_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, $10)",
                )
                .bind(&session.lookup_key[..])
                .bind(kind_of(&session.subject))
                .bind(user_id)
                .bind(case_id)
                .bind(session.api)
                .bind(&session.sealed_identity)
                .bind(session.created_at)
                .bind(session.idle_seconds)
                .bind(session.expires_at)
                .bind(ends_at);
                self.run(statement).await?;
                Ok(())
            }

            async fn session(&self, lookup_key: &[u8; 32]) -> StoreResult<Option<StoredSession>> {
                let query = sqlx::query_as::<_, SessionRow>(
                    "SELECT s.kind, s.user_id, s.case_id, s.api, s.sealed_identity, \
                     s.created_at, s.last_seen, s.idle_seconds, s.expires_at, s.ends_at, \
                     u.username, u.display_name, u.roles, u.active \
                     FROM sessions s LEFT JOIN users u ON u.id = s.user_id \
                     WHERE s.lookup_key = $1",
                )
                .bind(&lookup_key[..]);
                self.fetch_converted(query).await
            }

            async fn touch_session(&self, lookup_key: &[u8; 32], at: i64) -> StoreResult<bool> {
                let statement = sqlx::query(
                    "UPDATE sessions SET last_seen = $2, ends_at = CASE \
                     WHEN expires_at IS NOT NULL AND expires_at < $2 + idle_seconds \
                     THEN expires_at ELSE $2 + idle_seconds END \
                     WHERE lookup_key = $1 AND ends_at > $2 AND last_seen < $2",
                )
                .bind(&lookup_key[..])
                .bind(at);
                Ok(self.run(statement).await? > 0)
            }

            async fn delete_session(&self, lookup_key: &[u8; 32]) -> StoreResult<bool> {
                let statement = sqlx::query("DELETE FROM sessions WHERE lookup_key = $1")
                    .bind(&lookup_key[..]);
                Ok(self.run(statement).await? > 0)
            }

            async fn delete_sessions_of_user(&self, user_id: Uuid) -> StoreResult<u64> {
                let statement = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                    .bind(user_id.to_string());
                self.run(statement).await
            }

            async fn delete_sessions_of_case(&self, case_id: Uuid) -> StoreResult<u64> {
                let statement = sqlx::query("DELETE FROM sessions WHERE case_id = $1")
                    .bind(case_id.to_string());
                self.run(statement).await
            }

            async fn delete_expired_sessions(&self, now: i64) -> StoreResult<u64> {
                let challenges =
                    sqlx::query("DELETE FROM login_challenges WHERE expires_at <= $1").bind(now);
                self.run(challenges).await?;
                let statement =
                    sqlx::query("DELETE FROM sessions WHERE ends_at <= $1").bind(now);
                self.run(statement).await
            }

            async fn create_login_challenge(
                &self,
                nonce_hash: &[u8; 32],
                case_id: Uuid,
                expires_at: i64,
            ) -> StoreResult<()> {
                let statement = sqlx::query(
                    "INSERT INTO login_challenges (nonce_hash, case_id, expires_at) \
                     VALUES ($1, $2, $3)",
                )
                .bind(&nonce_hash[..])
                .bind(case_id.to_string())
                .bind(expires_at);
                self.run(statement).await?;
                Ok(())
            }

            async fn take_login_challenge(
                &self,
                nonce_hash: &[u8; 32],
            ) -> StoreResult<Option<(Uuid, i64)>> {
                let row: Option<(String, i64)> = sqlx::query_as(
                    "DELETE FROM login_challenges WHERE nonce_hash = $1 \
                     RETURNING case_id, expires_at",
                )
                .bind(&nonce_hash[..])
                .fetch_optional(&self.pool)
                .await?;
                row.map(|(case_id, expires_at)| match Uuid::parse_str(&case_id) {
                    Ok(id) => Ok((id, expires_at)),
                    Err(_) => Err(StoreError::Corrupt {
                        column: "login_challenges.case_id",
                        value: case_id,
                    }),
                })
                .transpose()
            }
        }
    };
}

for_each_backend!(session_store);
