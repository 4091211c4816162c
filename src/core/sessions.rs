//! Sessions, kept in the database so that any instance serves any request and
//! a restart logs nobody out.
//!
//! The client holds a random 256-bit secret ([`SessionSecret`]) as its cookie
//! value or bearer token. The database row is keyed by a one-way lookup key
//! derived from it and holds the identity the session unlocked — a staff
//! member's X25519 key, or a reporter's case key — only sealed
//! (ChaCha20-Poly1305) under another key derived from it. A stolen database
//! therefore yields no key, and a stolen token without the database yields
//! nothing. The CSRF token of a session is derived from the secret too.
//!
//! Expiry: a session ends after its idle timeout (staff and reporter
//! settings) and a staff session also `staff_max_hours` after login, however
//! active. So that a busy session does not write on every request, its
//! `last_seen` is refreshed only when it is older than [`touch_interval`] (a
//! minute, or a quarter of a short idle timeout): a session can thus end up
//! to that much before its idle timeout is over, never after. Ended rows are
//! deleted when met and by the housekeeping sweep ([`purge_expired`]).
//! Deleting a row ends the session on every instance.
//!
//! The staff member's name and roles are read from `users` with the session,
//! in the same query: a role change or deactivation takes effect at the next
//! request.

use anyhow::anyhow;
use uuid::Uuid;
use varsel_crypto::{SessionLookupKey, SessionSecret};
use zeroize::Zeroizing;

use crate::core::actor::{Actor, Reporter, ReporterKey, StaffMember};
use crate::core::error::{CoreError, CoreResult};
use crate::core::keys::KeyRing;
use crate::core::service::Core;
use crate::core::settings::{parse_csrf_key, CSRF_KEY_BYTES};
use crate::core::store::{NewSession, SessionSubject, StoredSession};

/// Longest time between two refreshes of a session's `last_seen`.
pub const TOUCH_INTERVAL_SECONDS: i64 = 60;

/// A live session: who it is, and the CSRF token its forms echo.
pub struct Session {
    /// Who it is: [`Actor::Staff`] or [`Actor::Reporter`].
    pub principal: Actor,
    /// True for API sessions (bearer token), false for cookie sessions.
    pub api: bool,
    lookup_key: SessionLookupKey,
    csrf: Zeroizing<String>,
}

impl Session {
    /// The key its row is found by (never shown: see `core::own_sessions`).
    pub(crate) fn lookup_key(&self) -> &SessionLookupKey {
        &self.lookup_key
    }

    /// The CSRF token the session's forms must echo.
    pub fn csrf(&self) -> &str {
        &self.csrf
    }

    /// Checks a submitted CSRF token in constant time.
    pub fn csrf_matches(&self, submitted: &str) -> bool {
        use subtle::ConstantTimeEq;
        self.csrf.len() == submitted.len()
            && bool::from(self.csrf.as_bytes().ct_eq(submitted.as_bytes()))
    }
}

/// A session just started: the token to give the client (the secret, never
/// stored) and the session.
pub struct Started {
    /// The cookie value or bearer token.
    pub token: Zeroizing<String>,
    /// The session.
    pub session: Session,
}

/// How often a live session's `last_seen` is written: every
/// [`TOUCH_INTERVAL_SECONDS`], or a quarter of `idle_seconds` if that is shorter.
pub fn touch_interval(idle_seconds: i64) -> i64 {
    (idle_seconds / 4).clamp(1, TOUCH_INTERVAL_SECONDS)
}

/// The idle timeout of a session of `principal`, in seconds.
fn idle_seconds(core: &Core, staff: bool) -> i64 {
    let s = &core.settings.sessions;
    let minutes = if staff {
        s.staff_idle_minutes
    } else {
        s.reporter_idle_minutes
    };
    i64::try_from(minutes.saturating_mul(60)).unwrap_or(i64::MAX)
}

/// What a sealed identity is bound to: the kind, subject and use of its session.
fn seal_context(subject: &SessionSubject, api: bool) -> Vec<u8> {
    let (kind, id) = match subject {
        SessionSubject::Staff(id) => ("staff", id),
        SessionSubject::Reporter(id) => ("reporter", id),
    };
    let channel = if api { "api" } else { "cookie" };
    format!("varsel.session.v1:{kind}:{id}:{channel}").into_bytes()
}

/// Starts a session for `principal` (a staff member or a reporter): stores
/// its row and returns the token for the client.
pub async fn start(core: &Core, principal: Actor, api: bool) -> CoreResult<Started> {
    let now = core.now();
    let (subject, held, expires_at) = match &principal {
        Actor::Staff(staff) => {
            let hours = core.settings.sessions.staff_max_hours.max(1);
            let max_age = i64::try_from(hours.saturating_mul(3600)).unwrap_or(i64::MAX);
            (
                SessionSubject::Staff(staff.user_id),
                staff.identity.to_text(),
                Some(now.saturating_add(max_age)),
            )
        }
        Actor::Reporter(reporter) => (
            SessionSubject::Reporter(reporter.case_id),
            match &reporter.key {
                ReporterKey::Unwrapped(identity) => KeyRing::new(identity.clone()).to_text(),
                // Only the public recipient: the key stays in the browser.
                ReporterKey::InBrowser(recipient) => Zeroizing::new(recipient.to_string()),
            },
            None,
        ),
        _ => {
            return Err(CoreError::Internal(anyhow!(
                "only staff and reporters have sessions"
            )))
        }
    };
    let secret = SessionSecret::generate();
    let lookup_key = secret.lookup_key();
    let row = NewSession {
        lookup_key,
        subject,
        api,
        sealed_identity: secret.seal_bytes(held.as_bytes(), &seal_context(&subject, api)),
        created_at: now,
        idle_seconds: idle_seconds(core, matches!(subject, SessionSubject::Staff(_))),
        expires_at,
    };
    core.store.create_session(&row).await?;
    Ok(Started {
        token: secret.token(),
        session: Session {
            principal,
            api,
            lookup_key,
            csrf: secret.csrf_token(),
        },
    })
}

