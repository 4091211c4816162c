//! What every request needs and hardly ever changes, kept across requests:
//! the users with their groups, the stored routing rules and the settings.
//!
//! Invalidation works across instances through the one-row table
//! `cache_version` (migration 0011): triggers raise its version in the same
//! transaction as any write to users, groups, rules or settings, whoever
//! writes. An instance reads that version (one tiny query) before it uses
//! the cache, at most once per check interval (`database.cache_check_ms`;
//! 0, the default, checks on every use), and drops its cache when it
//! changed; a write through this instance makes the next use check at once.
//! A change made on another instance is thus seen at the next use, or
//! within the interval.
//!
//! While the database cannot be reached the cache keeps serving its last
//! values (the reporter's form page stays up) and checks again at most once
//! per [`RETRY_AFTER_FAILURE`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::model::groups::StoredRule;
use super::model::User;

/// After a failed check, how long the cache is used as it is before the
/// database is tried again (so that not every request waits for it).
pub const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(1);

/// The cached values, valid for `version`.
#[derive(Default)]
struct Cached {
    /// The `cache_version` the values belong to; `None` before the first check.
    version: Option<i64>,
    /// When the version was last compared with the database; `None` forces
    /// a check on the next read.
    checked_at: Option<Instant>,
    users: Option<Arc<Vec<User>>>,
    rules: Option<Arc<Vec<StoredRule>>>,
    settings: HashMap<String, Option<String>>,
    /// How long a checked cache is trusted.
    interval: Duration,
    /// Until when checks are skipped after one failed.
    failed_until: Option<Instant>,
}

/// The cache of one store (shared by its clones).
#[derive(Default)]
pub struct Cache {
    state: Mutex<Cached>,
    /// Held while the version is read: callers arriving meanwhile wait and
    /// then share the next read instead of each sending their own.
    turn: tokio::sync::Mutex<()>,
    /// Version reads started so far (each read's number).
    started: AtomicU64,
    /// The number of the latest version read that completed.
    completed: AtomicU64,
}

/// What a submission needs of the cache, read under one version check.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Every user with their groups, ordered by username.
    pub users: Arc<Vec<User>>,
    /// The stored routing rules, in order.
    pub rules: Arc<Vec<StoredRule>>,
    /// The value of the setting asked for.
    pub setting: Option<String>,
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cache")
    }
}

impl Cache {
    fn lock(&self) -> MutexGuard<'_, Cached> {
        // A panic while holding the lock leaves plain data behind; go on with it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// True if the version row must be read before the cache is trusted.
    /// The caller that gets `true` claims the check: until the interval has
    /// passed again, other callers use the cache as it is rather than all
    /// reading the version at once (or, while the database is unreachable,
    /// all waiting for it; the cache then serves its last values).
    pub fn claim_check(&self) -> bool {
        let mut state = self.lock();
        let empty = state.version.is_none();
        if empty {
            return true;
        }
        if state
            .failed_until
            .is_some_and(|until| Instant::now() < until)
        {
            return false;
        }
        let interval = state.interval;
        let due = state.checked_at.is_none_or(|at| at.elapsed() >= interval);
        if due {
            state.checked_at = Some(Instant::now());
        }
        due
    }

    /// Waits for the turn to read the version. Returns `None` if a read
    /// that started after the caller arrived has completed meanwhile (its
    /// result is as fresh as the caller needs), otherwise the turn and the
    /// number of the read the caller is to make.
    pub async fn check_turn(&self) -> Option<(tokio::sync::MutexGuard<'_, ()>, u64)> {
        let arrived = self.started.load(Ordering::SeqCst);
        let turn = self.turn.lock().await;
        if self.completed.load(Ordering::SeqCst) > arrived {
            return None;
        }
        {
            // A read just failed: use the cache as it is for a while rather
            // than queue behind one failing read after another.
            let state = self.lock();
            if state.version.is_some()
                && state
                    .failed_until
                    .is_some_and(|until| Instant::now() < until)
            {
                return None;
            }
        }
        let number = self.started.fetch_add(1, Ordering::SeqCst) + 1;
        Some((turn, number))
    }

    /// Records that read `number` completed and gave `version`.
    pub fn read_completed(&self, number: u64, version: i64) {
        self.checked(version);
        self.completed.fetch_max(number, Ordering::SeqCst);
    }

    /// Sets how long a checked cache is trusted.
    pub fn set_interval(&self, interval: Duration) {
        self.lock().interval = interval;
    }

    /// Records a failed check: the cache is used as it is for a while.
    pub fn check_failed(&self) {
        self.lock().failed_until = Some(Instant::now() + RETRY_AFTER_FAILURE);
    }

    /// Records the version just read: drops everything if it changed.
    pub fn checked(&self, version: i64) {
        let mut state = self.lock();
        if state.version != Some(version) {
            state.users = None;
            state.rules = None;
            state.settings.clear();
            state.version = Some(version);
        }
        state.checked_at = Some(Instant::now());
        state.failed_until = None;
    }

    /// After a write through this store: the next read checks the version,
    /// and nothing cached before the write is used again.
    pub fn invalidate(&self) {
        let mut state = self.lock();
        state.checked_at = None;
        state.version = None;
        state.users = None;
        state.rules = None;
        state.settings.clear();
    }

    /// The version the cache holds values for.
    pub fn version(&self) -> Option<i64> {
        self.lock().version
    }

    /// The cached users, if any.
    pub fn users(&self) -> Option<Arc<Vec<User>>> {
        self.lock().users.clone()
    }

    /// Keeps `users`, loaded at `version`, unless the cache moved on.
    pub fn keep_users(&self, version: Option<i64>, users: Arc<Vec<User>>) {
        let mut state = self.lock();
        if state.version == version {
            state.users = Some(users);
        }
    }

    /// The cached stored rules, if any.
    pub fn rules(&self) -> Option<Arc<Vec<StoredRule>>> {
        self.lock().rules.clone()
    }

    /// Keeps `rules`, loaded at `version`, unless the cache moved on.
    pub fn keep_rules(&self, version: Option<i64>, rules: Arc<Vec<StoredRule>>) {
        let mut state = self.lock();
        if state.version == version {
            state.rules = Some(rules);
        }
    }

    /// The cached value of a setting: `Some(None)` for a setting known unset.
    pub fn setting(&self, key: &str) -> Option<Option<String>> {
        self.lock().settings.get(key).cloned()
    }

    /// Keeps a setting's value, loaded at `version`, unless the cache moved on.
    pub fn keep_setting(&self, version: Option<i64>, key: &str, value: Option<String>) {
        let mut state = self.lock();
        if state.version == version {
            state.settings.insert(key.to_owned(), value);
        }
    }
}
