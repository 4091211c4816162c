//! The leaf helpers of the rows: how a stored key, id or list becomes a
//! value, how a database error becomes a [`StoreError`], and how a whole
//! result set is converted.

use uuid::Uuid;

use crate::core::domain::SubtypeKey;
use crate::core::store::model::{Author, Holder, StoreError};

/// Maps a database error, turning unique violations into [`StoreError::Conflict`].
pub(crate) fn db_err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict,
        _ => StoreError::from(e),
    }
}

/// `NotFound` unless the statement changed a row: what it names must exist.
pub(crate) fn found(rows_affected: u64) -> Result<(), StoreError> {
    if rows_affected == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

/// A stored value the store cannot interpret.
fn corrupt(column: &'static str, value: &str) -> StoreError {
    StoreError::Corrupt {
        column,
        value: value.to_owned(),
    }
}

/// Parses a stored key of `column` with the domain type's own `parse`; a key
/// it does not know is [`StoreError::Corrupt`], never a default.
pub(crate) fn parse_key<T>(
    column: &'static str,
    value: &str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<T, StoreError> {
    parse(value).ok_or_else(|| corrupt(column, value))
}

/// Parses an optional stored sub-type key.
pub(crate) fn optional_subtype(value: Option<String>) -> Result<Option<SubtypeKey>, StoreError> {
    value
        .map(|s| parse_key("subtype", &s, |k| SubtypeKey::parse(k).ok()))
        .transpose()
}

/// Parses a stored (hyphenated) UUID.
pub(crate) fn parse_uuid(s: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(s).map_err(|_| corrupt("uuid", s))
}

/// Parses an optional stored UUID.
pub(crate) fn optional_uuid(s: Option<String>) -> Result<Option<Uuid>, StoreError> {
    s.as_deref().map(parse_uuid).transpose()
}

/// Parses a stored author.
pub(crate) fn parse_author(s: &str) -> Result<Author, StoreError> {
    parse_key("author", s, Author::from_db)
}

/// The stored form of a list of keys (roles, severities): comma-separated.
pub(crate) fn join_keys<'a>(keys: impl IntoIterator<Item = &'a str>) -> String {
    keys.into_iter().collect::<Vec<_>>().join(",")
}

/// Parses the stored form of a list of keys of `column`, each with `parse`.
pub(crate) fn parse_list<T>(
    column: &'static str,
    keys: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Vec<T>, StoreError> {
    keys.split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(|k| parse_key(column, k, &parse))
        .collect()
}

/// Parses a stored holder (`user:<uuid>`, `reporter`, `recovery`).
pub(crate) fn parse_holder(s: &str) -> Option<Holder> {
    match s {
        "reporter" => Some(Holder::Reporter),
        "recovery" => Some(Holder::Recovery),
        _ => s
            .strip_prefix("user:")
            .and_then(|id| Uuid::parse_str(id).ok())
            .map(Holder::User),
    }
}

/// Converts every row, failing on the first bad one.
pub(crate) fn convert<R, T>(rows: Vec<R>) -> Result<Vec<T>, StoreError>
where
    T: TryFrom<R, Error = StoreError>,
{
    rows.into_iter().map(T::try_from).collect()
}
