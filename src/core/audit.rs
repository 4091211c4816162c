//! The hash-chained audit log (SPEC §3.6): every read of case content, every
//! state change, login and administrative action, as *who* and *what* — never
//! case content, never a case code, never a reporter's address.
//!
//! # The chain
//!
//! Entries are numbered `seq` = 1, 2, 3, … and each one commits to the one
//! before it:
//!
//! ```text
//! hash = SHA-256( "varsel-audit-v1\n"
//!                 || be64(seq) || be64(at)
//!                 || field(actor) || field(action)
//!                 || opt(case_id) || field(detail)
//!                 || field(prev_hash) )
//!
//! field(x)  = be64(byte length of x) || x
//! opt(None) = 0x00,   opt(Some(x)) = 0x01 || field(x)
//! be64(n)   = n as a big-endian two's-complement 64-bit integer
//! prev_hash = the previous entry's hash; 32 zero bytes for entry 1
//! ```
//!
//! Every field is hashed exactly as stored (the case id in its hyphenated
//! lower-case form, `detail` as its stored JSON text), so verification never
//! depends on re-serialising anything, and the length prefixes make the
//! encoding unambiguous. Editing any field, deleting or reordering rows, or
//! changing a stored hash breaks the chain at the first affected entry.
//!
//! A chain without a secret cannot detect someone who rewrites it from some
//! entry to the end, nor the removal of its last entries: for that, note the
//! head hash `varsel audit verify` prints somewhere the database's
//! administrators cannot write.
//!
//! # When an entry is written
//!
//! Reads of case content are recorded after the content is loaded and before it
//! is returned; changes (and logins) are recorded just before they are made.
//! Either way, if the entry cannot be written the operation fails: no access
//! or change goes unrecorded. (A change whose entry was written may still fail
//! afterwards; the log then errs on the side of recording an attempt.) Logouts
//! and failed logins are recorded on a best-effort basis: failing them would
//! not protect anything.
//!
//! Reporter-originated entries carry `at` truncated to the day, like every
//! other reporter timestamp, so the log cannot be used to time a reporter.

use std::fmt;

use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Domain-separation label hashed in front of every entry.
pub const HASH_LABEL: &[u8] = b"varsel-audit-v1\n";

/// The `prev_hash` of the first entry.
pub const GENESIS_HASH: [u8; 32] = [0; 32];

