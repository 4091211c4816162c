//! Storage of reporter identities and of handlers' requests to see them: an
//! extension of [`Store`](super::Store), written once for both backends.
//! Identities, reasons and released copies arrive as age files and are kept
//! as bytes; the store never sees who the reporter is.

use uuid::Uuid;

use super::dialect::{for_each_backend, PostgresStore, SqliteStore};
use super::model::{StoreError, StoreResult};
use super::rows::parse::{optional_uuid, parse_key, parse_uuid};

/// A reporter's identity as stored: sealed to the custodians.
#[derive(Debug, Clone)]
pub struct StoredIdentity {
    /// The case.
    pub case_id: Uuid,
    /// The age file sealed to the custodians' keys.
    pub sealed: Vec<u8>,
    /// The day it was given (UNIX seconds at midnight UTC).
    pub added_at: i64,
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestState {
    /// Waiting for a custodian.
    Pending,
    /// Approved: released to the requester, readable from `readable_from`.
    Approved,
    /// Denied.
    Denied,
}

impl RequestState {
    /// The stored key.
    pub fn key(self) -> &'static str {
        match self {
            RequestState::Pending => "pending",
            RequestState::Approved => "approved",
            RequestState::Denied => "denied",
        }
    }

    /// Parses a stored key.
    pub fn parse(s: &str) -> Option<Self> {
        [
            RequestState::Pending,
            RequestState::Approved,
            RequestState::Denied,
        ]
        .into_iter()
        .find(|r| r.key() == s)
    }
}

/// A handler's request to see the reporter's identity.
#[derive(Debug, Clone)]
pub struct IdentityRequest {
    /// Its id.
    pub id: Uuid,
    /// The case.
    pub case_id: Uuid,
    /// The handler who asked.
    pub requested_by: Uuid,
    /// Why, sealed to the custodians and the handler.
    pub reason: Vec<u8>,
    /// When it was filed.
    pub requested_at: i64,
    /// Where it stands.
    pub state: RequestState,
    /// The custodian who decided.
    pub decided_by: Option<Uuid>,
    /// When.
    pub decided_at: Option<i64>,
    /// The custodian's reason, sealed to the handler and the custodians.
    pub decision_reason: Option<Vec<u8>>,
    /// The identity sealed to the handler alone (approved requests).
    pub released: Option<Vec<u8>>,
    /// From when the handler may read it (approved requests).
    pub readable_from: Option<i64>,
}

/// A custodian's decision on a pending request.
pub struct IdentityDecision<'a> {
    /// The request.
    pub id: Uuid,
    /// `Approved` or `Denied`.
    pub state: RequestState,
    /// The custodian.
    pub decided_by: Uuid,
    /// When.
    pub decided_at: i64,
    /// Why, sealed.
    pub reason: &'a [u8],
    /// The identity sealed to the handler alone, on approval.
    pub released: Option<&'a [u8]>,
    /// From when it may be read, on approval.
    pub readable_from: Option<i64>,
}

/// An `identity_requests` row.
#[derive(sqlx::FromRow)]
struct RequestRow {
    id: String,
    case_id: String,
    requested_by: String,
    reason: Vec<u8>,
    requested_at: i64,
    state: String,
    decided_by: Option<String>,
    decided_at: Option<i64>,
    decision_reason: Option<Vec<u8>>,
    released: Option<Vec<u8>>,
    readable_from: Option<i64>,
}

impl TryFrom<RequestRow> for IdentityRequest {
    type Error = StoreError;

    fn try_from(r: RequestRow) -> StoreResult<Self> {
        Ok(IdentityRequest {
            id: parse_uuid(&r.id)?,
            case_id: parse_uuid(&r.case_id)?,
            requested_by: parse_uuid(&r.requested_by)?,
            reason: r.reason,
            requested_at: r.requested_at,
            state: parse_key("state", &r.state, RequestState::parse)?,
            decided_by: optional_uuid(r.decided_by)?,
            decided_at: r.decided_at,
            decision_reason: r.decision_reason,
            released: r.released,
            readable_from: r.readable_from,
        })
    }
}

/// An `reporter_identities` row.
#[derive(sqlx::FromRow)]
struct IdentityRow {
    case_id: String,
    sealed: Vec<u8>,
    added_at: i64,
}

impl TryFrom<IdentityRow> for StoredIdentity {
    type Error = StoreError;

    fn try_from(r: IdentityRow) -> StoreResult<Self> {
        Ok(StoredIdentity {
            case_id: parse_uuid(&r.case_id)?,
            sealed: r.sealed,
            added_at: r.added_at,
        })
    }
}

/// The columns of a [`RequestRow`] (a literal, for `concat!`).
macro_rules! request_columns {
    () => {
        "id, case_id, requested_by, reason, requested_at, state, decided_by, decided_at, \
         decision_reason, released, readable_from"
    };
}

