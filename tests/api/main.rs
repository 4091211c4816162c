//! Black-box tests of the `varsel` binary and service: one test binary, so the
//! build stays fast.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods
)]

mod abuse;
mod accounts;
mod admin;
mod api;
mod api_escalation;
mod app;
mod audit;
mod authz;
mod breach;
mod browser;
mod cli;
mod contract;
mod deadlines;
mod deploy;
mod e2e;
mod e2e_followup;
mod escalation;
mod export;
mod followup;
mod forms;
mod groups;
mod helpers;
mod hybrid_keys;
mod identity;
mod inbox;
mod languages;
mod metadata;
mod notifications;
mod oidc;
mod operations;
mod passwords;
mod privacy;
mod real_smtp;
mod reporter;
mod retention;
mod routing;
mod scenario;
mod script;
mod sessions;
mod smtp;
mod staff;
mod statistics;
mod store;
mod taxonomy;
mod throughput;
mod two_factor;
mod workspace;
