//! The statement runners every feature module shares, written once and
//! expanded for both backends by [`for_each_backend!`].

use super::dialect::{for_each_backend, PostgresStore, SqliteStore};
use super::model::StoreResult;
use super::rows::parse::{db_err, found};

/// A statement with its bound parameters, for database `DB`.
type Statement<'q, DB> = sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>;

/// The runners for one backend (see [`for_each_backend!`]).
macro_rules! runners {
    (store: $store:ident, db: $db:ty, text_order: $text_order:literal,) => {
        impl $store {
            /// Runs a statement on the pool and returns how many rows it
            /// changed; a unique violation is `Conflict` (see [`db_err`]).
            pub(super) async fn run(&self, statement: Statement<'_, $db>) -> StoreResult<u64> {
                let done = statement.execute(&self.pool).await.map_err(db_err)?;
                Ok(done.rows_affected())
            }

            /// Runs a statement on the pool that must change a row: `NotFound`
            /// if it changed none.
            pub(super) async fn run_found(&self, statement: Statement<'_, $db>) -> StoreResult<()> {
                found(self.run(statement).await?)
            }
        }
    };
}

for_each_backend!(runners);
