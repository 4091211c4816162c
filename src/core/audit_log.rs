//! Writing to the audit log ([`crate::core::audit`] defines the entries and
//! their hash chain; the store serialises appends so the chain never forks).
//!
//! A reporter's entries are stamped with the day only, and their place in
//! the chain must not say more (SPEC §3.5): appended at once, an entry's
//! `seq` would sit between two timed staff entries and give the reporter's
//! time to the minute. So they are queued (`audit_queue`), in the same
//! transaction as what they record (a crash never leaves a case without its
//! record), and the scheduler appends every finished day's queue to the
//! chain in one go, in random order ([`append_finished_days`]). The chain
//! stays one verifiable sequence; a queued entry is not yet covered by it,
//! for at most a day and a minute.

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
/// application's clock; reporter events only with the day, and queued for
/// [`append_finished_days`] rather than chained now: returns the new
/// entry's `seq`, or 0 for a queued one). A failure is logged (actor and
/// action only) and returned; the caller decides whether its operation may
/// go on without the entry.
pub async fn record(store: &dyn Store, now: i64, event: AuditEvent) -> StoreResult<i64> {
    let r = prepare(now, event);
    let appended = if r.actor == AuditActor::Reporter.as_db() {
        store.queue_audit(&r).await.map(|()| 0)
    } else {
        store
            .append_audit(r.at, &r.actor, r.action, r.case_id, &r.detail)
            .await
    };
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

/// Appends the queued reporter entries of every day before today's (by
/// `now`) to the chain, in random order. The scheduler calls it every
/// minute; returns how many were appended.
pub async fn append_finished_days(store: &dyn Store, now: i64) -> StoreResult<usize> {
    store.append_queued_audit(day_of(now)).await
}
