//! Time as a parameter: code that depends on "now" (deadlines, reminders,
//! session expiry) takes a [`Clock`] so tests can move time without sleeping.

use std::sync::{Arc, Mutex, PoisonError};

use time::{Duration, OffsetDateTime};

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> OffsetDateTime;
}

/// `at` (UNIX seconds) truncated to the start of its UTC day: how reporter
/// activity is recorded, so the server's records do not place a reporter in time.
pub fn day_of(at: i64) -> i64 {
    at - at.rem_euclid(86_400)
}

/// The system time in UNIX seconds, for the command line, which has no
/// application clock; the service always reads its [`Clock`].
pub fn system_now() -> i64 {
    SystemClock.now().unix_timestamp()
}

/// The real clock, in UTC.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    // The one place the system time is read (clippy.toml forbids it elsewhere).
    #[allow(clippy::disallowed_methods)]
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that moves only when told to. Clones share the same time, so a
/// test can keep one handle and give another to the application.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<OffsetDateTime>>,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: OffsetDateTime) -> Self {
        ManualClock {
            now: Arc::new(Mutex::new(start)),
        }
    }

    /// Sets the time to `t` (which may be earlier than the current time).
    pub fn set(&self, t: OffsetDateTime) {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner) = t;
    }

    /// Moves the time by `by` (negative moves it back), saturating at the
    /// representable range.
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        *now = now.saturating_add(by);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> OffsetDateTime {
        (**self).now()
    }
}

impl<C: Clock + ?Sized> Clock for Box<C> {
    fn now(&self) -> OffsetDateTime {
        (**self).now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn manual_clock_stands_still_until_moved() {
        let clock = ManualClock::new(datetime!(2025-01-31 12:00 UTC));
        assert_eq!(clock.now(), datetime!(2025-01-31 12:00 UTC));
        assert_eq!(clock.now(), datetime!(2025-01-31 12:00 UTC));
        clock.advance(Duration::hours(36));
        assert_eq!(clock.now(), datetime!(2025-02-02 00:00 UTC));
        clock.advance(Duration::minutes(-30));
        assert_eq!(clock.now(), datetime!(2025-02-01 23:30 UTC));
        clock.set(datetime!(2024-06-01 08:00 UTC));
        assert_eq!(clock.now(), datetime!(2024-06-01 08:00 UTC));
    }

    #[test]
    fn manual_clock_clones_share_time() {
        let test_handle = ManualClock::new(datetime!(2025-03-01 00:00 UTC));
        let app: Arc<dyn Clock> = Arc::new(test_handle.clone());
        test_handle.advance(Duration::days(7));
        assert_eq!(app.now(), datetime!(2025-03-08 00:00 UTC));
    }

    #[test]
    fn manual_clock_saturates_instead_of_panicking() {
        let clock = ManualClock::new(datetime!(2025-03-01 00:00 UTC));
        clock.advance(Duration::MAX);
        assert!(clock.now() > datetime!(9999-01-01 00:00 UTC));
    }

    #[test]
    #[allow(clippy::disallowed_methods)]
    fn system_clock_is_utc_and_current() {
        let before = OffsetDateTime::now_utc();
        let now = SystemClock.now();
        let boxed: Box<dyn Clock> = Box::new(SystemClock);
        assert!(now >= before);
        assert!(boxed.now() >= now);
        assert_eq!(now.offset(), time::UtcOffset::UTC);
    }
}