/// The stable action names recorded in the log.
pub mod action {
    /// A reporter filed a report.
    pub const CASE_CREATED: &str = "case.created";
    /// Case content (report, thread, attachment list) was decrypted for someone.
    pub const CASE_READ: &str = "case.read";
    /// An attachment was decrypted for someone.
    pub const CASE_ATTACHMENT_READ: &str = "case.attachment_read";
    /// A message (with or without attachments) was added to the thread.
    pub const CASE_MESSAGE_ADDED: &str = "case.message_added";
    /// Attachments without a message were added to the thread.
    pub const CASE_ATTACHMENT_ADDED: &str = "case.attachment_added";
    /// The case was exported as an age-encrypted archive (`core::export`);
    /// the detail names the recipients (public keys).
    pub const CASE_EXPORTED: &str = "case.exported";
    /// Receipt was acknowledged.
    pub const CASE_ACKNOWLEDGED: &str = "case.acknowledged";
    /// The status changed.
    pub const CASE_STATUS_CHANGED: &str = "case.status_changed";
    /// A handler re-classified the case (category, sub-type, severity, risk).
    pub const CASE_TRIAGED: &str = "case.triaged";
    /// Staff members were added to or removed from the case (wraps made or deleted).
    pub const CASE_ROUTING_CHANGED: &str = "case.routing_changed";
    /// A contact point recorded an escalation decision (authority, decision
    /// and legal basis; never the rationale).
    pub const ESCALATION_DECIDED: &str = "escalation.decided";
    /// A second contact point confirmed an escalation decision.
    pub const ESCALATION_CONFIRMED: &str = "escalation.confirmed";
    /// A contact point read the escalation register.
    pub const ESCALATION_REGISTER_READ: &str = "escalation.register_read";
    /// The case was closed with an outcome and an evaluation.
    pub const CASE_CLOSED: &str = "case.closed";
    /// A closed case was reopened.
    pub const CASE_REOPENED: &str = "case.reopened";
    /// Retention deleted a closed case (the day only; `docs/retention.md`).
    pub const CASE_PURGED: &str = "case.purged";
    /// A contact point placed a legal hold on a case (never the reason).
    pub const CASE_HOLD_PLACED: &str = "case.hold_placed";
    /// A contact point lifted a case's legal hold.
    pub const CASE_HOLD_LIFTED: &str = "case.hold_lifted";
    /// The feedback deadline was extended (when and to when; never the reason).
    pub const CASE_FEEDBACK_EXTENDED: &str = "case.feedback_extended";
    /// The reporter reported retaliation (arbeidsmiljøloven § 2 A-4); the
    /// text is sealed to the case and never in the log.
    pub const CASE_RETALIATION_REPORTED: &str = "case.retaliation_reported";
    /// A staff member recorded a measure protecting the reporter; the log
    /// holds its id and whether the reporter sees it, never its text.
    pub const CASE_MEASURE_RECORDED: &str = "case.measure_recorded";
    /// A staff member added an internal note to the case; the log holds
    /// the note's id, never its text.
    pub const CASE_NOTE_ADDED: &str = "case.note_added";
    /// The reporter gave their identity, sealed to the custodians (never
    /// the identity itself).
    pub const IDENTITY_ADDED: &str = "identity.added";
    /// A handler asked to see the reporter's identity (never the reason).
    pub const IDENTITY_REQUESTED: &str = "identity.requested";
    /// A custodian approved a request: the identity is sealed to that one
    /// handler, readable after the notice period.
    pub const IDENTITY_APPROVED: &str = "identity.approved";
    /// A custodian denied a request.
    pub const IDENTITY_DENIED: &str = "identity.denied";
    /// The reporter was told in the case thread that their identity will be
    /// released.
    pub const IDENTITY_NOTICE_SENT: &str = "identity.notice_sent";
    /// A custodian read the list of requests (with their reasons).
    pub const IDENTITY_REQUESTS_READ: &str = "identity.requests_read";
    /// The handler the identity was released to read it.
    pub const IDENTITY_READ: &str = "identity.read";
    /// A staff member logged in.
    pub const STAFF_LOGIN: &str = "staff.login";
    /// A staff login failed (the username is deliberately not recorded).
    pub const STAFF_LOGIN_FAILED: &str = "staff.login_failed";
    /// A staff member logged out.
    pub const STAFF_LOGOUT: &str = "staff.logout";
    /// A staff account was created.
    pub const USER_CREATED: &str = "user.created";
    /// The organisation's recovery key was set or replaced.
    pub const RECOVERY_KEY_SET: &str = "recovery_key.set";
    /// An administrator created a handler group.
    pub const GROUP_CREATED: &str = "group.created";
    /// An administrator added a user to a group.
    pub const GROUP_MEMBER_ADDED: &str = "group.member_added";
    /// An administrator removed a user from a group (and from its leads).
    pub const GROUP_MEMBER_REMOVED: &str = "group.member_removed";
    /// An administrator made a member a lead of their group.
    pub const GROUP_LEAD_ADDED: &str = "group.lead_added";
    /// An administrator made a lead an ordinary member again.
    pub const GROUP_LEAD_REMOVED: &str = "group.lead_removed";
    /// An administrator added a routing rule (category, severities, groups).
    pub const ROUTING_RULE_ADDED: &str = "routing.rule_added";
    /// An administrator deleted a routing rule.
    pub const ROUTING_RULE_DELETED: &str = "routing.rule_deleted";
    /// The provider vouched for a linked account; its key passphrase is asked next.
    pub const STAFF_SSO_AUTHENTICATED: &str = "staff.sso_authenticated";
    /// A single sign-on failed: a bad or replayed answer, a token that did
    /// not verify, or a subject linked to no active account.
    pub const STAFF_SSO_FAILED: &str = "staff.sso_failed";
    /// A wrong key passphrase after a single sign-on (no session started).
    pub const STAFF_SSO_PASSPHRASE_FAILED: &str = "staff.sso_passphrase_failed";
    /// A staff member logged in by single sign-on and their key passphrase.
    pub const STAFF_SSO_LOGIN: &str = "staff.sso_login";
    /// An account was linked to a subject of the OpenID Connect provider.
    pub const USER_OIDC_LINKED: &str = "user.oidc_linked";
    /// An account's link to the OpenID Connect provider was removed.
    pub const USER_OIDC_UNLINKED: &str = "user.oidc_unlinked";
    /// An account was deactivated: sessions ended, groups left, key wraps
    /// deleted (issue 11).
    pub const USER_DEACTIVATED: &str = "user.deactivated";
    /// A deactivated account was made active again (no groups, no wraps).
    pub const USER_REACTIVATED: &str = "user.reactivated";
    /// An account's roles were set.
    pub const USER_ROLES_CHANGED: &str = "user.roles_changed";
    /// An account's handler groups were set.
    pub const USER_GROUPS_CHANGED: &str = "user.groups_changed";
    /// A staff member confirmed a (new) TOTP secret; their recovery codes
    /// were made anew.
    pub const TWO_FACTOR_ENROLLED: &str = "two_factor.enrolled";
    /// A second factor (or a re-authentication) was refused, after a right password.
    pub const TWO_FACTOR_FAILED: &str = "two_factor.failed";
    /// A staff member had new recovery codes made (the old ones stop working).
    pub const TWO_FACTOR_RECOVERY_CODES_RENEWED: &str = "two_factor.recovery_codes_renewed";
    /// A staff member's TOTP secret and recovery codes were deleted (after a key replacement).
    pub const TWO_FACTOR_FORGOTTEN: &str = "two_factor.forgotten";
    /// An administrator changed who must log in with two factors.
    pub const TWO_FACTOR_REQUIREMENT_SET: &str = "two_factor.requirement_set";
    /// A staff member's key was re-wrapped at the work factor in force at
    /// their login (same key, same cases).
    pub const USER_KEY_REWRAPPED: &str = "user.key_rewrapped";
    /// A staff member's X25519 key was upgraded to a post-quantum hybrid
    /// key at their login, and their case wraps made again to it.
    pub const USER_KEY_UPGRADED: &str = "user.key_upgraded";
    /// A staff member changed their password (page, API or `varsel user passwd`).
    pub const USER_PASSWORD_CHANGED: &str = "user.password_changed";
    /// A lost password was recovered with the organisation's recovery key
    /// (`varsel recovery grant`): a new key, counts only.
    pub const USER_KEY_RECOVERED: &str = "user.key_recovered";
    /// A staff member ended sessions of their own.
    pub const USER_SESSIONS_ENDED: &str = "user.sessions_ended";
}

