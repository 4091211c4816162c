//! What reporters and staff do with cases, independent of HTML or JSON:
//! submitting, logging in, reading, replying, acknowledging and changing
//! status. Every operation takes an explicit identity; a staff member reaches
//! a case only through a wrap of its key made out to them, and any other case
//! is "not found". Every read of content, change and login is written to the
//! audit log ([`crate::core::audit`]); an operation whose entry cannot be written fails.

use anyhow::Context;
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::{Date, Duration as TimeDuration, OffsetDateTime};
use uuid::Uuid;
use varsel_crypto::{AnyIdentity, AnyRecipient, CaseCode};
use zeroize::Zeroizing;

use crate::core::actor::{Reporter, ReporterKey, StaffMember};
use crate::core::attachments::PendingAttachment;
use crate::core::audit::{action, AuditActor, AuditEvent};
use crate::core::audit_log;
pub use crate::core::domain::report::{ReportDraft, ReportInput, ReportLimits, DEFAULT_SEVERITY};
use crate::core::domain::{CaseStatus, DeadlineSettings, SubtypeKey, TextField};
use crate::core::error::{CoreError, CoreResult, Refusal};
use crate::core::keys;
use crate::core::open::{self, OpenCase};
use crate::core::routing;
use crate::core::service::Core;
use crate::core::store::{Attachment, Author, Case, Holder, KeyWrap, Message, NewCase, StoreError};

/// Settings key of the organisation's recovery recipient.
pub const RECOVERY_SETTING: &str = "recovery_recipient";

/// The report as the reporter wrote it; stored only encrypted, and wiped
/// from memory when dropped.
#[derive(Serialize, Deserialize, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
pub struct ReportContent {
    /// What happened.
    pub description: String,
    /// When, in the reporter's words.
    pub when: Option<String>,
    /// Where, in the reporter's words.
    pub place: Option<String>,
}

/// Keys of a case being created: generated before the request body is read so
/// attachments can be encrypted as they stream in.
pub struct PreparedCase {
    /// The case code, shown to the reporter once.
    pub code: CaseCode,
    /// The case identity.
    pub identity: AnyIdentity,
    /// The case recipient.
    pub recipient: AnyRecipient,
    /// The keyed hash of the form's submission token
    /// ([`crate::core::receipts`]), if it had one: stored with the case, so
    /// that the same form never files a second case (`Conflict`).
    pub submission: Option<crate::core::receipts::SubmissionTag>,
}

impl PreparedCase {
    /// Fresh keys of `kind` and a fresh code.
    pub fn new(kind: keys::KeyKind) -> Self {
        let identity = keys::new_case_identity(kind);
        let recipient = identity.to_public();
        PreparedCase {
            code: CaseCode::generate(),
            identity,
            recipient,
            submission: None,
        }
    }
}

/// An uploaded file waiting to be attached, with its original name.
pub struct IncomingFile {
    /// The encrypted content on disk.
    pub pending: PendingAttachment,
    /// The original file name (encrypted before storage).
    pub name: String,
    /// The declared content type.
    pub content_type: String,
}

#[derive(Serialize, Deserialize)]
struct AttachmentName {
    name: String,
    content_type: String,
}

/// Current UNIX time in seconds by the application's clock: every time a
/// case records (receipt, thread, triage, escalation, closing) is taken from
/// it, so deadlines computed from the same clock agree with them.
pub fn now_in(state: &Core) -> i64 {
    state.clock.now().unix_timestamp()
}

pub use crate::core::clock::day_of;

fn date_of(at: i64) -> Date {
    OffsetDateTime::from_unix_timestamp(at)
        .map(|d| d.date())
        .unwrap_or(Date::MIN)
}

/// Appends `event` to the audit log; the caller's operation fails if it cannot.
pub(crate) async fn audited(state: &Core, event: AuditEvent) -> CoreResult<()> {
    audit_log::record(&*state.store, state.now(), event).await?;
    Ok(())
}

/// Staff a reporter may exclude (every active handler and contact point):
/// (id, display name).
pub async fn excludable_handlers(state: &Core) -> CoreResult<Vec<(Uuid, String)>> {
    let users = state.store.users_shared().await?;
    Ok(routing::excludable(&users)
        .into_iter()
        .map(|u| (u.id, u.display_name.clone()))
        .collect())
}

