//! Storage of what the deadline rules need (SPEC §4 "Deadlines") and of the
//! one extension of the feedback deadline: an extension of
//! [`Store`](super::Store) implemented for both backends in this file.
//!
//! The SQL is written once with `?` placeholders; the PostgreSQL
//! implementation numbers them (`$1`, `$2`, …) before use. Which stored
//! decision meets which deadline is not decided here but in
//! [`crate::core::deadlines`]: the store reports the earliest real decision of any
//! authority, of Datatilsynet and of NSM.

use std::borrow::Cow;

use uuid::Uuid;

use super::rows::{db_err, parse_uuid};
use super::{PostgresStore, SqliteStore, StoreError, StoreResult};
use crate::core::domain::{Authority, Decision};

/// Case ids per query of [`DeadlineStore::deadline_facts_of`]: well below
/// the bind-parameter limits of both backends.
const IDS_PER_QUERY: usize = 500;

/// The stored facts of one case that its deadlines depend on. Times are UNIX
/// seconds; nothing here is case content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDeadlineFacts {
    /// The case.
    pub case_id: Uuid,
    /// Category key.
    pub category: String,
    /// Sub-type key, if triage set one.
    pub subtype: Option<String>,
    /// Severity key.
    pub severity: String,
    /// Status key.
    pub status: String,
    /// When the report was received (day granularity).
    pub received_at: i64,
    /// When receipt was first acknowledged.
    pub acknowledged_at: Option<i64>,
    /// When feedback was first given.
    pub feedback_given_at: Option<i64>,
    /// When the feedback deadline was extended.
    pub feedback_extended_at: Option<i64>,
    /// The earliest `decided_at` of an escalate or do-not-escalate decision
    /// about any authority ("defer" decides nothing).
    pub first_decision_at: Option<i64>,
    /// The same, for decisions about Datatilsynet.
    pub datatilsynet_decision_at: Option<i64>,
    /// The same, for decisions about NSM.
    pub nsm_decision_at: Option<i64>,
}

/// The extension of a case's feedback deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFeedbackExtension {
    /// When it was made.
    pub at: i64,
    /// Who made it (`None` if the account is gone).
    pub by: Option<Uuid>,
    /// Why, an age file sealed to the case.
    pub reason: Vec<u8>,
}

/// Queries and updates of the deadline facts.
#[async_trait::async_trait]
pub trait DeadlineStore: Send + Sync {
    /// The deadline facts of one case; `None` if there is no such case.
    async fn deadline_facts(&self, case_id: Uuid) -> StoreResult<Option<StoredDeadlineFacts>>;
    /// The deadline facts of the cases among `case_ids` that exist, in no
    /// particular order; one query per 500 ids.
    async fn deadline_facts_of(&self, case_ids: &[Uuid]) -> StoreResult<Vec<StoredDeadlineFacts>>;
    /// The extension of the case's feedback deadline, if it has one.
    async fn feedback_extension(
        &self,
        case_id: Uuid,
    ) -> StoreResult<Option<StoredFeedbackExtension>>;
    /// Records the extension of the case's feedback deadline, in one
    /// transaction and only while it has none: `NotFound` if there is no
    /// such case, `Conflict` if it was extended already (nothing changes).
    async fn extend_feedback(
        &self,
        case_id: Uuid,
        by: Uuid,
        at: i64,
        reason: &[u8],
    ) -> StoreResult<()>;
}

type FactsRow = (
    String,
    String,
    Option<String>,
    String,
    String,
    i64,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

fn facts_of(r: FactsRow) -> StoreResult<StoredDeadlineFacts> {
    Ok(StoredDeadlineFacts {
        case_id: parse_uuid(&r.0)?,
        category: r.1,
        subtype: r.2,
        severity: r.3,
        status: r.4,
        received_at: r.5,
        acknowledged_at: r.6,
        feedback_given_at: r.7,
        feedback_extended_at: r.8,
        first_decision_at: r.9,
        datatilsynet_decision_at: r.10,
        nsm_decision_at: r.11,
    })
}

/// The earliest real decision of the case row `c`, optionally restricted to
/// one authority. Binds: the two real decisions, then the authority.
fn earliest_decision(one_authority: bool) -> String {
    format!(
        "(SELECT MIN(d.decided_at) FROM escalation_decisions d WHERE d.case_id = c.id \
         AND d.decision IN (?, ?){})",
        if one_authority {
            " AND d.authority = ?"
        } else {
            ""
        }
    )
}

/// `SELECT … FROM cases c WHERE ` with the three decision subqueries; the
/// caller appends the condition. Binds: see [`bind_decisions`].
fn facts_select() -> String {
    format!(
        "SELECT c.id, c.category, c.subtype, c.severity, c.status, c.received_at, \
         c.acknowledged_at, c.feedback_given_at, c.feedback_extended_at, {}, {}, {} \
         FROM cases c WHERE ",
        earliest_decision(false),
        earliest_decision(true),
        earliest_decision(true),
    )
}

/// Binds the parameters of [`facts_select`]'s subqueries, in order.
macro_rules! bind_decisions {
    ($query:expr) => {{
        let real = [Decision::Escalate.key(), Decision::DoNotEscalate.key()];
        $query
            .bind(real[0])
            .bind(real[1])
            .bind(real[0])
            .bind(real[1])
            .bind(Authority::Datatilsynet.key())
            .bind(real[0])
            .bind(real[1])
            .bind(Authority::Nsm.key())
    }};
}

/// SQLite takes the `?` placeholders as written.
fn sqlite_sql(sql: &str) -> Cow<'_, str> {
    Cow::Borrowed(sql)
}

