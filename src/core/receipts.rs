//! One-time receipts and idempotent submissions.
//!
//! **Idempotency.** Every report form carries a random submission token (an
//! API client may send its own as the `Idempotency-Key` header). The case is
//! stored together with the token's keyed hash ([`submission_tag`],
//! HMAC-SHA-256 under the server's key), in the case's own transaction, so a
//! form posted twice — a reload, a double click, a retry after a lost answer
//! — files one case: the second post finds the token used
//! ([`submission_used`]) or, racing the first, is refused by the table's key.
//! Only the day a token was used is kept, and only for [`TOKEN_DAYS`].
//!
//! **The receipt.** A submission is answered with a redirect (POST, 303,
//! GET), so reloading the receipt asks for nothing again. The code the
//! receipt shows lives for [`receipt_lifetime`] in a row found by the lookup
//! key of a random secret that exists only in the reporter's cookie, sealed
//! under another key derived from that secret (the design of
//! [`crate::core::sessions`]): the database alone opens nothing, and the
//! code is never in a URL, a log or a readable column. The exact expiry is
//! inside the seal; the row shows only the day. The row is deleted when the
//! reporter confirms they have written the code down ([`confirm`]), when it
//! is found expired, or by the purge ([`purge`]) the day after.

use anyhow::Context;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use time::Date;
use varsel_crypto::{CaseCode, SessionSecret};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::core::clock::day_of;
use crate::core::error::{CoreError, CoreResult};
use crate::core::service::Core;

/// Days a used submission token is remembered.
pub const TOKEN_DAYS: i64 = 30;
/// Shortest and longest submission token accepted, in characters.
const TOKEN_CHARS: std::ops::RangeInclusive<usize> = 16..=128;
/// Domain separation of the keyed hash of a submission token.
const TOKEN_LABEL: &[u8] = b"varsel.submission.v1:";
/// The label of an API `Idempotency-Key`'s keyed hash: a form's token
/// cannot be tried through the API, nor the reverse.
const IDEMPOTENCY_LABEL: &[u8] = b"varsel.idempotency.v1:";
/// The label of the receipt secret derived from a form's submission token.
const RECEIPT_SECRET_LABEL: &[u8] = b"varsel.receipt-secret.v1:";
/// What a sealed receipt is bound to.
const RECEIPT_CONTEXT: &[u8] = b"varsel.receipt.v1";
const DAY: i64 = 86_400;

/// The keyed hash a used submission token is stored as.
pub type SubmissionTag = [u8; 32];

/// A fresh submission token for a form: 32 random bytes, hex.
pub fn new_submission_token() -> String {
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    hex::encode(bytes)
}

/// Whether `token` has the form of a submission token: 16 to 128 visible
/// ASCII characters.
pub fn is_submission_token(token: &str) -> bool {
    let token = token.trim();
    TOKEN_CHARS.contains(&token.len()) && token.bytes().all(|b| b.is_ascii_graphic())
}

/// The keyed hash of `token` under `key` (HMAC-SHA-256 of a label and the
/// token); `None` for a token that is not 16 to 128 visible ASCII
/// characters.
pub fn submission_tag(key: &[u8], token: &str) -> Option<SubmissionTag> {
    tag_under(key, TOKEN_LABEL, token)
}

/// The keyed hash of an API `Idempotency-Key`, under its own label (see
/// [`submission_tag`]).
pub fn idempotency_tag(key: &[u8], token: &str) -> Option<SubmissionTag> {
    tag_under(key, IDEMPOTENCY_LABEL, token)
}

/// The secret of the receipt of the form with submission `token`: the
/// same form sent again (a double click whose first answer the browser
/// dropped, with its cookie) finds its receipt and its code. Only the page
/// that holds the token can; the server keeps neither it nor the secret.
pub fn receipt_secret(key: &[u8], token: &str) -> Option<SessionSecret> {
    let derived = Zeroizing::new(tag_under(key, RECEIPT_SECRET_LABEL, token)?);
    SessionSecret::from_token(&Zeroizing::new(hex::encode(*derived)))
}

fn tag_under(key: &[u8], label: &[u8], token: &str) -> Option<SubmissionTag> {
    if !is_submission_token(token) {
        return None;
    }
    let token = token.trim();
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).ok()?;
    mac.update(label);
    mac.update(token.as_bytes());
    Some(mac.finalize().into_bytes().into())
}

/// Whether a case was filed with the submission token of `tag`.
pub async fn submission_used(core: &Core, tag: &SubmissionTag) -> CoreResult<bool> {
    Ok(core.store.submission_used(tag).await?)
}

/// How long a receipt shows its code: the reporter's idle timeout.
pub fn receipt_lifetime(core: &Core) -> i64 {
    let minutes = core.settings.sessions.reporter_idle_minutes.max(1);
    i64::try_from(minutes.saturating_mul(60)).unwrap_or(i64::MAX)
}

