//! The session cookie. Sessions themselves live in the database
//! ([`crate::core::sessions`]): the cookie holds only the session's random
//! secret, and any instance resolves it. The cookie has no expiry, so it
//! dies with the visit; the case code itself is never kept.

pub use crate::core::sessions::Session;

/// Name of the session cookie.
pub const COOKIE: &str = "varsel_session";