/// Checks, before anything of a submission is stored, that every exclusion
/// names someone who may be excluded and that someone is left at all. The
/// exact routing depends on category and severity and is checked again by
/// [`submit_report`], which refuses with `NoEligibleHandler` before storing.
pub async fn check_routable(state: &Core, excluded: &[Uuid]) -> CoreResult<()> {
    if excluded.is_empty() {
        // Nobody excluded: routing itself refuses if nobody is reached.
        return Ok(());
    }
    let users = state.store.users_shared().await?;
    let can_exclude = routing::excludable(&users);
    if excluded
        .iter()
        .any(|id| !can_exclude.iter().any(|u| u.id == *id))
    {
        return Err(CoreError::Refused(Refusal::UnknownHandler));
    }
    if can_exclude.iter().all(|u| excluded.contains(&u.id)) {
        return Err(CoreError::Refused(Refusal::NoEligibleHandler));
    }
    Ok(())
}

fn seal_attachment_name(recipient: &AnyRecipient, file: &IncomingFile) -> anyhow::Result<Vec<u8>> {
    let name = AttachmentName {
        name: file.name.clone(),
        content_type: file.content_type.clone(),
    };
    let json = Zeroizing::new(serde_json::to_vec(&name)?);
    keys::seal(recipient, &json)
}

/// Who a new report reaches ([`routing::route`]): the routed members, and
/// the organisation's recovery recipient if one is set.
pub(crate) async fn routed(
    state: &Core,
    category: crate::core::domain::Category,
    subtype: Option<&SubtypeKey>,
    severity: crate::core::domain::Severity,
    excluded: &[Uuid],
) -> CoreResult<(Vec<crate::core::store::User>, Option<String>)> {
    let flags = state.settings.taxonomy.flags_of(category, subtype);
    // Users, rules and the recovery recipient come from the cache (one
    // tiny version query), not from the database on every submission.
    let snapshot = state.store.snapshot(RECOVERY_SETTING).await?;
    let handlers = routing::route(state, &snapshot, category, severity, flags, excluded)?;
    Ok((handlers, snapshot.setting.clone()))
}

/// Stores a new case: the report sealed to the case, the case identity wrapped
/// to every member routing chooses ([`routing::route`]), the reporter and the
/// recovery key, then the attachments. Returns the case id.
pub async fn submit_report(
    state: &Core,
    prepared: &PreparedCase,
    input: &ReportInput,
    files: &[IncomingFile],
) -> CoreResult<Submitted> {
    if files.len() > state.settings.limits.max_attachments_per_case {
        return Err(CoreError::Refused(Refusal::TooManyAttachments {
            max: state.settings.limits.max_attachments_per_case,
        }));
    }
    let (handlers, recovery) = routed(
        state,
        input.category,
        input.subtype.as_ref(),
        input.severity,
        &input.excluded,
    )
    .await?;
    let content = ReportContent {
        description: input.description.as_str().to_owned(),
        when: input.when.as_ref().map(|t| t.as_str().to_owned()),
        place: input.place.as_ref().map(|t| t.as_str().to_owned()),
    };
    let json = Zeroizing::new(serde_json::to_vec(&content).context("cannot encode the report")?);
    let report = keys::seal(&prepared.recipient, &json)?;

    let mut wraps = Vec::with_capacity(handlers.len() + 2);
    for h in &handlers {
        let r = keys::recipient(&h.recipient)?;
        wraps.push(KeyWrap {
            holder: Holder::User(h.id),
            wrapped: keys::wrap_case_identity(&prepared.identity, &r)?,
        });
    }
    // The reporter's code-derived key is of the case key's kind.
    let reporter = if prepared.identity.is_hybrid() {
        AnyRecipient::Hybrid(prepared.code.reporter_hybrid_identity().to_public())
    } else {
        AnyRecipient::X25519(prepared.code.reporter_identity().to_public())
    };
    wraps.push(KeyWrap {
        holder: Holder::Reporter,
        wrapped: keys::wrap_case_identity(&prepared.identity, &reporter)?,
    });
    if let Some(recovery) = &recovery {
        let r = keys::recipient(recovery)?;
        wraps.push(KeyWrap {
            holder: Holder::Recovery,
            wrapped: keys::wrap_case_identity(&prepared.identity, &r)?,
        });
    }

    // The case id is set by `store_new_case`.
    let attachments = attachment_rows(
        &prepared.recipient,
        Uuid::nil(),
        Author::Reporter,
        files,
        now_in(state),
    )?;
    store_new_case(
        state,
        NewCaseParts {
            recipient: &prepared.recipient,
            category: input.category,
            subtype: input.subtype.as_ref(),
            severity: input.severity,
            excluded: &input.excluded,
            routed_to: handlers.iter().map(|h| h.id).collect(),
            report,
            wraps,
            lookup_tag: *prepared.code.lookup_tag().as_bytes(),
            attachments,
            files,
            submission: prepared.submission,
        },
    )
    .await
}

