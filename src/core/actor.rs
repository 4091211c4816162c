//! Who is asking: every core operation takes an explicit [`Actor`], built by
//! the web layer from a session (or by the command line, or the scheduler),
//! and [`crate::core::authz`] decides what it may do.

use uuid::Uuid;
use varsel_crypto::{AnyIdentity, AnyRecipient};

use crate::core::keys::KeyRing;

use crate::core::audit::{AuditActor, AuditEvent};
use crate::core::domain::Role;

/// An anonymous reporter who opened their case with its code.
pub struct Reporter {
    /// The case.
    pub case_id: Uuid,
    /// The case key, where the server holds it for the session.
    pub key: ReporterKey,
}

/// Where a reporter's case key is for their session.
pub enum ReporterKey {
    /// Unwrapped by the server with the code the reporter typed into a
    /// plain form: the server decrypts the case for them.
    Unwrapped(AnyIdentity),
    /// In the reporter's browser only (docs/e2e.md): the server holds the
    /// case's public recipient, to seal what the plain forms send, and
    /// serves the case as ciphertext.
    InBrowser(AnyRecipient),
}

impl Reporter {
    /// The case's recipient: what the reporter adds is sealed to it.
    pub fn recipient(&self) -> AnyRecipient {
        match &self.key {
            ReporterKey::Unwrapped(identity) => identity.to_public(),
            ReporterKey::InBrowser(recipient) => recipient.clone(),
        }
    }

    /// The case key, if the server holds it for this session.
    pub fn identity(&self) -> Option<&AnyIdentity> {
        match &self.key {
            ReporterKey::Unwrapped(identity) => Some(identity),
            ReporterKey::InBrowser(_) => None,
        }
    }
}

/// A signed-in staff member.
pub struct StaffMember {
    /// The account.
    pub user_id: Uuid,
    /// Login name.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Roles.
    pub roles: Vec<Role>,
    /// The user's keys, unwrapped with their password at login.
    pub identity: KeyRing,
}

impl StaffMember {
    /// True if the user holds `role`.
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// The identity behind an operation.
pub enum Actor {
    /// A visitor who has not opened a case or signed in: may submit a report.
    Anonymous,
    /// A reporter, holding their case's key.
    Reporter(Reporter),
    /// A staff member, holding their own key.
    Staff(StaffMember),
    /// The service itself (scheduler, deliveries).
    System,
    /// An operator at the command line.
    Cli,
}

impl Actor {
    /// How the audit log names this actor.
    pub fn audit(&self) -> AuditActor {
        match self {
            Actor::Staff(staff) => AuditActor::User(staff.user_id),
            Actor::Reporter(_) => AuditActor::Reporter,
            Actor::Anonymous | Actor::System => AuditActor::System,
            Actor::Cli => AuditActor::Cli,
        }
    }

    /// The staff member, if this is one.
    pub fn staff(&self) -> Option<&StaffMember> {
        match self {
            Actor::Staff(staff) => Some(staff),
            _ => None,
        }
    }
}

impl StaffMember {
    /// How the audit log names this staff member.
    pub fn audit(&self) -> AuditActor {
        AuditActor::User(self.user_id)
    }

    /// An audit event of this staff member's about case `case_id`.
    pub fn event_on(&self, action: &'static str, case_id: Uuid) -> AuditEvent {
        AuditEvent::new(self.audit(), action).on_case(case_id)
    }
}
