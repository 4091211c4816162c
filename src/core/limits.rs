//! Rate limits and budgets shared by every instance through the database,
//! proof-of-work redemption, staff device tokens and the upload budgets.
//!
//! **Shared budgets.** Each budget (a lane of submissions, of code logins,
//! a staff username, a staff device, the hourly upload bytes) is a counter
//! row per fixed window in `rate_counters`. An instance does not ask the
//! database for every request: it *leases* a batch of tokens with one upsert
//! (`used = used + batch … RETURNING used`), learns from the returned total
//! how many of them were still within the limit, and spends them locally.
//! A request thus costs at most one small round trip for its limit, and
//! with a batch of `b` tokens only one request in `b` pays it. Once the
//! shared counter has passed the limit the instance refuses locally, without
//! the database, until the window ends, so a flood costs the database
//! nothing. At most `b - 1` tokens per instance and window are leased but
//! unused; batches are small (a fiftieth of the limit, at most 64) so this
//! stays well below the limit.
//!
//! Nothing here identifies a reporter: budgets are per lane, never per
//! address. Staff usernames and device ids appear in budget keys only as
//! keyed hashes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::Mac;
use rand::RngCore;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::core::pow::{self, PowError, Purpose};
use crate::core::service::Core;
use crate::core::settings::Settings;
use crate::core::store::{Store, StoreError, StoreResult};

/// Key of the shared abuse secret in the `settings` table.
const SECRET_SETTING: &str = "abuse_hmac_key";
/// Length of the rate-limit windows of requests.
const MINUTE: i64 = 60;
/// Length of the window of the anonymous upload budget.
const HOUR: i64 = 3600;
/// Largest batch of request tokens leased at once.
const MAX_TOKEN_BATCH: i64 = 64;
/// Largest batch of upload bytes leased at once.
const MAX_BYTE_BATCH: i64 = 1 << 20;
/// How long a budget's load figure is trusted before it is read again.
const LOAD_REFRESH_SECONDS: i64 = 2;

/// Which lane a reporter's request takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lane {
    /// The request carried a valid, unspent proof of work.
    Pow,
    /// No proof of work (a browser without JavaScript, or a plain client).
    Plain,
}

impl Lane {
    fn key(self) -> &'static str {
        match self {
            Lane::Pow => "pow",
            Lane::Plain => "plain",
        }
    }
}

/// A shared budget.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Budget {
    /// Requests of a reporter purpose in one lane.
    Reporter(Purpose, Lane),
    /// Staff logins from unknown devices, overall.
    StaffUnknownDevices,
    /// Staff logins for one username from unknown devices (keyed hash).
    StaffUser(String),
    /// Staff logins from one known device (keyed hash of its id).
    StaffDevice(String),
    /// Bytes of anonymous uploads per hour.
    AnonymousUploadBytes,
}

impl Budget {
    /// The counter's key in `rate_counters`.
    fn key(&self) -> String {
        match self {
            Budget::Reporter(purpose, lane) => format!("{}.{}", purpose.key(), lane.key()),
            Budget::StaffUnknownDevices => "staff.unknown".to_owned(),
            Budget::StaffUser(hash) => format!("staff.user.{hash}"),
            Budget::StaffDevice(hash) => format!("staff.device.{hash}"),
            Budget::AnonymousUploadBytes => "upload.bytes".to_owned(),
        }
    }

    fn window(&self) -> i64 {
        match self {
            Budget::AnonymousUploadBytes => HOUR,
            _ => MINUTE,
        }
    }

    fn limit(&self, settings: &Settings) -> i64 {
        let r = &settings.rate_limits;
        let per_window = match self {
            Budget::Reporter(Purpose::Submit, Lane::Plain) => r.submissions_per_minute,
            Budget::Reporter(Purpose::Submit, Lane::Pow) => r.pow_submissions_per_minute,
            Budget::Reporter(Purpose::CodeLogin, Lane::Plain) => r.code_logins_per_minute,
            Budget::Reporter(Purpose::CodeLogin, Lane::Pow) => r.pow_code_logins_per_minute,
            Budget::StaffUnknownDevices => r.staff_logins_per_minute,
            Budget::StaffUser(_) => r.staff_logins_per_user_per_minute,
            Budget::StaffDevice(_) => r.staff_logins_per_device_per_minute,
            Budget::AnonymousUploadBytes => {
                return i64::try_from(settings.limits.anonymous_upload_bytes_per_hour)
                    .unwrap_or(i64::MAX)
            }
        };
        i64::from(per_window)
    }

