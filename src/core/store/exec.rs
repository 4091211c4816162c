//! The statement runners every feature module shares, written once and
//! expanded for both backends by [`for_each_backend!`].

use super::dialect::{for_each_backend, PostgresStore, SqliteStore};
use super::model::{StoreError, StoreResult};
use super::rows::parse::{convert, db_err, found};

/// A statement with its bound parameters, for database `DB`.
type Statement<'q, DB> = sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>;

/// A query returning rows of shape `R`, for database `DB`.
type RowQuery<'q, DB, R> = sqlx::query::QueryAs<'q, DB, R, <DB as sqlx::Database>::Arguments<'q>>;

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

            /// Runs a statement inside a transaction and returns how many rows
            /// it changed; a unique violation is `Conflict` (see [`db_err`]).
            pub(super) async fn run_in(
                tx: &mut sqlx::Transaction<'static, $db>,
                statement: Statement<'_, $db>,
            ) -> StoreResult<u64> {
                let done = statement.execute(&mut **tx).await.map_err(db_err)?;
                Ok(done.rows_affected())
            }

            /// Runs a statement inside a transaction that must change a row:
            /// `NotFound` if it changed none.
            pub(super) async fn run_found_in(
                tx: &mut sqlx::Transaction<'static, $db>,
                statement: Statement<'_, $db>,
            ) -> StoreResult<()> {
                found(Self::run_in(tx, statement).await?)
            }

            /// Fetches at most one row on the pool and converts it to its
            /// store value.
            pub(super) async fn fetch_converted<R, T>(
                &self,
                query: RowQuery<'_, $db, R>,
            ) -> StoreResult<Option<T>>
            where
                R: for<'r> sqlx::FromRow<'r, <$db as sqlx::Database>::Row> + Send + Unpin,
                T: TryFrom<R, Error = StoreError>,
            {
                query
                    .fetch_optional(&self.pool)
                    .await?
                    .map(T::try_from)
                    .transpose()
            }

            /// Fetches every row on the pool and converts each to its store
            /// value, failing on the first bad one.
            pub(super) async fn fetch_all_converted<R, T>(
                &self,
                query: RowQuery<'_, $db, R>,
            ) -> StoreResult<Vec<T>>
            where
                R: for<'r> sqlx::FromRow<'r, <$db as sqlx::Database>::Row> + Send + Unpin,
                T: TryFrom<R, Error = StoreError>,
            {
                convert(query.fetch_all(&self.pool).await?)
            }
        }
    };
}

for_each_backend!(runners);
