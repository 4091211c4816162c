//! Staff roles (SPEC §1). A user may hold several.

use serde::{Deserialize, Serialize};

/// What a staff member may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Saksbehandler: works routed cases.
    Handler,
    /// Kontaktpunkt: decides escalation to authorities.
    Contact,
    /// Manages accounts and settings; never case content.
    Admin,
    /// Reads aggregate statistics only.
    Auditor,
    /// Identity custodian: holds reporters' identities (sealed to their own
    /// key) and decides handlers' requests to see them; never case content.
    Custodian,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 5] = [
        Role::Handler,
        Role::Contact,
        Role::Admin,
        Role::Auditor,
        Role::Custodian,
    ];

    /// The stored key.
    pub fn key(self) -> &'static str {
        match self {
            Role::Handler => "handler",
            Role::Contact => "contact",
            Role::Admin => "admin",
            Role::Auditor => "auditor",
            Role::Custodian => "custodian",
        }
    }

    /// Parses a key.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.key() == s)
    }

    /// True for roles that work cases and so hold case keys.
    pub fn works_cases(self) -> bool {
        matches!(self, Role::Handler | Role::Contact)
    }
}
