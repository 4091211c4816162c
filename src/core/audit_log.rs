//! Writing to the audit log ([`crate::core::audit`] defines the entries and
//! their hash chain; the store serialises appends so the chain never forks).

use crate::core::audit::{AuditActor, AuditEvent};
use crate::core::clock::day_of;
use crate::core::store::{Store, StoreResult};

/// Appends `event` to the log, stamped `now` (UNIX seconds by the
/// application's clock; reporter events only with the day). A failure is
/// logged (actor and action only) and returned; the caller decides whether
/// its operation may go on without the entry.
pub async fn record(store: &dyn Store, now: i64, event: AuditEvent) -> StoreResult<i64> {
    let at = match event.actor {
        AuditActor::Reporter => day_of(now),
        _ => now,
    };
    let actor = event.actor.as_db();
    let detail = event.detail.to_string();
    let appended = store
        .append_audit(at, &actor, event.action, event.case_id, &detail)
        .await;
    if let Err(e) = &appended {
        tracing::error!(
            actor = %actor,
            action = event.action,
            error = %e,
            "cannot append to the audit log"
        );
    }
    appended
}