    fn batch(&self, limit: i64) -> i64 {
        let most = match self {
            Budget::AnonymousUploadBytes => MAX_BYTE_BATCH,
            // Staff budgets are small and per person: never lease ahead.
            Budget::StaffUser(_) | Budget::StaffDevice(_) | Budget::StaffUnknownDevices => 1,
            Budget::Reporter(..) => MAX_TOKEN_BATCH,
        };
        (limit / 50).clamp(1, most)
    }
}

/// An instance's local share of one budget in the current window.
#[derive(Debug, Default)]
struct Lease {
    window_start: i64,
    /// Tokens leased from the shared counter and not yet spent.
    remaining: i64,
    /// The shared counter as last seen.
    seen_used: i64,
    /// When `seen_used` was read.
    seen_at: i64,
    /// Requests this instance refused in this window.
    refused: i64,
    /// The load of the previous window (shared counter plus local refusals).
    previous_load: i64,
    /// The shared counter of the previous window, once read.
    previous_used: Option<i64>,
    /// Refuse locally, without asking the database, until this time.
    retry_at: i64,
}

impl Lease {
    fn roll(&mut self, window_start: i64) {
        if self.window_start == window_start {
            return;
        }
        let previous = if window_start - self.window_start <= MINUTE && self.window_start > 0 {
            self.load()
        } else {
            0
        };
        *self = Lease {
            window_start,
            previous_load: previous,
            ..Lease::default()
        };
    }

    fn load(&self) -> i64 {
        self.seen_used + self.refused
    }
}

/// The shared abuse secret and this instance's leases. Lives as long as the
/// server (the web layer keeps it in its state).
pub struct Budgets {
    secret: Zeroizing<[u8; 32]>,
    leases: Mutex<HashMap<Budget, Arc<tokio::sync::Mutex<Lease>>>>,
}

/// Why an upload was refused.
#[derive(Debug, thiserror::Error)]
pub enum UploadRefusal {
    /// The storage quota would be passed.
    #[error("storage quota reached")]
    StorageFull,
    /// The hourly budget of anonymous uploads is spent.
    #[error("hourly upload budget spent")]
    HourlyBudget,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Which way a staff login attempt is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffLoginLane<'a> {
    /// A browser holding a valid device cookie for the username.
    KnownDevice(&'a DeviceId),
    /// Anyone else.
    UnknownDevice,
}

/// The random id of a staff device (a browser that completed a login).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceId([u8; 16]);

/// Domain-separation labels of the keys derived from the shared secret.
const POW_KEY_LABEL: &[u8] = b"varsel pow key v1";
const DEVICE_LABEL: &[u8] = b"varsel staff device v1";
const NAME_LABEL: &[u8] = b"varsel budget name v1";

impl Budgets {
    /// Loads the abuse secret every instance shares (made once, on the first
    /// start, in the `settings` table).
    pub async fn load(store: &dyn Store) -> StoreResult<Self> {
        let mut candidate = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(&mut candidate[..]);
        let stored = Zeroizing::new(
            store
                .setting_or_init(SECRET_SETTING, &hex::encode(&candidate[..]))
                .await?,
        );
        let mut secret = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(stored.as_bytes(), &mut secret[..]).map_err(|_| {
            StoreError::Corrupt {
                column: "settings.abuse_hmac_key",
                value: "(not 32 hex bytes)".to_owned(),
            }
        })?;
        Ok(Budgets {
            secret,
            leases: Mutex::new(HashMap::new()),
        })
    }

    fn derived(&self, label: &[u8]) -> Zeroizing<[u8; 32]> {
        let mut mac = pow::keyed(&self.secret);
        mac.update(label);
        Zeroizing::new(mac.finalize().into_bytes().into())
    }

    fn lease(&self, budget: &Budget) -> Arc<tokio::sync::Mutex<Lease>> {
        let mut leases = self.leases.lock().unwrap_or_else(PoisonError::into_inner);
        leases.entry(budget.clone()).or_default().clone()
    }