/// Everything of a new case but its id, times and deadlines, whichever
/// side encrypted it: the server at receipt ([`submit_report`]) or the
/// reporter's browser ([`crate::core::sealed`]).
pub(crate) struct NewCaseParts<'a> {
    /// The case recipient.
    pub recipient: &'a AnyRecipient,
    /// Category.
    pub category: crate::core::domain::Category,
    /// Sub-type, if chosen.
    pub subtype: Option<&'a SubtypeKey>,
    /// Suggested severity.
    pub severity: crate::core::domain::Severity,
    /// The reporter's exclusions (sealed to the case here).
    pub excluded: &'a [Uuid],
    /// The members the case was routed to (for the new-case mails).
    pub routed_to: Vec<Uuid>,
    /// The report, an age file to the case recipient.
    pub report: Vec<u8>,
    /// The case identity wrapped to every holder.
    pub wraps: Vec<KeyWrap>,
    /// The case code's lookup tag.
    pub lookup_tag: [u8; 32],
    /// Attachment rows (case id still nil: set here), names sealed.
    pub attachments: Vec<Attachment>,
    /// The attachments' files, renamed into place here.
    pub files: &'a [IncomingFile],
    /// The form's submission tag, if any.
    pub submission: Option<crate::core::receipts::SubmissionTag>,
}

/// Stores a new case with its wraps, attachments, deadlines, audit entry
/// and new-case mails in one transaction.
pub(crate) async fn store_new_case(state: &Core, parts: NewCaseParts<'_>) -> CoreResult<Submitted> {
    let NewCaseParts {
        recipient,
        category,
        subtype,
        severity,
        excluded,
        routed_to,
        report,
        wraps,
        lookup_tag,
        mut attachments,
        files,
        submission,
    } = parts;
    let received = day_of(now_in(state));
    let case = Case {
        id: Uuid::new_v4(),
        recipient: recipient.to_string(),
        category,
        severity,
        suggested_severity: severity,
        status: CaseStatus::Received,
        received_at: received,
        acknowledged_at: None,
        updated_at: received,
        reporter_seq: 1,
        report,
    };
    let case_id = case.id;
    for attachment in &mut attachments {
        attachment.case_id = case_id;
    }
    let attachment_ids: Vec<Uuid> = files.iter().map(|f| f.pending.id).collect();
    // The entry is appended in the case's own transaction: a crash leaves
    // both or neither.
    let audit = audit_log::prepare(
        state.now(),
        AuditEvent::new(AuditActor::Reporter, action::CASE_CREATED)
            .on_case(case_id)
            .with_detail(json!({
                "category": case.category.key(),
                "subtype": subtype.map(SubtypeKey::as_str),
                "severity": case.severity.key(),
                "attachment_ids": attachment_ids,
            })),
    );
    // Files are renamed into place before the rows commit, and removed again
    // if the rows are not stored; a crash in between leaves a file without a
    // row, which the attachment sweep removes (`attachments::sweep_orphans`).
    commit_files(files).await?;
    let (next_deadline, rules) = crate::core::deadlines::of_new_case(
        &case,
        subtype,
        &state.settings.deadlines,
        &state.settings.taxonomy,
    );
    let new = NewCase {
        case,
        subtype: subtype.cloned(),
        lookup_tag,
        wraps,
        // Every case gets the row, so its presence says nothing.
        sealed_exclusions: Some(crate::core::exclusions::seal(recipient, excluded)?),
        attachments,
        next_deadline,
        deadline_rules: Some(rules),
        submission,
    };
    // The new-case mails are queued in the same transaction too.
    let notices = crate::core::notifications::case_routed_items(state, case_id, &routed_to);
    if let Err(e) = state.store.submit_case(&new, audit, &notices).await {
        uncommit_files(files).await;
        if !matches!(e, StoreError::Conflict) {
            tracing::error!(error = %e, "cannot store a case");
        }
        return Err(e.into());
    }
    settle_files(files).await;
    Ok(Submitted {
        case_id,
        acknowledge_by: acknowledge_by(received, &state.settings.deadlines),
        metadata_kept: metadata_kept(files),
    })
}

