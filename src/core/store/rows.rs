//! Row shapes and their conversions: the one place where what a query
//! returns becomes a store value. The feature modules hold SQL only.
//!
//! Stored keys (status, severity, category, role, authority, decision, legal
//! basis, outcome, sub-type) become domain values here and nowhere else; a
//! key this version does not know is
//! [`StoreError::Corrupt`](crate::core::store::StoreError::Corrupt), never a default.
//!
//! Both schemas are the same apart from the blob type, so a row decodes the
//! same way from either backend. Rows decode by column name, so a query's
//! columns are named (aliased where computed) after the row's fields.
//!
//! [`parse`] holds the leaf helpers; each other child holds the rows of one
//! feature module and imports only [`parse`] and the store's model.

pub(super) mod base;
pub(super) mod deadlines;
pub(super) mod escalation;
pub(super) mod groups;
pub(super) mod inbox;
pub(super) mod notifications;
pub(super) mod parse;
pub(super) mod retention;
pub(super) mod routing;
pub(super) mod sessions;
pub(super) mod statistics;