/// Who acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditActor {
    /// A staff member.
    User(Uuid),
    /// The anonymous reporter of the case.
    Reporter,
    /// The service itself (or someone it cannot name, such as a failed login).
    System,
    /// An operator at the command line.
    Cli,
}

impl AuditActor {
    /// The stored form: `user:<uuid>`, `reporter`, `system` or `cli`.
    pub fn as_db(&self) -> String {
        match self {
            AuditActor::User(id) => format!("user:{id}"),
            AuditActor::Reporter => "reporter".to_owned(),
            AuditActor::System => "system".to_owned(),
            AuditActor::Cli => "cli".to_owned(),
        }
    }
}

/// Something to record.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    /// Who.
    pub actor: AuditActor,
    /// What: one of [`action`].
    pub action: &'static str,
    /// The case concerned, if any.
    pub case_id: Option<Uuid>,
    /// Non-content facts (a new status, an attachment id), as a JSON object.
    pub detail: serde_json::Value,
}

impl AuditEvent {
    /// An event with no case and an empty detail object.
    pub fn new(actor: AuditActor, action: &'static str) -> Self {
        AuditEvent {
            actor,
            action,
            case_id: None,
            detail: serde_json::Value::Object(serde_json::Map::new()),
        }
    }

    /// The event concerning `case_id`.
    pub fn on_case(mut self, case_id: Uuid) -> Self {
        self.case_id = Some(case_id);
        self
    }

    /// The event with `detail`.
    pub fn with_detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = detail;
        self
    }
}

