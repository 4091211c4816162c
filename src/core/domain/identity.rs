//! The reporter-identity procedure's settings and refusals (see
//! [`crate::core::identity`]), kept apart so that the settings and the
//! error type can name them without depending on the procedure.

use serde::{Deserialize, Serialize};

/// Settings of the identity procedure.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IdentitySettings {
    /// Hours between the reporter being told in the case thread and the
    /// handler being able to read the identity (24).
    pub notice_hours: u32,
    /// Most characters of the name (200).
    pub max_name_chars: usize,
    /// Most characters of the contact details (300).
    pub max_contact_chars: usize,
    /// Most characters of the role or position (200).
    pub max_role_chars: usize,
}

impl Default for IdentitySettings {
    fn default() -> Self {
        IdentitySettings {
            notice_hours: 24,
            max_name_chars: 200,
            max_contact_chars: 300,
            max_role_chars: 200,
        }
    }
}

impl IdentitySettings {
    /// Checks the values.
    pub fn validate(&self) -> anyhow::Result<()> {
        // The reporter is told before their identity becomes readable
        // (SPEC §4): a notice period of zero would tell them afterwards.
        if !(1..=24 * 90).contains(&self.notice_hours) {
            anyhow::bail!("identity.notice_hours must be 1 to 2160 (90 days)");
        }
        if self.max_name_chars == 0 || self.max_contact_chars == 0 || self.max_role_chars == 0 {
            anyhow::bail!("identity field limits must be positive");
        }
        Ok(())
    }
}

/// Why a step of the identity procedure was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityRefusal {
    /// No active custodian with a key: an identity cannot be kept.
    #[error("no identity custodian")]
    NoCustodian,
    /// The reporter has not given their identity.
    #[error("no identity given")]
    NotGiven,
    /// The handler has a request pending already, or the identity was
    /// released to them.
    #[error("a request is open")]
    RequestOpen,
    /// The request has been decided already.
    #[error("already decided")]
    AlreadyDecided,
    /// The identity was not sealed to this custodian's key (it was given
    /// before they were appointed).
    #[error("not sealed to this custodian")]
    NotSealedToYou,
    /// A custodian cannot decide their own request.
    #[error("own request")]
    OwnRequest,
}

impl IdentityRefusal {
    /// The API's error code and the key of its message (`api.error.<code>`).
    pub fn code(self) -> &'static str {
        match self {
            IdentityRefusal::NoCustodian => "identity_unavailable",
            IdentityRefusal::NotGiven => "identity_not_given",
            IdentityRefusal::RequestOpen => "identity_request_open",
            IdentityRefusal::AlreadyDecided => "identity_request_decided",
            IdentityRefusal::NotSealedToYou => "identity_not_sealed_to_you",
            IdentityRefusal::OwnRequest => "identity_own_request",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::IdentitySettings;

    #[test]
    fn the_notice_period_is_at_least_an_hour() {
        let with = |hours| {
            IdentitySettings {
                notice_hours: hours,
                ..IdentitySettings::default()
            }
            .validate()
        };
        assert!(with(0).is_err());
        assert!(with(1).is_ok());
        assert!(with(24).is_ok());
        assert!(with(24 * 90).is_ok());
        assert!(with(24 * 90 + 1).is_err());
    }
}
