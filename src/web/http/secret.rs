//! Secret text from a request (a code, a password, a reason, a rationale):
//! a string that overwrites itself when dropped, so a form or request body
//! holding one needs no `Drop` impl of its own.

use std::ops::Deref;

use serde::Deserialize;
use zeroize::{Zeroize, Zeroizing};

/// A request string zeroized on drop; reads as a `&str`.
#[derive(Deserialize, Default)]
#[serde(transparent)]
pub struct SecretText(String);

impl SecretText {
    /// Moves the text out, still zeroized on drop.
    pub fn take(&mut self) -> Zeroizing<String> {
        Zeroizing::new(std::mem::take(&mut self.0))
    }
}

impl Deref for SecretText {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl Drop for SecretText {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}
