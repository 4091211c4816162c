//! What every request handler shares: the core, and the web layer's own
//! state (sessions, rate limiters, the CSRF key).

use std::ops::Deref;
use std::time::Duration;

use crate::core::service::Core;
use crate::web::http::rate_limit::RateLimits;
use crate::web::http::session::SessionStore;

/// Application state.
pub struct AppState {
    /// Settings, store and clock: what the core operations take.
    pub core: Core,
    /// Live sessions.
    pub sessions: SessionStore,
    /// Rate limiters.
    pub rate_limits: RateLimits,
    /// Key of the stateless CSRF tokens of visitors without a session; random
    /// per process, so tokens end with a restart like sessions do.
    pub csrf_key: [u8; 64],
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
