//! Storage of handler groups, routing rules and case triage: an extension of
//! [`Store`](super::Store) implemented for both backends in this file.

use super::{PostgresStore, SqliteStore};

/// Queries and updates of the routing feature.
#[async_trait::async_trait]
pub trait RoutingStore: Send + Sync {}

#[async_trait::async_trait]
impl RoutingStore for SqliteStore {}

#[async_trait::async_trait]
impl RoutingStore for PostgresStore {}
