//! Varsel: anonymous whistleblowing and security-deviation reporting.

pub mod age_commands;
pub mod cli;
pub mod store;