/// A stored report.
pub struct Submitted {
    /// The new case.
    pub case_id: Uuid,
    /// The date by which receipt is to be acknowledged.
    pub acknowledge_by: Date,
    /// Names of the files stored with whatever metadata they carry (not a
    /// JPEG, PNG or WebP image, or one that could not be read), to be named
    /// to the reporter.
    pub metadata_kept: Vec<String>,
}

/// Names of the files whose metadata was not removed.
pub fn metadata_kept(files: &[IncomingFile]) -> Vec<String> {
    files
        .iter()
        .filter(|f| f.pending.metadata != crate::core::metadata::Outcome::Stripped)
        .map(|f| f.name.clone())
        .collect()
}

/// Ids of the files whose metadata was not removed.
pub fn metadata_kept_ids(files: &[IncomingFile]) -> Vec<Uuid> {
    files
        .iter()
        .filter(|f| f.pending.metadata != crate::core::metadata::Outcome::Stripped)
        .map(|f| f.pending.id)
        .collect()
}

/// The acknowledgement deadline of a case received at `received_at`.
pub fn acknowledge_by(received_at: i64, settings: &DeadlineSettings) -> Date {
    date_of(received_at) + TimeDuration::days(i64::from(settings.acknowledge_days))
}

/// The attachment rows for uploaded files, names sealed to the case.
fn attachment_rows(
    recipient: &AnyRecipient,
    case_id: Uuid,
    author: Author,
    files: &[IncomingFile],
    now: i64,
) -> CoreResult<Vec<Attachment>> {
    let created_at = match author {
        Author::Reporter => day_of(now),
        Author::Staff => now,
    };
    files
        .iter()
        .map(|file| {
            Ok(Attachment {
                id: file.pending.id,
                case_id,
                author,
                name: seal_attachment_name(recipient, file)?,
                size: file.pending.size as i64,
                created_at,
            })
        })
        .collect()
}

/// Makes uploaded files permanent; on failure removes those already moved.
async fn commit_files(files: &[IncomingFile]) -> CoreResult<()> {
    for (i, file) in files.iter().enumerate() {
        if let Err(e) = file.pending.commit().await {
            uncommit_files(&files[..i]).await;
            return Err(e.into());
        }
    }
    Ok(())
}

/// Gives stored files the fixed times, once their rows are committed.
async fn settle_files(files: &[IncomingFile]) {
    for file in files {
        file.pending.settle().await;
    }
}

/// Removes committed files whose rows could not be stored.
async fn uncommit_files(files: &[IncomingFile]) {
    for file in files {
        file.pending.remove_committed().await;
    }
}

/// Unlocks a case with its code. Unknown codes and codes whose wrap does not
/// open are the same "not found".
pub async fn reporter_login(state: &Core, code: &CaseCode) -> CoreResult<Reporter> {
    let tag = code.lookup_tag();
    let case = state
        .store
        .case_by_tag(tag.as_bytes())
        .await?
        .ok_or(CoreError::NotFound)?;
    let wrapped = state
        .store
        .key_wrap(case.id, &Holder::Reporter)
        .await?
        .ok_or(CoreError::NotFound)?;
    let case_identity = keys::unwrap_case_identity(&wrapped, &keys::reporter_keys(code))
        .map_err(|_| CoreError::NotFound)?;
    Ok(Reporter {
        case_id: case.id,
        key: ReporterKey::Unwrapped(case_identity),
    })
}

/// One message, decrypted.
pub struct MessageView {
    /// Who wrote it.
    pub author: Author,
    /// Display name of the staff author (shown to staff only).
    pub author_name: Option<String>,
    /// When (reporter messages: the day only).
    pub created_at: i64,
    /// The text (empty if unreadable).
    pub body: String,
    /// A message, or a report of retaliation.
    pub kind: crate::core::store::MessageKind,
    /// The text does not open with the case key: a reporter's browser
    /// sealed it wrongly (docs/e2e.md). The rest of the case still shows.
    pub unreadable: bool,
}

/// One attachment, with its decrypted name.
pub struct AttachmentView {
    /// Id for downloading.
    pub id: Uuid,
    /// Who uploaded it.
    pub author: Author,
    /// Original file name (empty if unreadable).
    pub name: String,
    /// Declared content type.
    pub content_type: String,
    /// The name does not open with the case key (see [`MessageView::unreadable`]).
    pub unreadable: bool,
    /// Encrypted size in bytes.
    pub size: i64,
    /// When (reporter uploads: the day only).
    pub created_at: i64,
}

