//! Reports the reporter's browser encrypted before sending (docs/e2e.md):
//! the routing it asks for ([`offer`]), and the case it sends back
//! ([`submit`]), checked as far as a server without the keys can and then
//! stored exactly as a case the server sealed at receipt
//! ([`casework::store_new_case`]). The server never sees the case code,
//! the case key or any plaintext of such a case.

use sha2::{Digest, Sha256};
use uuid::Uuid;
use varsel_crypto::{AnyRecipient, StanzaKind};

use crate::core::casework::{self, IncomingFile, NewCaseParts, Submitted};
use crate::core::domain::report::RoutingInput;
use crate::core::error::{CoreError, CoreResult, Refusal};
use crate::core::keys::{self, KeyKind};
use crate::core::receipts::SubmissionTag;
use crate::core::service::Core;
use crate::core::store::{Attachment, Author, Holder, KeyWrap};

/// Domain label of the routing id.
pub const ROUTING_ID_LABEL: &str = "varsel.e2e.routing.v1";
/// Largest wrap or sealed attachment name accepted (a hybrid wrap of a
/// hybrid identity is about 1.7 KB).
pub const MAX_SMALL_FILE_BYTES: usize = 8 * 1024;
/// Bytes of JSON around the report's texts, beyond their own length.
const REPORT_JSON_OVERHEAD: u64 = 256;
/// The most bytes one character of text can take in the report's JSON (a
/// control character escaped as `\u001f`).
const JSON_BYTES_PER_CHAR: u64 = 6;

/// One recipient a browser-encrypted case is wrapped to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutedRecipient {
    /// Who holds the wrap.
    pub holder: Holder,
    /// Their `age1…` or `age1pq1…` recipient.
    pub recipient: String,
}

/// The routing a browser encrypts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutingOffer {
    /// SHA-256 of the label, the key kind and the recipients: sent back
    /// with the case, and compared with the routing at that moment.
    pub id: [u8; 32],
    /// The kind of the case key the browser makes.
    pub kind: KeyKind,
    /// The routed members, then the recovery key if there is one (never
    /// the reporter, whose key the browser derives from the code).
    pub recipients: Vec<RoutedRecipient>,
    /// The identity custodians (id, recipient), to whom the browser seals
    /// the reporter's identity if they give it.
    pub custodians: Vec<(Uuid, String)>,
}

fn kind_name(kind: KeyKind) -> &'static str {
    match kind {
        KeyKind::Hybrid => "hybrid",
        KeyKind::X25519 => "x25519",
    }
}

impl RoutingOffer {
    fn new(
        kind: KeyKind,
        recipients: Vec<RoutedRecipient>,
        custodians: Vec<(Uuid, String)>,
    ) -> Self {
        let mut lines: Vec<String> = recipients
            .iter()
            .map(|r| format!("{} {}\n", r.holder.as_db(), r.recipient))
            .chain(
                custodians
                    .iter()
                    .map(|(id, r)| format!("custodian:{id} {r}\n")),
            )
            .collect();
        lines.sort();
        let mut hash = Sha256::new();
        hash.update(ROUTING_ID_LABEL.as_bytes());
        hash.update(b"\n");
        hash.update(kind_name(kind).as_bytes());
        hash.update(b"\n");
        for line in &lines {
            hash.update(line.as_bytes());
        }
        RoutingOffer {
            id: hash.finalize().into(),
            kind,
            recipients,
            custodians,
        }
    }

    /// `hybrid` or `x25519`.
    pub fn kind_name(&self) -> &'static str {
        kind_name(self.kind)
    }
}

/// Who a report with `routing` reaches now, with their keys.
pub async fn offer(state: &Core, routing: &RoutingInput) -> CoreResult<RoutingOffer> {
    casework::check_routable(state, &routing.excluded).await?;
    let (handlers, recovery) = casework::routed(
        state,
        routing.category,
        routing.subtype.as_ref(),
        routing.severity,
        &routing.excluded,
    )
    .await?;
    let mut recipients: Vec<RoutedRecipient> = handlers
        .into_iter()
        .map(|h| RoutedRecipient {
            holder: Holder::User(h.id),
            recipient: h.recipient,
        })
        .collect();
    if let Some(recovery) = recovery {
        recipients.push(RoutedRecipient {
            holder: Holder::Recovery,
            recipient: recovery,
        });
    }
    let custodians = crate::core::identity::custodian_keys(state).await?;
    Ok(RoutingOffer::new(
        state.settings.security.key_kind(),
        recipients,
        custodians,
    ))
}