/// Reporter identities and the requests to see them.
#[async_trait::async_trait]
pub trait IdentityStore: Send + Sync {
    /// Stores the case's identity, replacing one given before; `NotFound`
    /// if there is no such case.
    async fn put_identity(&self, case_id: Uuid, sealed: &[u8], added_at: i64) -> StoreResult<()>;
    /// The case's identity, if the reporter gave one.
    async fn identity_of(&self, case_id: Uuid) -> StoreResult<Option<StoredIdentity>>;
    /// The cases that hold a reporter's identity (sealed to the custodians).
    async fn cases_with_identity(&self) -> StoreResult<Vec<Uuid>>;
    /// Stores a new pending request; `Conflict` if the same handler has one
    /// pending on the case already.
    async fn insert_identity_request(&self, request: &IdentityRequest) -> StoreResult<()>;
    /// One request.
    async fn identity_request(&self, id: Uuid) -> StoreResult<Option<IdentityRequest>>;
    /// A case's requests, newest first.
    async fn identity_requests_of_case(&self, case_id: Uuid) -> StoreResult<Vec<IdentityRequest>>;
    /// Every request, pending ones first, then newest first.
    async fn identity_requests(&self) -> StoreResult<Vec<IdentityRequest>>;
    /// Records a decision on a request; `NotFound` unless it is pending.
    async fn decide_identity_request(&self, decision: &IdentityDecision<'_>) -> StoreResult<()>;
}

/// The implementation for one backend (see [`for_each_backend!`]).
macro_rules! identity_store {
    (store: $store:ident, db: $db:ty, text_order: $text_order:literal,) => {
        #[async_trait::async_trait]
        impl IdentityStore for $store {
            async fn put_identity(
                &self,
                case_id: Uuid,
                sealed: &[u8],
                added_at: i64,
            ) -> StoreResult<()> {
                let statement = sqlx::query(
                    "INSERT INTO reporter_identities (case_id, sealed, added_at) \
                     SELECT id, $2, $3 FROM cases WHERE id = $1 \
                     ON CONFLICT (case_id) DO UPDATE SET sealed = excluded.sealed, \
                     added_at = excluded.added_at",
                )
                .bind(case_id.to_string())
                .bind(sealed)
                .bind(added_at);
                self.run_found(statement).await
            }

            async fn cases_with_identity(&self) -> StoreResult<Vec<Uuid>> {
                let rows: Vec<(String,)> =
                    sqlx::query_as("SELECT case_id FROM reporter_identities ORDER BY case_id")
                        .fetch_all(&self.pool)
                        .await?;
                rows.iter()
                    .map(|(id,)| crate::core::store::rows::parse::parse_uuid(id))
                    .collect()
            }

            async fn identity_of(&self, case_id: Uuid) -> StoreResult<Option<StoredIdentity>> {
                let query = sqlx::query_as::<_, IdentityRow>(
                    "SELECT case_id, sealed, added_at FROM reporter_identities \
                     WHERE case_id = $1",
                )
                .bind(case_id.to_string());
                self.fetch_converted(query).await
            }

            async fn insert_identity_request(&self, r: &IdentityRequest) -> StoreResult<()> {
                let statement = sqlx::query(
                    "INSERT INTO identity_requests (id, case_id, requested_by, reason, \
                     requested_at, state, decided_by, decided_at, decision_reason, released, \
                     readable_from) VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL, NULL, NULL, NULL)",
                )
                .bind(r.id.to_string())
                .bind(r.case_id.to_string())
                .bind(r.requested_by.to_string())
                .bind(&r.reason)
                .bind(r.requested_at)
                .bind(RequestState::Pending.key());
                self.run(statement).await.map(|_| ())
            }

            async fn identity_request(&self, id: Uuid) -> StoreResult<Option<IdentityRequest>> {
                let query = sqlx::query_as::<_, RequestRow>(concat!(
                    "SELECT ",
                    request_columns!(),
                    " FROM identity_requests WHERE id = $1"
                ))
                .bind(id.to_string());
                self.fetch_converted(query).await
            }

            async fn identity_requests_of_case(
                &self,
                case_id: Uuid,
            ) -> StoreResult<Vec<IdentityRequest>> {
                let query = sqlx::query_as::<_, RequestRow>(concat!(
                    "SELECT ",
                    request_columns!(),
                    " FROM identity_requests WHERE case_id = $1 \
                     ORDER BY requested_at DESC, id"
                ))
                .bind(case_id.to_string());
                self.fetch_all_converted(query).await
            }

            async fn identity_requests(&self) -> StoreResult<Vec<IdentityRequest>> {
                let query = sqlx::query_as::<_, RequestRow>(concat!(
                    "SELECT ",
                    request_columns!(),
                    " FROM identity_requests \
                     ORDER BY CASE WHEN state = 'pending' THEN 0 ELSE 1 END, \
                     requested_at DESC, id"
                ));
                self.fetch_all_converted(query).await
            }

            async fn decide_identity_request(&self, d: &IdentityDecision<'_>) -> StoreResult<()> {
                let statement = sqlx::query(
                    "UPDATE identity_requests SET state = $1, decided_by = $2, decided_at = $3, \
                     decision_reason = $4, released = $5, readable_from = $6 \
                     WHERE id = $7 AND state = 'pending'",
                )
                .bind(d.state.key())
                .bind(d.decided_by.to_string())
                .bind(d.decided_at)
                .bind(d.reason)
                .bind(d.released)
                .bind(d.readable_from)
                .bind(d.id.to_string());
                self.run_found(statement).await
            }
        }
    };
}

for_each_backend!(identity_store);
