//! Storage of single sign-on (migration 0019): the links of staff accounts
//! to subjects of the OpenID Connect provider, and the short-lived state
//! between the steps of one login. An extension of [`Store`](super::Store),
//! written once for both backends.

use uuid::Uuid;

use super::dialect::{for_each_backend, PostgresStore, SqliteStore};
use super::model::{StoreError, StoreResult};

/// A staff account linked to a subject of the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcLink {
    /// The account.
    pub user_id: Uuid,
    /// Its login name.
    pub username: String,
    /// The provider's issuer URL, as its ID tokens name it.
    pub issuer: String,
    /// The provider's `sub` for the person.
    pub subject: String,
    /// When the link was made (UNIX seconds).
    pub created_at: i64,
}

/// A login waiting for its key passphrase, one try just spent on it.
#[derive(Debug, Clone)]
pub struct PassphraseTry {
    /// The account the provider vouched for.
    pub user_id: Uuid,
    /// The row's seal (binds the account to the browser's secret).
    pub sealed: Vec<u8>,
}

fn user_id_of(raw: &str) -> StoreResult<Uuid> {
    Uuid::parse_str(raw).map_err(|_| StoreError::Corrupt {
        column: "oidc.user_id",
        value: raw.to_owned(),
    })
}

/// Links to the provider and pending single sign-on logins.
#[async_trait::async_trait]
pub trait SsoStore: Send + Sync {
    /// Links `user_id` to `(issuer, subject)`; `Conflict` if the account is
    /// linked already or the subject is linked to another account.
    async fn link_oidc(
        &self,
        user_id: Uuid,
        issuer: &str,
        subject: &str,
        at: i64,
    ) -> StoreResult<()>;
    /// Removes the link of `user_id`; true if there was one.
    async fn unlink_oidc(&self, user_id: Uuid) -> StoreResult<bool>;
    /// Every link, by username.
    async fn oidc_links(&self) -> StoreResult<Vec<OidcLink>>;
    /// The account linked to `(issuer, subject)`, if it is active.
    async fn active_user_of_subject(
        &self,
        issuer: &str,
        subject: &str,
    ) -> StoreResult<Option<Uuid>>;
    /// Whether `user_id` is linked to a subject (of any issuer).
    async fn has_oidc_link(&self, user_id: Uuid) -> StoreResult<bool>;
    /// Stores a pending login found by `lookup_key`: before the provider's
    /// answer (`user_id` none) or waiting for the passphrase.
    async fn create_oidc_login(
        &self,
        lookup_key: &[u8; 32],
        sealed: &[u8],
        user_id: Option<Uuid>,
        expires_at: i64,
    ) -> StoreResult<()>;
    /// Deletes and returns the seal of a login still waiting for the
    /// provider's answer and live at `now` (used once).
    async fn take_oidc_authorization(
        &self,
        lookup_key: &[u8; 32],
        now: i64,
    ) -> StoreResult<Option<Vec<u8>>>;
    /// Whether a login waiting for its passphrase is live at `now` with
    /// tries left (fewer than `max_tries` spent).
    async fn oidc_passphrase_pending(
        &self,
        lookup_key: &[u8; 32],
        now: i64,
        max_tries: i64,
    ) -> StoreResult<bool>;
    /// Spends one passphrase try of a live login with tries left; none if
    /// there is no such login.
    async fn spend_oidc_try(
        &self,
        lookup_key: &[u8; 32],
        now: i64,
        max_tries: i64,
    ) -> StoreResult<Option<PassphraseTry>>;
    /// Deletes a pending login; true if there was one.
    async fn delete_oidc_login(&self, lookup_key: &[u8; 32]) -> StoreResult<bool>;
    /// Deletes every pending login expired by `now`; how many there were.
    async fn delete_expired_oidc_logins(&self, now: i64) -> StoreResult<u64>;
}

