//! A staff member's own sessions: which are live (started, last seen, which
//! is this one), and ending any of them, or all the others.
//!
//! A session is named by a public id: the first 16 bytes of
//! `SHA-256(PUBLIC_ID_LABEL || lookup key)`, in hex. It is a one-way
//! function of the row's lookup key, which is itself one-way from the
//! client's secret: showing it gives away neither, and it cannot be used to
//! resume or find a session by anyone but its owner. No address or user
//! agent is stored, so none is shown.

use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::core::actor::StaffMember;
use crate::core::audit::{action, AuditActor, AuditEvent};
use crate::core::audit_log;
use crate::core::error::{CoreError, CoreResult};
use crate::core::service::Core;
use crate::core::sessions::Session;

/// Domain-separation label of a session's public id.
pub const PUBLIC_ID_LABEL: &[u8] = b"varsel.session.public-id.v1";

/// One live session of the staff member, as they are shown it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnSession {
    /// Its public id (32 hex digits).
    pub id: String,
    /// True for an API (bearer-token) session, false for the pages.
    pub api: bool,
    /// When it started (UNIX seconds).
    pub started: i64,
    /// When it was last recorded as used (UNIX seconds, to about a minute).
    pub last_seen: i64,
    /// True for the session asking.
    pub current: bool,
}

/// The public id of the session with `lookup_key`.
pub fn public_id(lookup_key: &[u8; 32]) -> String {
    let mut hash = Sha256::new();
    hash.update(PUBLIC_ID_LABEL);
    hash.update(lookup_key);
    hex::encode(&hash.finalize()[..16])
}

/// True if `id` has the form of a public id (32 lowercase hex digits).
pub fn is_public_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The staff member's live sessions, oldest first.
pub async fn list(
    core: &Core,
    staff: &StaffMember,
    asking: &Session,
) -> CoreResult<Vec<OwnSession>> {
    let rows = core
        .store
        .sessions_of_user(staff.user_id, core.now())
        .await?;
    Ok(rows
        .iter()
        .map(|row| OwnSession {
            id: public_id(&row.lookup_key),
            api: row.api,
            started: row.created_at,
            last_seen: row.last_seen,
            current: bool::from(row.lookup_key.ct_eq(asking.lookup_key())),
        })
        .collect())
}

/// Ends the staff member's session `id` (it may be the one asking); true if
/// it was the one asking. `NotFound` if they have no live session by that id.
pub async fn end(core: &Core, staff: &StaffMember, asking: &Session, id: &str) -> CoreResult<bool> {
    let rows = core
        .store
        .sessions_of_user(staff.user_id, core.now())
        .await?;
    let found = rows
        .iter()
        .find(|row| bool::from(public_id(&row.lookup_key).as_bytes().ct_eq(id.as_bytes())))
        .ok_or(CoreError::NotFound)?;
    let current = bool::from(found.lookup_key.ct_eq(asking.lookup_key()));
    audited(core, staff, 1).await?;
    core.store
        .delete_session_of_user(staff.user_id, &found.lookup_key)
        .await?;
    Ok(current)
}

/// Ends every session of the staff member but the one asking; how many.
pub async fn end_others(core: &Core, staff: &StaffMember, asking: &Session) -> CoreResult<u64> {
    let ended = core
        .store
        .delete_other_sessions_of_user(staff.user_id, asking.lookup_key())
        .await?;
    audited(core, staff, ended).await?;
    Ok(ended)
}

async fn audited(core: &Core, staff: &StaffMember, ended: u64) -> CoreResult<()> {
    audit_log::record(
        &*core.store,
        core.now(),
        AuditEvent::new(AuditActor::User(staff.user_id), action::USER_SESSIONS_ENDED)
            .with_detail(json!({ "ended": ended })),
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_public_id_is_labelled_and_reveals_no_lookup_key() {
        let key = [7u8; 32];
        let id = public_id(&key);
        assert_eq!(id.len(), 32);
        assert_ne!(id, hex::encode(&key[..16]));
        let mut plain = Sha256::new();
        plain.update(key);
        assert_ne!(id, hex::encode(&plain.finalize()[..16]));
        assert_ne!(id, public_id(&[8u8; 32]));
        assert!(is_public_id(&id));
        assert!(!is_public_id(&id.to_uppercase()));
        assert!(!is_public_id("nonsense"));
    }
}
