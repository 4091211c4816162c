//! Follow-up with the case key in the reporter's browser (docs/e2e.md,
//! "Follow-up with the code in the browser"): a login by the lookup tag and
//! a proof that the browser holds the case key ([`login_offer`],
//! [`login`]), the case served as its ciphertexts ([`reporter_view`],
//! [`reporter_attachment`]) and replies the browser sealed
//! ([`reporter_reply`]). The server never sees the code, the case key or
//! any plaintext of what is read or written this way.

use sha2::{Digest, Sha256};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::core::actor::{Reporter, ReporterKey};
use crate::core::audit::{action, AuditActor, AuditEvent};
use crate::core::casework::{self, IncomingFile, ThreadEntry};
use crate::core::error::{CoreError, CoreResult, Refusal};
use crate::core::keys;
use crate::core::service::Core;
use crate::core::store::{Attachment, Author, Case, Holder, MessageKind};

/// First word of a login proof.
pub const LOGIN_PROOF_LABEL: &str = "varsel.e2e.login.v1";
/// How long a login challenge can be answered, in seconds.
pub const PROOF_SECONDS: i64 = 300;

/// What a browser gets for a lookup tag: the case identity wrapped to the
/// reporter's code-derived key, and a challenge only the case key opens.
pub struct LoginOffer {
    /// The reporter's wrap, as stored.
    pub wrap: Vec<u8>,
    /// An age file to the case recipient holding the login proof.
    pub challenge: Vec<u8>,
}

fn nonce_hash(nonce_hex: &str) -> [u8; 32] {
    Sha256::digest(nonce_hex.as_bytes()).into()
}

async fn case_of_tag(state: &Core, tag: &[u8; 32]) -> CoreResult<Case> {
    state
        .store
        .case_by_tag(tag)
        .await?
        .ok_or(CoreError::NotFound)
}

/// The reporter's wrap of the case `tag` finds, with a login challenge
/// sealed to the case: a random nonce, of which only the hash is stored
/// (so a copy of the database answers no challenge). "Not found" for an
/// unknown tag.
pub async fn login_offer(state: &Core, tag: &[u8; 32]) -> CoreResult<LoginOffer> {
    let case = case_of_tag(state, tag).await?;
    let wrap = state
        .store
        .key_wrap(case.id, &Holder::Reporter)
        .await?
        .ok_or(CoreError::NotFound)?;
    let mut nonce = Zeroizing::new([0u8; 32]);
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, nonce.as_mut());
    let nonce = Zeroizing::new(hex::encode(nonce.as_ref()));
    let expires = state.now().saturating_add(PROOF_SECONDS);
    state
        .store
        .create_login_challenge(&nonce_hash(&nonce), case.id, expires)
        .await?;
    let proof = Zeroizing::new(format!("{LOGIN_PROOF_LABEL} {}", nonce.as_str()));
    let recipient = keys::recipient(&case.recipient)?;
    let challenge = keys::seal(&recipient, proof.as_bytes())?;
    Ok(LoginOffer { wrap, challenge })
}

/// A reporter session for the case `tag` finds, holding only its
/// recipient, if `proof` is the text of an unexpired, unanswered challenge
/// of [`login_offer`] for that case. Anything else is "not found"; a
/// challenge is spent by any answer naming it.
pub async fn login(state: &Core, tag: &[u8; 32], proof: &str) -> CoreResult<Reporter> {
    let mut words = proof.split(' ');
    let (Some(LOGIN_PROOF_LABEL), Some(nonce), None) = (words.next(), words.next(), words.next())
    else {
        return Err(CoreError::NotFound);
    };
    // Looked up by the hash of what was sent: no secret is compared here.
    let Some((case_id, expires)) = state.store.take_login_challenge(&nonce_hash(nonce)).await?
    else {
        return Err(CoreError::NotFound);
    };
    let case = case_of_tag(state, tag).await?;
    if case.id != case_id || expires <= state.now() {
        return Err(CoreError::NotFound);
    }
    Ok(Reporter {
        case_id: case.id,
        key: ReporterKey::InBrowser(keys::recipient(&case.recipient)?),
    })
}

/// One message of the thread, sealed.
pub struct SealedMessage {
    /// Who wrote it.
    pub author: Author,
    /// When (reporter messages: the day only).
    pub created_at: i64,
    /// The text, an age file to the case.
    pub body: Vec<u8>,
    /// A message, or a report of retaliation.
    pub kind: MessageKind,
}

/// One attachment, its name sealed.
pub struct SealedAttachment {
    /// Id for downloading.
    pub id: Uuid,
    /// Who uploaded it.
    pub author: Author,
    /// `{name, content_type}` as JSON, an age file to the case.
    pub name: Vec<u8>,
    /// Encrypted size in bytes.
    pub size: i64,
    /// When (reporter uploads: the day only).
    pub created_at: i64,
}

/// A measure the handlers chose to show the reporter, sealed.
pub struct SealedMeasure {
    /// When it was recorded.
    pub created_at: i64,
    /// What was done, an age file to the case.
    pub body: Vec<u8>,
}

