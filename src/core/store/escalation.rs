//! Storage of escalation decisions and case closing: an extension of
//! [`Store`](super::Store), written once for both backends.

use uuid::Uuid;

use super::dialect::for_each_backend;
use super::rows::{db_err, parse_uuid};
use super::{PostgresStore, SqliteStore, StoreError, StoreResult};

/// One recorded escalation decision; the rationale is sealed to the case.
#[derive(Debug, Clone)]
pub struct EscalationRecord {
    /// Id.
    pub id: Uuid,
    /// The case.
    pub case_id: Uuid,
    /// Authority key.
    pub authority: String,
    /// Decision key.
    pub decision: String,
    /// Legal basis key.
    pub legal_basis: String,
    /// The rationale, an age file sealed to the case.
    pub rationale: Vec<u8>,
    /// When the organisation became aware (UNIX seconds).
    pub aware_at: i64,
    /// When it decided.
    pub decided_at: i64,
    /// When it notified the authority, if it did.
    pub notified_at: Option<i64>,
    /// The contact point who decided.
    pub decided_by: Uuid,
    /// The authority's reference (plaintext, short).
    pub authority_reference: Option<String>,
    /// The second contact point who confirmed, if any.
    pub confirmed_by: Option<Uuid>,
    /// When they confirmed.
    pub confirmed_at: Option<i64>,
    /// When the decision was recorded.
    pub recorded_at: i64,
}

/// A line of the escalation register: a decision without its rationale, with
/// the names of the contact points.
#[derive(Debug, Clone)]
pub struct RegisterEntry {
    /// The decision (its `rationale` is empty: the register never loads it).
    pub record: EscalationRecord,
    /// Display name of the decider.
    pub decided_by_name: String,
    /// Display name of the confirmer.
    pub confirmed_by_name: Option<String>,
}

/// A closing of a case, possibly reopened since.
#[derive(Debug, Clone)]
pub struct Closure {
    /// Id.
    pub id: Uuid,
    /// The case.
    pub case_id: Uuid,
    /// When it was closed.
    pub closed_at: i64,
    /// Who closed it.
    pub closed_by: Uuid,
    /// Outcome key.
    pub outcome: String,
    /// The written evaluation, sealed to the case.
    pub evaluation: Vec<u8>,
    /// When it was reopened, if it was.
    pub reopened_at: Option<i64>,
    /// Who reopened it.
    pub reopened_by: Option<Uuid>,
    /// Why, sealed to the case.
    pub reopen_reason: Option<Vec<u8>>,
}

/// Queries and updates of the escalation register and case closing.
#[async_trait::async_trait]
pub trait EscalationStore: Send + Sync {
    /// Stores a decision.
    async fn insert_decision(&self, record: &EscalationRecord) -> StoreResult<()>;
    /// The decisions on a case, in the order they were decided.
    async fn decisions(&self, case_id: Uuid) -> StoreResult<Vec<EscalationRecord>>;
    /// Records `by`'s confirmation of decision `id` of `case_id`; `NotFound`
    /// unless it exists, is unconfirmed and was decided by someone else.
    async fn confirm_decision(&self, case_id: Uuid, id: Uuid, by: Uuid, at: i64)
        -> StoreResult<()>;
    /// Every decision, newest decision first, without rationales.
    async fn escalation_register(&self) -> StoreResult<Vec<RegisterEntry>>;
    /// Stores a closure and sets the case's status to `status`, in one transaction.
    async fn close_case(&self, closure: &Closure, status: &str) -> StoreResult<()>;
    /// Marks the case's open closure reopened and sets `status`, in one
    /// transaction; `NotFound` if the case has no open closure.
    async fn reopen_case(
        &self,
        case_id: Uuid,
        by: Uuid,
        at: i64,
        reason: &[u8],
        status: &str,
    ) -> StoreResult<()>;
    /// The case's closures, oldest first.
    async fn closures(&self, case_id: Uuid) -> StoreResult<Vec<Closure>>;
}

type DecisionRow = (
    String,
    String,
    String,
    String,
    String,
    Vec<u8>,
    i64,
    i64,
    Option<i64>,
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
    i64,
);

/// The `escalation_decisions` columns (qualified with `d.`), in
/// [`DecisionRow`] order (a literal, for `concat!`).
macro_rules! decision_columns {
    () => {
        "d.id, d.case_id, d.authority, d.decision, d.legal_basis, d.rationale, d.aware_at, \
         d.decided_at, d.notified_at, d.decided_by, d.authority_reference, d.confirmed_by, \
         d.confirmed_at, d.recorded_at"
    };
}

fn optional_uuid(s: Option<String>) -> StoreResult<Option<Uuid>> {
    s.as_deref().map(parse_uuid).transpose()
}

fn decision_of(r: DecisionRow) -> StoreResult<EscalationRecord> {
    Ok(EscalationRecord {
        id: parse_uuid(&r.0)?,
        case_id: parse_uuid(&r.1)?,
        authority: r.2,
        decision: r.3,
        legal_basis: r.4,
        rationale: r.5,
        aware_at: r.6,
        decided_at: r.7,
        notified_at: r.8,
        decided_by: parse_uuid(&r.9)?,
        authority_reference: r.10,
        confirmed_by: optional_uuid(r.11)?,
        confirmed_at: r.12,
        recorded_at: r.13,
    })
}

type ClosureRow = (
    String,
    String,
    i64,
    String,
    String,
    Vec<u8>,
    Option<i64>,
    Option<String>,
    Option<Vec<u8>>,
);

