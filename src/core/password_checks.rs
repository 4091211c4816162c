//! Every password check of the service goes through [`PasswordChecks`]:
//! each spends the same scrypt work (`core::keys::unlock_with_equal_work`),
//! at most `security.password_checks_at_once` derive at a time (each needs
//! `2^work_factor` KiB), and the work spent is counted, so tests measure
//! work rather than time. See `core::passwords`.
//!
//! Equal work is not quite equal time: a key still wrapped at an older,
//! lower factor is padded with several smaller derivations, which fit the
//! CPU's caches better than one at the factor in force (about 5 % faster,
//! measured by `scripts/bench-login-timing.sh`). So such a check also waits
//! until it has taken as long as a typical check at the factor in force
//! (a running average of the checks that needed no padding), and a login
//! that is refused tells nothing by its time either.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context};
use tokio::sync::Semaphore;
use zeroize::Zeroizing;

use crate::core::error::CoreResult;
use crate::core::keys::{self, KeyRing, UnlockError};

/// Every password check of the service: at most so many at once, each
/// spending the same scrypt work, counted.
pub struct PasswordChecks {
    slots: Semaphore,
    work: AtomicU64,
    /// The work factor and the running average duration of the unpadded
    /// checks at it.
    typical: Mutex<Option<(u8, Duration)>>,
}

impl PasswordChecks {
    /// At most `at_once` key derivations at a time.
    pub fn new(at_once: u32) -> Self {
        PasswordChecks {
            slots: Semaphore::new(usize::try_from(at_once.max(1)).unwrap_or(1)),
            work: AtomicU64::new(0),
            typical: Mutex::new(None),
        }
    }

    /// scrypt work spent by every check so far, in [`keys::scrypt_work`]
    /// units (`2^f` for one check at work factor `f`).
    pub fn work_spent(&self) -> u64 {
        self.work.load(Ordering::Relaxed)
    }

    /// Runs `derive` (a blocking key derivation returning its result and the
    /// work it spent) off the async executor, once a slot is free.
    async fn run<T: Send + 'static>(
        &self,
        derive: impl FnOnce() -> (T, u64) + Send + 'static,
    ) -> CoreResult<T> {
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|_| anyhow!("the password checks are closed"))?;
        let (value, work) = tokio::task::spawn_blocking(derive)
            .await
            .context("key derivation task failed")?;
        self.work.fetch_add(work, Ordering::Relaxed);
        Ok(value)
    }

    /// Unwraps `wrapped` with `password`, spending exactly the work of the
    /// factor in force ([`keys::unlock_with_equal_work`]); a padded check
    /// (a key at another factor) also takes at least the typical time of an
    /// unpadded one.
    pub async fn unlock(
        &self,
        wrapped: Vec<u8>,
        password: &Zeroizing<String>,
        work_factor: u8,
    ) -> CoreResult<Result<KeyRing, UnlockError>> {
        let padded = keys::wrapped_work_factor(&wrapped) != Some(work_factor);
        let password = password.clone();
        let (result, took) = self
            .run(move || {
                let started = Instant::now();
                let checked =
                    keys::unlock_with_equal_work(&wrapped, password.as_bytes(), work_factor);
                ((checked.result, started.elapsed()), checked.work)
            })
            .await?;
        if padded {
            if let Some(rest) = self
                .typical_duration(work_factor)
                .and_then(|typical| typical.checked_sub(took))
            {
                tokio::time::sleep(rest).await;
            }
        } else {
            self.observe(work_factor, took);
        }
        Ok(result)
    }

    /// The running average duration of unpadded checks at `work_factor`.
    fn typical_duration(&self, work_factor: u8) -> Option<Duration> {
        let typical = self.typical.lock().ok()?;
        typical.and_then(|(factor, duration)| (factor == work_factor).then_some(duration))
    }

    /// Adds an unpadded check's duration to the running average (weight 1/8).
    fn observe(&self, work_factor: u8, took: Duration) {
        let Ok(mut typical) = self.typical.lock() else {
            return;
        };
        *typical = Some(match *typical {
            Some((factor, average)) if factor == work_factor => {
                (factor, average - average / 8 + took / 8)
            }
            _ => (work_factor, took),
        });
    }

    /// Wraps `identity` under `password` at `work_factor`.
    pub(crate) async fn wrap(
        &self,
        identity: &KeyRing,
        password: &Zeroizing<String>,
        work_factor: u8,
    ) -> CoreResult<Vec<u8>> {
        let (identity, password) = (identity.clone(), password.clone());
        let wrapped = self
            .run(move || {
                let wrapped =
                    keys::wrap_identity_with_password(&identity, password.as_bytes(), work_factor);
                (wrapped, keys::scrypt_work(work_factor))
            })
            .await?;
        Ok(wrapped?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn no_more_derivations_run_at_once_than_allowed() {
        let checks = Arc::new(PasswordChecks::new(2));
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (checks, running, most) = (checks.clone(), running.clone(), most.clone());
            tasks.push(tokio::spawn(async move {
                checks
                    .run(move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        running.fetch_sub(1, Ordering::SeqCst);
                        ((), 1)
                    })
                    .await
            }));
        }
        for task in tasks {
            task.await.expect("joins").expect("runs");
        }
        assert!(most.load(Ordering::SeqCst) <= 2);
        assert_eq!(checks.work_spent(), 8, "every check's work is counted");
    }

    #[test]
    fn the_typical_time_follows_the_factor_in_force() {
        let checks = PasswordChecks::new(1);
        assert_eq!(checks.typical_duration(12), None);
        checks.observe(12, Duration::from_millis(80));
        assert_eq!(checks.typical_duration(12), Some(Duration::from_millis(80)));
        checks.observe(12, Duration::from_millis(160));
        assert_eq!(checks.typical_duration(12), Some(Duration::from_millis(90)));
        // Another factor in force starts the average again.
        checks.observe(14, Duration::from_millis(300));
        assert_eq!(checks.typical_duration(12), None);
        assert_eq!(
            checks.typical_duration(14),
            Some(Duration::from_millis(300))
        );
    }
}
