//! Storage of the follow-up of the reporter (SPEC §4, migration 0015): the
//! kind of a thread message, the current retaliation episode of a case, and
//! the protective measures staff record. Written once for both backends.
//!
//! A retaliation episode is two times on the case: `retaliation_reported_at`,
//! set by a retaliation report when no episode is unanswered, and
//! `retaliation_answered_at`, set by the first staff reply or measure after
//! it. Both are changed in the transaction of the entry that causes them,
//! so the order of events decides, never a comparison of times.

use uuid::Uuid;

use super::dialect::{for_each_backend, PostgresStore, SqliteStore};
use super::model::protection::{Measure, MessageKind};
use super::model::{Author, StoreResult};
use super::rows::parse::{convert, optional_uuid, parse_uuid};

/// A `protection_measures` row.
#[derive(sqlx::FromRow)]
struct MeasureRow {
    id: String,
    case_id: String,
    author_user_id: Option<String>,
    created_at: i64,
    visible_to_reporter: bool,
    body: Vec<u8>,
}

impl TryFrom<MeasureRow> for Measure {
    type Error = super::model::StoreError;

    fn try_from(r: MeasureRow) -> Result<Self, Self::Error> {
        Ok(Measure {
            id: parse_uuid(&r.id)?,
            case_id: parse_uuid(&r.case_id)?,
            author_user_id: optional_uuid(r.author_user_id)?,
            created_at: r.created_at,
            visible_to_reporter: r.visible_to_reporter,
            body: r.body,
        })
    }
}

/// Starts a retaliation episode unless one is unanswered; binds the time
/// and the case.
const START_EPISODE: &str = "UPDATE cases SET retaliation_reported_at = $1, \
     retaliation_answered_at = NULL WHERE id = $2 \
     AND (retaliation_reported_at IS NULL OR retaliation_answered_at IS NOT NULL)";

/// Answers the unanswered retaliation episode, if there is one; binds the
/// time and the case.
const ANSWER_EPISODE: &str = "UPDATE cases SET retaliation_answered_at = $1 WHERE id = $2 \
     AND retaliation_reported_at IS NOT NULL AND retaliation_answered_at IS NULL";

/// The protective measures and the retaliation facts.
#[async_trait::async_trait]
pub trait ProtectionStore: Send + Sync {
    /// Records a measure, and answers the case's unanswered retaliation
    /// report with it, in one transaction.
    async fn add_measure(&self, measure: &Measure) -> StoreResult<()>;
    /// A case's measures, oldest first; only those shown to the reporter if
    /// `reporter_only`.
    async fn measures(&self, case_id: Uuid, reporter_only: bool) -> StoreResult<Vec<Measure>>;
    /// Whether the case has a retaliation report no staff member has
    /// answered yet.
    async fn retaliation_unanswered(&self, case_id: Uuid) -> StoreResult<bool>;
}

/// The implementation for one backend (see [`for_each_backend!`]).
macro_rules! protection_store {
    (store: $store:ident, db: $db:ty, text_order: $text_order:literal,) => {
        impl $store {
            /// What a new thread entry does to the retaliation episode, in
            /// the entry's transaction: a retaliation report starts one, a
            /// staff message answers it.
            pub(super) async fn retaliation_on_entry(
                tx: &mut sqlx::Transaction<'static, $db>,
                case_id: &str,
                author: Author,
                kind: MessageKind,
                at: i64,
            ) -> StoreResult<()> {
                let sql = match (author, kind) {
                    (Author::Reporter, MessageKind::Retaliation) => START_EPISODE,
                    (Author::Staff, _) => ANSWER_EPISODE,
                    (Author::Reporter, MessageKind::Message) => return Ok(()),
                };
                Self::run_in(tx, sqlx::query(sql).bind(at).bind(case_id)).await?;
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl ProtectionStore for $store {
            async fn add_measure(&self, m: &Measure) -> StoreResult<()> {
                let id = m.case_id.to_string();
                let mut tx = self.begin_write().await?;
                let statement = sqlx::query("UPDATE cases SET updated_at = $1 WHERE id = $2")
                    .bind(m.created_at)
                    .bind(&id);
                Self::run_found_in(&mut tx, statement).await?;
                let statement = sqlx::query(
                    "INSERT INTO protection_measures (id, case_id, author_user_id, created_at, \
                     visible_to_reporter, body) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(m.id.to_string())
                .bind(&id)
                .bind(m.author_user_id.map(|u| u.to_string()))
                .bind(m.created_at)
                .bind(m.visible_to_reporter)
                .bind(&m.body);
                Self::run_in(&mut tx, statement).await?;
                Self::run_in(
                    &mut tx,
                    sqlx::query(ANSWER_EPISODE).bind(m.created_at).bind(&id),
                )
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn measures(
                &self,
                case_id: Uuid,
                reporter_only: bool,
            ) -> StoreResult<Vec<Measure>> {
                // `visible_to_reporter = TRUE OR NOT $2`: every measure
                // unless only the reporter's are asked for.
                let rows: Vec<MeasureRow> = sqlx::query_as(concat!(
                    "SELECT id, case_id, author_user_id, created_at, visible_to_reporter, body \
                     FROM protection_measures WHERE case_id = $1 \
                     AND (visible_to_reporter OR NOT $2) ORDER BY created_at, id",
                    $text_order
                ))
                .bind(case_id.to_string())
                .bind(reporter_only)
                .fetch_all(&self.pool)
                .await?;
                convert(rows)
            }

            async fn retaliation_unanswered(&self, case_id: Uuid) -> StoreResult<bool> {
                let row: Option<(Option<i64>, Option<i64>)> = sqlx::query_as(
                    "SELECT retaliation_reported_at, retaliation_answered_at \
                     FROM cases WHERE id = $1",
                )
                .bind(case_id.to_string())
                .fetch_optional(&self.pool)
                .await?;
                Ok(matches!(row, Some((Some(_), None))))
            }
        }
    };
}

for_each_backend!(protection_store);
