//! Storage of the account lifecycle (issue 11, migration 0016):
//! deactivation, reactivation, roles and group memberships, each in one
//! transaction with its audit entry. Written once for both backends.
//!
//! Deactivation checks, inside its transaction and before anything is
//! removed, that every case the account holds a wrap of stays reachable by
//! another active staff member's wrap or by the recovery key's; if one
//! would not, the transaction is rolled back and the cases are named.

use uuid::Uuid;

use super::dialect::{for_each_backend, PostgresStore, SqliteStore};
use super::model::{AuditRecord, StoreError, StoreResult};
use super::rows::parse::{join_keys, parse_uuid};
use crate::core::domain::Role;

/// What a deactivation removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Deactivation {
    /// Sessions ended.
    pub sessions: u64,
    /// Group memberships left.
    pub groups: u64,
    /// Key wraps deleted (the cases the account held).
    pub wraps: u64,
}

/// Why a deactivation was not done; nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeactivationRefused {
    /// The account is deactivated already.
    AlreadyInactive,
    /// These cases would be reachable by no one but the account.
    LastKeyHolder(Vec<Uuid>),
}

/// The account lifecycle.
#[async_trait::async_trait]
pub trait AccountStore: Send + Sync {
    /// When each deactivated account was deactivated (accounts deactivated
    /// before migration 0016 have no time).
    async fn deactivation_times(&self) -> StoreResult<Vec<(Uuid, i64)>>;
    /// Deactivates `user`: ends its sessions, removes it from every group
    /// and lead row, deletes every key wrap it holds and records `at`, with
    /// `audit` appended, all in one transaction; refused (nothing changed)
    /// if a case it holds would be left with no active staff holder and no
    /// recovery wrap. `NotFound` if there is no such account.
    async fn deactivate_user(
        &self,
        user: Uuid,
        at: i64,
        audit: AuditRecord,
    ) -> StoreResult<Result<Deactivation, DeactivationRefused>>;
    /// Makes a deactivated account active again (no groups, no wraps), with
    /// `audit`; `Conflict` if it is active, `NotFound` if there is none.
    async fn reactivate_user(&self, user: Uuid, audit: AuditRecord) -> StoreResult<()>;
    /// Sets the roles of `user`; `leave_groups` also removes it from every
    /// group and lead row; `end_sessions` ends its sessions. With `audit`,
    /// in one transaction. Returns how many sessions were ended.
    async fn set_user_roles(
        &self,
        user: Uuid,
        roles: &[Role],
        leave_groups: bool,
        end_sessions: bool,
        audit: AuditRecord,
    ) -> StoreResult<u64>;
    /// Replaces the group memberships of `user` with `groups` (each must be
    /// registered: `NotFound`); lead rows of groups it leaves go too. With
    /// `audit`, in one transaction.
    async fn set_user_groups(
        &self,
        user: Uuid,
        groups: &[String],
        audit: AuditRecord,
    ) -> StoreResult<()>;
    /// How many cases hold a wrap for the recovery key, and how many do not.
    async fn recovery_coverage(&self) -> StoreResult<(i64, i64)>;
}

/// The cases `$1` (a holder) holds a wrap of that no other active staff
/// member and no recovery key holds one of.
const ORPHANED_CASES: &str = "SELECT w.case_id FROM case_key_wraps w WHERE w.holder = $1 \
     AND NOT EXISTS (SELECT 1 FROM case_key_wraps o LEFT JOIN users u ON u.id = o.user_id \
     WHERE o.case_id = w.case_id AND o.holder <> $1 \
     AND (o.holder = 'recovery' OR (o.user_id IS NOT NULL AND u.active = TRUE))) \
     ORDER BY w.case_id";

