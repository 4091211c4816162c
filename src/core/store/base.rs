//! The methods of [`Store`](super::Store) itself: accounts, settings, cases
//! with their key wraps, threads and attachments, and the audit log. Written
//! once and expanded for both backends by
//! [`for_each_backend!`](super::dialect::for_each_backend).

use async_trait::async_trait;
use sqlx::Transaction;
use uuid::Uuid;

use super::cache::Snapshot;
use super::dialect::{for_each_backend, PostgresStore, SqliteStore};
use super::interface::Store;
use super::model::notifications::NewNotification;
use super::model::{
    Attachment, AuditRecord, Author, Case, Holder, Message, NewCase, StoreError, StoreResult, User,
};
use super::rows::base::{
    attachment_columns, audit_columns, case_columns, group_names, message_columns, user_columns,
    users_with_groups, AttachmentRow, AuditRow, CaseRow, MessageRow, UserRow,
};
use super::rows::groups::MembershipRow;
use super::rows::parse::{join_keys, parse_holder, parse_uuid};
use crate::core::audit::AuditEntry;
use crate::core::domain::CaseStatus;

/// The implementation for one backend (see [`for_each_backend!`]).
macro_rules! store {
    (store: $store:ident, db: $db:ty, text_order: $text_order:literal,) => {
        impl $store {
            /// Makes sure the cache may be trusted: reads the version row if
            /// it was not read within the check interval (one tiny query).
            pub(super) async fn fresh_cache(&self) -> StoreResult<Option<i64>> {
                if !self.cache.claim_check() {
                    return Ok(self.cache.version());
                }
                // Concurrent callers share one read (see `Cache::check_turn`).
                if let Some((_turn, number)) = self.cache.check_turn().await {
                    let read: Result<(i64,), sqlx::Error> =
                        sqlx::query_as("SELECT version FROM cache_version WHERE id = 1")
                            .fetch_one(&self.pool)
                            .await;
                    match read {
                        Ok((version,)) => self.cache.read_completed(number, version),
                        // Unreachable: go on with what is cached, if anything.
                        Err(e) if self.cache.version().is_some() => {
                            tracing::warn!(error = %e, "cannot check the cache version");
                            self.cache.check_failed();
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
                Ok(self.cache.version())
            }

            /// The cached users, loaded if not cached (`version` as
            /// [`Self::fresh_cache`] returned it).
            async fn cached_users(
                &self,
                version: Option<i64>,
            ) -> StoreResult<std::sync::Arc<Vec<User>>> {
                if let Some(users) = self.cache.users() {
                    return Ok(users);
                }
                let users = std::sync::Arc::new(self.load_users().await?);
                self.cache.keep_users(version, users.clone());
                Ok(users)
            }

            /// A cached setting, loaded if not cached.
            async fn cached_setting(
                &self,
                version: Option<i64>,
                key: &str,
            ) -> StoreResult<Option<String>> {
                if let Some(value) = self.cache.setting(key) {
                    return Ok(value);
                }
                let row: Option<(String,)> =
                    sqlx::query_as("SELECT value FROM settings WHERE key = $1")
                        .bind(key)
                        .fetch_optional(&self.pool)
                        .await?;
                let value = row.map(|(v,)| v);
                self.cache.keep_setting(version, key, value.clone());
                Ok(value)
            }

            /// Reads every user with their groups from the database.
            async fn load_users(&self) -> StoreResult<Vec<User>> {
                let mut tx = self.pool.begin().await?;
                let users: Vec<UserRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    user_columns!(),
                    " FROM users ORDER BY username",
                    $text_order
                ))
                .fetch_all(&mut *tx)
                .await?;
                let groups: Vec<MembershipRow> = sqlx::query_as(
                    "SELECT user_id, group_name FROM user_groups ORDER BY user_id, group_name",
                )
                .fetch_all(&mut *tx)
                .await?;
                tx.commit().await?;
                users_with_groups(users, groups)
            }

            /// Reads one user (by a `WHERE` on `users` with one parameter)
            /// with their groups.
            async fn user_where(
                tx: &mut Transaction<'static, $db>,
                sql: &'static str,
                value: String,
            ) -> StoreResult<Option<User>> {
                let Some(row) = sqlx::query_as::<_, UserRow>(sql)
                    .bind(value)
                    .fetch_optional(&mut **tx)
                    .await?
                else {
                    return Ok(None);
                };
                let groups: Vec<MembershipRow> = sqlx::query_as(
                    "SELECT user_id, group_name FROM user_groups WHERE user_id = $1 \
                     ORDER BY group_name",
                )
                .bind(row.id())
                .fetch_all(&mut **tx)
                .await?;
                Ok(Some(row.into_user(group_names(groups))?))
            }

            /// Inserts one attachment row inside a transaction.
            async fn insert_attachment(
                tx: &mut Transaction<'static, $db>,
                a: &Attachment,
            ) -> StoreResult<()> {
                let statement = sqlx::query(
                    "INSERT INTO attachments (id, case_id, author, name, size, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(a.id.to_string())
                .bind(a.case_id.to_string())
                .bind(a.author.as_db())
                .bind(&a.name)
                .bind(a.size)
                .bind(a.created_at);
                Self::run_in(tx, statement).await?;
                Ok(())
            }

            /// Appends one audit entry to the chain inside a transaction.
            async fn insert_audit_entry(
                tx: &mut Transaction<'static, $db>,
                entry: &AuditEntry,
            ) -> StoreResult<()> {
                let statement = sqlx::query(
                    "INSERT INTO audit_log (seq, at, actor, action, case_id, detail, \
                     prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(entry.seq)
                .bind(entry.at)
                .bind(&entry.actor)
                .bind(&entry.action)
                .bind(&entry.case_id)
                .bind(&entry.detail)
                .bind(&entry.prev_hash)
                .bind(&entry.hash);
                Self::run_in(tx, statement).await?;
                Ok(())
            }

            /// Appends `record` to the audit chain inside `tx`, after taking
            /// the chain's lock, so a change and its audit entry commit together.
            pub(super) async fn append_audit_in(
                tx: &mut Transaction<'static, $db>,
                record: &AuditRecord,
            ) -> StoreResult<()> {
                Self::lock_audit_chain(tx).await?;
                let last: Option<(i64, Vec<u8>)> =
                    sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
                        .fetch_optional(&mut **tx)
                        .await?;
                let entry = AuditEntry::next(
                    last,
                    record.at,
                    &record.actor,
                    record.action,
                    record.case_id,
                    &record.detail,
                );
                Self::insert_audit_entry(tx, &entry).await
            }
        }

        #[async_trait]
        impl Store for $store {
            async fn migrate(&self) -> StoreResult<()> {
                self.run_migrations().await
            }

            async fn create_user(&self, user: &User) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                let id = user.id.to_string();
                let statement = sqlx::query(
                    "INSERT INTO users (id, username, display_name, roles, recipient, \
                     wrapped_identity, email, active, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(&id)
                .bind(&user.username)
                .bind(&user.display_name)
                .bind(join_keys(user.roles.iter().map(|r| r.key())))
                .bind(&user.recipient)
                .bind(&user.wrapped_identity)
                .bind(&user.email)
                .bind(user.active)
                .bind(user.created_at);
                Self::run_in(&mut tx, statement).await?;
                for group in &user.groups {
                    // A group named here for the first time is registered (migration 0007).
                    let statement = sqlx::query(
                        "INSERT INTO staff_groups (name, description, created_at) \
                         VALUES ($1, '', $2) ON CONFLICT (name) DO NOTHING",
                    )
                    .bind(group)
                    .bind(user.created_at);
                    Self::run_in(&mut tx, statement).await?;
                    let statement = sqlx::query(
                        "INSERT INTO user_groups (user_id, group_name) VALUES ($1, $2) \
                         ON CONFLICT (user_id, group_name) DO NOTHING",
                    )
                    .bind(&id)
                    .bind(group);
                    Self::run_in(&mut tx, statement).await?;
                }
                tx.commit().await?;
                self.cache.invalidate();
                Ok(())
            }

            async fn user_by_username(&self, username: &str) -> StoreResult<Option<User>> {
                let mut tx = self.pool.begin().await?;
                let user = Self::user_where(
                    &mut tx,
                    concat!("SELECT ", user_columns!(), " FROM users WHERE username = $1"),
                    username.to_owned(),
                )
                .await?;
                tx.commit().await?;
                Ok(user)
            }

            async fn user_by_id(&self, id: Uuid) -> StoreResult<Option<User>> {
                let mut tx = self.pool.begin().await?;
                let user = Self::user_where(
                    &mut tx,
                    concat!("SELECT ", user_columns!(), " FROM users WHERE id = $1"),
                    id.to_string(),
                )
                .await?;
                tx.commit().await?;
                Ok(user)
            }

            async fn list_users(&self) -> StoreResult<Vec<User>> {
                Ok(self.users_shared().await?.as_ref().clone())
            }

            async fn users_shared(&self) -> StoreResult<std::sync::Arc<Vec<User>>> {
                let version = self.fresh_cache().await?;
                self.cached_users(version).await
            }

            async fn snapshot(&self, setting: &str) -> StoreResult<Snapshot> {
                let version = self.fresh_cache().await?;
                Ok(Snapshot {
                    users: self.cached_users(version).await?,
                    rules: self.cached_rules(version).await?,
                    setting: self.cached_setting(version, setting).await?,
                })
            }

            fn set_cache_check_interval(&self, interval: std::time::Duration) {
                self.cache.set_interval(interval);
            }

            async fn count_users(&self) -> StoreResult<i64> {
                let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
                    .fetch_one(&self.pool)
                    .await?;
                Ok(n)
            }

            async fn setting(&self, key: &str) -> StoreResult<Option<String>> {
                let version = self.fresh_cache().await?;
                self.cached_setting(version, key).await
            }

            async fn set_setting(&self, key: &str, value: &str) -> StoreResult<()> {
                let statement = sqlx::query(
                    "INSERT INTO settings (key, value) VALUES ($1, $2) \
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                )
                .bind(key)
                .bind(value);
                self.run(statement).await?;
                self.cache.invalidate();
                Ok(())
            }

            async fn setting_or_init(&self, key: &str, candidate: &str) -> StoreResult<String> {
                let statement = sqlx::query(
                    "INSERT INTO settings (key, value) VALUES ($1, $2) \
                     ON CONFLICT (key) DO NOTHING",
                )
                .bind(key)
                .bind(candidate);
                if self.run(statement).await? > 0 {
                    self.cache.invalidate();
                }
                self.setting(key).await?.ok_or(StoreError::NotFound)
            }

            async fn create_case(&self, new: &NewCase) -> StoreResult<()> {
                self.store_case(new, None, &[]).await
            }

            async fn submit_case(
                &self,
                new: &NewCase,
                audit: AuditRecord,
                notices: &[NewNotification],
            ) -> StoreResult<()> {
                self.store_case(new, Some(audit), notices).await
            }

            fn set_group_commit(&self, enabled: bool) {
                self.writer
                    .disabled
                    .store(!enabled, std::sync::atomic::Ordering::Relaxed);
            }

            async fn existing_attachments(&self, ids: &[Uuid]) -> StoreResult<Vec<Uuid>> {
                let mut found = Vec::new();
                for chunk in ids.chunks(500) {
                    let mut query =
                        sqlx::QueryBuilder::<$db>::new("SELECT id FROM attachments WHERE id IN (");
                    let mut list = query.separated(", ");
                    for id in chunk {
                        list.push_bind(id.to_string());
                    }
                    query.push(")");
                    let rows: Vec<(String,)> =
                        query.build_query_as().fetch_all(&self.pool).await?;
                    for (id,) in rows {
                        found.push(parse_uuid(&id)?);
                    }
                }
                Ok(found)
            }

            async fn case_by_tag(&self, tag: &[u8; 32]) -> StoreResult<Option<Case>> {
                let query = sqlx::query_as::<_, CaseRow>(concat!(
                    "SELECT ",
                    case_columns!(),
                    " FROM cases c WHERE c.lookup_tag = $1"
                ))
                .bind(&tag[..]);
                self.fetch_converted(query).await
            }

            async fn case_by_id(&self, id: Uuid) -> StoreResult<Option<Case>> {
                let query = sqlx::query_as::<_, CaseRow>(concat!(
                    "SELECT ",
                    case_columns!(),
                    " FROM cases c WHERE c.id = $1"
                ))
                .bind(id.to_string());
                self.fetch_converted(query).await
            }

            async fn key_wrap(
                &self,
                case_id: Uuid,
                holder: &Holder,
            ) -> StoreResult<Option<Vec<u8>>> {
                let row: Option<(Vec<u8>,)> = sqlx::query_as(
                    "SELECT wrapped FROM case_key_wraps WHERE case_id = $1 AND holder = $2",
                )
                .bind(case_id.to_string())
                .bind(holder.as_db())
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(|(w,)| w))
            }

            async fn key_holders(&self, case_id: Uuid) -> StoreResult<Vec<Holder>> {
                let rows: Vec<(String,)> = sqlx::query_as(concat!(
                    "SELECT holder FROM case_key_wraps WHERE case_id = $1 ORDER BY holder",
                    $text_order
                ))
                .bind(case_id.to_string())
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.iter().filter_map(|(h,)| parse_holder(h)).collect())
            }

            async fn sealed_exclusions(&self, case_id: Uuid) -> StoreResult<Option<Vec<u8>>> {
                let row: Option<(Vec<u8>,)> = sqlx::query_as(
                    "SELECT sealed FROM case_sealed_exclusions WHERE case_id = $1",
                )
                .bind(case_id.to_string())
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(|(sealed,)| sealed))
            }

            async fn plaintext_exclusions(&self) -> StoreResult<Vec<(Uuid, Uuid)>> {
                let rows: Vec<(String, String)> = sqlx::query_as(concat!(
                    "SELECT case_id, user_id FROM case_exclusions ORDER BY case_id",
                    $text_order
                ))
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|(c, u)| Ok((parse_uuid(c)?, parse_uuid(u)?)))
                    .collect()
            }

            async fn seal_plaintext_exclusions(
                &self,
                case_id: Uuid,
                sealed: &[u8],
            ) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                let id = case_id.to_string();
                let statement = sqlx::query(
                    "INSERT INTO case_sealed_exclusions (case_id, sealed) VALUES ($1, $2) \
                     ON CONFLICT (case_id) DO UPDATE SET sealed = excluded.sealed",
                )
                .bind(&id)
                .bind(sealed);
                Self::run_in(&mut tx, statement).await?;
                let statement =
                    sqlx::query("DELETE FROM case_exclusions WHERE case_id = $1").bind(&id);
                Self::run_in(&mut tx, statement).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn set_status(
                &self,
                case_id: Uuid,
                status: CaseStatus,
                at: i64,
                feedback_given_at: Option<i64>,
            ) -> StoreResult<()> {
                // A feedback time already recorded is kept (see the trait).
                let statement = sqlx::query(
                    "UPDATE cases SET status = $1, updated_at = $2, \
                     feedback_given_at = COALESCE(feedback_given_at, $3) WHERE id = $4",
                )
                .bind(status.key())
                .bind(at)
                .bind(feedback_given_at)
                .bind(case_id.to_string());
                self.run_found(statement).await
            }

            async fn acknowledge(
                &self,
                case_id: Uuid,
                status: CaseStatus,
                at: i64,
                feedback_given_at: Option<i64>,
            ) -> StoreResult<()> {
                // Times already recorded are kept (see the trait).
                let statement = sqlx::query(
                    "UPDATE cases SET acknowledged_at = COALESCE(acknowledged_at, $1), \
                     status = $2, updated_at = $1, \
                     feedback_given_at = COALESCE(feedback_given_at, $3) WHERE id = $4",
                )
                .bind(at)
                .bind(status.key())
                .bind(feedback_given_at)
                .bind(case_id.to_string());
                self.run_found(statement).await
            }

            async fn mark_read(&self, case_id: Uuid, user_id: Uuid) -> StoreResult<()> {
                // The WHERE clause also keeps SQLite's parser from reading the
                // upsert's ON as a join constraint.
                let statement = sqlx::query(
                    "INSERT INTO case_reads (case_id, user_id, seen_seq) \
                     SELECT id, $1, reporter_seq FROM cases WHERE id = $2 \
                     ON CONFLICT (case_id, user_id) DO UPDATE SET seen_seq = excluded.seen_seq",
                )
                .bind(user_id.to_string())
                .bind(case_id.to_string());
                self.run_found(statement).await
            }

            async fn add_thread_entry(
                &self,
                case_id: Uuid,
                author: Author,
                at: i64,
                message: Option<&Message>,
                attachments: &[Attachment],
                max_attachments: usize,
            ) -> StoreResult<Option<i64>> {
                let id = case_id.to_string();
                let raise = i64::from(author == Author::Reporter);
                let mut tx = self.begin_write().await?;
                // Updating the case row first locks it: concurrent entries on
                // one case queue here, so the count and the seq below stay exact.
                let statement = sqlx::query(
                    "UPDATE cases SET reporter_seq = reporter_seq + $1, updated_at = $2 \
                     WHERE id = $3",
                )
                .bind(raise)
                .bind(at)
                .bind(&id);
                Self::run_found_in(&mut tx, statement).await?;
                if !attachments.is_empty() {
                    let (count,): (i64,) =
                        sqlx::query_as("SELECT COUNT(*) FROM attachments WHERE case_id = $1")
                            .bind(&id)
                            .fetch_one(&mut *tx)
                            .await?;
                    if count as usize + attachments.len() > max_attachments {
                        return Err(StoreError::LimitReached);
                    }
                }
                let mut seq = None;
                if let Some(message) = message {
                    let (next,): (i64,) = sqlx::query_as(
                        "SELECT COALESCE(MAX(seq), 0) + 1 FROM messages WHERE case_id = $1",
                    )
                    .bind(&id)
                    .fetch_one(&mut *tx)
                    .await?;
                    let statement = sqlx::query(
                        "INSERT INTO messages (id, case_id, seq, author, author_user_id, \
                         created_at, body, kind) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(message.id.to_string())
                    .bind(&id)
                    .bind(next)
                    .bind(message.author.as_db())
                    .bind(message.author_user_id.map(|u| u.to_string()))
                    .bind(message.created_at)
                    .bind(&message.body)
                    .bind(message.kind.as_db());
                    Self::run_in(&mut tx, statement).await?;
                    Self::retaliation_on_entry(&mut tx, &id, author, message.kind, at).await?;
                    seq = Some(next);
                }
                for a in attachments {
                    Self::insert_attachment(&mut tx, a).await?;
                }
                tx.commit().await?;
                Ok(seq)
            }

            async fn messages(&self, case_id: Uuid) -> StoreResult<Vec<Message>> {
                let query = sqlx::query_as::<_, MessageRow>(concat!(
                    "SELECT ",
                    message_columns!(),
                    " FROM messages WHERE case_id = $1 ORDER BY seq"
                ))
                .bind(case_id.to_string());
                self.fetch_all_converted(query).await
            }

            async fn attachments(&self, case_id: Uuid) -> StoreResult<Vec<Attachment>> {
                let query = sqlx::query_as::<_, AttachmentRow>(concat!(
                    "SELECT ",
                    attachment_columns!(),
                    " FROM attachments WHERE case_id = $1 ORDER BY created_at, id",
                    $text_order
                ))
                .bind(case_id.to_string());
                self.fetch_all_converted(query).await
            }

            async fn attachment(&self, id: Uuid) -> StoreResult<Option<Attachment>> {
                let query = sqlx::query_as::<_, AttachmentRow>(concat!(
                    "SELECT ",
                    attachment_columns!(),
                    " FROM attachments WHERE id = $1"
                ))
                .bind(id.to_string());
                self.fetch_converted(query).await
            }

            async fn append_audit(
                &self,
                at: i64,
                actor: &str,
                action: &str,
                case_id: Option<Uuid>,
                detail: &str,
            ) -> StoreResult<i64> {
                let mut tx = self.begin_audit_append().await?;
                let last: Option<(i64, Vec<u8>)> =
                    sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
                        .fetch_optional(&mut *tx)
                        .await?;
                let entry = AuditEntry::next(last, at, actor, action, case_id, detail);
                Self::insert_audit_entry(&mut tx, &entry).await?;
                tx.commit().await?;
                Ok(entry.seq)
            }

            async fn queue_audit(&self, record: &AuditRecord) -> StoreResult<()> {
                let statement = sqlx::query(
                    "INSERT INTO audit_queue (id, at, actor, action, case_id, detail) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(Uuid::new_v4().to_string())
                .bind(record.at)
                .bind(&record.actor)
                .bind(record.action)
                .bind(record.case_id.map(|c| c.to_string()))
                .bind(&record.detail);
                self.run(statement).await?;
                Ok(())
            }

            async fn append_queued_audit(&self, before: i64) -> StoreResult<usize> {
                // Most passes find nothing: no write lock for them.
                let waiting: Option<(String,)> =
                    sqlx::query_as("SELECT id FROM audit_queue WHERE at < $1 LIMIT 1")
                        .bind(before)
                        .fetch_optional(&self.pool)
                        .await?;
                if waiting.is_none() {
                    return Ok(0);
                }
                let mut tx = self.begin_audit_append().await?;
                let mut queued: Vec<(String, i64, String, String, Option<String>, String)> =
                    sqlx::query_as(
                        "SELECT id, at, actor, action, case_id, detail FROM audit_queue \
                         WHERE at < $1",
                    )
                    .bind(before)
                    .fetch_all(&mut *tx)
                    .await?;
                if queued.is_empty() {
                    tx.rollback().await?;
                    return Ok(0);
                }
                // The order of the day's reporter entries says nothing.
                rand::seq::SliceRandom::shuffle(queued.as_mut_slice(), &mut rand::rngs::OsRng);
                let mut last: Option<(i64, Vec<u8>)> =
                    sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
                        .fetch_optional(&mut *tx)
                        .await?;
                for (id, at, actor, action, case_id, detail) in &queued {
                    let case_id = match case_id {
                        Some(c) => Some(parse_uuid(c)?),
                        None => None,
                    };
                    let entry = AuditEntry::next(last.take(), *at, actor, action, case_id, detail);
                    Self::insert_audit_entry(&mut tx, &entry).await?;
                    last = Some((entry.seq, entry.hash));
                    let statement =
                        sqlx::query("DELETE FROM audit_queue WHERE id = $1").bind(id.clone());
                    Self::run_in(&mut tx, statement).await?;
                }
                tx.commit().await?;
                Ok(queued.len())
            }

            async fn queued_audit(
                &self,
            ) -> StoreResult<Vec<(i64, String, String, Option<String>)>> {
                Ok(sqlx::query_as("SELECT at, actor, action, case_id FROM audit_queue")
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn audit_entries(&self) -> StoreResult<Vec<AuditEntry>> {
                let rows: Vec<AuditRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    audit_columns!(),
                    " FROM audit_log ORDER BY seq"
                ))
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(AuditEntry::from).collect())
            }
        }
    };
}

for_each_backend!(store);
