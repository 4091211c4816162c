//! Server-side sessions held in memory only. The browser holds a random
//! 256-bit id in a session cookie (no expiry: it dies with the visit); the
//! server holds what the session unlocked — a staff member's identity or a
//! reporter's case identity — and drops it (zeroized) at logout or expiry.
//! The case code itself is never kept.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::RngCore;
use subtle::ConstantTimeEq;

use crate::core::actor::Actor;

/// Name of the session cookie.
pub const COOKIE: &str = "varsel_session";

/// One session.
pub struct Session {
    /// Who it is.
    pub principal: Actor,
    /// The CSRF token forms must echo.
    pub csrf: String,
    /// True for API sessions (bearer token), false for cookie sessions.
    pub api: bool,
}

impl Session {
    /// Checks a submitted CSRF token in constant time.
    pub fn csrf_matches(&self, submitted: &str) -> bool {
        self.csrf.len() == submitted.len()
            && bool::from(self.csrf.as_bytes().ct_eq(submitted.as_bytes()))
    }
}

struct Entry {
    session: Arc<Session>,
    created: Instant,
    last_seen: Instant,
    idle: Duration,
}

impl Entry {
    /// Idle too long, or (for staff, whose unwrapped key it holds) alive too long.
    fn expired(&self, now: Instant, staff_max_age: Duration) -> bool {
        now.duration_since(self.last_seen) >= self.idle
            || (matches!(self.session.principal, Actor::Staff(_))
                && now.duration_since(self.created) >= staff_max_age)
    }
}

/// Default absolute lifetime of a staff session.
pub const DEFAULT_STAFF_MAX_AGE: Duration = Duration::from_secs(12 * 3600);

/// Why a session could not be created.
#[derive(Debug, thiserror::Error)]
#[error("too many sessions")]
pub struct SessionsFull;

/// All live sessions.
pub struct SessionStore {
    entries: Mutex<HashMap<String, Entry>>,
    max: usize,
    staff_max_age: Duration,
}

fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

impl SessionStore {
    /// An empty store holding at most `max` sessions.
    pub fn new(max: usize) -> Self {
        Self::with_staff_max_age(max, DEFAULT_STAFF_MAX_AGE)
    }

    /// An empty store whose staff sessions end `staff_max_age` after login,
    /// however active: roles, deactivation and key material are refreshed at
    /// least that often.
    pub fn with_staff_max_age(max: usize, staff_max_age: Duration) -> Self {
        SessionStore {
            entries: Mutex::new(HashMap::new()),
            max,
            staff_max_age,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        // A poisoned lock only means another request panicked mid-update of
        // the map; the map itself is still consistent, so keep serving.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Creates a session and returns its id.
    pub fn create(
        &self,
        principal: Actor,
        idle: Duration,
        api: bool,
    ) -> Result<(String, Arc<Session>), SessionsFull> {
        let session = Arc::new(Session {
            principal,
            csrf: random_hex(),
            api,
        });
        let id = random_hex();
        let mut entries = self.lock();
        if entries.len() >= self.max {
            let now = Instant::now();
            let max_age = self.staff_max_age;
            entries.retain(|_, e| !e.expired(now, max_age));
            if entries.len() >= self.max {
                return Err(SessionsFull);
            }
        }
        entries.insert(
            id.clone(),
            Entry {
                session: session.clone(),
                created: Instant::now(),
                last_seen: Instant::now(),
                idle,
            },
        );
        Ok((id, session))
    }

    /// The live session with `id`, refreshing its idle timer; expired ones are dropped.
    pub fn get(&self, id: &str) -> Option<Arc<Session>> {
        let mut entries = self.lock();
        let now = Instant::now();
        let expired = match entries.get_mut(id) {
            None => return None,
            Some(e) if e.expired(now, self.staff_max_age) => true,
            Some(e) => {
                e.last_seen = now;
                return Some(e.session.clone());
            }
        };
        if expired {
            entries.remove(id);
        }
        None
    }

    /// Ends a session.
    pub fn remove(&self, id: &str) {
        self.lock().remove(id);
    }

    /// Ends every session belonging to staff member `user_id` or reporter case `case_id`.
    pub fn remove_where(&self, predicate: impl Fn(&Session) -> bool) {
        self.lock().retain(|_, e| !predicate(&e.session));
    }

    /// Drops expired sessions (their keys are zeroized when the last reference goes).
    pub fn purge_expired(&self) -> usize {
        let mut entries = self.lock();
        let before = entries.len();
        let now = Instant::now();
        let max_age = self.staff_max_age;
        entries.retain(|_, e| !e.expired(now, max_age));
        before - entries.len()
    }

    /// Number of live sessions.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True if there are no sessions.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::actor::StaffMember;
    use crate::core::domain::Role;
    use uuid::Uuid;
    use varsel_crypto::X25519Identity;

    #[test]
    fn sessions_expire_and_are_removed() {
        let store = SessionStore::new(10);
        let (id, s) = store
            .create(Actor::Anonymous, Duration::from_millis(30), false)
            .expect("room");
        assert_eq!(id.len(), 64);
        assert!(store.get(&id).is_some());
        assert!(s.csrf_matches(&s.csrf.clone()));
        assert!(!s.csrf_matches("nope"));
        std::thread::sleep(Duration::from_millis(60));
        assert!(store.get(&id).is_none());
        assert!(store.is_empty());
    }

    fn staff(identity: X25519Identity) -> Actor {
        Actor::Staff(StaffMember {
            user_id: Uuid::new_v4(),
            username: "hanne".into(),
            display_name: "Hanne".into(),
            roles: vec![Role::Handler],
            identity,
        })
    }

    #[test]
    fn staff_sessions_end_after_their_absolute_lifetime_even_when_active() {
        let store = SessionStore::with_staff_max_age(10, Duration::from_millis(80));
        let (staff_id, _) = store
            .create(
                staff(X25519Identity::generate()),
                Duration::from_secs(60),
                false,
            )
            .expect("room");
        let (anon_id, _) = store
            .create(Actor::Anonymous, Duration::from_secs(60), false)
            .expect("room");
        for _ in 0..3 {
            std::thread::sleep(Duration::from_millis(20));
            assert!(store.get(&staff_id).is_some(), "active within its lifetime");
        }
        std::thread::sleep(Duration::from_millis(60));
        assert!(store.get(&staff_id).is_none(), "ended however active");
        assert!(
            store.get(&anon_id).is_some(),
            "only staff sessions have the limit"
        );
    }

    #[test]
    fn the_store_refuses_sessions_beyond_its_capacity() {
        let store = SessionStore::new(2);
        for _ in 0..2 {
            store
                .create(Actor::Anonymous, Duration::from_secs(60), false)
                .expect("room");
        }
        assert!(store
            .create(Actor::Anonymous, Duration::from_secs(60), false)
            .is_err());
        let (id, _) = {
            store.purge_expired();
            let ids: Vec<String> = store.lock().keys().cloned().collect();
            (ids[0].clone(), ())
        };
        store.remove(&id);
        assert!(store
            .create(Actor::Anonymous, Duration::from_secs(60), false)
            .is_ok());
    }
}