/// A case as the browser sent it: ciphertexts, wraps and the lookup tag.
pub struct SealedReport {
    /// The routing id the browser encrypted for.
    pub routing_id: [u8; 32],
    /// Category, sub-type, severity and exclusions.
    pub routing: RoutingInput,
    /// The case recipient the browser made.
    pub case_recipient: String,
    /// The lookup tag the browser derived from the code.
    pub lookup_tag: [u8; 32],
    /// The case identity wrapped to each holder, by their stored form
    /// (`user:<uuid>`, `reporter`, `recovery`).
    pub wraps: Vec<(String, Vec<u8>)>,
    /// The report's age file (JSON `{description, when, place}`).
    pub report: Vec<u8>,
    /// Each attachment's sealed `{name, content_type}`, in the order of the files.
    pub attachment_names: Vec<Vec<u8>>,
    /// The reporter's identity (`{name, contact, role}`), sealed to every
    /// custodian of the routing, if they gave it.
    pub identity: Option<Vec<u8>>,
    /// The keyed hash of the request's idempotency key, if any.
    pub submission: Option<SubmissionTag>,
}

fn invalid(part: &'static str) -> CoreError {
    CoreError::Refused(Refusal::InvalidCiphertext { part })
}

/// A recipient the client sent: parsed here, never through the cache of
/// stored recipients ([`keys::recipient`]) that strangers must not fill.
fn client_recipient(s: &str) -> CoreResult<AnyRecipient> {
    s.parse().map_err(|_| invalid("case_recipient"))
}

fn stanza_kind(recipient: &AnyRecipient) -> StanzaKind {
    if recipient.is_hybrid() {
        StanzaKind::Hybrid
    } else {
        StanzaKind::X25519
    }
}

/// Checks that `file` is a whole age file with one well-formed stanza of
/// `kind` and at most `max_plaintext` bytes of plaintext.
fn check_file(
    file: &[u8],
    kind: StanzaKind,
    max_plaintext: u64,
    part: &'static str,
) -> CoreResult<()> {
    let (inspected, len) = varsel_crypto::file_plaintext_len(file).map_err(|_| invalid(part))?;
    if !inspected.is_single(kind) || len > max_plaintext {
        return Err(invalid(part));
    }
    Ok(())
}

/// Checks that `file` is a whole age file with one well-formed stanza of
/// the kind of `case_recipient` and at most `max_plaintext` bytes of
/// plaintext; else an invalid `part`.
pub fn check_sealed_part(
    file: &[u8],
    case_recipient: &str,
    max_plaintext: u64,
    part: &'static str,
) -> CoreResult<()> {
    if file.len() as u64 > crate::core::sealed::max_file_bytes(max_plaintext) {
        return Err(invalid(part));
    }
    let kind = stanza_kind(&client_recipient(case_recipient)?);
    check_file(file, kind, max_plaintext, part)
}

/// The most bytes an age file of `plaintext` bytes, to one recipient, can
/// take: a header of at most 8 KiB, the nonce, and a tag per 64 KiB chunk.
pub fn max_file_bytes(plaintext: u64) -> u64 {
    plaintext + (plaintext / (64 * 1024) + 1) * 16 + 16 + 8 * 1024
}

/// The most bytes the report's JSON can have within the text limits.
pub fn max_report_bytes(state: &Core) -> u64 {
    let limits = &state.settings.limits;
    let chars = limits.max_text_chars as u64 + 2 * limits.max_short_field_chars as u64;
    chars * JSON_BYTES_PER_CHAR + REPORT_JSON_OVERHEAD
}

/// The wraps in the order of `expected` (then the reporter's), each checked
/// to be one stanza of its holder's key kind; `None` if the set of holders
/// is not exactly the routed one plus the reporter.
fn ordered_wraps(
    sent: &[(String, Vec<u8>)],
    expected: &[RoutedRecipient],
    case_kind: StanzaKind,
) -> CoreResult<Vec<KeyWrap>> {
    if sent.len() != expected.len() + 1 {
        return Err(invalid("wraps"));
    }
    let mut wraps = Vec::with_capacity(sent.len());
    let wanted = expected
        .iter()
        .map(|r| {
            let recipient = keys::recipient(&r.recipient)?;
            Ok((r.holder.clone(), stanza_kind(&recipient)))
        })
        .collect::<CoreResult<Vec<_>>>()?;
    // The reporter's code-derived key is of the case key's kind.
    let wanted = wanted
        .into_iter()
        .chain(std::iter::once((Holder::Reporter, case_kind)));
    for (holder, kind) in wanted {
        let key = holder.as_db();
        let mut matching = sent.iter().filter(|(h, _)| *h == key);
        let (Some((_, wrapped)), None) = (matching.next(), matching.next()) else {
            return Err(invalid("wraps"));
        };
        if wrapped.len() > MAX_SMALL_FILE_BYTES {
            return Err(invalid("wraps"));
        }
        check_file(wrapped, kind, MAX_SMALL_FILE_BYTES as u64, "wraps")?;
        wraps.push(KeyWrap {
            holder,
            wrapped: wrapped.clone(),
        });
    }
    Ok(wraps)
}

