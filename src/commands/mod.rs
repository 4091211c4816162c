//! The `varsel` subcommands: the age tool (`keygen`, `encrypt`, `decrypt`)
//! and the operator's commands (`serve`, `migrate`, `user`, `audit` …).

pub mod accounts;
pub mod admin;
pub mod age;
pub mod export;
pub mod passwords;