/// The refusal of a case whose stored parts do not open with its key.
fn unreadable() -> CoreError {
    CoreError::Refused(Refusal::CaseUnreadable)
}

/// An attachment as its reader sees it: its name opened with the case key.
fn attachment_view(identity: &AnyIdentity, a: &Attachment) -> CoreResult<AttachmentView> {
    let json = keys::open(identity, &a.name).map_err(|_| unreadable())?;
    let name: AttachmentName = serde_json::from_slice(&json).map_err(|_| unreadable())?;
    Ok(AttachmentView {
        id: a.id,
        author: a.author,
        name: name.name,
        content_type: name.content_type,
        unreadable: false,
        size: a.size,
        created_at: a.created_at,
    })
}

/// As [`attachment_view`], but a name that does not open is shown as
/// unreadable rather than failing the whole case.
fn listed_attachment(identity: &AnyIdentity, a: &Attachment) -> AttachmentView {
    attachment_view(identity, a).unwrap_or_else(|_| AttachmentView {
        id: a.id,
        author: a.author,
        name: String::new(),
        content_type: "application/octet-stream".to_owned(),
        unreadable: true,
        size: a.size,
        created_at: a.created_at,
    })
}

/// A case, decrypted for someone allowed to read it.
pub struct CaseView {
    /// The stored case.
    pub case: Case,
    /// The report.
    pub report: ReportContent,
    /// The thread.
    pub messages: Vec<MessageView>,
    /// Attachments.
    pub attachments: Vec<AttachmentView>,
    /// When the reporter should next hear from the organisation.
    pub answer_due: Option<Date>,
}

async fn load_view(
    state: &Core,
    case: Case,
    identity: &AnyIdentity,
    with_names: bool,
) -> CoreResult<CaseView> {
    // The case key opened; what it does not open, or opens to something
    // that is not a report, a reporter's browser sealed wrongly.
    let report_json = keys::open(identity, &case.report).map_err(|_| unreadable())?;
    let report: ReportContent = serde_json::from_slice(&report_json).map_err(|_| unreadable())?;
    let mut names = std::collections::HashMap::new();
    let mut messages = Vec::new();
    for m in state.store.messages(case.id).await? {
        // One part sealed wrongly (by a reporter's browser) does not hide
        // the rest of the case.
        let body = keys::open(identity, &m.body).ok();
        let author_name = match (with_names, m.author_user_id) {
            (true, Some(uid)) => {
                if let std::collections::hash_map::Entry::Vacant(e) = names.entry(uid) {
                    let name = state.store.user_by_id(uid).await?.map(|u| u.display_name);
                    e.insert(name);
                }
                names.get(&uid).cloned().flatten()
            }
            _ => None,
        };
        messages.push(MessageView {
            author: m.author,
            author_name,
            created_at: m.created_at,
            unreadable: body.is_none(),
            body: body
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default(),
            kind: m.kind,
        });
    }
    let mut attachments = Vec::new();
    for a in state.store.attachments(case.id).await? {
        attachments.push(listed_attachment(identity, &a));
    }
    // The deadline rules, an extended feedback deadline included.
    let answer_due = crate::core::deadlines::answer_due(state, case.id)
        .await?
        .map(|due| due.date());
    Ok(CaseView {
        case,
        report,
        messages,
        attachments,
        answer_due,
    })
}

/// The reporter's view of their case.
pub async fn reporter_view(state: &Core, reporter: &Reporter) -> CoreResult<CaseView> {
    let case = state
        .store
        .case_by_id(reporter.case_id)
        .await?
        .ok_or(CoreError::NotFound)?;
    let identity = reporter.identity().ok_or(CoreError::NotFound)?;
    let view = load_view(state, case, identity, false).await?;
    audited(
        state,
        AuditEvent::new(AuditActor::Reporter, action::CASE_READ).on_case(reporter.case_id),
    )
    .await?;
    Ok(view)
}

/// Appends a reporter message and attachments.
pub async fn reporter_reply(
    state: &Core,
    reporter: &Reporter,
    body: Option<&TextField>,
    files: &[IncomingFile],
) -> CoreResult<()> {
    let case = state
        .store
        .case_by_id(reporter.case_id)
        .await?
        .ok_or(CoreError::NotFound)?;
    add_to_thread(state, &case, Author::Reporter, None, body, files).await
}

