//! Group commit of new cases. One writer task per store drains a channel of
//! cases waiting to be stored, writes every case that is waiting in one
//! transaction (a savepoint per case, so one failure, such as a lookup-tag
//! collision, fails that case alone), appends their audit entries to the
//! chain in order, commits once, and only then answers each waiter. A
//! submission is acknowledged only after the commit that holds it, so
//! durability is that of a single commit (SQLite `synchronous = FULL` in WAL
//! mode, PostgreSQL `synchronous_commit` as the server has it, `on` by
//! default); the fsync is shared by the whole batch.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::writer::{next_batch, shared_failure, Cased, Pending, ROWS_PER_INSERT};

use super::dialect::{for_each_backend, PostgresStore, SqliteStore};
use super::model::notifications::NewNotification;
use super::model::{Attachment, AuditRecord, KeyWrap, NewCase, StoreError, StoreResult};
use crate::core::audit::AuditEntry;
use crate::core::domain::DeadlineKind;

/// The writer for one backend (see [`for_each_backend!`]).
macro_rules! batch_writer {
    (store: $store:ident, db: $db:ty, text_order: $text_order:literal,) => {
        impl $store {
            /// Stores a case (and appends its audit entry) through the
            /// writer, returning once the commit holding it is done.
            pub(super) async fn store_case(
                &self,
                new: &NewCase,
                audit: Option<AuditRecord>,
                notices: &[NewNotification],
            ) -> StoreResult<()> {
                if self
                    .writer
                    .disabled
                    .load(std::sync::atomic::Ordering::Relaxed)
                {
                    let mut one = vec![(new, audit.as_ref(), notices)];
                    let mut results = self.write_cases(&mut one).await?;
                    return results.pop().unwrap_or(Err(StoreError::NotFound));
                }
                let (reply, answer) = oneshot::channel();
                let pending = Pending {
                    new: new.clone(),
                    audit,
                    notices: notices.to_vec(),
                    reply,
                };
                // The task's store has a writer handle of its own, so the
                // channel closes (and the task ends) when this store is dropped.
                let store = Self {
                    pool: self.pool.clone(),
                    cache: self.cache.clone(),
                    writer: Arc::default(),
                };
                let sender = self.writer.sender(move |receiver| {
                    tokio::spawn(store.run_writer(receiver));
                });
                if sender.send(pending).await.is_err() {
                    return Err(StoreError::Database(sqlx::Error::WorkerCrashed));
                }
                answer
                    .await
                    .unwrap_or(Err(StoreError::Database(sqlx::Error::WorkerCrashed)))
            }

            /// The writer task: batch after batch until every sender is gone.
            async fn run_writer(self, mut receiver: mpsc::Receiver<Pending>) {
                while let Some(batch) = next_batch(&mut receiver).await {
                    let mut cases: Vec<Cased<'_>> = batch
                        .iter()
                        .map(|p| (&p.new, p.audit.as_ref(), p.notices.as_slice()))
                        .collect();
                    let results = match self.write_cases(&mut cases).await {
                        Ok(results) => results,
                        Err(e) => {
                            tracing::error!(error = %e, cases = batch.len(), "cannot store cases");
                            batch.iter().map(|_| Err(shared_failure(&e))).collect()
                        }
                    };
                    for (pending, result) in batch.into_iter().zip(results) {
                        let _ = pending.reply.send(result);
                    }
                }
            }

            /// Writes `cases` in one transaction, a savepoint around each
            /// when there are several, then their audit entries; commits once.
            /// The outer error fails every case; an inner one fails its case.
            async fn write_cases(
                &self,
                cases: &mut [Cased<'_>],
            ) -> StoreResult<Vec<StoreResult<()>>> {
                if cases.len() > 1 {
                    // Fast path: every row of the batch in a few multi-row
                    // statements. If any row is refused, start over with a
                    // savepoint per case to find which.
                    let mut tx = self.begin_write().await?;
                    match Self::insert_together(&mut tx, cases).await {
                        Ok(()) => {
                            let results: Vec<StoreResult<()>> = cases.iter().map(|_| Ok(())).collect();
                            Self::append_audits(&mut tx, cases, &results).await?;
                            tx.commit().await?;
                            return Ok(results);
                        }
                        Err(StoreError::Unavailable(e)) => return Err(StoreError::Unavailable(e)),
                        Err(_) => tx.rollback().await?,
                    }
                }
                let mut tx = self.begin_write().await?;
                let several = cases.len() > 1;
                let mut results = Vec::with_capacity(cases.len());
                for case in cases.iter() {
                    if several {
                        sqlx::query("SAVEPOINT one_case").execute(&mut *tx).await?;
                    }
                    let result = Self::insert_together(&mut tx, std::slice::from_ref(case)).await;
                    if several {
                        if result.is_err() {
                            sqlx::query("ROLLBACK TO SAVEPOINT one_case")
                                .execute(&mut *tx)
                                .await?;
                        }
                        sqlx::query("RELEASE SAVEPOINT one_case")
                            .execute(&mut *tx)
                            .await?;
                    }
                    match result {
                        // A lost connection fails the whole batch.
                        Err(StoreError::Unavailable(e)) => return Err(StoreError::Unavailable(e)),
                        // A lone case's failure rolls its transaction back.
                        Err(e) if !several => return Ok(vec![Err(e)]),
                        result => results.push(result),
                    }
                }
                Self::append_audits(&mut tx, cases, &results).await?;
                tx.commit().await?;
                Ok(results)
            }

            /// Appends the audit entries of the cases stored (`results`), in
            /// order, to the chain; a reporter's are queued instead.
            async fn append_audits(
                tx: &mut sqlx::Transaction<'static, $db>,
                cases: &[Cased<'_>],
                results: &[StoreResult<()>],
            ) -> StoreResult<()> {
                let (queued, audits): (Vec<&AuditRecord>, Vec<&AuditRecord>) = cases
                    .iter()
                    .zip(results)
                    .filter(|(_, r)| r.is_ok())
                    .filter_map(|((_, audit, _), _)| *audit)
                    .partition(|r| r.actor == crate::core::audit::AuditActor::Reporter.as_db());
                // A reporter's entries wait in the queue for the day's batch
                // (`Store::append_queued_audit`), in this same transaction.
                for chunk in queued.chunks(ROWS_PER_INSERT) {
                    let mut insert = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO audit_queue (id, at, actor, action, case_id, detail) ",
                    );
                    insert.push_values(chunk, |mut row, r| {
                        row.push_bind(Uuid::new_v4().to_string())
                            .push_bind(r.at)
                            .push_bind(r.actor.clone())
                            .push_bind(r.action)
                            .push_bind(r.case_id.map(|c| c.to_string()))
                            .push_bind(r.detail.clone());
                    });
                    Self::run_in(tx, insert.build()).await?;
                }
                if audits.is_empty() {
                    return Ok(());
                }
                Self::lock_audit_chain(tx).await?;
                let mut last: Option<(i64, Vec<u8>)> =
                    sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
                        .fetch_optional(&mut **tx)
                        .await?;
                let mut entries = Vec::with_capacity(audits.len());
                for r in audits {
                    let entry =
                        AuditEntry::next(last.take(), r.at, &r.actor, r.action, r.case_id, &r.detail);
                    last = Some((entry.seq, entry.hash.clone()));
                    entries.push(entry);
                }
                for chunk in entries.chunks(ROWS_PER_INSERT) {
                    let mut insert = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO audit_log (seq, at, actor, action, case_id, detail, \
                         prev_hash, hash) ",
                    );
                    insert.push_values(chunk, |mut row, e| {
                        row.push_bind(e.seq)
                            .push_bind(e.at)
                            .push_bind(e.actor.clone())
                            .push_bind(e.action.clone())
                            .push_bind(e.case_id.clone())
                            .push_bind(e.detail.clone())
                            .push_bind(e.prev_hash.clone())
                            .push_bind(e.hash.clone());
                    });
                    Self::run_in(tx, insert.build()).await?;
                }
                Ok(())
            }

            /// Inserts every case of the batch with a few multi-row
            /// statements per table; any refusal fails the lot.
            async fn insert_together(
                tx: &mut sqlx::Transaction<'static, $db>,
                cases: &[Cased<'_>],
            ) -> StoreResult<()> {
                let news: Vec<&NewCase> = cases.iter().map(|(new, _, _)| *new).collect();
                for chunk in news.chunks(ROWS_PER_INSERT) {
                    let mut insert = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO cases (id, lookup_tag, recipient, category, severity, \
                         suggested_severity, status, received_at, acknowledged_at, updated_at, \
                         reporter_seq, report, subtype, next_deadline_at, next_deadline_kind, \
                         deadline_rules) ",
                    );
                    insert.push_values(chunk, |mut row, new| {
                        let case = &new.case;
                        row.push_bind(case.id.to_string())
                            .push_bind(new.lookup_tag.to_vec())
                            .push_bind(case.recipient.clone())
                            .push_bind(case.category.key())
                            .push_bind(case.severity.key())
                            .push_bind(case.suggested_severity.key())
                            .push_bind(case.status.key())
                            .push_bind(case.received_at)
                            .push_bind(case.acknowledged_at)
                            .push_bind(case.updated_at)
                            .push_bind(case.reporter_seq)
                            .push_bind(case.report.clone())
                            .push_bind(new.subtype.as_ref().map(|s| s.as_str().to_owned()))
                            .push_bind(new.next_deadline.map(|(at, _)| at))
                            .push_bind(new.next_deadline.map(|(_, kind)| kind.key()))
                            .push_bind(new.deadline_rules.clone());
                    });
                    Self::run_in(tx, insert.build()).await?;
                }
                let wraps: Vec<(String, &KeyWrap)> = news
                    .iter()
                    .flat_map(|n| n.wraps.iter().map(|w| (n.case.id.to_string(), w)))
                    .collect();
                for chunk in wraps.chunks(ROWS_PER_INSERT) {
                    let mut insert = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO case_key_wraps (case_id, holder, user_id, wrapped) ",
                    );
                    insert.push_values(chunk, |mut row, (id, wrap)| {
                        row.push_bind(id.clone())
                            .push_bind(wrap.holder.as_db())
                            .push_bind(wrap.holder.user_id().map(|u| u.to_string()))
                            .push_bind(wrap.wrapped.clone());
                    });
                    Self::run_in(tx, insert.build()).await?;
                }
                // Routing read the accounts from the cache: a wrap for one
                // deactivated since then goes (the deactivation removed its
                // wraps already, and a reactivation must not find one).
                let routed: Vec<String> = news
                    .iter()
                    .flat_map(|n| n.wraps.iter().filter_map(|w| w.holder.user_id()))
                    .map(|u| u.to_string())
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect();
                for chunk in routed.chunks(ROWS_PER_INSERT) {
                    let mut delete = sqlx::QueryBuilder::<$db>::new(
                        "DELETE FROM case_key_wraps WHERE user_id IN \
                         (SELECT id FROM users WHERE active = FALSE AND id IN (",
                    );
                    let mut ids = delete.separated(", ");
                    for user in chunk {
                        ids.push_bind(user.clone());
                    }
                    delete.push("))");
                    Self::run_in(tx, delete.build()).await?;
                }
                let sealed: Vec<(String, &Vec<u8>)> = news
                    .iter()
                    .filter_map(|n| Some((n.case.id.to_string(), n.sealed_exclusions.as_ref()?)))
                    .collect();
                for chunk in sealed.chunks(ROWS_PER_INSERT) {
                    let mut insert = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO case_sealed_exclusions (case_id, sealed) ",
                    );
                    insert.push_values(chunk, |mut row, (case, sealed)| {
                        row.push_bind(case.clone()).push_bind((*sealed).clone());
                    });
                    Self::run_in(tx, insert.build()).await?;
                }
                let tokens: Vec<([u8; 32], i64)> = news
                    .iter()
                    .filter_map(|n| n.submission.map(|tag| (tag, n.case.received_at)))
                    .collect();
                for chunk in tokens.chunks(ROWS_PER_INSERT) {
                    let mut insert = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO submission_tokens (token_tag, day) ",
                    );
                    insert.push_values(chunk, |mut row, (tag, day)| {
                        row.push_bind(tag.to_vec()).push_bind(*day);
                    });
                    Self::run_in(tx, insert.build()).await?;
                }
                let attachments: Vec<&Attachment> =
                    news.iter().flat_map(|n| n.attachments.iter()).collect();
                for chunk in attachments.chunks(ROWS_PER_INSERT) {
                    let mut insert = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO attachments (id, case_id, author, name, size, created_at) ",
                    );
                    insert.push_values(chunk, |mut row, a| {
                        row.push_bind(a.id.to_string())
                            .push_bind(a.case_id.to_string())
                            .push_bind(a.author.as_db())
                            .push_bind(a.name.clone())
                            .push_bind(a.size)
                            .push_bind(a.created_at);
                    });
                    Self::run_in(tx, insert.build()).await?;
                }
                let notices: Vec<NewNotification> = cases
                    .iter()
                    .flat_map(|(_, _, n)| n.iter().cloned())
                    .collect();
                for chunk in notices.chunks(ROWS_PER_INSERT) {
                    Self::insert_notices(tx, chunk).await?;
                }
                Ok(())
            }

            /// Queues notifications (one multi-row insert).
            async fn insert_notices(
                tx: &mut sqlx::Transaction<'static, $db>,
                notices: &[NewNotification],
            ) -> StoreResult<()> {
                let mut insert = sqlx::QueryBuilder::<$db>::new(
                    "INSERT INTO notifications (id, user_id, kind, case_id, deadline, \
                     due_at, created_at, attempts, next_attempt_at) ",
                );
                insert.push_values(notices, |mut row, n| {
                    row.push_bind(n.id.to_string())
                        .push_bind(n.user_id.to_string())
                        .push_bind(n.kind.key())
                        .push_bind(n.case_id.map(|c| c.to_string()))
                        .push_bind(n.deadline.map(DeadlineKind::key))
                        .push_bind(n.due_at)
                        .push_bind(n.created_at)
                        .push_bind(0_i64)
                        .push_bind(n.next_attempt_at);
                });
                insert.push(" ON CONFLICT DO NOTHING");
                Self::run_in(tx, insert.build()).await?;
                Ok(())
            }
        }
    };
}

for_each_backend!(batch_writer);
