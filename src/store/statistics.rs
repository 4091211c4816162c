//! Storage of the statistics feature: an extension of [`Store`](super::Store)
//! implemented for both backends in this file.

use super::{PostgresStore, SqliteStore};

/// Queries and updates of the statistics feature.
#[async_trait::async_trait]
pub trait StatisticsStore: Send + Sync {}

#[async_trait::async_trait]
impl StatisticsStore for SqliteStore {}

#[async_trait::async_trait]
impl StatisticsStore for PostgresStore {}