/// The live session `token` names, if any; its `last_seen` is refreshed when
/// due. A token of the wrong form, an unknown or ended session, a seal that
/// does not open, or a deactivated staff account all give `None` (and an
/// ended session's row is deleted).
pub async fn resolve(core: &Core, token: &str) -> CoreResult<Option<Session>> {
    let Some(secret) = SessionSecret::from_token(token) else {
        return Ok(None);
    };
    let lookup_key = secret.lookup_key();
    let Some(stored) = core.store.session(&lookup_key).await? else {
        return Ok(None);
    };
    let now = core.now();
    let staff_gone = matches!(&stored.user, Some(user) if !user.active)
        || (matches!(stored.subject, SessionSubject::Staff(_)) && stored.user.is_none());
    if now >= stored.ends_at || staff_gone {
        core.store.delete_session(&lookup_key).await?;
        return Ok(None);
    }
    let Some(principal) = open(&secret, &stored) else {
        return Ok(None);
    };
    if now.saturating_sub(stored.last_seen) >= touch_interval(stored.idle_seconds) {
        core.store.touch_session(&lookup_key, now).await?;
    }
    Ok(Some(Session {
        principal,
        api: stored.api,
        lookup_key,
        csrf: secret.csrf_token(),
    }))
}

/// The actor a stored session stands for, its identity unsealed with `secret`.
fn open(secret: &SessionSecret, stored: &StoredSession) -> Option<Actor> {
    let context = seal_context(&stored.subject, stored.api);
    // A reporter session whose key stayed in the browser holds the case's
    // recipient (`age1…`), which no key ring's text starts with.
    if let SessionSubject::Reporter(case_id) = stored.subject {
        let plain = secret.open_bytes(&stored.sealed_identity, &context)?;
        if plain.len() != 32 && plain.starts_with(b"age1") {
            let recipient = std::str::from_utf8(&plain).ok()?.parse().ok()?;
            return Some(Actor::Reporter(Reporter {
                case_id,
                key: ReporterKey::InBrowser(recipient),
            }));
        }
    }
    let identity = KeyRing::open_from_session(secret, &stored.sealed_identity, &context)?;
    Some(match (stored.subject, &stored.user) {
        (SessionSubject::Staff(user_id), Some(user)) => Actor::Staff(StaffMember {
            user_id,
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            roles: user.roles.clone(),
            identity,
        }),
        (SessionSubject::Reporter(case_id), _) => Actor::Reporter(Reporter {
            case_id,
            key: ReporterKey::Unwrapped(identity.into_current()),
        }),
        (SessionSubject::Staff(_), None) => return None,
    })
}

/// Name of the setting that holds the shared CSRF key (hex).
pub const CSRF_KEY_SETTING: &str = "csrf_key";

/// The key of the CSRF tokens of visitors without a session: the configured
/// one (`server.csrf_key`), or else the one kept in the database, made from a
/// random candidate by whichever instance starts first.
pub async fn anonymous_csrf_key(core: &Core) -> CoreResult<Zeroizing<[u8; CSRF_KEY_BYTES]>> {
    if let Some(key) = core.settings.server.configured_csrf_key() {
        return Ok(key);
    }
    let mut candidate = Zeroizing::new([0u8; CSRF_KEY_BYTES]);
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, candidate.as_mut());
    let candidate = Zeroizing::new(hex::encode(candidate.as_ref()));
    let stored = Zeroizing::new(
        core.store
            .setting_or_init(CSRF_KEY_SETTING, &candidate)
            .await?,
    );
    parse_csrf_key(&stored).ok_or_else(|| {
        CoreError::Internal(anyhow!(
            "the stored {CSRF_KEY_SETTING} setting is malformed"
        ))
    })
}

/// Ends a session on every instance.
pub async fn end(core: &Core, session: &Session) -> CoreResult<()> {
    core.store.delete_session(&session.lookup_key).await?;
    Ok(())
}

/// Ends every session of staff member `user_id`; how many there were.
pub async fn end_for_user(core: &Core, user_id: Uuid) -> CoreResult<u64> {
    Ok(core.store.delete_sessions_of_user(user_id).await?)
}

/// Ends every reporter session of case `case_id`; how many there were.
pub async fn end_for_case(core: &Core, case_id: Uuid) -> CoreResult<u64> {
    Ok(core.store.delete_sessions_of_case(case_id).await?)
}

/// Deletes every ended session; how many there were.
pub async fn purge_expired(core: &Core) -> CoreResult<u64> {
    Ok(core.store.delete_expired_sessions(core.now()).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_seen_is_written_at_most_once_a_minute() {
        assert_eq!(touch_interval(30 * 60), 60);
        assert_eq!(touch_interval(60), 15);
        assert_eq!(touch_interval(2), 1);
        assert_eq!(touch_interval(0), 1);
    }

    #[test]
    fn a_seal_is_bound_to_kind_subject_and_channel() {
        let id = Uuid::new_v4();
        let contexts = [
            seal_context(&SessionSubject::Staff(id), false),
            seal_context(&SessionSubject::Staff(id), true),
            seal_context(&SessionSubject::Reporter(id), false),
            seal_context(&SessionSubject::Staff(Uuid::new_v4()), false),
        ];
        for (i, a) in contexts.iter().enumerate() {
            for b in &contexts[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }
}
