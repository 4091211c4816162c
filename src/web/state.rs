//! What every request handler shares: the core, and the web layer's own
//! state (rate limiters, the CSRF key). Sessions are in the database
//! ([`crate::core::sessions`]), so no instance holds state another needs.

use std::ops::Deref;
use std::time::Duration;

use crate::core::service::Core;
use zeroize::Zeroizing;

use crate::web::http::rate_limit::RateLimits;

/// Application state.
pub struct AppState {
    /// Settings, store and clock: what the core operations take.
    pub core: Core,
    /// Rate limiters.
    pub rate_limits: RateLimits,
    /// Key of the stateless CSRF tokens of visitors without a session: from
    /// the configuration (`server.csrf_key`), or else made once and shared
    /// through the database, so every instance and every restart accepts
    /// the same tokens.
    pub csrf_key: Zeroizing<[u8; 64]>,
    /// The OpenID Connect provider, when single sign-on is enabled.
    pub sso: Option<std::sync::Arc<dyn crate::core::sso::IdentityProvider>>,
    /// This instance's counters for `/metrics`.
    pub metrics: crate::web::metrics::Metrics,
}

/// Handlers pass `&state` where a core operation takes `&Core`.
impl Deref for AppState {
    type Target = Core;

    fn deref(&self) -> &Core {
        &self.core
    }
}

impl AppState {
    /// Idle lifetime of reporter sessions.
    pub fn reporter_idle(&self) -> Duration {
        Duration::from_secs(self.settings.sessions.reporter_idle_minutes * 60)
    }

    /// Idle lifetime of staff sessions.
    pub fn staff_idle(&self) -> Duration {
        Duration::from_secs(self.settings.sessions.staff_idle_minutes * 60)
    }
}
