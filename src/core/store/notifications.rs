//! Storage of the notifications feature: an extension of [`Store`](super::Store)
//! implemented for both backends in this file.
//!
//! The outbox (`notifications`, migration 0003) holds who is to be told that
//! something needs attention, and how delivery went. It holds no address (the
//! mailer reads `users.email` when it sends) and nothing about a case beyond
//! the id, deadline kind and due instant that keep reminders from repeating;
//! none of those leave this module except to the scheduler. Written once for
//! both backends.

use uuid::Uuid;

use super::dialect::{for_each_backend, PostgresStore, SqliteStore};
use super::model::notifications::{
    CaseToRemind, DeadlineNotice, DueNotification, NewNotification, NotificationCounts, OutboxEntry,
};
use super::model::StoreResult;
use super::rows::notifications::{
    cases_with_holders, CountsRow, DueRow, HolderRow, NoticeRow, OutboxRow, RemindRow,
};
use crate::core::domain::{CaseStatus, DeadlineKind};

/// Queries and updates of the notifications feature.
#[async_trait::async_trait]
pub trait NotificationStore: Send + Sync {
    /// Adds notifications to the outbox in one transaction, skipping any that
    /// repeat a reminder already there; returns how many were added.
    async fn enqueue_notifications(&self, items: &[NewNotification]) -> StoreResult<u64>;
    /// Every case that is not closed, with the staff holding its key.
    async fn cases_to_remind(&self) -> StoreResult<Vec<CaseToRemind>>;
    /// The latest notice about each deadline of each case.
    async fn deadline_notices(&self) -> StoreResult<Vec<DeadlineNotice>>;
    /// Up to `limit` undelivered notifications due at `now`, oldest first.
    async fn due_notifications(&self, now: i64, limit: i64) -> StoreResult<Vec<DueNotification>>;
    /// Takes a due notification for delivery by moving its next attempt to
    /// `until`; false if it is no longer due (another pass took it).
    async fn claim_notification(&self, id: Uuid, now: i64, until: i64) -> StoreResult<bool>;
    /// Records a delivery at `at` (the day, by the caller), which also
    /// replaces the claim's lease time.
    async fn notification_sent(&self, id: Uuid, at: i64) -> StoreResult<()>;
    /// Records a failed attempt: to be retried at `retry_at`, or (`None`)
    /// given up on at `at`.
    async fn notification_failed(
        &self,
        id: Uuid,
        at: i64,
        error: &str,
        retry_at: Option<i64>,
    ) -> StoreResult<()>;
    /// Every undelivered notification, failed ones first, then newest first.
    async fn notification_outbox(&self) -> StoreResult<Vec<OutboxEntry>>;
    /// How many notifications are in each state.
    async fn notification_counts(&self) -> StoreResult<NotificationCounts>;
}

