//! Storage of escalation decisions and case closing: an extension of
//! [`Store`](super::Store) implemented for both backends in this file.

use super::{PostgresStore, SqliteStore};

/// Queries and updates of the escalation register and case closing.
#[async_trait::async_trait]
pub trait EscalationStore: Send + Sync {}

#[async_trait::async_trait]
impl EscalationStore for SqliteStore {}

#[async_trait::async_trait]
impl EscalationStore for PostgresStore {}