    /// Takes `n` from `budget`: `true` if they were within its limit. Costs
    /// at most one database round trip, and none while tokens leased
    /// earlier remain or once the window is known to be spent.
    pub async fn take(&self, core: &Core, budget: &Budget, n: i64) -> StoreResult<bool> {
        let now = core.now();
        let window = budget.window();
        let window_start = now - now.rem_euclid(window);
        let limit = budget.limit(&core.settings);
        let lease = self.lease(budget);
        let mut lease = lease.lock().await;
        lease.roll(window_start);
        if lease.remaining >= n {
            lease.remaining -= n;
            return Ok(true);
        }
        if now < lease.retry_at {
            lease.refused += 1;
            return Ok(false);
        }
        let key = budget.key();
        let previous = match lease.previous_used {
            Some(n) => n,
            None => {
                let n = core.store.counter(&key, window_start - window).await?;
                lease.previous_used = Some(n);
                n
            }
        };
        // A sliding window: the previous window still counts for the part
        // of it that lies within the last `window` seconds, so a budget
        // spent at the end of one window is not whole again at the start of
        // the next.
        let elapsed = (now - window_start) as f64 / window as f64;
        let carried = (previous as f64 * (1.0 - elapsed)).ceil() as i64;
        let allowed = (limit - carried).max(0);
        let amount = (n - lease.remaining).max(budget.batch(limit));
        let used = core
            .store
            .add_to_counter(&key, window_start, amount)
            .await?;
        let granted = (allowed - (used - amount)).clamp(0, amount);
        lease.seen_at = now;
        lease.seen_used = used;
        lease.remaining += granted;
        if granted < amount {
            // Give back what was not granted, so the counter holds the
            // tokens handed out, and wait until the window has slid far
            // enough for one more.
            let handed_out = core
                .store
                .add_to_counter(&key, window_start, granted - amount)
                .await?;
            lease.seen_used = handed_out;
            lease.retry_at = retry_time(window_start, window, limit, previous, handed_out);
        }
        if lease.remaining >= n {
            lease.remaining -= n;
            Ok(true)
        } else {
            lease.refused += 1;
            Ok(false)
        }
    }

    /// Recent load of a reporter purpose: attempts in both lanes in this
    /// window or the last, whichever is higher, as the shared counters and
    /// this instance's refusals show it.
    async fn recent_load(&self, core: &Core, purpose: Purpose) -> StoreResult<i64> {
        let now = core.now();
        let window_start = now - now.rem_euclid(MINUTE);
        let mut current = 0;
        let mut previous = 0;
        for lane in [Lane::Pow, Lane::Plain] {
            let budget = Budget::Reporter(purpose, lane);
            let lease = self.lease(&budget);
            let mut lease = lease.lock().await;
            lease.roll(window_start);
            if now - lease.seen_at >= LOAD_REFRESH_SECONDS {
                let used = core.store.counter(&budget.key(), window_start).await?;
                // The last window as every instance counted it, not only
                // this one: right after a window turns, the load is there.
                let before = core
                    .store
                    .counter(&budget.key(), window_start - MINUTE)
                    .await?;
                lease.seen_used = lease.seen_used.max(used);
                lease.previous_load = lease.previous_load.max(before);
                lease.seen_at = now;
            }
            current += lease.load();
            previous += lease.previous_load;
        }
        Ok(current.max(previous))
    }

    /// The difficulty of a new challenge for `purpose` under the present
    /// load: the base difficulty up to the threshold, then two bits more
    /// each time the load doubles, up to the maximum.
    pub async fn difficulty(&self, core: &Core, purpose: Purpose) -> StoreResult<u8> {
        let load = self.recent_load(core, purpose).await?;
        Ok(difficulty_for(load, &core.settings))
    }

    /// Issues a challenge for `purpose` at the present difficulty.
    pub async fn challenge(&self, core: &Core, purpose: Purpose) -> StoreResult<(String, u8)> {
        let difficulty = self.difficulty(core, purpose).await?;
        let mut nonce = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let key = self.derived(POW_KEY_LABEL);
        let challenge = pow::issue(&key, purpose, difficulty, core.now(), nonce);
        Ok((challenge, difficulty))
    }

    /// Checks a solved challenge and records it as spent, so it is accepted
    /// once. The cheap checks come first; only a valid solution costs the
    /// database a write.
    pub async fn redeem(
        &self,
        core: &Core,
        purpose: Purpose,
        challenge: &str,
        solution: &str,
    ) -> Result<(), RedeemError> {
        let key = self.derived(POW_KEY_LABEL);
        let ttl = i64::from(core.settings.rate_limits.pow_challenge_seconds);
        let verified = pow::verify(&key, challenge, solution, purpose, core.now(), ttl)?;
        if core
            .store
            .spend_pow(&verified.challenge_hash, verified.expires_at)
            .await?
        {
            Ok(())
        } else {
            Err(RedeemError::Pow(PowError::Spent))
        }
    }

