//! The notification outbox and what the scheduler reminds about.

use uuid::Uuid;

use crate::core::domain::{CaseStatus, DeadlineKind, Severity};

/// What a notification says needs attention. The mail is the same for every
/// kind; the kind is for administrators and for de-duplication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationKind {
    /// A new case was routed to the user.
    CaseRouted,
    /// A deadline of a case routed to the user is near.
    DeadlineReminder,
    /// A deadline has passed; the user is a lead of the responsible group.
    DeadlineOverdue,
}

impl NotificationKind {
    /// Every kind.
    pub const ALL: [NotificationKind; 3] = [
        NotificationKind::CaseRouted,
        NotificationKind::DeadlineReminder,
        NotificationKind::DeadlineOverdue,
    ];

    /// The stored key (stable).
    pub fn key(self) -> &'static str {
        match self {
            NotificationKind::CaseRouted => "case_routed",
            NotificationKind::DeadlineReminder => "deadline_reminder",
            NotificationKind::DeadlineOverdue => "deadline_overdue",
        }
    }

    /// Parses a stored key.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key() == s)
    }
}

/// A notification to add to the outbox.
#[derive(Debug, Clone)]
pub struct NewNotification {
    /// Stable id.
    pub id: Uuid,
    /// The recipient.
    pub user_id: Uuid,
    /// What it is about.
    pub kind: NotificationKind,
    /// The case, for de-duplication only.
    pub case_id: Option<Uuid>,
    /// The deadline concerned (reminders and overdue notices).
    pub deadline: Option<DeadlineKind>,
    /// When that deadline is due, UNIX seconds.
    pub due_at: Option<i64>,
    /// UNIX seconds.
    pub created_at: i64,
    /// When to make the first delivery attempt, UNIX seconds.
    pub next_attempt_at: i64,
}

/// A notification whose delivery is due.
#[derive(Debug, Clone)]
pub struct DueNotification {
    /// Its id.
    pub id: Uuid,
    /// The recipient.
    pub user_id: Uuid,
    /// The recipient's address now, if they have one.
    pub email: Option<String>,
    /// Attempts made so far.
    pub attempts: i64,
}

/// Where an undelivered notification stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    /// Not tried yet.
    Pending,
    /// Tried and failed; will be tried again.
    Retrying,
    /// Given up on after the last allowed attempt (or no address).
    Failed,
}

impl DeliveryState {
    /// The key (for translations and the command line).
    pub fn key(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Retrying => "retrying",
            DeliveryState::Failed => "failed",
        }
    }
}

/// An undelivered notification as administrators see it: no case, no address.
#[derive(Debug, Clone)]
pub struct OutboxEntry {
    /// Its id.
    pub id: Uuid,
    /// The recipient's display name.
    pub display_name: String,
    /// What it is about.
    pub kind: NotificationKind,
    /// Where delivery stands.
    pub state: DeliveryState,
    /// Attempts made so far.
    pub attempts: i64,
    /// The last failure, a short error class and code.
    pub last_error: Option<String>,
    /// UNIX seconds.
    pub created_at: i64,
    /// UNIX seconds of the next attempt (meaningless once failed).
    pub next_attempt_at: i64,
    /// UNIX seconds at which it was given up on.
    pub failed_at: Option<i64>,
}

/// How many notifications are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NotificationCounts {
    /// Not tried yet.
    pub pending: i64,
    /// Delivered.
    pub sent: i64,
    /// Failed at least once, to be tried again.
    pub retrying: i64,
    /// Given up on.
    pub failed: i64,
}

/// The latest reminder or overdue notice about one deadline of one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlineNotice {
    /// The case.
    pub case_id: Uuid,
    /// The deadline.
    pub deadline: DeadlineKind,
    /// UNIX seconds of the latest notice.
    pub last_at: i64,
}

/// What the scheduler needs to know about a case that is not closed.
#[derive(Debug, Clone)]
pub struct CaseToRemind {
    /// The case.
    pub id: Uuid,
    /// Severity.
    pub severity: Severity,
    /// Status.
    pub status: CaseStatus,
    /// UNIX seconds (day granularity).
    pub received_at: i64,
    /// UNIX seconds of the acknowledgement.
    pub acknowledged_at: Option<i64>,
    /// UNIX seconds of the last change.
    pub updated_at: i64,
    /// Staff holding a wrap of the case identity.
    pub holders: Vec<Uuid>,
}
