//! Everything that is true without a web server: the domain, the case
//! operations, authorisation, the store, the audit log, deadlines, routing,
//! escalation, statistics, notifications and settings.
//!
//! Nothing under this module imports actix-web, askama, governor or anything
//! from [`crate::web`]; `.ci/run` checks it.

pub mod actor;
pub mod attachments;
pub mod audit;
pub mod authz;
pub mod casework;
pub mod clock;
pub mod deadlines;
pub mod domain;
pub mod error;
pub mod escalation;
pub mod i18n;
pub mod keys;
pub mod notifications;
pub mod routing;
pub mod settings;
pub mod statistics;
pub mod store;

use std::sync::Arc;

use crate::core::casework::DummyKey;
use crate::core::clock::Clock;
use crate::core::settings::Settings;
use crate::core::store::Store;

/// What every core operation works with: settings, the store and the clock.
pub struct Core {
    /// Settings.
    pub settings: Settings,
    /// The database.
    pub store: Arc<dyn Store>,
    /// Password check for unknown usernames (equal-time login failures).
    pub dummy_key: Arc<DummyKey>,
    /// The current time: every time a case or the audit log records comes
    /// from it (a manual clock in tests).
    pub clock: Arc<dyn Clock>,
}

impl Core {
    /// The current UNIX time in seconds, by the application's clock.
    pub fn now(&self) -> i64 {
        self.clock.now().unix_timestamp()
    }
}
