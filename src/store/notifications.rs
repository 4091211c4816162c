//! Storage of the notifications feature: an extension of [`Store`](super::Store)
//! implemented for both backends in this file.

use super::{PostgresStore, SqliteStore};

/// Queries and updates of the notifications feature.
#[async_trait::async_trait]
pub trait NotificationStore: Send + Sync {}

#[async_trait::async_trait]
impl NotificationStore for SqliteStore {}

#[async_trait::async_trait]
impl NotificationStore for PostgresStore {}