    /// A keyed hash naming `value` in a budget key (never the value itself).
    fn name_hash(&self, kind: &[u8], value: &[u8]) -> String {
        let mut mac = pow::keyed(&self.derived(NAME_LABEL));
        mac.update(kind);
        mac.update(&[0]);
        mac.update(value);
        hex::encode(&mac.finalize().into_bytes()[..16])
    }

    /// Charges a staff login attempt for `username`. A known device is
    /// charged only to its own, generous budget, so strangers failing
    /// logins for the username cannot lock its owner out; anyone else is
    /// charged to the overall and the per-username budget.
    pub async fn staff_login(
        &self,
        core: &Core,
        username: &str,
        lane: StaffLoginLane<'_>,
    ) -> StoreResult<bool> {
        match lane {
            StaffLoginLane::KnownDevice(device) => {
                let budget = Budget::StaffDevice(self.name_hash(b"device", &device.0));
                self.take(core, &budget, 1).await
            }
            StaffLoginLane::UnknownDevice => {
                let user =
                    Budget::StaffUser(self.name_hash(b"user", username.to_lowercase().as_bytes()));
                Ok(self.take(core, &Budget::StaffUnknownDevices, 1).await?
                    && self.take(core, &user, 1).await?)
            }
        }
    }

    fn device_mac(&self, id: &[u8; 16], expires: i64, username: &str) -> [u8; 32] {
        let mut mac = pow::keyed(&self.derived(DEVICE_LABEL));
        mac.update(id);
        mac.update(&expires.to_be_bytes());
        mac.update(&Sha256::digest(username.to_lowercase().as_bytes()));
        mac.finalize().into_bytes().into()
    }

    /// A new device token for `username`, valid for the configured days:
    /// `<id and expiry>.<mac>`, the MAC binding a hash of the username.
    pub fn device_token(&self, core: &Core, username: &str) -> String {
        let mut id = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut id);
        let days = i64::from(core.settings.rate_limits.device_cookie_days);
        let expires = core.now() + days * 86_400;
        let mut body = [0u8; 24];
        body[..16].copy_from_slice(&id);
        body[16..].copy_from_slice(&expires.to_be_bytes());
        let tag = self.device_mac(&id, expires, username);
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(body),
            URL_SAFE_NO_PAD.encode(tag)
        )
    }

    /// The device a token names, if it is valid for `username` now.
    pub fn known_device(&self, core: &Core, token: &str, username: &str) -> Option<DeviceId> {
        if token.len() > 128 {
            return None;
        }
        let (body, tag) = token.split_once('.')?;
        let body: [u8; 24] = URL_SAFE_NO_PAD.decode(body).ok()?.try_into().ok()?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        let mut id = [0u8; 16];
        id.copy_from_slice(&body[..16]);
        let mut expires = [0u8; 8];
        expires.copy_from_slice(&body[16..]);
        let expires = i64::from_be_bytes(expires);
        let expected = self.device_mac(&id, expires, username);
        let valid: bool = subtle::ConstantTimeEq::ct_eq(&expected[..], &tag[..]).into();
        (valid && core.now() < expires).then_some(DeviceId(id))
    }

    /// Returns `n` unspent tokens of `budget` to this instance's lease (a
    /// request that took them was refused after all), if the window they
    /// were taken in is still the current one.
    pub async fn give_back(&self, core: &Core, budget: &Budget, n: i64) {
        let now = core.now();
        let window_start = now - now.rem_euclid(budget.window());
        let lease = self.lease(budget);
        let mut lease = lease.lock().await;
        if lease.window_start == window_start {
            lease.remaining += n;
        }
    }

    /// Forgets leases of past windows and prunes old counters and expired
    /// spent challenges (run every minute).
    pub async fn housekeeping(&self, core: &Core) -> StoreResult<()> {
        let now = core.now();
        {
            let mut leases = self.leases.lock().unwrap_or_else(PoisonError::into_inner);
            leases.retain(|budget, lease| {
                let window_start = now - now.rem_euclid(budget.window());
                // A lease in use is kept; an idle one of a past window goes.
                lease
                    .try_lock()
                    .map_or(true, |l| l.window_start + budget.window() >= window_start)
            });
        }
        core.store.prune_counters(now - 2 * HOUR).await?;
        core.store.prune_spent_pow(now).await?;
        Ok(())
    }

    /// A gate for the bytes of one request's uploads; `anonymous` when a
    /// reporter (or anyone without a staff session) uploads.
    pub fn upload_gate<'a>(&'a self, core: &'a Core, anonymous: bool) -> UploadGate<'a> {
        UploadGate {
            budgets: self,
            core,
            anonymous,
            stored: None,
            admitted: 0,
        }
    }
}

