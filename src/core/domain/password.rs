//! Rules of staff passwords: their shortest length, and why a change is refused.

/// Shortest password accepted for staff accounts, in characters.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// Why a password change was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordRefusal {
    /// The current password given is not the user's.
    #[error("the current password is wrong")]
    WrongCurrent,
    /// The new password is shorter than [`MIN_PASSWORD_CHARS`].
    #[error("the new password is too short")]
    TooShort,
}

impl PasswordRefusal {
    /// The API error code (and `api.error.<code>` message key).
    pub fn code(&self) -> &'static str {
        match self {
            PasswordRefusal::WrongCurrent => "wrong_current_password",
            PasswordRefusal::TooShort => "password_too_short",
        }
    }

    /// The values its message names (`{min}`).
    pub fn params(&self) -> Vec<(&'static str, String)> {
        match self {
            PasswordRefusal::WrongCurrent => Vec::new(),
            PasswordRefusal::TooShort => vec![("min", MIN_PASSWORD_CHARS.to_string())],
        }
    }
}

/// Checks `password` is long enough for a staff account.
pub fn check_new_password(password: &str) -> Result<(), PasswordRefusal> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(PasswordRefusal::TooShort);
    }
    Ok(())
}
