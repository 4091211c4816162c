//! Varsel: anonymous whistleblowing and security-deviation reporting.

pub mod cli;
pub mod commands;
pub mod core;
pub mod oidc;
pub mod smtp;
pub mod startup;
pub mod telemetry;
pub mod web;