/// When a sliding window that has handed out `used` tokens in the window
/// starting at `window_start`, after `previous` in the one before, has room
/// for one more: when `previous * (1 - elapsed) <= limit - used - 1`.
fn retry_time(window_start: i64, window: i64, limit: i64, previous: i64, used: i64) -> i64 {
    let end = window_start + window;
    let room = limit - used - 1;
    if room < 0 || previous == 0 {
        return end;
    }
    let fraction = 1.0 - room as f64 / previous as f64;
    if fraction <= 0.0 {
        return window_start;
    }
    (window_start + (window as f64 * fraction).ceil() as i64).min(end)
}

/// Why a proof of work was not redeemed.
#[derive(Debug, thiserror::Error)]
pub enum RedeemError {
    /// Invalid, expired, insufficient or spent.
    #[error(transparent)]
    Pow(#[from] PowError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The difficulty for a load (see [`Budgets::difficulty`]).
pub fn difficulty_for(load: i64, settings: &Settings) -> u8 {
    let r = &settings.rate_limits;
    let threshold = i64::from(r.pow_load_threshold.max(1));
    if load < threshold {
        return r.pow_base_difficulty;
    }
    let doublings = (load / threshold).ilog2() + 1;
    let extra = u8::try_from(doublings.saturating_mul(2)).unwrap_or(u8::MAX);
    r.pow_base_difficulty
        .saturating_add(extra)
        .min(r.pow_max_difficulty)
}

/// Admits the bytes of one request's uploads against the storage quota and,
/// for anonymous uploads, the hourly budget shared by every instance.
pub struct UploadGate<'a> {
    budgets: &'a Budgets,
    core: &'a Core,
    anonymous: bool,
    /// Bytes stored when this request's first upload began.
    stored: Option<i64>,
    /// Bytes of this request admitted so far.
    admitted: u64,
}

impl UploadGate<'_> {
    /// Admits `bytes` more of this request's uploads, or refuses them. The
    /// quota is checked against the stored total read when the request's
    /// first file began plus everything this request has sent since;
    /// concurrent requests may together pass it by at most their own size.
    pub async fn admit(&mut self, bytes: u64) -> Result<(), UploadRefusal> {
        let stored = match self.stored {
            Some(n) => n,
            None => {
                let n = self.core.store.attachment_bytes().await?;
                self.stored = Some(n);
                n
            }
        };
        let after = u64::try_from(stored)
            .unwrap_or(0)
            .saturating_add(self.admitted)
            .saturating_add(bytes);
        if after > self.core.settings.limits.storage_quota_bytes {
            return Err(UploadRefusal::StorageFull);
        }
        if self.anonymous {
            let n = i64::try_from(bytes).unwrap_or(i64::MAX);
            if !self
                .budgets
                .take(self.core, &Budget::AnonymousUploadBytes, n)
                .await?
            {
                return Err(UploadRefusal::HourlyBudget);
            }
        }
        self.admitted += bytes;
        Ok(())
    }

    /// Gives the request's anonymous bytes back to the hourly budget: its
    /// files were removed (the form was refused), so a flood of refused
    /// uploads does not spend genuine reporters' budget.
    pub async fn refund(&mut self) {
        if self.anonymous && self.admitted > 0 {
            let n = i64::try_from(self.admitted).unwrap_or(i64::MAX);
            self.budgets
                .give_back(self.core, &Budget::AnonymousUploadBytes, n)
                .await;
        }
        self.admitted = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn difficulty_rises_with_load_and_stops_at_the_maximum() {
        let mut s = Settings::default();
        s.rate_limits.pow_base_difficulty = 10;
        s.rate_limits.pow_max_difficulty = 20;
        s.rate_limits.pow_load_threshold = 100;
        assert_eq!(difficulty_for(0, &s), 10);
        assert_eq!(difficulty_for(99, &s), 10);
        assert_eq!(difficulty_for(100, &s), 12);
        assert_eq!(difficulty_for(200, &s), 14);
        assert_eq!(difficulty_for(399, &s), 14);
        assert_eq!(difficulty_for(400, &s), 16);
        assert_eq!(difficulty_for(1_000_000, &s), 20);
    }
}