/// Checks a browser-encrypted case against the routing now, as far as a
/// server without its keys can; [`store`] stores it. `files` are the
/// attachments as they arrived (age files, stored as they are, each
/// already checked with [`check_attachment`]), in the order of
/// `sealed.attachment_names`.
pub async fn check(
    state: &Core,
    sealed: &SealedReport,
    files: &[IncomingFile],
) -> CoreResult<Checked> {
    let limits = &state.settings.limits;
    if files.len() > limits.max_attachments_per_case {
        return Err(CoreError::Refused(Refusal::TooManyAttachments {
            max: limits.max_attachments_per_case,
        }));
    }
    if files.len() != sealed.attachment_names.len() {
        return Err(invalid("attachment_names"));
    }
    let offer = offer(state, &sealed.routing).await?;
    // Not a secret: a plain comparison.
    if offer.id != sealed.routing_id {
        return Err(CoreError::Refused(Refusal::RoutingChanged));
    }
    let recipient = client_recipient(&sealed.case_recipient)?;
    if recipient.is_hybrid() != (offer.kind == KeyKind::Hybrid) {
        return Err(invalid("case_recipient"));
    }
    let case_kind = stanza_kind(&recipient);
    check_file(&sealed.report, case_kind, max_report_bytes(state), "report")?;
    let wraps = ordered_wraps(&sealed.wraps, &offer.recipients, case_kind)?;
    let now = casework::now_in(state);
    let mut attachments = Vec::with_capacity(files.len());
    for (file, name) in files.iter().zip(&sealed.attachment_names) {
        if name.len() > MAX_SMALL_FILE_BYTES {
            return Err(invalid("attachment_names"));
        }
        check_file(
            name,
            case_kind,
            MAX_SMALL_FILE_BYTES as u64,
            "attachment_names",
        )?;
        attachments.push(Attachment {
            // Set by `store_new_case`.
            case_id: Uuid::nil(),
            id: file.pending.id,
            author: Author::Reporter,
            name: name.clone(),
            size: file.pending.size as i64,
            created_at: casework::day_of(now),
        });
    }
    let identity = match &sealed.identity {
        Some(file) => Some(check_identity(file, &offer.custodians)?),
        None => None,
    };
    Ok(Checked {
        routed_to: offer
            .recipients
            .iter()
            .filter_map(|r| r.holder.user_id())
            .collect(),
        recipient,
        wraps,
        attachments,
        identity,
    })
}

/// A browser-encrypted case that passed [`check`], ready to be stored.
pub struct Checked {
    routed_to: Vec<Uuid>,
    recipient: AnyRecipient,
    wraps: Vec<KeyWrap>,
    attachments: Vec<Attachment>,
    identity: Option<crate::core::identity::SealedIdentity>,
}

/// Stores a case [`check`] passed (after the request was admitted by the
/// rate limits: only a case that can be stored is charged to them).
pub async fn store(
    state: &Core,
    sealed: &SealedReport,
    checked: Checked,
    files: &[IncomingFile],
) -> CoreResult<Submitted> {
    let Checked {
        routed_to,
        recipient,
        wraps,
        attachments,
        identity,
    } = checked;
    let submitted = casework::store_new_case(
        state,
        NewCaseParts {
            recipient: &recipient,
            category: sealed.routing.category,
            subtype: sealed.routing.subtype.as_ref(),
            severity: sealed.routing.severity,
            excluded: &sealed.routing.excluded,
            routed_to,
            report: sealed.report.clone(),
            wraps,
            lookup_tag: sealed.lookup_tag,
            attachments,
            files,
            submission: sealed.submission,
        },
    )
    .await?;
    if let Some(identity) = identity {
        // The case exists: its code must reach the reporter whatever
        // happens to the identity, which they can give again from the case.
        if let Err(e) =
            crate::core::identity::attach_to_new_case(state, submitted.case_id, &identity).await
        {
            tracing::error!(error = %e, "cannot store a reporter identity");
        }
    }
    Ok(submitted)
}

