//! E-mail notifications to staff: a case reached them, a deadline of one of
//! their cases is near, or a deadline is overdue (SPEC §4 "Deadlines").
//!
//! Work goes through an outbox in the database: events and the scheduler
//! [`enqueue`](enqueue_reminders) rows, and a delivery pass ([`deliver_due`])
//! sends what is due, retrying failures with exponential backoff until
//! `max_attempts`, after which a row is marked failed and logged at error
//! level — it stays visible to administrators (`/admin/notifications`,
//! `varsel notifications status`) and is never silently dropped. A pass
//! first claims a row (moves its next attempt past a lease), so several
//! passes or instances never send the same row twice at once.
//!
//! Every mail is the same ([`mailer::attention_message`]): something needs
//! attention, and the login link. Nothing about a case is ever in a mail, a
//! log line or the administrators' view.
//!
//! # Who is told
//!
//! - A new case: the handlers it was routed to (wrapped to).
//! - A reminder before a deadline: the active staff holding a wrap of the
//!   case who work cases (handler or contact role).
//! - An overdue deadline: the *leads* of the groups the case is routed to
//!   (see [`leads`]). Those groups are the ones named by the routing rules in
//!   force that match the case's current category and severity, narrowed to
//!   the groups of the active staff holding a wrap of the case — a group the
//!   case did not actually reach (say, a rule added after the case was
//!   routed) is not responsible for it. Their active leads who hold a wrap
//!   of the case are told: the reporter's exclusions are sealed to the case
//!   key, which the scheduler does not hold ([`crate::core::exclusions`]),
//!   and an excluded member never holds a wrap. Only when that leaves nobody
//!   (no rule matches, or the groups have no lead holding the case) does the
//!   fallback apply: the active contact points holding a wrap of the case,
//!   or if there are none, every active contact point. That last fallback
//!   cannot tell an excluded contact point from another; the mail says
//!   nothing about the case, and without a wrap it cannot be opened.

pub mod mailer;

use std::collections::HashMap;

use anyhow::Context;
use time::OffsetDateTime;
use uuid::Uuid;

pub use self::mailer::{attention_message, MailError, MailSender, MailTransport};
use crate::core::clock::Clock;
use crate::core::domain::deadline::{reminders_due, ReminderAction};
use crate::core::domain::{
    CaseFacts, Category, DeadlineKind, DeadlineSettings, Role, Severity, Taxonomy,
};
use crate::core::routing::{self, RoutingRule, RoutingSettings};
use crate::core::service::Core;
use crate::core::settings::NotificationSettings;
use crate::core::store::{
    CaseToRemind, Group, NewNotification, NotificationKind, Store, StoreResult, User,
};

/// Due notifications read per batch of a delivery pass.
const BATCH: i64 = 50;
/// Batches per delivery pass; what is left waits for the next pass.
const MAX_BATCHES: usize = 20;
/// Longest wait between two attempts.
const MAX_BACKOFF_SECONDS: i64 = 86_400;
/// The error recorded for a recipient without an address.
pub const NO_ADDRESS: &str = "no e-mail address";

/// What one scheduler pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Reminders and overdue notices added to the outbox.
    pub queued: u64,
    /// What the delivery pass did.
    pub delivery: DeliveryReport,
}

/// What one delivery pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Mails sent.
    pub sent: u64,
    /// Attempts that failed and will be retried.
    pub retrying: u64,
    /// Notifications given up on.
    pub failed: u64,
}

/// Queues a "new case" notification for each user the case was routed to.
/// Never fails the caller: the case is stored already, so a failure here is
/// logged at error level instead of losing the reporter's receipt.
pub async fn case_routed(state: &Core, case_id: Uuid, user_ids: &[Uuid]) {
    if !state.settings.notifications.enabled {
        return;
    }
    let now = state.clock.now().unix_timestamp();
    if let Err(e) = enqueue_case_routed(&*state.store, now, case_id, user_ids).await {
        tracing::error!(error = %e, "cannot queue new-case notifications");
    }
}

