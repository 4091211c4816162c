//! Rate limits, the web side: the shared budgets of
//! [`crate::core::limits`], the proof of work a request carries (form fields
//! `pow_challenge` and `pow_solution`, or the API's `Varsel-Pow-Challenge`
//! and `Varsel-Pow-Solution` headers) and the staff device cookie. The
//! challenge endpoints and the solver script are in `web::api::pow`.
//! Reporters are never told apart by address: their limits are per lane.
//! Handlers charge a budget only after the cheap checks (CSRF, the form's
//! fields, the case code's form) have passed, so malformed requests cost
//! the shared budget nothing.

use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::cookie::{Cookie, SameSite};
use actix_web::HttpRequest;

use crate::core::limits::{Budget, Budgets, Lane, RedeemError, StaffLoginLane};
use crate::core::pow::{PowError, Purpose};
use crate::core::service::Core;
use crate::core::store::{Store, StoreError, StoreResult};

/// Name of the staff device cookie.
pub const DEVICE_COOKIE: &str = "varsel_device";
/// Form field of a proof-of-work challenge.
pub const POW_CHALLENGE_FIELD: &str = "pow_challenge";
/// Form field of a proof-of-work solution.
pub const POW_SOLUTION_FIELD: &str = "pow_solution";
/// API header of a proof-of-work challenge.
pub const POW_CHALLENGE_HEADER: &str = "Varsel-Pow-Challenge";
/// API header of a proof-of-work solution.
pub const POW_SOLUTION_HEADER: &str = "Varsel-Pow-Solution";

/// The service's budgets (shared through the database).
pub struct RateLimits {
    /// The core's budgets and this instance's leases of them.
    pub budgets: Budgets,
    /// What this instance refused, for `/metrics`.
    pub refusals: Refusals,
}

/// Requests this instance refused, counted per lane (nothing else is kept).
#[derive(Debug, Default)]
pub struct Refusals {
    /// Reporter requests whose lane budget was spent.
    pub reporter: AtomicU64,
    /// Reporter requests whose proof of work was refused.
    pub pow: AtomicU64,
    /// Staff logins whose budget was spent.
    pub staff_login: AtomicU64,
}

fn count(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// A proof of work as a request carries it: both parts non-empty, or none.
#[derive(Debug, Clone, Default)]
pub struct PowProof {
    challenge: String,
    solution: String,
}

impl PowProof {
    /// From a form's two fields; `None` unless both are filled (a browser
    /// without JavaScript sends neither).
    pub fn from_fields(challenge: &str, solution: &str) -> Option<Self> {
        let (challenge, solution) = (challenge.trim(), solution.trim());
        (!challenge.is_empty() && !solution.is_empty()).then(|| PowProof {
            challenge: challenge.to_owned(),
            solution: solution.to_owned(),
        })
    }

    /// From an API request's two headers.
    pub fn from_headers(req: &HttpRequest) -> Option<Self> {
        let header = |name| {
            req.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
        };
        Self::from_fields(header(POW_CHALLENGE_HEADER), header(POW_SOLUTION_HEADER))
    }
}

/// Why a reporter's request was not admitted.
#[derive(Debug, thiserror::Error)]
pub enum Limited {
    /// Its proof of work was refused.
    #[error("proof of work refused: {0}")]
    Pow(PowError),
    /// The lane's budget is spent for now.
    #[error("too many requests")]
    TooMany,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl RateLimits {
    /// Loads the shared abuse secret (made on the first start).
    pub async fn load(store: &dyn Store) -> StoreResult<Self> {
        Ok(RateLimits {
            budgets: Budgets::load(store).await?,
            refusals: Refusals::default(),
        })
    }

    /// Admits a reporter's request for `purpose` that has passed its cheap
    /// checks: a valid, unspent proof of work takes the proof-of-work lane,
    /// no proof the no-JavaScript lane; each lane has its own budget.
    pub async fn reporter(
        &self,
        core: &Core,
        purpose: Purpose,
        proof: Option<PowProof>,
    ) -> Result<Lane, Limited> {
        let lane = match proof {
            Some(proof) => {
                self.budgets
                    .redeem(core, purpose, &proof.challenge, &proof.solution)
                    .await
                    .map_err(|e| match e {
                        RedeemError::Pow(e) => {
                            count(&self.refusals.pow);
                            Limited::Pow(e)
                        }
                        RedeemError::Store(e) => Limited::Store(e),
                    })?;
                Lane::Pow
            }
            None => Lane::Plain,
        };
        if self
            .budgets
            .take(core, &Budget::Reporter(purpose, lane), 1)
            .await?
        {
            Ok(lane)
        } else {
            count(&self.refusals.reporter);
            Err(Limited::TooMany)
        }
    }

    /// May `username` try to log in now? A browser holding a valid device
    /// cookie for the username is charged only to its own device budget.
    pub async fn staff_login(
        &self,
        core: &Core,
        username: &str,
        device_cookie: Option<&str>,
    ) -> StoreResult<bool> {
        let device =
            device_cookie.and_then(|token| self.budgets.known_device(core, token, username));
        let lane = match &device {
            Some(device) => StaffLoginLane::KnownDevice(device),
            None => StaffLoginLane::UnknownDevice,
        };
        let admitted = self.budgets.staff_login(core, username, lane).await?;
        if !admitted {
            count(&self.refusals.staff_login);
        }
        Ok(admitted)
    }

    /// The device cookie set after a successful staff login: signed, bound
    /// to the username (hashed), long-lived, HttpOnly, SameSite=Strict.
    pub fn device_cookie(&self, core: &Core, username: &str) -> Cookie<'static> {
        let days = i64::from(core.settings.rate_limits.device_cookie_days);
        Cookie::build(DEVICE_COOKIE, self.budgets.device_token(core, username))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Strict)
            .secure(core.settings.server.tls)
            .max_age(actix_web::cookie::time::Duration::days(days))
            .finish()
    }

    /// Prunes old windows and spent challenges (every minute).
    pub async fn housekeeping(&self, core: &Core) {
        if let Err(e) = self.budgets.housekeeping(core).await {
            tracing::warn!(error = %e, "rate-limit housekeeping failed");
        }
    }
}

/// The device cookie a request carries, if any.
pub fn device_cookie_of(req: &HttpRequest) -> Option<String> {
    req.cookie(DEVICE_COOKIE).map(|c| c.value().to_owned())
}