async fn add_to_thread(
    state: &Core,
    case: &Case,
    author: Author,
    author_user_id: Option<Uuid>,
    body: Option<&TextField>,
    files: &[IncomingFile],
) -> CoreResult<()> {
    let recipient = keys::recipient(&case.recipient)?;
    let body = match body {
        Some(body) => Some(keys::seal(&recipient, body.as_str().as_bytes())?),
        None => None,
    };
    let attachments = attachment_rows(&recipient, case.id, author, files, now_in(state))?;
    append_to_thread(
        state,
        case.id,
        ThreadEntry {
            author,
            author_user_id,
            body,
            attachments,
        },
        files,
    )
    .await
}

/// What one post adds to a case's thread, already sealed to the case.
pub struct ThreadEntry {
    /// Who wrote it.
    pub author: Author,
    /// The staff author.
    pub author_user_id: Option<Uuid>,
    /// The message, sealed.
    pub body: Option<Vec<u8>>,
    /// The attachments' rows, their names sealed, in the order of the files.
    pub attachments: Vec<Attachment>,
}

/// Stores a thread entry and makes its files permanent: the audit entry,
/// the rows and the files together, or none of them.
pub(crate) async fn append_to_thread(
    state: &Core,
    case_id: Uuid,
    entry: ThreadEntry,
    files: &[IncomingFile],
) -> CoreResult<()> {
    let ThreadEntry {
        author,
        author_user_id,
        body,
        attachments,
    } = entry;
    let at = match author {
        Author::Reporter => day_of(now_in(state)),
        Author::Staff => now_in(state),
    };
    let message = body.map(|body| Message {
        id: Uuid::new_v4(),
        case_id,
        seq: 0,
        author,
        author_user_id,
        created_at: at,
        body,
        kind: Default::default(),
    });
    if message.is_none() && files.is_empty() {
        return Ok(());
    }
    let actor = match (author, author_user_id) {
        (Author::Staff, Some(id)) => AuditActor::User(id),
        (Author::Staff, None) => AuditActor::System,
        (Author::Reporter, _) => AuditActor::Reporter,
    };
    let what = match message {
        Some(_) => action::CASE_MESSAGE_ADDED,
        None => action::CASE_ATTACHMENT_ADDED,
    };
    let attachment_ids: Vec<Uuid> = files.iter().map(|f| f.pending.id).collect();
    audited(
        state,
        AuditEvent::new(actor, what)
            .on_case(case_id)
            .with_detail(json!({
                "message_id": message.as_ref().map(|m| m.id),
                "attachment_ids": attachment_ids,
            })),
    )
    .await?;
    commit_files(files).await?;
    let stored = state
        .store
        .add_thread_entry(
            case_id,
            author,
            at,
            message.as_ref(),
            &attachments,
            state.settings.limits.max_attachments_per_case,
        )
        .await;
    match stored {
        Ok(_) => {
            settle_files(files).await;
            Ok(())
        }
        Err(e) => {
            uncommit_files(files).await;
            Err(match e {
                StoreError::LimitReached => CoreError::Refused(Refusal::TooManyAttachments {
                    max: state.settings.limits.max_attachments_per_case,
                }),
                other => other.into(),
            })
        }
    }
}

/// Where uploads to the reporter's case are encrypted to, and how many more
/// attachments the case can take (so nothing beyond that is even received).
pub async fn reporter_upload_target(
    state: &Core,
    reporter: &Reporter,
) -> CoreResult<(AnyRecipient, usize)> {
    let room = attachment_room(state, reporter.case_id).await?;
    Ok((reporter.recipient(), room))
}

/// Like [`reporter_upload_target`] for a staff member: "not found" unless the
/// case is routed to them, checked before any of the body is read.
pub async fn staff_upload_target(
    state: &Core,
    staff: &StaffMember,
    case_id: Uuid,
) -> CoreResult<(AnyRecipient, usize)> {
    state
        .store
        .key_wrap(case_id, &Holder::User(staff.user_id))
        .await?
        .ok_or(CoreError::NotFound)?;
    let case = state
        .store
        .case_by_id(case_id)
        .await?
        .ok_or(CoreError::NotFound)?;
    let room = attachment_room(state, case_id).await?;
    Ok((keys::recipient(&case.recipient)?, room))
}