/// Largest sealed identity accepted (three short texts sealed to a few
/// custodians; a hybrid stanza is about 1.6 KB).
pub const MAX_IDENTITY_BYTES: usize = 64 * 1024;

/// Checks an identity the browser sealed: one well-formed stanza per
/// custodian, each of its custodian's key kind, and a bounded size.
fn check_identity(
    file: &[u8],
    custodians: &[(Uuid, String)],
) -> CoreResult<crate::core::identity::SealedIdentity> {
    if custodians.is_empty() {
        return Err(CoreError::Refused(Refusal::Identity(
            crate::core::domain::identity::IdentityRefusal::NoCustodian,
        )));
    }
    if file.len() > MAX_IDENTITY_BYTES {
        return Err(invalid("identity"));
    }
    let (inspected, _) =
        varsel_crypto::file_plaintext_len(file).map_err(|_| invalid("identity"))?;
    let mut expected = custodians
        .iter()
        .map(|(_, r)| Ok(stanza_kind(&keys::recipient(r)?)))
        .collect::<CoreResult<Vec<_>>>()?;
    let mut found = inspected
        .stanzas
        .iter()
        .map(|k| k.ok_or_else(|| invalid("identity")))
        .collect::<CoreResult<Vec<_>>>()?;
    let key = |k: &StanzaKind| *k == StanzaKind::Hybrid;
    expected.sort_by_key(key);
    found.sort_by_key(key);
    if expected != found {
        return Err(invalid("identity"));
    }
    Ok(crate::core::identity::SealedIdentity::from_browser(
        file.to_vec(),
    ))
}

/// Checks an attachment file the browser encrypted, once it is on disk:
/// one stanza of the case key's kind, a valid payload length, and at most
/// `max_plaintext` bytes of plaintext.
pub async fn check_attachment(
    path: std::path::PathBuf,
    case_recipient: &str,
    max_plaintext: u64,
) -> CoreResult<()> {
    let recipient = client_recipient(case_recipient)?;
    tokio::task::spawn_blocking(move || check_attachment_file(&path, &recipient, max_plaintext))
        .await
        .map_err(anyhow::Error::from)?
}

fn check_attachment_file(
    path: &std::path::Path,
    recipient: &AnyRecipient,
    max_plaintext: u64,
) -> CoreResult<()> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).map_err(anyhow::Error::from)?;
    let size = file.metadata().map_err(anyhow::Error::from)?.len();
    let mut head = Vec::with_capacity(MAX_SMALL_FILE_BYTES);
    (&mut file)
        .take(MAX_SMALL_FILE_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(anyhow::Error::from)?;
    let inspected = varsel_crypto::inspect_header(&head).map_err(|_| invalid("attachment"))?;
    let len = varsel_crypto::plaintext_len(size - inspected.header_len as u64)
        .ok_or_else(|| invalid("attachment"))?;
    if !inspected.is_single(stanza_kind(recipient)) || len > max_plaintext {
        return Err(invalid("attachment"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: u128, recipient: &str) -> RoutedRecipient {
        RoutedRecipient {
            holder: Holder::User(Uuid::from_u128(id)),
            recipient: recipient.to_owned(),
        }
    }

    #[test]
    fn the_routing_id_depends_on_the_set_not_its_order() {
        let offer = |kind, users: &[(u128, &str)], custodians: &[(u128, &str)]| {
            RoutingOffer::new(
                kind,
                users.iter().map(|(id, r)| user(*id, r)).collect(),
                custodians
                    .iter()
                    .map(|(id, r)| (Uuid::from_u128(*id), (*r).to_owned()))
                    .collect(),
            )
            .id
        };
        let hybrid = KeyKind::Hybrid;
        let a = offer(hybrid, &[(1, "age1a"), (2, "age1b")], &[(9, "age1z")]);
        assert_eq!(
            a,
            offer(hybrid, &[(2, "age1b"), (1, "age1a")], &[(9, "age1z")])
        );
        assert_ne!(
            a,
            offer(hybrid, &[(1, "age1a"), (2, "age1c")], &[(9, "age1z")]),
            "a changed key"
        );
        assert_ne!(
            a,
            offer(hybrid, &[(1, "age1a")], &[(9, "age1z")]),
            "fewer members"
        );
        assert_ne!(
            a,
            offer(hybrid, &[(1, "age1a"), (2, "age1b")], &[]),
            "no custodian"
        );
        assert_ne!(
            a,
            offer(
                KeyKind::X25519,
                &[(1, "age1a"), (2, "age1b")],
                &[(9, "age1z")]
            ),
            "the key kind"
        );
    }
}
