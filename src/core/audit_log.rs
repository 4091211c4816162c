//! Writing to the audit log ([`crate::core::audit`] defines the entries and
//! their hash chain; the store serialises appends so the chain never forks).

use crate::core::audit::{AuditActor, AuditEvent};
use crate::core::clock::day_of;
use crate::core::store::{AuditRecord, Store, StoreResult};

/// The entry `event` becomes, stamped `now` (UNIX seconds by the
/// application's clock; reporter events only with the day), for a store
/// method that appends it in the same transaction as the write it records.
pub fn prepare(now: i64, event: AuditEvent) -> AuditRecord {
    let at = match event.actor {
        AuditActor::Reporter => day_of(now),
        _ => now,
    };
    AuditRecord {
        at,
        actor: event.actor.as_db(),
        action: event.action,
        case_id: event.case_id,
        detail: event.detail.to_string(),
    }
}

/// Appends `event` to the log, stamped `now` (UNIX seconds by the
/// application's clock; reporter events only with the day). A failure is
/// logged (actor and action only) and returned; the caller decides whether
/// its operation may go on without the entry.
pub async fn record(store: &dyn Store, now: i64, event: AuditEvent) -> StoreResult<i64> {
    let r = prepare(now, event);
    let appended = store
        .append_audit(r.at, &r.actor, r.action, r.case_id, &r.detail)
        .await;
    if let Err(e) = &appended {
        tracing::error!(
            actor = %r.actor,
            action = r.action,
            error = %e,
            "cannot append to the audit log"
        );
    }
    appended
}
