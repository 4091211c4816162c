//! Black-box tests of the `varsel` binary and service: one test binary, so the
//! build stays fast.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod app;
mod cli;
mod helpers;
mod store;
