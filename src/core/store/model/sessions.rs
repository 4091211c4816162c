//! Sessions as the store keeps them (migration 0008): keyed by a lookup key
//! derived from the client's secret, holding the unlocked identity only sealed.

use uuid::Uuid;

use crate::core::domain::Role;

/// Whose session it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionSubject {
    /// A staff member's, by user id.
    Staff(Uuid),
    /// A reporter's, by case id.
    Reporter(Uuid),
}

/// A session to store.
pub struct NewSession {
    /// The lookup key (a one-way function of the client's secret).
    pub lookup_key: [u8; 32],
    /// Whose it is.
    pub subject: SessionSubject,
    /// True for a bearer-token (API) session, false for a cookie session.
    pub api: bool,
    /// The identity the session unlocked, sealed under the client's secret.
    pub sealed_identity: Vec<u8>,
    /// UNIX seconds.
    pub created_at: i64,
    /// Seconds of inactivity after which it ends.
    pub idle_seconds: i64,
    /// UNIX seconds at which it ends however active (staff sessions).
    pub expires_at: Option<i64>,
}

/// The account behind a staff session, as it is now.
#[derive(Debug, Clone)]
pub struct SessionUser {
    /// Login name.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Roles.
    pub roles: Vec<Role>,
    /// False once the account is deactivated.
    pub active: bool,
}

/// A stored session, with its staff member's account as it is now.
pub struct StoredSession {
    /// Whose it is.
    pub subject: SessionSubject,
    /// True for a bearer-token (API) session.
    pub api: bool,
    /// The sealed identity.
    pub sealed_identity: Vec<u8>,
    /// UNIX seconds.
    pub created_at: i64,
    /// When it was last recorded as used (UNIX seconds; refreshed at most
    /// once a minute, see `core::sessions`).
    pub last_seen: i64,
    /// Seconds of inactivity after which it ends.
    pub idle_seconds: i64,
    /// When it ends however active, if it does.
    pub expires_at: Option<i64>,
    /// `min(last_seen + idle_seconds, expires_at)`: it is live before this.
    pub ends_at: i64,
    /// The account of a staff session (`None` for reporters).
    pub user: Option<SessionUser>,
}