async fn attachment_room(state: &Core, case_id: Uuid) -> CoreResult<usize> {
    let existing = state.store.attachments(case_id).await?.len();
    Ok(state
        .settings
        .limits
        .max_attachments_per_case
        .saturating_sub(existing))
}

/// The attachment `id` of the reporter's case with the key to read it.
pub async fn reporter_attachment(
    state: &Core,
    reporter: &Reporter,
    id: Uuid,
) -> CoreResult<(AttachmentView, AnyIdentity)> {
    let identity = reporter.identity().ok_or(CoreError::NotFound)?;
    let found = attachment_for(state, reporter.case_id, identity, id).await?;
    audited(
        state,
        AuditEvent::new(AuditActor::Reporter, action::CASE_ATTACHMENT_READ)
            .on_case(reporter.case_id)
            .with_detail(json!({ "attachment_id": id })),
    )
    .await?;
    Ok(found)
}

async fn attachment_for(
    state: &Core,
    case_id: Uuid,
    identity: &AnyIdentity,
    id: Uuid,
) -> CoreResult<(AttachmentView, AnyIdentity)> {
    let a = state
        .store
        .attachment(id)
        .await?
        .filter(|a| a.case_id == case_id)
        .ok_or(CoreError::NotFound)?;
    Ok((attachment_view(identity, &a)?, identity.clone()))
}

/// Logs a staff member in: unwraps their identity with the password (off the
/// async executor). Unknown user, inactive user and wrong password all fail
/// the same way after the same work. No second factor is asked for: the
/// login pages and the API go through `two_factor`, which asks when due.
pub async fn staff_login(
    state: &Core,
    username: &str,
    password: Zeroizing<String>,
) -> CoreResult<StaffMember> {
    let staff = staff_password(state, username, password).await?;
    audited(
        state,
        AuditEvent::new(AuditActor::User(staff.user_id), action::STAFF_LOGIN),
    )
    .await?;
    Ok(staff)
}

/// The password step of a staff login, as [`staff_login`] but without
/// recording a login: the failure is recorded, a success is for the caller
/// to record once the login is complete.
pub async fn staff_password(
    state: &Core,
    username: &str,
    password: Zeroizing<String>,
) -> CoreResult<StaffMember> {
    let user = state.store.user_by_username(username).await?;
    let wrapped = match &user {
        Some(u) if u.active => u.wrapped_identity.clone(),
        _ => state.dummy_key.wrapped().to_vec(),
    };
    // An account linked to the OpenID Connect provider logs in there only;
    // asked for every name (the nil id for unknown ones), so the work is the same.
    let linked = crate::core::sso::password_login_refused(
        state,
        user.as_ref().map_or(Uuid::nil(), |u| u.id),
    )
    .await?;
    // The same scrypt work whoever asks (see `core::passwords`).
    let unlocked = state
        .password_checks
        .unlock(
            wrapped,
            &password,
            state.settings.security.password_work_factor,
        )
        .await?;
    let (Some(user), Ok(identity)) = (user.filter(|u| u.active && !linked), unlocked) else {
        // Best effort, and deliberately without the username: the log must not
        // become a record of which accounts exist or of mistyped passwords.
        let _ = audit_log::record(
            &*state.store,
            state.now(),
            AuditEvent::new(AuditActor::System, action::STAFF_LOGIN_FAILED),
        )
        .await;
        return Err(CoreError::Refused(Refusal::LoginFailed));
    };
    let identity = crate::core::passwords::after_login(state, &user, identity, &password).await?;
    Ok(StaffMember {
        user_id: user.id,
        username: user.username,
        display_name: user.display_name,
        roles: user.roles,
        identity,
    })
}

/// Records a staff logout. Best effort: the session ends whether or not the
/// entry is written (a failure is logged).
pub async fn staff_logout(state: &Core, staff: &StaffMember) {
    let _ = audit_log::record(
        &*state.store,
        state.now(),
        AuditEvent::new(AuditActor::User(staff.user_id), action::STAFF_LOGOUT),
    )
    .await;
}

/// A staff member's view of a case; marks it read.
pub async fn staff_view(
    state: &Core,
    staff: &StaffMember,
    opened: &OpenCase,
) -> CoreResult<CaseView> {
    let case_id = opened.case.id;
    let (case, identity) = (opened.case.clone(), &opened.identity);
    let view = load_view(state, case, identity, true).await?;
    audited(state, staff.event_on(action::CASE_READ, case_id)).await?;
    state.store.mark_read(case_id, staff.user_id).await?;
    Ok(view)
}