/// What a receipt holds, sealed.
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
struct Sealed {
    /// The code, grouped as shown.
    code: String,
    /// The acknowledgement deadline, as a Julian day number.
    acknowledge_by: i32,
    /// UNIX time after which the receipt is gone.
    expires_at: i64,
    /// The submission token's tag, hex, if the form had one.
    submission: Option<String>,
    /// Attachments stored with their metadata, by name.
    #[serde(default)]
    metadata_kept: Vec<String>,
}

/// An open receipt.
pub struct Receipt {
    /// The case code, grouped as shown.
    pub code: Zeroizing<String>,
    /// The day receipt is to be acknowledged by.
    pub acknowledge_by: Date,
    /// The tag of the submission it answers, if its form had a token.
    pub submission: Option<SubmissionTag>,
    /// Attachments stored with their metadata, by name.
    pub metadata_kept: Vec<String>,
}

/// Stores the receipt of a case just filed; the token for the reporter's
/// cookie (the secret, never stored).
pub async fn issue(
    core: &Core,
    code: &CaseCode,
    acknowledge_by: Date,
    submission: Option<&SubmissionTag>,
    metadata_kept: &[String],
    secret: Option<SessionSecret>,
) -> CoreResult<Zeroizing<String>> {
    let now = core.now();
    let sealed = Sealed {
        code: code.expose_grouped().as_str().to_owned(),
        acknowledge_by: acknowledge_by.to_julian_day(),
        expires_at: now.saturating_add(receipt_lifetime(core)),
        submission: submission.map(hex::encode),
        metadata_kept: metadata_kept.to_vec(),
    };
    let json = Zeroizing::new(serde_json::to_vec(&sealed).context("cannot encode a receipt")?);
    let secret = secret.unwrap_or_else(SessionSecret::generate);
    let lookup_key = secret.lookup_key();
    let row = secret.seal_bytes(&json, RECEIPT_CONTEXT);
    core.store
        .create_receipt(&lookup_key, &row, day_of(now))
        .await?;
    Ok(secret.token())
}

/// The receipt `token` opens, if it is still there; an expired one is
/// deleted and `None`.
pub async fn open(core: &Core, token: &str) -> CoreResult<Option<Receipt>> {
    let Some(secret) = SessionSecret::from_token(token) else {
        return Ok(None);
    };
    let lookup_key = secret.lookup_key();
    let Some(row) = core.store.receipt(&lookup_key).await? else {
        return Ok(None);
    };
    let Some(json) = secret.open_bytes(&row, RECEIPT_CONTEXT) else {
        return Ok(None);
    };
    let sealed: Sealed = serde_json::from_slice(&json)
        .map_err(|e| CoreError::Internal(anyhow::anyhow!("a stored receipt is malformed: {e}")))?;
    if core.now() >= sealed.expires_at {
        core.store.delete_receipt(&lookup_key).await?;
        return Ok(None);
    }
    let acknowledge_by = Date::from_julian_day(sealed.acknowledge_by)
        .map_err(|e| CoreError::Internal(anyhow::anyhow!("a stored receipt is malformed: {e}")))?;
    let submission = sealed
        .submission
        .as_deref()
        .and_then(|h| hex::decode(h).ok())
        .and_then(|bytes| SubmissionTag::try_from(bytes.as_slice()).ok());
    Ok(Some(Receipt {
        code: Zeroizing::new(sealed.code.clone()),
        acknowledge_by,
        submission,
        metadata_kept: sealed.metadata_kept.clone(),
    }))
}

/// The reporter has written the code down: the receipt is deleted.
pub async fn confirm(core: &Core, token: &str) -> CoreResult<()> {
    if let Some(secret) = SessionSecret::from_token(token) {
        core.store.delete_receipt(&secret.lookup_key()).await?;
    }
    Ok(())
}

/// Deletes receipts made before yesterday (each expired long since) and
/// submission tokens older than [`TOKEN_DAYS`]; how many rows went.
pub async fn purge(core: &Core) -> CoreResult<u64> {
    let today = day_of(core.now());
    Ok(core
        .store
        .purge_receipts(
            today.saturating_sub(DAY),
            today.saturating_sub(TOKEN_DAYS * DAY),
        )
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_hashed_under_the_key_and_odd_ones_refused() {
        let token = new_submission_token();
        let a = submission_tag(&[1; 64], &token).expect("a fresh token is accepted");
        assert_eq!(submission_tag(&[1; 64], &token), Some(a));
        assert_ne!(submission_tag(&[2; 64], &token), Some(a));
        assert_ne!(a.as_slice(), token.as_bytes().get(..32).unwrap_or_default());
        assert_eq!(submission_tag(&[1; 64], "short"), None);
        assert_eq!(submission_tag(&[1; 64], &"x".repeat(129)), None);
        assert_eq!(submission_tag(&[1; 64], "with spaces inside it"), None);
        assert!(submission_tag(&[1; 64], "client-chosen-key-0001").is_some());
    }
}