/// One stored entry, every field exactly as stored so that tampering with any
/// of them (even into something unparsable) is reported by [`verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// UNIX seconds (reporter entries: truncated to the day).
    pub at: i64,
    /// `user:<uuid>`, `reporter`, `system` or `cli`.
    pub actor: String,
    /// One of [`action`].
    pub action: String,
    /// The hyphenated case id, if any.
    pub case_id: Option<String>,
    /// A JSON object of non-content facts.
    pub detail: String,
    /// The previous entry's hash ([`GENESIS_HASH`] for entry 1).
    pub prev_hash: Vec<u8>,
    /// [`AuditEntry::expected_hash`] as computed when it was appended.
    pub hash: Vec<u8>,
}

/// Appends a length-prefixed field.
fn field(h: &mut Sha256, bytes: &[u8]) {
    h.update((bytes.len() as u64).to_be_bytes());
    h.update(bytes);
}

impl AuditEntry {
    /// The entry following `last` (its `seq` and `hash`; `None` for an empty
    /// log), with its hash computed. The stores call this inside the
    /// transaction that appends it.
    pub fn next(
        last: Option<(i64, Vec<u8>)>,
        at: i64,
        actor: &str,
        action: &str,
        case_id: Option<Uuid>,
        detail: &str,
    ) -> AuditEntry {
        let (seq, prev_hash) = match last {
            Some((seq, hash)) => (seq + 1, hash),
            None => (1, GENESIS_HASH.to_vec()),
        };
        let mut entry = AuditEntry {
            seq,
            at,
            actor: actor.to_owned(),
            action: action.to_owned(),
            case_id: case_id.map(|id| id.to_string()),
            detail: detail.to_owned(),
            prev_hash,
            hash: Vec::new(),
        };
        entry.hash = entry.expected_hash().to_vec();
        entry
    }

    /// The hash the entry's fields commit to (the module docs give the formula).
    pub fn expected_hash(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(HASH_LABEL);
        h.update(self.seq.to_be_bytes());
        h.update(self.at.to_be_bytes());
        field(&mut h, self.actor.as_bytes());
        field(&mut h, self.action.as_bytes());
        match &self.case_id {
            None => h.update([0u8]),
            Some(id) => {
                h.update([1u8]);
                field(&mut h, id.as_bytes());
            }
        }
        field(&mut h, self.detail.as_bytes());
        field(&mut h, &self.prev_hash);
        h.finalize().into()
    }
}

/// How the chain is broken at an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChainBreak {
    /// The entry is not stored: the next stored one has a higher `seq`.
    Missing {
        /// The `seq` found where this one was expected.
        next: i64,
    },
    /// An entry with this or a lower `seq` came after a higher one.
    OutOfOrder {
        /// The `seq` found where this one was expected.
        found: i64,
    },
    /// Its `prev_hash` is not the hash of the entry before it (rows reordered,
    /// renumbered, or one before it removed or rewritten).
    NotLinked,
    /// Its fields do not produce its stored hash (a field or the hash edited).
    HashMismatch,
}

impl fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChainBreak::Missing { next } => {
                write!(f, "missing (the next stored entry is {next})")
            }
            ChainBreak::OutOfOrder { found } => {
                write!(f, "out of order (entry {found} stored in its place)")
            }
            ChainBreak::NotLinked => f.write_str("does not link to the entry before it"),
            ChainBreak::HashMismatch => f.write_str("its contents do not match its hash"),
        }
    }
}

/// The first place the chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit log broken at entry {seq}: {reason}")]
pub struct ChainError {
    /// The `seq` of the first broken (or missing) entry.
    pub seq: i64,
    /// What is wrong with it.
    pub reason: ChainBreak,
}

/// Checks entries one at a time, in the order the store returns them (by
/// `seq`), so a long log can be verified page by page.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    expected_seq: i64,
    prev_hash: Vec<u8>,
    count: usize,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        ChainVerifier {
            expected_seq: 1,
            prev_hash: GENESIS_HASH.to_vec(),
            count: 0,
        }
    }
}

