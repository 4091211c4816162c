//! Cross-cutting web concerns: errors, sessions and CSRF, the visitor context,
//! security headers, rate limits and request logging.

pub mod context;
pub mod download;
pub mod errors;
pub mod middleware;
pub mod multipart;
pub mod rate_limit;
pub mod secret;
pub mod session;
pub mod timeout;

pub use context::Visitor;
pub use errors::{AppError, ErrorKind};
pub use secret::SecretText;