fn closure_of(r: ClosureRow) -> StoreResult<Closure> {
    Ok(Closure {
        id: parse_uuid(&r.0)?,
        case_id: parse_uuid(&r.1)?,
        closed_at: r.2,
        closed_by: parse_uuid(&r.3)?,
        outcome: r.4,
        evaluation: r.5,
        reopened_at: r.6,
        reopened_by: optional_uuid(r.7)?,
        reopen_reason: r.8,
    })
}

/// The implementation for one backend (see [`for_each_backend!`]).
macro_rules! escalation_store {
    (store: $store:ident, db: $db:ty, text_order: $text_order:literal,) => {
        #[async_trait::async_trait]
        impl EscalationStore for $store {
            async fn insert_decision(&self, r: &EscalationRecord) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO escalation_decisions (id, case_id, authority, decision, \
                     legal_basis, rationale, aware_at, decided_at, notified_at, decided_by, \
                     authority_reference, confirmed_by, confirmed_at, recorded_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                )
                .bind(r.id.to_string())
                .bind(r.case_id.to_string())
                .bind(&r.authority)
                .bind(&r.decision)
                .bind(&r.legal_basis)
                .bind(&r.rationale)
                .bind(r.aware_at)
                .bind(r.decided_at)
                .bind(r.notified_at)
                .bind(r.decided_by.to_string())
                .bind(&r.authority_reference)
                .bind(r.confirmed_by.map(|u| u.to_string()))
                .bind(r.confirmed_at)
                .bind(r.recorded_at)
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(())
            }

            async fn decisions(&self, case_id: Uuid) -> StoreResult<Vec<EscalationRecord>> {
                let rows: Vec<DecisionRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    decision_columns!(),
                    " FROM escalation_decisions d WHERE d.case_id = $1 \
                     ORDER BY d.decided_at, d.recorded_at, d.id"
                ))
                .bind(case_id.to_string())
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(decision_of).collect()
            }

            async fn confirm_decision(
                &self,
                case_id: Uuid,
                id: Uuid,
                by: Uuid,
                at: i64,
            ) -> StoreResult<()> {
                let done = sqlx::query(
                    "UPDATE escalation_decisions SET confirmed_by = $1, confirmed_at = $2 \
                     WHERE id = $3 AND case_id = $4 AND confirmed_by IS NULL \
                     AND decided_by <> $1",
                )
                .bind(by.to_string())
                .bind(at)
                .bind(id.to_string())
                .bind(case_id.to_string())
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                Ok(())
            }

            async fn escalation_register(&self) -> StoreResult<Vec<RegisterEntry>> {
                // The register never loads the rationale, not even encrypted.
                type Row = (
                    String, String, String, String, String, i64, i64, Option<i64>, String,
                    Option<String>, Option<String>, Option<i64>, i64, String, Option<String>,
                );
                let rows: Vec<Row> = sqlx::query_as(
                    "SELECT d.id, d.case_id, d.authority, d.decision, d.legal_basis, \
                     d.aware_at, d.decided_at, d.notified_at, d.decided_by, \
                     d.authority_reference, d.confirmed_by, d.confirmed_at, d.recorded_at, \
                     u.display_name, c.display_name \
                     FROM escalation_decisions d \
                     JOIN users u ON u.id = d.decided_by \
                     LEFT JOIN users c ON c.id = d.confirmed_by \
                     ORDER BY d.decided_at DESC, d.recorded_at DESC, d.id",
                )
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|r| {
                        let record = decision_of((
                            r.0, r.1, r.2, r.3, r.4, Vec::new(), r.5, r.6, r.7, r.8, r.9, r.10,
                            r.11, r.12,
                        ))?;
                        Ok(RegisterEntry {
                            record,
                            decided_by_name: r.13,
                            confirmed_by_name: r.14,
                        })
                    })
                    .collect()
            }

            async fn close_case(&self, c: &Closure, status: &str) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "INSERT INTO case_closures (id, case_id, closed_at, closed_by, outcome, \
                     evaluation, reopened_at, reopened_by, reopen_reason) \
                     VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL, NULL)",
                )
                .bind(c.id.to_string())
                .bind(c.case_id.to_string())
                .bind(c.closed_at)
                .bind(c.closed_by.to_string())
                .bind(&c.outcome)
                .bind(&c.evaluation)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                let done = sqlx::query(
                    "UPDATE cases SET status = $1, updated_at = $2 WHERE id = $3",
                )
                .bind(status)
                .bind(c.closed_at)
                .bind(c.case_id.to_string())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                tx.commit().await?;
                Ok(())
            }

            async fn reopen_case(
                &self,
                case_id: Uuid,
                by: Uuid,
                at: i64,
                reason: &[u8],
                status: &str,
            ) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                let done = sqlx::query(
                    "UPDATE case_closures SET reopened_at = $1, reopened_by = $2, \
                     reopen_reason = $3 WHERE case_id = $4 AND reopened_at IS NULL",
                )
                .bind(at)
                .bind(by.to_string())
                .bind(reason)
                .bind(case_id.to_string())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                sqlx::query("UPDATE cases SET status = $1, updated_at = $2 WHERE id = $3")
                    .bind(status)
                    .bind(at)
                    .bind(case_id.to_string())
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                tx.commit().await?;
                Ok(())
            }

            async fn closures(&self, case_id: Uuid) -> StoreResult<Vec<Closure>> {
                let rows: Vec<ClosureRow> = sqlx::query_as(
                    "SELECT id, case_id, closed_at, closed_by, outcome, evaluation, \
                     reopened_at, reopened_by, reopen_reason FROM case_closures \
                     WHERE case_id = $1 ORDER BY closed_at, id",
                )
                .bind(case_id.to_string())
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(closure_of).collect()
            }
        }
    };
}

for_each_backend!(escalation_store);
