//! The core's shared state: what every core operation is given.

use std::sync::Arc;

use crate::core::clock::Clock;
use crate::core::keys::DummyKey;
use crate::core::notifications::mailer::MailTransport;
use crate::core::password_checks::PasswordChecks;
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
    /// Every password check: equal scrypt work, so many at once, counted.
    pub password_checks: Arc<PasswordChecks>,
    /// The current time: every time a case or the audit log records comes
    /// from it (a manual clock in tests).
    pub clock: Arc<dyn Clock>,
    /// Where notification mails go out (SMTP in the service).
    pub mail: Arc<dyn MailTransport>,
}

impl Core {
    /// The current UNIX time in seconds, by the application's clock.
    pub fn now(&self) -> i64 {
        self.clock.now().unix_timestamp()
    }
}
