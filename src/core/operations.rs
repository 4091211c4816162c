//! Settings of the operations endpoints and logs: the metrics scrape token
//! (`[metrics]`) and the log format (`[log]`). The endpoints themselves are
//! in the web layer (`web::operations`); backup and restore in
//! [`crate::core::backup`].

use std::fmt;

use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Who may read `/metrics` besides administrators.
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsSettings {
    /// A bearer token a Prometheus scraper sends (`Authorization: Bearer
    /// …`); empty: none. Prefer `scrape_token_sha256`.
    pub scrape_token: String,
    /// The SHA-256 of the scrape token, 64 hex digits (`printf %s TOKEN |
    /// sha256sum`): the configuration then holds no usable secret.
    pub scrape_token_sha256: String,
}

impl fmt::Debug for MetricsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set = |s: &str| if s.is_empty() { "" } else { "***" };
        f.debug_struct("MetricsSettings")
            .field("scrape_token", &set(&self.scrape_token))
            .field("scrape_token_sha256", &set(&self.scrape_token_sha256))
            .finish()
    }
}

/// Shortest scrape token accepted.
pub const MIN_SCRAPE_TOKEN_CHARS: usize = 32;

impl MetricsSettings {
    /// Checks the settings.
    pub fn validate(&self) -> Result<()> {
        if !self.scrape_token.is_empty() && !self.scrape_token_sha256.is_empty() {
            bail!("metrics: set at most one of scrape_token and scrape_token_sha256");
        }
        if !self.scrape_token.is_empty()
            && self.scrape_token.chars().count() < MIN_SCRAPE_TOKEN_CHARS
        {
            bail!("metrics.scrape_token must be at least {MIN_SCRAPE_TOKEN_CHARS} characters");
        }
        if !self.scrape_token_sha256.is_empty() && self.expected_digest().is_none() {
            bail!("metrics.scrape_token_sha256 must be 64 hex digits");
        }
        Ok(())
    }

    /// The SHA-256 a presented token must have, if a token is configured.
    fn expected_digest(&self) -> Option<[u8; 32]> {
        if !self.scrape_token.is_empty() {
            return Some(Sha256::digest(self.scrape_token.as_bytes()).into());
        }
        let bytes = hex::decode(self.scrape_token_sha256.trim()).ok()?;
        <[u8; 32]>::try_from(bytes.as_slice()).ok()
    }

    /// Whether `presented` is the configured scrape token; compared as
    /// SHA-256 digests in constant time. Always false when none is set.
    pub fn token_matches(&self, presented: &str) -> bool {
        let Some(expected) = self.expected_digest() else {
            return false;
        };
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        bool::from(digest.ct_eq(&expected))
    }
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One human-readable line per event (colour only on a terminal).
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// The log output (`[log]`, or `VARSEL_LOG__FORMAT`). The filter is
/// `VARSEL_LOG` (as `RUST_LOG`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSettings {
    /// `text` (the default) or `json`.
    pub format: LogFormat,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_or_its_hash_is_accepted_and_nothing_else() {
        let token = "0123456789abcdef0123456789abcdef-scrape";
        let plain = MetricsSettings {
            scrape_token: token.into(),
            ..MetricsSettings::default()
        };
        assert!(plain.validate().is_ok());
        assert!(plain.token_matches(token));
        assert!(!plain.token_matches("0123456789abcdef0123456789abcdef-scrapf"));
        assert!(!plain.token_matches(""));
        let hashed = MetricsSettings {
            scrape_token_sha256: hex::encode(Sha256::digest(token.as_bytes())),
            ..MetricsSettings::default()
        };
        assert!(hashed.validate().is_ok());
        assert!(hashed.token_matches(token));
        assert!(!hashed.token_matches("wrong"));
        let none = MetricsSettings::default();
        assert!(!none.token_matches(""));
        assert!(MetricsSettings {
            scrape_token: "short".into(),
            ..MetricsSettings::default()
        }
        .validate()
        .is_err());
        assert!(MetricsSettings {
            scrape_token_sha256: "abc".into(),
            ..MetricsSettings::default()
        }
        .validate()
        .is_err());
        assert!(!format!("{plain:?}").contains(token));
    }
}