/// The implementation for one backend (see [`for_each_backend!`]).
macro_rules! notification_store {
    (store: $store:ident, db: $db:ty, text_order: $text_order:literal,) => {
        #[async_trait::async_trait]
        impl NotificationStore for $store {
            async fn enqueue_notifications(&self, items: &[NewNotification]) -> StoreResult<u64> {
                let mut tx = self.begin_write().await?;
                let mut added = 0;
                for n in items {
                    let statement = sqlx::query(
                        "INSERT INTO notifications (id, user_id, kind, case_id, deadline, \
                         due_at, created_at, attempts, next_attempt_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8) ON CONFLICT DO NOTHING",
                    )
                    .bind(n.id.to_string())
                    .bind(n.user_id.to_string())
                    .bind(n.kind.key())
                    .bind(n.case_id.map(|c| c.to_string()))
                    .bind(n.deadline.map(DeadlineKind::key))
                    .bind(n.due_at)
                    .bind(n.created_at)
                    .bind(n.next_attempt_at);
                    let done = Self::run_in(&mut tx, statement).await?;
                    added += done;
                }
                tx.commit().await?;
                Ok(added)
            }

            async fn cases_to_remind(&self) -> StoreResult<Vec<CaseToRemind>> {
                let closed = CaseStatus::Closed.key();
                let mut tx = self.pool.begin().await?;
                let cases: Vec<RemindRow> = sqlx::query_as(concat!(
                    "SELECT id, severity, status, received_at, acknowledged_at, updated_at \
                     FROM cases WHERE status <> $1 ORDER BY received_at, id",
                    $text_order
                ))
                .bind(closed)
                .fetch_all(&mut *tx)
                .await?;
                let holders: Vec<HolderRow> = sqlx::query_as(concat!(
                    "SELECT w.case_id, w.user_id FROM case_key_wraps w \
                     JOIN cases c ON c.id = w.case_id \
                     WHERE w.user_id IS NOT NULL AND c.status <> $1 ORDER BY w.user_id",
                    $text_order
                ))
                .bind(closed)
                .fetch_all(&mut *tx)
                .await?;
                tx.commit().await?;
                cases_with_holders(cases, holders)
            }

            async fn deadline_notices(&self) -> StoreResult<Vec<DeadlineNotice>> {
                let rows: Vec<NoticeRow> = sqlx::query_as(
                    "SELECT case_id, deadline, MAX(created_at) AS last_at FROM notifications \
                     WHERE case_id IS NOT NULL AND deadline IS NOT NULL \
                     GROUP BY case_id, deadline",
                )
                .fetch_all(&self.pool)
                .await?;
                let mut out = Vec::with_capacity(rows.len());
                for row in rows {
                    out.extend(row.into_notice()?);
                }
                Ok(out)
            }

            async fn due_notifications(
                &self,
                now: i64,
                limit: i64,
            ) -> StoreResult<Vec<DueNotification>> {
                let query = sqlx::query_as::<_, DueRow>(concat!(
                    "SELECT n.id, n.user_id, u.email, n.attempts FROM notifications n \
                     JOIN users u ON u.id = n.user_id WHERE n.sent_at IS NULL \
                     AND n.failed_at IS NULL AND n.next_attempt_at <= $1 \
                     ORDER BY n.next_attempt_at, n.created_at, n.id",
                    $text_order,
                    " LIMIT $2"
                ))
                .bind(now)
                .bind(limit);
                self.fetch_all_converted(query).await
            }

            async fn claim_notification(
                &self,
                id: Uuid,
                now: i64,
                until: i64,
            ) -> StoreResult<bool> {
                let statement = sqlx::query(
                    "UPDATE notifications SET next_attempt_at = $1 WHERE id = $2 \
                     AND sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $3",
                )
                .bind(until)
                .bind(id.to_string())
                .bind(now);
                Ok(self.run(statement).await? == 1)
            }

            async fn notification_sent(&self, id: Uuid, at: i64) -> StoreResult<()> {
                let statement = sqlx::query(
                    "UPDATE notifications SET sent_at = $1, next_attempt_at = $1, \
                     attempts = attempts + 1, last_error = NULL WHERE id = $2",
                )
                .bind(at)
                .bind(id.to_string());
                self.run(statement).await?;
                Ok(())
            }

            async fn notification_failed(
                &self,
                id: Uuid,
                at: i64,
                error: &str,
                retry_at: Option<i64>,
            ) -> StoreResult<()> {
                let (sql, time) = match retry_at {
                    Some(retry_at) => (
                        "UPDATE notifications SET attempts = attempts + 1, last_error = $1, \
                         next_attempt_at = $2 WHERE id = $3",
                        retry_at,
                    ),
                    None => (
                        "UPDATE notifications SET attempts = attempts + 1, last_error = $1, \
                         failed_at = $2, next_attempt_at = $2 WHERE id = $3",
                        at,
                    ),
                };
                let statement = sqlx::query(sql)
                    .bind(error)
                    .bind(time)
                    .bind(id.to_string());
                self.run(statement).await?;
                Ok(())
            }

            async fn notification_outbox(&self) -> StoreResult<Vec<OutboxEntry>> {
                let rows: Vec<OutboxRow> = sqlx::query_as(concat!(
                    "SELECT n.id, u.display_name, n.kind, n.attempts, n.last_error, \
                     n.created_at, n.next_attempt_at, n.failed_at FROM notifications n \
                     JOIN users u ON u.id = n.user_id WHERE n.sent_at IS NULL \
                     ORDER BY n.failed_at IS NULL, n.created_at DESC, n.id",
                    $text_order
                ))
                .fetch_all(&self.pool)
                .await?;
                let mut out = Vec::with_capacity(rows.len());
                for row in rows {
                    out.extend(row.into_entry()?);
                }
                Ok(out)
            }

            async fn notification_counts(&self) -> StoreResult<NotificationCounts> {
                let counts: CountsRow = sqlx::query_as(
                    "SELECT \
                     COUNT(CASE WHEN sent_at IS NULL AND failed_at IS NULL AND attempts = 0 \
                     THEN 1 END) AS pending, \
                     COUNT(CASE WHEN sent_at IS NOT NULL THEN 1 END) AS sent, \
                     COUNT(CASE WHEN sent_at IS NULL AND failed_at IS NULL AND attempts > 0 \
                     THEN 1 END) AS retrying, \
                     COUNT(CASE WHEN failed_at IS NOT NULL THEN 1 END) AS failed \
                     FROM notifications",
                )
                .fetch_one(&self.pool)
                .await?;
                Ok(counts.into())
            }
        }
    };
}

for_each_backend!(notification_store);
