//! What every request handler shares.

use std::sync::Arc;
use std::time::Duration;

use crate::core::casework::DummyKey;
use crate::core::clock::Clock;
use crate::core::settings::Settings;
use crate::core::store::Store;
use crate::web::http::rate_limit::RateLimits;
use crate::web::http::session::SessionStore;

/// Application state.
pub struct AppState {
    /// Settings.
    pub settings: Settings,
    /// The database.
    pub store: Arc<dyn Store>,
    /// Live sessions.
    pub sessions: SessionStore,
    /// Rate limiters.
    pub rate_limits: RateLimits,
    /// Password check for unknown usernames (equal-time login failures).
    pub dummy_key: Arc<DummyKey>,
    /// Key of the stateless CSRF tokens of visitors without a session; random
    /// per process, so tokens end with a restart like sessions do.
    pub csrf_key: [u8; 64],
    /// The current time, for the notification scheduler (a manual clock in tests).
    pub clock: Arc<dyn Clock>,
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