/// The implementation for one backend (see [`for_each_backend!`]).
macro_rules! sso_store {
    (store: $store:ident, db: $db:ty, text_order: $text_order:literal,) => {
        #[async_trait::async_trait]
        impl SsoStore for $store {
            async fn link_oidc(
                &self,
                user_id: Uuid,
                issuer: &str,
                subject: &str,
                at: i64,
            ) -> StoreResult<()> {
                let statement = sqlx::query(
                    "INSERT INTO oidc_links (user_id, issuer, subject, created_at) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(user_id.to_string())
                .bind(issuer)
                .bind(subject)
                .bind(at);
                self.run(statement).await?;
                Ok(())
            }

            async fn unlink_oidc(&self, user_id: Uuid) -> StoreResult<bool> {
                let statement = sqlx::query("DELETE FROM oidc_links WHERE user_id = $1")
                    .bind(user_id.to_string());
                Ok(self.run(statement).await? > 0)
            }

            async fn oidc_links(&self) -> StoreResult<Vec<OidcLink>> {
                let rows: Vec<(String, String, String, String, i64)> = sqlx::query_as(concat!(
                    "SELECT l.user_id, u.username, l.issuer, l.subject, l.created_at \
                     FROM oidc_links l JOIN users u ON u.id = l.user_id \
                     ORDER BY u.username",
                    $text_order
                ))
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|(user_id, username, issuer, subject, created_at)| {
                        Ok(OidcLink {
                            user_id: user_id_of(&user_id)?,
                            username,
                            issuer,
                            subject,
                            created_at,
                        })
                    })
                    .collect()
            }

            async fn active_user_of_subject(
                &self,
                issuer: &str,
                subject: &str,
            ) -> StoreResult<Option<Uuid>> {
                let row: Option<(String,)> = sqlx::query_as(
                    "SELECT l.user_id FROM oidc_links l JOIN users u ON u.id = l.user_id \
                     WHERE l.issuer = $1 AND l.subject = $2 AND u.active = $3",
                )
                .bind(issuer)
                .bind(subject)
                .bind(true)
                .fetch_optional(&self.pool)
                .await?;
                row.map(|(id,)| user_id_of(&id)).transpose()
            }

            async fn has_oidc_link(&self, user_id: Uuid) -> StoreResult<bool> {
                let row: Option<(String,)> =
                    sqlx::query_as("SELECT user_id FROM oidc_links WHERE user_id = $1")
                        .bind(user_id.to_string())
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.is_some())
            }

            async fn create_oidc_login(
                &self,
                lookup_key: &[u8; 32],
                sealed: &[u8],
                user_id: Option<Uuid>,
                expires_at: i64,
            ) -> StoreResult<()> {
                let statement = sqlx::query(
                    "INSERT INTO oidc_logins (lookup_key, sealed, user_id, tries, expires_at) \
                     VALUES ($1, $2, $3, 0, $4)",
                )
                .bind(&lookup_key[..])
                .bind(sealed)
                .bind(user_id.map(|id| id.to_string()))
                .bind(expires_at);
                self.run(statement).await?;
                Ok(())
            }

            async fn take_oidc_authorization(
                &self,
                lookup_key: &[u8; 32],
                now: i64,
            ) -> StoreResult<Option<Vec<u8>>> {
                let row: Option<(Vec<u8>,)> = sqlx::query_as(
                    "DELETE FROM oidc_logins \
                     WHERE lookup_key = $1 AND user_id IS NULL AND expires_at > $2 \
                     RETURNING sealed",
                )
                .bind(&lookup_key[..])
                .bind(now)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(|(sealed,)| sealed))
            }

            async fn oidc_passphrase_pending(
                &self,
                lookup_key: &[u8; 32],
                now: i64,
                max_tries: i64,
            ) -> StoreResult<bool> {
                let row: Option<(i64,)> = sqlx::query_as(
                    "SELECT tries FROM oidc_logins WHERE lookup_key = $1 \
                     AND user_id IS NOT NULL AND expires_at > $2 AND tries < $3",
                )
                .bind(&lookup_key[..])
                .bind(now)
                .bind(max_tries)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.is_some())
            }

            async fn spend_oidc_try(
                &self,
                lookup_key: &[u8; 32],
                now: i64,
                max_tries: i64,
            ) -> StoreResult<Option<PassphraseTry>> {
                let row: Option<(Option<String>, Vec<u8>)> = sqlx::query_as(
                    "UPDATE oidc_logins SET tries = tries + 1 WHERE lookup_key = $1 \
                     AND user_id IS NOT NULL AND expires_at > $2 AND tries < $3 \
                     RETURNING user_id, sealed",
                )
                .bind(&lookup_key[..])
                .bind(now)
                .bind(max_tries)
                .fetch_optional(&self.pool)
                .await?;
                match row {
                    Some((Some(user_id), sealed)) => Ok(Some(PassphraseTry {
                        user_id: user_id_of(&user_id)?,
                        sealed,
                    })),
                    _ => Ok(None),
                }
            }

            async fn delete_oidc_login(&self, lookup_key: &[u8; 32]) -> StoreResult<bool> {
                let statement = sqlx::query("DELETE FROM oidc_logins WHERE lookup_key = $1")
                    .bind(&lookup_key[..]);
                Ok(self.run(statement).await? > 0)
            }

            async fn delete_expired_oidc_logins(&self, now: i64) -> StoreResult<u64> {
                let statement =
                    sqlx::query("DELETE FROM oidc_logins WHERE expires_at <= $1").bind(now);
                self.run(statement).await
            }
        }
    };
}

for_each_backend!(sso_store);
