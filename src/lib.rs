//! Varsel: anonymous whistleblowing and security-deviation reporting.

pub mod admin_commands;
pub mod age_commands;
pub mod attachments;
pub mod audit;
pub mod authz;
pub mod casework;
pub mod cli;
pub mod clock;
pub mod configuration;
pub mod deadlines;
pub mod domain;
pub mod escalation;
pub mod http;
pub mod i18n;
pub mod keys;
pub mod notifications;
pub mod routes;
pub mod routing;
pub mod startup;
pub mod state;
pub mod statistics;
pub mod store;
pub mod telemetry;
