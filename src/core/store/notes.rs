//! Storage of the internal notes between handlers (migration 0021): one row
//! per note, its body an age file sealed to the case. Written once for both
//! backends. No reporter-side query reads this table.

use uuid::Uuid;

use super::dialect::{for_each_backend, PostgresStore, SqliteStore};
use super::model::StoreResult;
use super::rows::parse::{convert, optional_uuid, parse_uuid};

/// An internal note; `body` is an age file sealed to the case.
#[derive(Debug, Clone)]
pub struct Note {
    /// Stable id.
    pub id: Uuid,
    /// The case.
    pub case_id: Uuid,
    /// Who wrote it (`None` once the account is gone).
    pub author_user_id: Option<Uuid>,
    /// When (UNIX seconds).
    pub created_at: i64,
    /// The sealed text.
    pub body: Vec<u8>,
}

/// A `case_notes` row.
#[derive(sqlx::FromRow)]
struct NoteRow {
    id: String,
    case_id: String,
    author_user_id: Option<String>,
    created_at: i64,
    body: Vec<u8>,
}

impl TryFrom<NoteRow> for Note {
    type Error = super::model::StoreError;

    fn try_from(r: NoteRow) -> Result<Self, Self::Error> {
        Ok(Note {
            id: parse_uuid(&r.id)?,
            case_id: parse_uuid(&r.case_id)?,
            author_user_id: optional_uuid(r.author_user_id)?,
            created_at: r.created_at,
            body: r.body,
        })
    }
}

/// The internal notes of cases.
#[async_trait::async_trait]
pub trait NoteStore: Send + Sync {
    /// Stores a note (the caller has opened its case).
    async fn add_note(&self, note: &Note) -> StoreResult<()>;
    /// A case's notes, oldest first.
    async fn notes(&self, case_id: Uuid) -> StoreResult<Vec<Note>>;
}

/// The implementation for one backend (see [`for_each_backend!`]).
macro_rules! note_store {
    (store: $store:ident, db: $db:ty, text_order: $text_order:literal,) => {
        #[async_trait::async_trait]
        impl NoteStore for $store {
            async fn add_note(&self, n: &Note) -> StoreResult<()> {
                // The case's activity time is left alone: a note changes
                // nothing the inbox shows.
                let mut tx = self.begin_write().await?;
                let statement = sqlx::query(
                    "INSERT INTO case_notes (id, case_id, author_user_id, created_at, body) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(n.id.to_string())
                .bind(n.case_id.to_string())
                .bind(n.author_user_id.map(|u| u.to_string()))
                .bind(n.created_at)
                .bind(&n.body);
                Self::run_in(&mut tx, statement).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn notes(&self, case_id: Uuid) -> StoreResult<Vec<Note>> {
                let rows: Vec<NoteRow> = sqlx::query_as(concat!(
                    "SELECT id, case_id, author_user_id, created_at, body \
                     FROM case_notes WHERE case_id = $1 ORDER BY created_at, id",
                    $text_order
                ))
                .bind(case_id.to_string())
                .fetch_all(&self.pool)
                .await?;
                convert(rows)
            }
        }
    };
}

for_each_backend!(note_store);
