//! Everything that is true without a web server: the domain, the case
//! operations, authorisation, the store, the audit log, deadlines, routing,
//! escalation, statistics, notifications and settings.
//!
//! Nothing under this module imports the web framework, the templates, the
//! mailer or anything from [`crate::web`]; `scripts/check-layers.sh` (run
//! by `.ci/run`) checks it.

pub mod accounts;
pub mod actor;
pub mod attachments;
pub mod audit;
pub mod audit_log;
pub mod authz;
pub mod backup;
pub mod breach;
pub mod case_file;
pub mod casework;
pub mod clock;
pub mod deadlines;
pub mod domain;
pub mod error;
pub mod escalation;
pub mod exclusions;
pub mod export;
pub mod followup;
pub mod i18n;
pub mod identity;
pub mod inbox;
pub mod keys;
pub mod limits;
pub mod metadata;
pub mod notes;
pub mod notifications;
pub mod open;
pub mod operations;
pub mod oslo;
pub mod own_sessions;
pub mod password_checks;
pub mod passwords;
pub mod pow;
pub mod private_fs;
pub mod receipts;
pub mod recovery;
pub mod retention;
pub mod routing;
pub mod sealed;
pub mod sealed_followup;
pub mod service;
pub mod sessions;
pub mod settings;
pub mod sso;
pub mod statistics;
pub mod store;
#[cfg(test)]
pub mod testing;
pub mod totp;
pub mod triage;
pub mod two_factor;