/// The reporter's case as its ciphertexts, for the browser to open.
pub struct SealedCaseView {
    /// The stored case (its report is the age file of `{description, when, place}`).
    pub case: Case,
    /// The thread.
    pub messages: Vec<SealedMessage>,
    /// Attachments.
    pub attachments: Vec<SealedAttachment>,
    /// The measures shown to the reporter.
    pub measures: Vec<SealedMeasure>,
    /// When the reporter should next hear from the organisation.
    pub answer_due: Option<time::Date>,
}

/// The reporter's case, sealed; read as [`casework::reporter_view`] is
/// (and audited the same way).
pub async fn reporter_view(state: &Core, reporter: &Reporter) -> CoreResult<SealedCaseView> {
    let case = state
        .store
        .case_by_id(reporter.case_id)
        .await?
        .ok_or(CoreError::NotFound)?;
    let messages = state
        .store
        .messages(case.id)
        .await?
        .into_iter()
        .map(|m| SealedMessage {
            author: m.author,
            created_at: m.created_at,
            body: m.body,
            kind: m.kind,
        })
        .collect();
    let attachments = state
        .store
        .attachments(case.id)
        .await?
        .into_iter()
        .map(|a| SealedAttachment {
            id: a.id,
            author: a.author,
            name: a.name,
            size: a.size,
            created_at: a.created_at,
        })
        .collect();
    let measures = state
        .store
        .measures(case.id, true)
        .await?
        .into_iter()
        .map(|m| SealedMeasure {
            created_at: m.created_at,
            body: m.body,
        })
        .collect();
    let answer_due = crate::core::deadlines::answer_due(state, case.id)
        .await?
        .map(|due| due.date());
    casework::audited(
        state,
        AuditEvent::new(AuditActor::Reporter, action::CASE_READ).on_case(reporter.case_id),
    )
    .await?;
    Ok(SealedCaseView {
        case,
        messages,
        attachments,
        measures,
        answer_due,
    })
}

/// Where the attachment `id` of the reporter's case is stored (an age file
/// to the case, served as it is).
pub async fn reporter_attachment(
    state: &Core,
    reporter: &Reporter,
    id: Uuid,
) -> CoreResult<std::path::PathBuf> {
    let a = state
        .store
        .attachment(id)
        .await?
        .filter(|a| a.case_id == reporter.case_id)
        .ok_or(CoreError::NotFound)?;
    casework::audited(
        state,
        AuditEvent::new(AuditActor::Reporter, action::CASE_ATTACHMENT_READ)
            .on_case(reporter.case_id)
            .with_detail(serde_json::json!({ "attachment_id": id })),
    )
    .await?;
    Ok(crate::core::attachments::path(
        &state.settings.storage.attachments_dir(),
        a.id,
    ))
}

/// A reply the reporter's browser sealed to the case.
pub struct SealedReply {
    /// The message, an age file of its UTF-8 text.
    pub message: Option<Vec<u8>>,
    /// Each attachment's sealed `{name, content_type}`, in the order of the files.
    pub attachment_names: Vec<Vec<u8>>,
}

fn invalid(part: &'static str) -> CoreError {
    CoreError::Refused(Refusal::InvalidCiphertext { part })
}

/// The most bytes a reply's text can take in UTF-8.
pub fn max_message_bytes(state: &Core) -> u64 {
    state.settings.limits.max_text_chars as u64 * 4
}

/// Checks a reply the browser sealed, as far as a server without the case
/// key can (each part one stanza of the case key's kind, within the
/// limits; each file checked on disk), and adds it to the thread as
/// [`casework::reporter_reply`] adds a server-sealed one.
pub async fn reporter_reply(
    state: &Core,
    reporter: &Reporter,
    reply: SealedReply,
    files: &[IncomingFile],
) -> CoreResult<()> {
    if files.len() != reply.attachment_names.len() {
        return Err(invalid("attachment_names"));
    }
    // A case deleted since the page was shown is "not found".
    state
        .store
        .case_by_id(reporter.case_id)
        .await?
        .ok_or(CoreError::NotFound)?;
    let recipient = reporter.recipient();
    let text = recipient.to_string();
    if let Some(message) = &reply.message {
        crate::core::sealed::check_sealed_part(
            message,
            &text,
            max_message_bytes(state),
            "message",
        )?;
    }
    let max_file = state.settings.limits.max_attachment_bytes;
    let day = crate::core::clock::day_of(casework::now_in(state));
    let mut attachments = Vec::with_capacity(files.len());
    for (file, name) in files.iter().zip(reply.attachment_names) {
        crate::core::sealed::check_sealed_part(
            &name,
            &text,
            crate::core::sealed::MAX_SMALL_FILE_BYTES as u64,
            "attachment_names",
        )?;
        crate::core::sealed::check_attachment(file.pending.pending_path(), &text, max_file).await?;
        attachments.push(Attachment {
            id: file.pending.id,
            case_id: reporter.case_id,
            author: Author::Reporter,
            name,
            size: file.pending.size as i64,
            created_at: day,
        });
    }
    casework::append_to_thread(
        state,
        reporter.case_id,
        ThreadEntry {
            author: Author::Reporter,
            author_user_id: None,
            body: reply.message,
            attachments,
        },
        files,
    )
    .await
}