/// A staff reply (message and/or attachments).
pub async fn staff_reply(
    state: &Core,
    staff: &StaffMember,
    case_id: Uuid,
    body: Option<&TextField>,
    files: &[IncomingFile],
) -> CoreResult<()> {
    let OpenCase { case, .. } = open::staff_case(state, staff, case_id).await?;
    add_to_thread(
        state,
        &case,
        Author::Staff,
        Some(staff.user_id),
        body,
        files,
    )
    .await?;
    if body.is_some() {
        crate::core::followup::after_staff_reply(state, case_id).await?;
    }
    Ok(())
}

/// Acknowledges receipt (the first acknowledgement's time is kept).
pub async fn acknowledge(state: &Core, staff: &StaffMember, case_id: Uuid) -> CoreResult<()> {
    let OpenCase { case, .. } = open::staff_case(state, staff, case_id).await?;
    let status = match case.status {
        CaseStatus::Received => CaseStatus::Acknowledged,
        other => other,
    };
    audited(
        state,
        staff
            .event_on(action::CASE_ACKNOWLEDGED, case_id)
            .with_detail(json!({ "from": case.status.key(), "to": status.key() })),
    )
    .await?;
    store_status(state, case_id, status, true).await
}

/// Stores `status` at the application's clock (deadlines are judged by it),
/// acknowledging the case with it if `acknowledges`. Reaching
/// `feedback_given` gives feedback (the store keeps the first time).
async fn store_status(
    state: &Core,
    case_id: Uuid,
    status: CaseStatus,
    acknowledges: bool,
) -> CoreResult<()> {
    let at = state.clock.now().unix_timestamp();
    let feedback_at = (status == CaseStatus::FeedbackGiven).then_some(at);
    if acknowledges {
        state
            .store
            .acknowledge(case_id, status, at, feedback_at)
            .await?;
    } else {
        state
            .store
            .set_status(case_id, status, at, feedback_at)
            .await?;
    }
    crate::core::deadlines::refresh_one(state, case_id).await?;
    Ok(())
}

/// Changes the status. Refuses to close or to leave `closed`
/// ([`CoreError::Refused(Refusal::UseClose)`]): closing and reopening record an outcome,
/// an evaluation or a reason, so they go through
/// [`crate::core::escalation::close_case`] and [`crate::core::escalation::reopen_case`].
pub async fn set_status(
    state: &Core,
    staff: &StaffMember,
    case_id: Uuid,
    status: CaseStatus,
) -> CoreResult<()> {
    let OpenCase { case, .. } = open::staff_case(state, staff, case_id).await?;
    let closed = case.status == CaseStatus::Closed;
    if status == CaseStatus::Closed || closed {
        return Err(CoreError::Refused(Refusal::UseClose));
    }
    let acknowledges = status != CaseStatus::Received && case.acknowledged_at.is_none();
    audited(
        state,
        staff
            .event_on(action::CASE_STATUS_CHANGED, case_id)
            .with_detail(json!({
                "from": case.status.key(),
                "to": status.key(),
                "acknowledges": acknowledges,
            })),
    )
    .await?;
    store_status(state, case_id, status, acknowledges).await
}

/// The attachment `id` of a case routed to the staff member.
pub async fn staff_attachment(
    state: &Core,
    staff: &StaffMember,
    case_id: Uuid,
    id: Uuid,
) -> CoreResult<(AttachmentView, AnyIdentity)> {
    let OpenCase { identity, .. } = open::staff_case(state, staff, case_id).await?;
    let found = attachment_for(state, case_id, &identity, id).await?;
    audited(
        state,
        staff
            .event_on(action::CASE_ATTACHMENT_READ, case_id)
            .with_detail(json!({ "attachment_id": id })),
    )
    .await?;
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn acknowledgement_is_due_the_configured_days_after_receipt() {
        let received = date!(2026 - 03 - 02)
            .midnight()
            .assume_utc()
            .unix_timestamp();
        let mut settings = DeadlineSettings::default();
        assert_eq!(acknowledge_by(received, &settings), date!(2026 - 03 - 09));
        settings.acknowledge_days = 3;
        assert_eq!(acknowledge_by(received, &settings), date!(2026 - 03 - 05));
    }

    #[test]
    fn reporter_times_are_truncated_to_the_day() {
        assert_eq!(day_of(86_400 * 3 + 5_000), 86_400 * 3);
        assert_eq!(day_of(86_400 * 3), 86_400 * 3);
    }
}