/// The implementation for one backend (see [`for_each_backend!`]).
macro_rules! account_store {
    (store: $store:ident, db: $db:ty, text_order: $text_order:literal,) => {
        impl $store {
            /// Removes `user` from every group and lead row inside `tx`;
            /// how many memberships there were.
            async fn leave_groups_in(
                tx: &mut sqlx::Transaction<'static, $db>,
                user: &str,
            ) -> StoreResult<u64> {
                let statement =
                    sqlx::query("DELETE FROM staff_group_leads WHERE user_id = $1").bind(user);
                Self::run_in(tx, statement).await?;
                let statement =
                    sqlx::query("DELETE FROM user_groups WHERE user_id = $1").bind(user);
                Self::run_in(tx, statement).await
            }

            /// The `active` flag of `user` inside `tx`; `NotFound` if none.
            async fn active_in(
                tx: &mut sqlx::Transaction<'static, $db>,
                user: &str,
            ) -> StoreResult<bool> {
                let row: Option<(bool,)> = sqlx::query_as("SELECT active FROM users WHERE id = $1")
                    .bind(user)
                    .fetch_optional(&mut **tx)
                    .await?;
                row.map(|(a,)| a).ok_or(StoreError::NotFound)
            }
        }

        #[async_trait::async_trait]
        impl AccountStore for $store {
            async fn deactivation_times(&self) -> StoreResult<Vec<(Uuid, i64)>> {
                let rows: Vec<(String, i64)> = sqlx::query_as(
                    "SELECT id, deactivated_at FROM users WHERE deactivated_at IS NOT NULL",
                )
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|(id, at)| Ok((parse_uuid(&id)?, at)))
                    .collect()
            }

            async fn deactivate_user(
                &self,
                user: Uuid,
                at: i64,
                audit: AuditRecord,
            ) -> StoreResult<Result<Deactivation, DeactivationRefused>> {
                let mut tx = self.begin_write().await?;
                let id = user.to_string();
                // Taken first, so that two deactivations never both pass the
                // check below on each other's account (PostgreSQL: the
                // chain's lock; SQLite: the write lock held already).
                Self::lock_audit_chain(&mut tx).await?;
                if !Self::active_in(&mut tx, &id).await? {
                    return Ok(Err(DeactivationRefused::AlreadyInactive));
                }
                let holder = super::model::Holder::User(user).as_db();
                let orphaned: Vec<(String,)> = sqlx::query_as(ORPHANED_CASES)
                    .bind(&holder)
                    .fetch_all(&mut *tx)
                    .await?;
                if !orphaned.is_empty() {
                    let cases = orphaned
                        .iter()
                        .map(|(c,)| parse_uuid(c))
                        .collect::<StoreResult<Vec<_>>>()?;
                    return Ok(Err(DeactivationRefused::LastKeyHolder(cases)));
                }
                let statement = sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(&id);
                let sessions = Self::run_in(&mut tx, statement).await?;
                let groups = Self::leave_groups_in(&mut tx, &id).await?;
                let statement =
                    sqlx::query("DELETE FROM case_key_wraps WHERE holder = $1").bind(&holder);
                let wraps = Self::run_in(&mut tx, statement).await?;
                let statement = sqlx::query(
                    "UPDATE users SET active = FALSE, deactivated_at = $1 WHERE id = $2",
                )
                .bind(at)
                .bind(&id);
                Self::run_found_in(&mut tx, statement).await?;
                Self::append_audit_in(&mut tx, &audit).await?;
                tx.commit().await?;
                self.cache.invalidate();
                Ok(Ok(Deactivation {
                    sessions,
                    groups,
                    wraps,
                }))
            }

            async fn reactivate_user(&self, user: Uuid, audit: AuditRecord) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                let id = user.to_string();
                if Self::active_in(&mut tx, &id).await? {
                    return Err(StoreError::Conflict);
                }
                let statement = sqlx::query(
                    "UPDATE users SET active = TRUE, deactivated_at = NULL WHERE id = $1",
                )
                .bind(&id);
                Self::run_found_in(&mut tx, statement).await?;
                Self::append_audit_in(&mut tx, &audit).await?;
                tx.commit().await?;
                self.cache.invalidate();
                Ok(())
            }

            async fn set_user_roles(
                &self,
                user: Uuid,
                roles: &[Role],
                leave_groups: bool,
                end_sessions: bool,
                audit: AuditRecord,
            ) -> StoreResult<u64> {
                let mut tx = self.begin_write().await?;
                let id = user.to_string();
                let statement = sqlx::query("UPDATE users SET roles = $1 WHERE id = $2")
                    .bind(join_keys(roles.iter().map(|r| r.key())))
                    .bind(&id);
                Self::run_found_in(&mut tx, statement).await?;
                if leave_groups {
                    Self::leave_groups_in(&mut tx, &id).await?;
                }
                let mut ended = 0;
                if end_sessions {
                    let statement =
                        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(&id);
                    ended = Self::run_in(&mut tx, statement).await?;
                }
                Self::append_audit_in(&mut tx, &audit).await?;
                tx.commit().await?;
                self.cache.invalidate();
                Ok(ended)
            }

            async fn set_user_groups(
                &self,
                user: Uuid,
                groups: &[String],
                audit: AuditRecord,
            ) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                let id = user.to_string();
                Self::active_in(&mut tx, &id).await?;
                let current: Vec<(String,)> =
                    sqlx::query_as("SELECT group_name FROM user_groups WHERE user_id = $1")
                        .bind(&id)
                        .fetch_all(&mut *tx)
                        .await?;
                for (group,) in &current {
                    if groups.contains(group) {
                        continue;
                    }
                    for table in [
                        "DELETE FROM staff_group_leads WHERE group_name = $1 AND user_id = $2",
                        "DELETE FROM user_groups WHERE group_name = $1 AND user_id = $2",
                    ] {
                        let statement = sqlx::query(table).bind(group).bind(&id);
                        Self::run_in(&mut tx, statement).await?;
                    }
                }
                for group in groups {
                    if current.iter().any(|(g,)| g == group) {
                        continue;
                    }
                    let (found,): (i64,) =
                        sqlx::query_as("SELECT COUNT(*) FROM staff_groups WHERE name = $1")
                            .bind(group)
                            .fetch_one(&mut *tx)
                            .await?;
                    if found == 0 {
                        return Err(StoreError::NotFound);
                    }
                    let statement = sqlx::query(
                        "INSERT INTO user_groups (user_id, group_name) VALUES ($1, $2)",
                    )
                    .bind(&id)
                    .bind(group);
                    Self::run_in(&mut tx, statement).await?;
                }
                Self::append_audit_in(&mut tx, &audit).await?;
                tx.commit().await?;
                self.cache.invalidate();
                Ok(())
            }

            async fn recovery_coverage(&self) -> StoreResult<(i64, i64)> {
                let (wrapped, total): (i64, i64) = sqlx::query_as(
                    "SELECT (SELECT COUNT(*) FROM case_key_wraps WHERE holder = 'recovery'), \
                     (SELECT COUNT(*) FROM cases)",
                )
                .fetch_one(&self.pool)
                .await?;
                Ok((wrapped, total - wrapped))
            }
        }
    };
}

for_each_backend!(account_store);