/// The "new case" notifications for `user_ids`, to be stored with the case
/// in its own transaction; none when notifications are off.
pub fn case_routed_items(state: &Core, case_id: Uuid, user_ids: &[Uuid]) -> Vec<NewNotification> {
    if !state.settings.notifications.enabled {
        return Vec::new();
    }
    // A submission's notices keep its day only (SPEC §3.5): created and
    // due at the day's start, so the row does not place the reporter.
    let today = crate::core::clock::day_of(state.clock.now().unix_timestamp());
    case_routed_notifications(today, case_id, user_ids)
}

fn case_routed_notifications(now: i64, case_id: Uuid, user_ids: &[Uuid]) -> Vec<NewNotification> {
    user_ids
        .iter()
        .map(|&user_id| NewNotification {
            id: Uuid::new_v4(),
            user_id,
            kind: NotificationKind::CaseRouted,
            case_id: Some(case_id),
            deadline: None,
            due_at: None,
            created_at: now,
            next_attempt_at: now,
        })
        .collect()
}

/// Adds a "new case" notification for each of `user_ids` to the outbox.
pub async fn enqueue_case_routed(
    store: &dyn Store,
    now: i64,
    case_id: Uuid,
    user_ids: &[Uuid],
) -> StoreResult<u64> {
    let items = case_routed_notifications(now, case_id, user_ids);
    store.enqueue_notifications(&items).await
}

/// One scheduler pass at the clock's current time: queue the reminders and
/// overdue notices that are due, then deliver what is due. Does nothing while
/// notifications are disabled.
pub async fn tick(state: &Core, clock: &dyn Clock) -> anyhow::Result<TickReport> {
    let settings = &state.settings.notifications;
    if !settings.enabled {
        return Ok(TickReport::default());
    }
    let now = clock.now();
    let queued = enqueue_reminders(
        &*state.store,
        &state.settings.deadlines,
        &state.settings.taxonomy,
        &state.settings.routing,
        now,
    )
    .await?;
    let delivery = deliver_due(&*state.store, &*state.mail, settings, now.unix_timestamp()).await?;
    Ok(TickReport { queued, delivery })
}

/// Queues, for every case that is not closed, the reminders and overdue
/// notices [`reminders_due`] says are due at `now`, the cases' sub-type
/// duties taken from `taxonomy`; `routing` gives the
/// configured rules that decide, with the stored ones, who [`leads`] a case.
/// Idempotent: a notice already queued is not queued again (the outbox's key
/// forbids it too).
pub async fn enqueue_reminders(
    store: &dyn Store,
    deadlines: &DeadlineSettings,
    taxonomy: &Taxonomy,
    routing: &RoutingSettings,
    now: OffsetDateTime,
) -> anyhow::Result<u64> {
    let users = store.list_users().await.context("cannot list users")?;
    let cases = store
        .cases_to_remind()
        .await
        .context("cannot list open cases")?;
    let mut sent: HashMap<Uuid, Vec<(DeadlineKind, OffsetDateTime)>> = HashMap::new();
    for notice in store.deadline_notices().await? {
        if let Ok(at) = OffsetDateTime::from_unix_timestamp(notice.last_at) {
            sent.entry(notice.case_id)
                .or_default()
                .push((notice.deadline, at));
        }
    }
    let facts = facts_of(store, taxonomy, &cases).await?;
    let stamp = now.unix_timestamp();
    let mut items = Vec::new();
    let mut unaddressed = 0usize;
    for case in &cases {
        let Some(facts) = facts.get(&case.id) else {
            continue;
        };
        let last_sent = sent.get(&case.id).map_or(&[][..], Vec::as_slice);
        for due in reminders_due(facts, deadlines, now, last_sent) {
            let (kind, mut recipients) = match due.action {
                ReminderAction::Remind => {
                    (NotificationKind::DeadlineReminder, workers(case, &users))
                }
                ReminderAction::Escalate => (
                    NotificationKind::DeadlineOverdue,
                    leads(store, routing, case, &users).await?,
                ),
            };
            if recipients.is_empty() {
                // Nobody works the case any more: its leads hear of it instead.
                recipients = leads(store, routing, case, &users).await?;
            }
            if recipients.is_empty() {
                unaddressed += 1;
            }
            items.extend(recipients.into_iter().map(|user_id| NewNotification {
                id: Uuid::new_v4(),
                user_id,
                kind,
                case_id: Some(case.id),
                deadline: Some(due.deadline.kind),
                due_at: Some(due.deadline.due.unix_timestamp()),
                created_at: stamp,
                next_attempt_at: stamp,
            }));
        }
    }
    if unaddressed > 0 {
        tracing::warn!(
            deadlines = unaddressed,
            "deadline notices have no recipient: create an active user with the contact role"
        );
    }
    Ok(store.enqueue_notifications(&items).await?)
}

