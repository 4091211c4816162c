//! HTML pages, one module per area.

pub mod admin;
pub mod custodian;
pub mod reporter;
pub mod staff;
pub mod statistics;