impl ChainVerifier {
    /// A verifier expecting entry 1.
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks the next entry.
    pub fn push(&mut self, entry: &AuditEntry) -> Result<(), ChainError> {
        let seq = self.expected_seq;
        let broken = |reason| Err(ChainError { seq, reason });
        if entry.seq > seq {
            return broken(ChainBreak::Missing { next: entry.seq });
        }
        if entry.seq < seq {
            return broken(ChainBreak::OutOfOrder { found: entry.seq });
        }
        if entry.prev_hash != self.prev_hash {
            return broken(ChainBreak::NotLinked);
        }
        if entry.hash != entry.expected_hash() {
            return broken(ChainBreak::HashMismatch);
        }
        self.expected_seq += 1;
        self.prev_hash.clone_from(&entry.hash);
        self.count += 1;
        Ok(())
    }

    /// How many entries were verified.
    pub fn count(&self) -> usize {
        self.count
    }

    /// The hash of the last verified entry ([`GENESIS_HASH`] if none).
    pub fn head(&self) -> &[u8] {
        &self.prev_hash
    }
}

/// Verifies a whole log in `seq` order: the number of entries, or the first
/// broken one.
pub fn verify(entries: &[AuditEntry]) -> Result<usize, ChainError> {
    let mut verifier = ChainVerifier::new();
    for entry in entries {
        verifier.push(entry)?;
    }
    Ok(verifier.count())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    /// A valid chain of `n` entries.
    fn chain(n: usize) -> Vec<AuditEntry> {
        let mut entries: Vec<AuditEntry> = Vec::new();
        for i in 0..n {
            let last = entries.last().map(|e| (e.seq, e.hash.clone()));
            let case = (i % 2 == 0).then(|| Uuid::from_u128(i as u128 + 1));
            entries.push(AuditEntry::next(
                last,
                1_700_000_000 + i as i64,
                &AuditActor::User(Uuid::from_u128(7)).as_db(),
                action::CASE_READ,
                case,
                &format!("{{\"n\":{i}}}"),
            ));
        }
        entries
    }

    /// The break expected at `seq`, for `reason`.
    fn break_at(seq: i64, reason: ChainBreak) -> ChainError {
        ChainError { seq, reason }
    }

    fn broken_at(entries: &[AuditEntry]) -> ChainError {
        verify(entries).expect_err("the chain should be broken")
    }

    #[test]
    fn an_empty_log_and_an_intact_chain_verify() {
        assert_eq!(verify(&[]), Ok(0));
        let entries = chain(5);
        assert_eq!(verify(&entries), Ok(5));
        assert_eq!(entries[0].seq, 1);
        assert_eq!(entries[0].prev_hash, GENESIS_HASH.to_vec());
        assert_eq!(entries[3].prev_hash, entries[2].hash);
    }

    #[test]
    fn the_hash_follows_the_documented_formula() {
        let e = AuditEntry::next(None, 86_400, "cli", "user.created", None, "{}");
        let mut bytes = Vec::new();
        bytes.extend_from_slice(b"varsel-audit-v1\n");
        bytes.extend_from_slice(&1i64.to_be_bytes());
        bytes.extend_from_slice(&86_400i64.to_be_bytes());
        for f in [&b"cli"[..], b"user.created"] {
            bytes.extend_from_slice(&(f.len() as u64).to_be_bytes());
            bytes.extend_from_slice(f);
        }
        bytes.push(0);
        bytes.extend_from_slice(&2u64.to_be_bytes());
        bytes.extend_from_slice(b"{}");
        bytes.extend_from_slice(&32u64.to_be_bytes());
        bytes.extend_from_slice(&[0u8; 32]);
        let expected: [u8; 32] = Sha256::digest(&bytes).into();
        assert_eq!(e.hash, expected.to_vec());
    }

    #[test]
    fn field_boundaries_are_unambiguous() {
        let a = AuditEntry::next(None, 0, "user:ab", "c", None, "{}");
        let b = AuditEntry::next(None, 0, "user:a", "bc", None, "{}");
        assert_ne!(a.hash, b.hash);
        let none = AuditEntry::next(None, 0, "cli", "x", None, "{}");
        let some = AuditEntry::next(None, 0, "cli", "x", Some(Uuid::nil()), "{}");
        assert_ne!(none.hash, some.hash);
    }

    #[test]
    fn an_edited_field_is_named() {
        let edits: [fn(&mut AuditEntry); 6] = [
            |e| e.at += 1,
            |e| e.actor = "system".to_owned(),
            |e| e.action = "case.tampered".to_owned(),
            |e| e.case_id = None,
            |e| e.detail = "{\"n\":99}".to_owned(),
            |e| e.case_id = Some("not a uuid".to_owned()),
        ];
        for edit in edits {
            let mut entries = chain(6);
            edit(&mut entries[2]);
            let err = broken_at(&entries);
            assert_eq!(err.seq, 3);
            assert_eq!(err.reason, ChainBreak::HashMismatch);
        }
    }

    #[test]
    fn a_changed_hash_is_named() {
        let mut entries = chain(4);
        entries[1].hash[0] ^= 1;
        assert_eq!(broken_at(&entries), break_at(2, ChainBreak::HashMismatch));
        // Also relinking the next entry still names the entry whose hash changed.
        let mut entries = chain(4);
        entries[1].hash[0] ^= 1;
        entries[2].prev_hash = entries[1].hash.clone();
        assert_eq!(broken_at(&entries).seq, 2);
    }

    #[test]
    fn a_deleted_row_is_named() {
        let mut entries = chain(5);
        entries.remove(2);
        assert_eq!(
            broken_at(&entries),
            break_at(3, ChainBreak::Missing { next: 4 })
        );
        let mut first_gone = chain(3);
        first_gone.remove(0);
        assert_eq!(broken_at(&first_gone).seq, 1);
    }

    #[test]
    fn a_deleted_row_with_renumbered_successors_is_named() {
        let mut entries = chain(5);
        entries.remove(2);
        for e in entries.iter_mut().skip(2) {
            e.seq -= 1;
        }
        assert_eq!(broken_at(&entries), break_at(3, ChainBreak::NotLinked));
    }

    #[test]
    fn reordered_rows_are_named() {
        // Swapped seq values (the rows stay sorted by seq): the chain order disagrees.
        let mut entries = chain(5);
        entries[1].seq = 3;
        entries[2].seq = 2;
        entries.swap(1, 2);
        assert_eq!(broken_at(&entries), break_at(2, ChainBreak::NotLinked));
        // Rows swapped in place, seq values kept.
        let mut entries = chain(5);
        entries.swap(3, 4);
        assert_eq!(
            broken_at(&entries),
            break_at(4, ChainBreak::Missing { next: 5 })
        );
        // A duplicated row.
        let mut entries = chain(3);
        let dup = entries[1].clone();
        entries.insert(2, dup);
        assert_eq!(
            broken_at(&entries),
            break_at(3, ChainBreak::OutOfOrder { found: 2 })
        );
    }

    #[test]
    fn a_broken_genesis_is_named() {
        let mut entries = chain(2);
        entries[0].prev_hash = vec![1; 32];
        assert_eq!(broken_at(&entries).reason, ChainBreak::NotLinked);
        assert_eq!(broken_at(&entries).seq, 1);
    }

    #[test]
    fn the_verifier_reports_count_and_head() {
        let entries = chain(3);
        let mut v = ChainVerifier::new();
        assert_eq!(v.head(), &GENESIS_HASH[..]);
        for e in &entries {
            v.push(e).unwrap();
        }
        assert_eq!(v.count(), 3);
        assert_eq!(v.head(), &entries[2].hash[..]);
    }

    #[test]
    fn the_error_names_the_entry_in_one_line() {
        let err = ChainError {
            seq: 12,
            reason: ChainBreak::Missing { next: 14 },
        };
        assert_eq!(
            err.to_string(),
            "audit log broken at entry 12: missing (the next stored entry is 14)"
        );
    }

    #[test]
    fn actors_have_their_stored_form() {
        let id = Uuid::from_u128(1);
        assert_eq!(AuditActor::User(id).as_db(), format!("user:{id}"));
        assert_eq!(AuditActor::Reporter.as_db(), "reporter");
        assert_eq!(AuditActor::System.as_db(), "system");
        assert_eq!(AuditActor::Cli.as_db(), "cli");
        let e = AuditEvent::new(AuditActor::Cli, action::USER_CREATED);
        assert_eq!(e.detail.to_string(), "{}");
    }
}