/// The deadline facts of `cases` as stored (sub-type duties, feedback,
/// extension, escalation decisions), read at once and converted by
/// [`crate::core::deadlines::facts_of`]; a case whose facts are not valid is left out.
async fn facts_of(
    store: &dyn Store,
    taxonomy: &Taxonomy,
    cases: &[CaseToRemind],
) -> anyhow::Result<HashMap<Uuid, CaseFacts>> {
    let ids: Vec<Uuid> = cases.iter().map(|c| c.id).collect();
    let stored = store
        .deadline_facts_of(&ids)
        .await
        .context("cannot read deadline facts")?;
    Ok(stored
        .iter()
        .filter_map(|s| Some((s.case_id, crate::core::deadlines::facts_of(s, taxonomy)?)))
        .collect())
}

fn has_role(user: &User, role: Role) -> bool {
    user.roles.contains(&role)
}

/// The active staff holding a wrap of the case who work cases.
fn workers(case: &CaseToRemind, users: &[User]) -> Vec<Uuid> {
    users
        .iter()
        .filter(|u| u.active && case.holders.contains(&u.id))
        .filter(|u| has_role(u, Role::Handler) || has_role(u, Role::Contact))
        .map(|u| u.id)
        .collect()
}

/// Who hears of an overdue deadline (see the module documentation): the
/// active leads holding a wrap of the case among the groups it is routed to
/// by the rules in force (`routing`'s, then the stored ones) that hold it;
/// if there are none, the contact points holding a wrap of the case, else
/// every active contact point.
pub async fn leads(
    store: &dyn Store,
    routing: &RoutingSettings,
    case: &CaseToRemind,
    users: &[User],
) -> StoreResult<Vec<Uuid>> {
    let rules = routing::rules_in_force(routing, store).await?;
    let groups = store.groups().await?;
    let routed_as = store.case_classification(case.id).await?;
    Ok(leads_of(&rules, &groups, routed_as, case, users))
}

/// [`leads`] on loaded facts: `routed_as` is the case's (category, severity).
fn leads_of(
    rules: &[RoutingRule],
    groups: &[Group],
    routed_as: Option<(Category, Severity)>,
    case: &CaseToRemind,
    users: &[User],
) -> Vec<Uuid> {
    let eligible = |u: &&User| u.active;
    let holding: Vec<&str> = users
        .iter()
        .filter(|u| u.active && case.holders.contains(&u.id))
        .flat_map(|u| u.groups.iter().map(String::as_str))
        .collect();
    let responsible: Vec<&Group> = routed_as
        .map(|(category, severity)| routing::groups_for(rules, category, severity))
        .unwrap_or_default()
        .into_iter()
        .filter(|name| holding.contains(name))
        .filter_map(|name| groups.iter().find(|g| g.name == name))
        .collect();
    let group_leads: Vec<Uuid> = users
        .iter()
        .filter(eligible)
        .filter(|u| case.holders.contains(&u.id))
        .filter(|u| responsible.iter().any(|g| g.has_lead(u.id)))
        .map(|u| u.id)
        .collect();
    if !group_leads.is_empty() {
        return group_leads;
    }
    let contacts = || {
        users
            .iter()
            .filter(eligible)
            .filter(|u| has_role(u, Role::Contact))
    };
    let on_case: Vec<Uuid> = contacts()
        .filter(|u| case.holders.contains(&u.id))
        .map(|u| u.id)
        .collect();
    if on_case.is_empty() {
        contacts().map(|u| u.id).collect()
    } else {
        on_case
    }
}

