//! The HTTP adapter: sessions, CSRF, security headers, rate limits and error
//! pages ([`http`]); the HTML pages ([`pages`]) and the JSON API ([`api`]).
//! A handler parses its input into a domain command, calls one operation of
//! [`crate::core`] and renders the answer.

pub mod api;
pub mod http;
pub mod metrics;
pub mod operations;
pub mod pages;
pub mod registry;
pub mod routes;
pub mod script;
pub mod state;