/// PostgreSQL wants numbered placeholders. The SQL of this file has no `?`
/// inside string literals.
fn postgres_sql(sql: &str) -> Cow<'_, str> {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

macro_rules! deadline_store {
    ($store:ty, $sql:path, $begin:ident $(, $mode:literal)?) => {
        #[async_trait::async_trait]
        impl DeadlineStore for $store {
            async fn deadline_facts(
                &self,
                case_id: Uuid,
            ) -> StoreResult<Option<StoredDeadlineFacts>> {
                let sql = $sql(&format!("{}c.id = ?", facts_select())).into_owned();
                let row: Option<FactsRow> = bind_decisions!(sqlx::query_as(&sql))
                    .bind(case_id.to_string())
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(facts_of).transpose()
            }

            async fn deadline_facts_of(
                &self,
                case_ids: &[Uuid],
            ) -> StoreResult<Vec<StoredDeadlineFacts>> {
                let mut out = Vec::with_capacity(case_ids.len());
                for chunk in case_ids.chunks(IDS_PER_QUERY) {
                    let marks = vec!["?"; chunk.len()].join(", ");
                    let sql = $sql(&format!("{}c.id IN ({marks})", facts_select())).into_owned();
                    let mut query = bind_decisions!(sqlx::query_as::<_, FactsRow>(&sql));
                    for id in chunk {
                        query = query.bind(id.to_string());
                    }
                    for row in query.fetch_all(&self.pool).await? {
                        out.push(facts_of(row)?);
                    }
                }
                Ok(out)
            }

            async fn feedback_extension(
                &self,
                case_id: Uuid,
            ) -> StoreResult<Option<StoredFeedbackExtension>> {
                let sql = $sql(
                    "SELECT feedback_extended_at, feedback_extended_by, \
                     feedback_extension_reason FROM cases WHERE id = ?",
                );
                let row: Option<(Option<i64>, Option<String>, Option<Vec<u8>>)> =
                    sqlx::query_as(&sql)
                        .bind(case_id.to_string())
                        .fetch_optional(&self.pool)
                        .await?;
                let Some((Some(at), by, Some(reason))) = row else {
                    return Ok(None);
                };
                Ok(Some(StoredFeedbackExtension {
                    at,
                    by: by.as_deref().map(parse_uuid).transpose()?,
                    reason,
                }))
            }

            async fn extend_feedback(
                &self,
                case_id: Uuid,
                by: Uuid,
                at: i64,
                reason: &[u8],
            ) -> StoreResult<()> {
                let id = case_id.to_string();
                let mut tx = self.pool.$begin($($mode)?).await?;
                let sql = $sql(
                    "UPDATE cases SET feedback_extended_at = ?, feedback_extended_by = ?, \
                     feedback_extension_reason = ?, updated_at = ? \
                     WHERE id = ? AND feedback_extended_at IS NULL",
                );
                let done = sqlx::query(&sql)
                    .bind(at)
                    .bind(by.to_string())
                    .bind(reason)
                    .bind(at)
                    .bind(&id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                if done.rows_affected() == 0 {
                    let sql = $sql("SELECT 1 FROM cases WHERE id = ?");
                    let exists: Option<(i32,)> = sqlx::query_as(&sql)
                        .bind(&id)
                        .fetch_optional(&mut *tx)
                        .await?;
                    return Err(match exists {
                        Some(_) => StoreError::Conflict,
                        None => StoreError::NotFound,
                    });
                }
                tx.commit().await?;
                Ok(())
            }
        }
    };
}

deadline_store!(SqliteStore, sqlite_sql, begin_with, "BEGIN IMMEDIATE");
deadline_store!(PostgresStore, postgres_sql, begin);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_order_for_postgres() {
        let sql = format!("{}c.id IN (?, ?)", facts_select());
        let numbered = postgres_sql(&sql);
        assert_eq!(sql.matches('?').count(), 10);
        assert!(numbered.contains("d.decision IN ($1, $2))"));
        assert!(numbered.contains("d.authority = $5)"));
        assert!(numbered.contains("d.authority = $8)"));
        assert!(numbered.ends_with("c.id IN ($9, $10)"));
        assert!(!numbered.contains('?'));
        assert_eq!(sqlite_sql("a = ?"), "a = ?");
    }
}