/// The wait before attempt `attempts + 1`, after `attempts` failed ones:
/// `base`, then doubling, at most a day.
pub fn backoff_seconds(base: u64, attempts: u32) -> i64 {
    let base = i64::try_from(base).unwrap_or(MAX_BACKOFF_SECONDS);
    let factor = 1i64 << attempts.saturating_sub(1).min(30);
    base.saturating_mul(factor).min(MAX_BACKOFF_SECONDS)
}

/// Sends every notification due at `now` (UNIX seconds): marks each sent, or
/// schedules a retry with backoff, or after `max_attempts` marks it failed.
/// A recipient without an address is failed at once.
pub async fn deliver_due(
    store: &dyn Store,
    transport: &dyn MailTransport,
    settings: &NotificationSettings,
    now: i64,
) -> anyhow::Result<DeliveryReport> {
    let mut report = DeliveryReport::default();
    let mut mailer: Option<Box<dyn MailSender>> = None;
    // A claimed row is not due again before this, so a pass that dies while
    // sending leaves it to be retried rather than lost.
    let lease = i64::try_from(settings.timeout_seconds.saturating_mul(4))
        .unwrap_or(MAX_BACKOFF_SECONDS)
        .saturating_add(60);
    for _ in 0..MAX_BATCHES {
        let due = store.due_notifications(now, BATCH).await?;
        if due.is_empty() {
            break;
        }
        if mailer.is_none() {
            mailer = Some(
                transport
                    .sender(settings)
                    .context("cannot set up the mailer")?,
            );
        }
        let Some(mailer) = mailer.as_ref() else {
            break;
        };
        for n in due {
            if !store
                .claim_notification(n.id, now, now.saturating_add(lease))
                .await?
            {
                continue;
            }
            let attempts = u32::try_from(n.attempts.saturating_add(1)).unwrap_or(u32::MAX);
            let result = match n.email.as_deref().map(str::trim) {
                None | Some("") => Err(None),
                Some(address) => mailer.send_attention(address).await.map_err(Some),
            };
            match result {
                Ok(()) => {
                    // The day only: a new-case mail goes out on the first
                    // pass after the submission it announces.
                    store
                        .notification_sent(n.id, crate::core::clock::day_of(now))
                        .await?;
                    report.sent += 1;
                }
                Err(error) => {
                    let give_up = attempts >= settings.max_attempts
                        || error.as_ref().is_none_or(MailError::retrying_cannot_help);
                    let reason = error.map_or_else(|| NO_ADDRESS.to_owned(), |e| e.to_string());
                    if give_up {
                        store
                            .notification_failed(
                                n.id,
                                crate::core::clock::day_of(now),
                                &reason,
                                None,
                            )
                            .await?;
                        report.failed += 1;
                        tracing::error!(
                            notification = %n.id,
                            user = %n.user_id,
                            attempts,
                            error = %reason,
                            "e-mail notification failed for good; see /admin/notifications"
                        );
                    } else {
                        let retry_at = now
                            .saturating_add(backoff_seconds(settings.retry_base_seconds, attempts));
                        store
                            .notification_failed(n.id, now, &reason, Some(retry_at))
                            .await?;
                        report.retrying += 1;
                        tracing::warn!(
                            notification = %n.id,
                            attempts,
                            error = %reason,
                            "e-mail notification failed; will retry"
                        );
                    }
                }
            }
        }
    }
    if report != DeliveryReport::default() {
        tracing::info!(
            sent = report.sent,
            retrying = report.retrying,
            failed = report.failed,
            "e-mail notifications delivered"
        );
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::domain::CaseStatus;

    fn user(roles: &[&str], active: bool) -> User {
        User {
            active,
            ..crate::core::testing::user("", roles, &[])
        }
    }

    fn case(holders: Vec<Uuid>) -> CaseToRemind {
        CaseToRemind {
            id: Uuid::new_v4(),
            severity: Severity::Middels,
            status: CaseStatus::Received,
            received_at: 0,
            acknowledged_at: None,
            updated_at: 0,
            holders,
        }
    }

    #[test]
    fn backoff_doubles_from_the_base_and_stops_at_a_day() {
        assert_eq!(backoff_seconds(60, 1), 60);
        assert_eq!(backoff_seconds(60, 2), 120);
        assert_eq!(backoff_seconds(60, 4), 480);
        assert_eq!(backoff_seconds(60, 40), MAX_BACKOFF_SECONDS);
        assert_eq!(backoff_seconds(u64::MAX, 1), MAX_BACKOFF_SECONDS);
    }

    #[test]
    fn leads_are_the_case_contacts_else_every_contact() {
        let handler = user(&["handler"], true);
        let contact_on_case = user(&["contact", "handler"], true);
        let other_contact = user(&["contact"], true);
        let retired_contact = user(&["contact"], false);
        let users = vec![
            handler.clone(),
            contact_on_case.clone(),
            other_contact.clone(),
            retired_contact.clone(),
        ];
        let on = case(vec![handler.id, contact_on_case.id, retired_contact.id]);
        let leads = |case: &CaseToRemind| leads_of(&[], &[], None, case, &users);
        assert_eq!(leads(&on), vec![contact_on_case.id]);
        let off = case(vec![handler.id]);
        assert_eq!(leads(&off), vec![contact_on_case.id, other_contact.id]);
        assert_eq!(workers(&on, &users), vec![handler.id, contact_on_case.id]);
    }

    #[test]
    fn leads_of_the_groups_holding_the_case_are_told_first() {
        let in_group = |group: &str| User {
            groups: vec![group.to_owned()],
            ..user(&["handler"], true)
        };
        let (lead, member, hr_lead) = (in_group("infosec"), in_group("infosec"), in_group("hr"));
        let contact = user(&["contact"], true);
        let users = vec![
            lead.clone(),
            member.clone(),
            hr_lead.clone(),
            contact.clone(),
        ];
        let group = |name: &str, members: Vec<Uuid>, leads: Vec<Uuid>| Group {
            name: name.to_owned(),
            description: String::new(),
            created_at: 0,
            members,
            leads,
        };
        let groups = vec![
            group("infosec", vec![lead.id, member.id], vec![lead.id]),
            group("hr", vec![hr_lead.id], vec![hr_lead.id]),
        ];
        let rules = vec![RoutingRule {
            category: "avvik".into(),
            severities: vec!["hoy".into()],
            groups: vec!["infosec".into(), "hr".into()],
        }];
        // Only infosec holds the case: hr's lead is not responsible for it.
        let held = case(vec![lead.id, member.id]);
        let avvik = Some((Category::Avvik, Severity::Hoy));
        let leads =
            |routed_as, held: &CaseToRemind| leads_of(&rules, &groups, routed_as, held, &users);
        assert_eq!(leads(avvik, &held), vec![lead.id]);
        // A lead without a wrap (the reporter excluded them) is never told;
        // nobody left: the contact points.
        let lead_excluded = case(vec![member.id]);
        assert_eq!(leads(avvik, &lead_excluded), vec![contact.id]);
        // No rule matches: no group is responsible.
        assert_eq!(
            leads(Some((Category::Varsling, Severity::Hoy)), &held),
            vec![contact.id]
        );
    }
}
