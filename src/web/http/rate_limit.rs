//! Rate limits (governor). Reporters are never told apart by address, so their
//! limits are global; staff logins are limited globally and per username.

use std::num::NonZeroU32;

use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::core::settings::RateLimitSettings;

/// The service's limiters.
pub struct RateLimits {
    submissions: DefaultDirectRateLimiter,
    code_logins: DefaultDirectRateLimiter,
    staff_logins: DefaultDirectRateLimiter,
    staff_logins_per_user: DefaultKeyedRateLimiter<String>,
}

fn per_minute(n: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN))
}

impl RateLimits {
    /// Limiters for the configured rates.
    pub fn new(settings: &RateLimitSettings) -> Self {
        RateLimits {
            submissions: RateLimiter::direct(per_minute(settings.submissions_per_minute)),
            code_logins: RateLimiter::direct(per_minute(settings.code_logins_per_minute)),
            staff_logins: RateLimiter::direct(per_minute(settings.staff_logins_per_minute)),
            staff_logins_per_user: RateLimiter::keyed(per_minute(
                settings.staff_logins_per_user_per_minute,
            )),
        }
    }

    /// May another report be submitted now?
    pub fn submission(&self) -> bool {
        self.submissions.check().is_ok()
    }

    /// May another case-code login be tried now?
    pub fn code_login(&self) -> bool {
        self.code_logins.check().is_ok()
    }

    /// May `username` try to log in now?
    pub fn staff_login(&self, username: &str) -> bool {
        self.staff_logins.check().is_ok()
            && self
                .staff_logins_per_user
                .check_key(&username.to_lowercase())
                .is_ok()
    }

    /// Forgets idle per-user state.
    pub fn housekeeping(&self) {
        self.staff_logins_per_user.retain_recent();
    }
}
