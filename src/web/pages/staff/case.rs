//! The case page: the decrypted report, the thread, the attachments and the
//! forms that act on the case. Also re-rendered, with the problem explained,
//! when one of those forms is refused.

use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;
use uuid::Uuid;
use zeroize::Zeroize;

use super::deadline_view::{deadline_fields, DeadlineLine, ExtensionLine, ExtensionProblem};
use super::legal_hold_view::HoldNote;
use super::{
    case_id, case_worker, label, render, see_other, show_date, show_day, show_moment, StaffError,
    StaffNav, StaffResult,
};
use crate::core::actor::StaffMember;
use crate::core::case_file::{self, Parts};
use crate::core::casework::CaseView;
use crate::core::deadlines::CaseDeadlines;
use crate::core::domain::taxonomy::label_key;
use crate::core::domain::{Authority, Decision, LegalBasis, Outcome};
use crate::core::domain::{CaseStatus, CategoryKey, Severity, SubtypeKey};
use crate::core::escalation::{CaseEscalation, MAX_REFERENCE_CHARS};
use crate::core::i18n::Translator;
use crate::core::routing::Risk;
use crate::core::store::{Author, Case, TriageFacts};
use crate::web::http::Visitor;
use crate::web::state::AppState;

/// Why a form on the case page was refused; nothing of it was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Problem {
    /// A reply with neither text nor a file.
    ReplyEmpty,
    /// A reply longer than the limit.
    ReplyTooLong {
        /// The limit in characters.
        max: usize,
    },
    /// The form's text fields exceed the body limit.
    FormTooLarge,
    /// A file over the size limit.
    AttachmentTooLarge,
    /// An empty (0-byte) file.
    EmptyAttachment,
    /// The storage quota is reached.
    StorageFull,
    /// More files than the case may hold.
    TooManyAttachments,
    /// A status that does not exist.
    UnknownStatus,
    /// A category, sub-type, severity or risk that is not valid.
    UnknownClassification,
    /// The classification would route the case to nobody.
    NoOneLeft,
    /// The generic status form asked to close, or to change a closed case.
    UseClose,
    /// An escalation decision with a missing or invalid part: the first
    /// such field in form order.
    InvalidDecision(DecisionField),
    /// An escalation decision made before the organisation became aware.
    DecidedBeforeAware,
    /// An escalation decision dated in the future.
    DecidedInFuture,
    /// A breach decision without a choice or a reason, or a malformed time.
    InvalidBreachDecision,
    /// A breach decision dated in the future.
    BreachDecidedInFuture,
    /// A breach decision dated before the case was received.
    BreachDecidedBeforeReceipt,
    /// A breach decision on a case that is not a personal-data breach.
    NotABreach,
    /// The authority's reference is too long.
    ReferenceTooLong,
    /// The decision cannot be confirmed by this user.
    CannotConfirm,
    /// The close form without an outcome.
    CloseOutcomeMissing,
    /// The close form without an evaluation.
    CloseEvaluationMissing,
    /// The close form's evaluation is over the limit.
    CloseEvaluationTooLong {
        /// The limit in characters.
        max: usize,
    },
    /// The close form was sent without its confirmation ticked.
    CloseNotConfirmed,
    /// A § 196 case without a police or PST decision.
    NeedsPoliceDecision,
    /// Closing a closed case.
    AlreadyClosed,
    /// Reopening a case that is not closed.
    NotClosed,
    /// Reopening without a reason.
    ReasonRequired,
    /// The feedback deadline was not extended.
    Extension(ExtensionProblem),
    /// A protective measure without text.
    MeasureEmpty,
    /// A protective measure longer than the limit.
    MeasureTooLong {
        /// The limit in characters.
        max: usize,
    },
    /// An internal note without text.
    NoteEmpty,
    /// An internal note longer than the limit.
    NoteTooLong {
        /// The limit in characters.
        max: usize,
    },
}

/// The field of the escalation form a refusal points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DecisionField {
    /// The authority.
    Authority,
    /// The decision.
    Decision,
    /// The legal basis.
    LegalBasis,
    /// The rationale.
    Rationale,
    /// When the organisation became aware.
    Aware,
    /// When it was decided.
    Decided,
    /// When the authority was notified.
    Notified,
}

impl DecisionField {
    /// The field named as the form and the parser name it.
    pub(super) fn of(name: &str) -> Option<Self> {
        Some(match name {
            "authority" => DecisionField::Authority,
            "decision" => DecisionField::Decision,
            "legal_basis" => DecisionField::LegalBasis,
            "rationale" => DecisionField::Rationale,
            "aware_at" => DecisionField::Aware,
            "decided_at" => DecisionField::Decided,
            "notified_at" => DecisionField::Notified,
            _ => return None,
        })
    }

    /// Form order.
    pub(super) const ALL: [DecisionField; 7] = [
        DecisionField::Authority,
        DecisionField::Decision,
        DecisionField::LegalBasis,
        DecisionField::Rationale,
        DecisionField::Aware,
        DecisionField::Decided,
        DecisionField::Notified,
    ];

    fn element(self) -> &'static str {
        match self {
            DecisionField::Authority => "esc-authority",
            DecisionField::Decision => "esc-decision",
            DecisionField::LegalBasis => "esc-basis",
            DecisionField::Rationale => "esc-rationale",
            DecisionField::Aware => "esc-aware",
            DecisionField::Decided => "esc-decided",
            DecisionField::Notified => "esc-notified",
        }
    }

    fn message_key(self) -> &'static str {
        match self {
            DecisionField::Authority => "workspace.problem.authority_required",
            DecisionField::Decision => "workspace.problem.decision_required",
            DecisionField::LegalBasis => "workspace.problem.legal_basis_required",
            DecisionField::Rationale => "workspace.problem.rationale_required",
            DecisionField::Aware | DecisionField::Decided | DecisionField::Notified => {
                "workspace.problem.moment_invalid"
            }
        }
    }
}

impl Problem {
    fn status(self) -> StatusCode {
        match self {
            Problem::AttachmentTooLarge | Problem::FormTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Problem::StorageFull => StatusCode::INSUFFICIENT_STORAGE,
            Problem::CannotConfirm
            | Problem::NeedsPoliceDecision
            | Problem::AlreadyClosed
            | Problem::NotClosed
            | Problem::NotABreach => StatusCode::CONFLICT,
            Problem::Extension(p) => p.status(),
            _ => StatusCode::BAD_REQUEST,
        }
    }

    fn message(self, t: &Translator, state: &AppState) -> String {
        let limits = &state.settings.limits;
        match self {
            Problem::ReplyEmpty => t.t("staff.problem.reply_empty"),
            Problem::ReplyTooLong { max } => {
                t.f("staff.problem.reply_too_long", &[("max", &max.to_string())])
            }
            Problem::FormTooLarge => t.t("staff.problem.form_too_large"),
            Problem::EmptyAttachment => t.t("reporter.errors.empty_attachment"),
            Problem::StorageFull => t.t("staff.problem.storage_full"),
            Problem::AttachmentTooLarge => t.f(
                "staff.problem.attachment_too_large",
                &[("size", &megabytes(limits.max_attachment_bytes))],
            ),
            Problem::TooManyAttachments => t.f(
                "staff.problem.too_many_attachments",
                &[("max", &limits.max_attachments_per_case.to_string())],
            ),
            Problem::UnknownStatus => t.t("staff.problem.unknown_status"),
            Problem::UnknownClassification => t.t("staff.problem.unknown_classification"),
            Problem::NoOneLeft => t.t("staff.problem.no_one_left"),
            Problem::UseClose => t.t("escalation.problem.use_close"),
            Problem::InvalidDecision(field) => t.t(field.message_key()),
            Problem::DecidedBeforeAware => t.t("escalation.problem.decided_before_aware"),
            Problem::DecidedInFuture => t.t("escalation.problem.decided_in_future"),
            Problem::InvalidBreachDecision => t.t("breach.problem.invalid"),
            Problem::BreachDecidedInFuture => t.t("escalation.problem.decided_in_future"),
            Problem::BreachDecidedBeforeReceipt => t.t("breach.problem.before_receipt"),
            Problem::NotABreach => t.t("breach.problem.not_a_breach"),
            Problem::ReferenceTooLong => t.f(
                "escalation.problem.reference_too_long",
                &[("max", &MAX_REFERENCE_CHARS.to_string())],
            ),
            Problem::CannotConfirm => t.t("escalation.problem.cannot_confirm"),
            Problem::CloseOutcomeMissing => t.t("workspace.problem.outcome_required"),
            Problem::CloseEvaluationMissing => t.t("workspace.problem.evaluation_required"),
            Problem::CloseEvaluationTooLong { max } => t.f(
                "workspace.problem.evaluation_too_long",
                &[("max", &max.to_string())],
            ),
            Problem::CloseNotConfirmed => t.t("workspace.problem.confirm_required"),
            Problem::NeedsPoliceDecision => t.t("escalation.police_required"),
            Problem::AlreadyClosed => t.t("escalation.problem.already_closed"),
            Problem::NotClosed => t.t("escalation.problem.not_closed"),
            Problem::ReasonRequired => t.t("escalation.problem.reason_required"),
            Problem::Extension(p) => p.message(t),
            Problem::MeasureEmpty => t.t("staff.followup.measure_empty"),
            Problem::MeasureTooLong { max } => t.f(
                "staff.followup.measure_too_long",
                &[("max", &max.to_string())],
            ),
            Problem::NoteEmpty => t.t("workspace.problem.note_empty"),
            Problem::NoteTooLong { max } => t.f(
                "workspace.problem.note_too_long",
                &[("max", &max.to_string())],
            ),
        }
    }

    /// The element the problem is about: the field whose value was
    /// refused, or the form's own section when no one field is at fault.
    fn field(self) -> &'static str {
        match self {
            Problem::ReplyEmpty | Problem::ReplyTooLong { .. } | Problem::FormTooLarge => "message",
            Problem::AttachmentTooLarge
            | Problem::EmptyAttachment
            | Problem::StorageFull
            | Problem::TooManyAttachments => "attachment",
            Problem::UnknownStatus | Problem::UseClose => "new-status",
            Problem::UnknownClassification | Problem::NoOneLeft => "triage-category",
            Problem::InvalidDecision(field) => field.element(),
            Problem::DecidedBeforeAware | Problem::DecidedInFuture => "esc-decided",
            Problem::ReferenceTooLong => "esc-reference",
            Problem::CloseOutcomeMissing => "close-outcome",
            Problem::CloseEvaluationMissing | Problem::CloseEvaluationTooLong { .. } => {
                "close-evaluation"
            }
            Problem::CloseNotConfirmed => "close-confirm",
            Problem::ReasonRequired => "reopen-reason",
            Problem::Extension(
                ExtensionProblem::ReasonRequired | ExtensionProblem::ReasonTooLong { .. },
            ) => "extension-reason-input",
            Problem::MeasureEmpty | Problem::MeasureTooLong { .. } => "measure",
            Problem::NoteEmpty | Problem::NoteTooLong { .. } => "note-body",
            other => other.form(),
        }
    }

    /// The form the problem belongs to (its anchor on the page).
    fn form(self) -> &'static str {
        match self {
            Problem::UnknownStatus | Problem::UseClose => "status",
            Problem::UnknownClassification | Problem::NoOneLeft => "triage",
            Problem::InvalidDecision(_)
            | Problem::DecidedBeforeAware
            | Problem::DecidedInFuture
            | Problem::ReferenceTooLong
            | Problem::CannotConfirm => "escalation",
            Problem::InvalidBreachDecision
            | Problem::BreachDecidedInFuture
            | Problem::BreachDecidedBeforeReceipt
            | Problem::NotABreach => "breach-decision",
            Problem::CloseOutcomeMissing
            | Problem::CloseEvaluationMissing
            | Problem::CloseEvaluationTooLong { .. }
            | Problem::CloseNotConfirmed
            | Problem::NeedsPoliceDecision
            | Problem::AlreadyClosed => "close",
            Problem::NotClosed | Problem::ReasonRequired => "reopen",
            Problem::Extension(_) => "feedback-extension",
            Problem::MeasureEmpty | Problem::MeasureTooLong { .. } => "protection",
            Problem::NoteEmpty | Problem::NoteTooLong { .. } => "notes",
            _ => "reply",
        }
    }
}

/// Whole megabytes (decimal), for limits shown to users.
fn megabytes(bytes: u64) -> String {
    (bytes / 1_000_000).max(1).to_string()
}

/// A file size for the attachment list.
fn size_label(t: &Translator, bytes: i64) -> String {
    let bytes = bytes.max(0) as u64;
    if bytes < 1_000_000 {
        t.f(
            "staff.case.size_kb",
            &[("n", &bytes.div_ceil(1000).to_string())],
        )
    } else {
        let tenths = bytes.div_ceil(100_000);
        let sep = t.t("staff.case.decimal_separator");
        t.f(
            "staff.case.size_mb",
            &[("n", &format!("{}{sep}{}", tenths / 10, tenths % 10))],
        )
    }
}

/// One message of the thread.
struct MessageLine {
    from: String,
    staff: bool,
    date: String,
    body: String,
    /// A report of retaliation.
    retaliation: bool,
}

/// One attachment.
struct AttachmentLine {
    href: String,
    name: String,
    from: String,
    date: String,
    size: String,
}

/// One choice of the status list.
struct StatusOption {
    key: &'static str,
    label: String,
    selected: bool,
}

/// One choice of a select list.
struct Choice {
    key: String,
    label: String,
    selected: bool,
}

/// The sub-types of one category, as an option group.
struct SubtypeGroup {
    label: String,
    options: Vec<Choice>,
}

/// One escalation decision, as a contact point sees it.
struct DecisionLine {
    authority: String,
    decision: String,
    legal_basis: String,
    rationale: String,
    aware: String,
    decided: String,
    notified: Option<String>,
    reference: Option<String>,
    decided_by: String,
    confirmed_by: Option<String>,
    /// The confirm form's action, when the user may confirm.
    confirm_path: Option<String>,
    own: bool,
}

/// One internal note.
struct NoteLine {
    by: String,
    at: String,
    body: String,
}

/// The current closure of a closed case.
struct ClosedLine {
    outcome: String,
    closed_at: String,
    closed_by: String,
    evaluation: String,
}

/// The case page.
#[derive(Template)]
#[template(path = "staff/case.html")]
struct CasePage {
    t: Translator,
    csrf: String,
    nav: StaffNav,
    case_path: String,
    title: String,
    category: String,
    severity: String,
    suggested_severity: Option<String>,
    status: String,
    received: String,
    acknowledged: Option<String>,
    answer_due: Option<String>,
    due_marker: Option<(&'static str, String)>,
    description: String,
    when: Option<String>,
    place: Option<String>,
    messages: Vec<MessageLine>,
    attachments: Vec<AttachmentLine>,
    statuses: Vec<StatusOption>,
    can_acknowledge: bool,
    /// What the last action did (after its redirect).
    done: Option<String>,
    /// The refused form's message and the element it is about.
    problem: Option<(String, &'static str)>,
    /// The form the problem belongs to (its section is opened).
    problem_form: Option<&'static str>,
    notes: Vec<NoteLine>,
    note_draft: String,
    subtype: Option<String>,
    risk: Option<String>,
    risk_marker: Option<(&'static str, String)>,
    categories: Vec<Choice>,
    subtypes: Vec<SubtypeGroup>,
    severities: Vec<Choice>,
    probabilities: Vec<Choice>,
    consequences: Vec<Choice>,
    draft: String,
    files_hint: String,
    /// Contact point: the escalation section is shown.
    is_contact: bool,
    decisions: Vec<DecisionLine>,
    authorities: Vec<Choice>,
    decision_choices: Vec<Choice>,
    legal_bases: Vec<Choice>,
    outcomes: Vec<Choice>,
    reference_hint: String,
    closed: Option<ClosedLine>,
    police_decision_missing: bool,
    deadlines: Vec<DeadlineLine>,
    extension: Option<ExtensionLine>,
    can_extend: bool,
    extension_hint: String,
    extension_reason_hint: String,
    extension_invalid: bool,
    protection: super::protection::ProtectionFields,
    /// The reporter's identity: hidden, requested, waiting or released.
    identity: super::identity_view::IdentitySection,
    /// The Datatilsynet decision of a personal-data breach.
    breach: super::breach_view::BreachSection,
    /// The legal hold that keeps retention from deleting the case.
    legal_hold: super::legal_hold_view::HoldSection,
}

impl CasePage {
    /// The message of the refusal, if it is about the element `id`.
    fn error_for(&self, id: &str) -> Option<&str> {
        self.problem
            .as_ref()
            .filter(|(_, field)| *field == id)
            .map(|(message, _)| message.as_str())
    }

    /// Whether the section of `form` is to be open: its form was refused.
    fn open_form(&self, form: &str) -> bool {
        self.problem_form == Some(form)
    }
}

impl Drop for CasePage {
    fn drop(&mut self) {
        for n in &mut self.notes {
            n.body.zeroize();
        }
        self.note_draft.zeroize();
        self.description.zeroize();
        self.when.zeroize();
        self.place.zeroize();
        for m in &mut self.messages {
            m.body.zeroize();
        }
        for a in &mut self.attachments {
            a.name.zeroize();
        }
        self.draft.zeroize();
        for d in &mut self.decisions {
            d.rationale.zeroize();
        }
        if let Some(c) = self.closed.as_mut() {
            c.evaluation.zeroize();
        }
    }
}

/// The choices of a keyed list, none selected.
fn choices(t: &Translator, items: impl IntoIterator<Item = (&'static str, String)>) -> Vec<Choice> {
    items
        .into_iter()
        .map(|(key, label_key)| Choice {
            key: key.to_owned(),
            label: t.t(&label_key),
            selected: false,
        })
        .collect()
}

/// The escalation and closing parts of the page.
struct EscalationFields {
    decisions: Vec<DecisionLine>,
    closed: Option<ClosedLine>,
    police_decision_missing: bool,
}

fn escalation_fields(
    t: &Translator,
    staff: &StaffMember,
    case_path: &str,
    escalation: CaseEscalation,
) -> EscalationFields {
    let decisions = escalation
        .decisions
        .into_iter()
        .map(|d| {
            let r = &d.record;
            let own = r.decided_by == staff.user_id;
            DecisionLine {
                authority: t.t(&r.authority.label_key()),
                decision: t.t(&r.decision.label_key()),
                legal_basis: t.t(&r.legal_basis.label_key()),
                aware: show_moment(r.aware_at),
                decided: show_moment(r.decided_at),
                notified: r.notified_at.map(show_moment),
                reference: r.authority_reference.clone(),
                confirm_path: (!own && r.confirmed_by.is_none())
                    .then(|| format!("{case_path}/escalation/{}/confirm", r.id)),
                own,
                decided_by: d.decided_by_name.clone(),
                confirmed_by: d.confirmed_by_name.clone(),
                rationale: d.rationale.clone(),
            }
        })
        .collect();
    let closed = escalation.closure.map(|c| ClosedLine {
        outcome: t.t(&c.outcome.label_key()),
        closed_at: show_moment(c.closed_at),
        closed_by: c.closed_by_name.clone(),
        evaluation: c.evaluation.clone(),
    });
    EscalationFields {
        decisions,
        closed,
        police_decision_missing: escalation.police_decision_missing,
    }
}

/// What the page shows beyond the decrypted case.
struct Loaded {
    facts: TriageFacts,
    escalation: CaseEscalation,
    deadlines: CaseDeadlines,
    measures: Vec<crate::core::followup::MeasureView>,
    notes: Vec<crate::core::notes::NoteView>,
    /// The confirmation of the last action.
    done: Option<Done>,
}

/// What an action did, confirmed on the case page after its redirect
/// (`?done=reply`): a fixed key, never anything of the case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Done {
    /// A reply was sent.
    Reply,
    /// Receipt was acknowledged.
    Acknowledged,
    /// The status was changed.
    Status,
    /// The classification was saved.
    Triage,
    /// An escalation decision was recorded.
    Escalation,
    /// An escalation decision was confirmed.
    Confirmed,
    /// The case was closed.
    Closed,
    /// The case was reopened.
    Reopened,
    /// The feedback deadline was extended.
    Extended,
    /// A protective measure was recorded.
    Measure,
    /// An internal note was added.
    Note,
}

impl Done {
    const ALL: [Done; 11] = [
        Done::Reply,
        Done::Acknowledged,
        Done::Status,
        Done::Triage,
        Done::Escalation,
        Done::Confirmed,
        Done::Closed,
        Done::Reopened,
        Done::Extended,
        Done::Measure,
        Done::Note,
    ];

    /// The value in the query.
    fn name(self) -> &'static str {
        match self {
            Done::Reply => "reply",
            Done::Acknowledged => "acknowledged",
            Done::Status => "status",
            Done::Triage => "triage",
            Done::Escalation => "escalation",
            Done::Confirmed => "confirmed",
            Done::Closed => "closed",
            Done::Reopened => "reopened",
            Done::Extended => "extended",
            Done::Measure => "measure",
            Done::Note => "note",
        }
    }

    fn key(self) -> String {
        format!("workspace.done.{}", self.name())
    }

    /// The confirmation a query asks for, if it names one.
    fn of_query(query: &str) -> Option<Self> {
        let value = query
            .split('&')
            .find_map(|pair| pair.strip_prefix("done="))?;
        Self::ALL.into_iter().find(|d| d.name() == value)
    }

    /// The case page that confirms it (the anchor: the status message).
    pub(super) fn location(self, case_id: Uuid) -> String {
        format!("/staff/cases/{case_id}?done={}#done", self.name())
    }
}

/// After a successful action: back to the case page, which confirms it.
pub(super) fn done(case_id: Uuid, what: Done) -> actix_web::HttpResponse {
    see_other(&what.location(case_id))
}

fn build_page(
    state: &AppState,
    visitor: &Visitor,
    staff: &StaffMember,
    view: CaseView,
    loaded: Loaded,
    problem: Option<Problem>,
    draft: String,
) -> CasePage {
    let Loaded {
        facts,
        escalation,
        deadlines,
        measures,
        notes,
        done,
    } = loaded;
    let t = visitor.t();
    let mut protection = super::protection::protection_fields(&t, &deadlines, &measures);
    let mut draft = draft;
    if problem.is_some_and(|p| p.form() == "protection") {
        // The refused text is the measure's, not a reply's.
        protection.measure_invalid = true;
        protection.measure_draft = std::mem::take(&mut draft);
    }
    // The refused text of a note is the note's.
    let note_draft = if problem.is_some_and(|p| p.form() == "notes") {
        std::mem::take(&mut draft)
    } else {
        String::new()
    };
    let notes = notes
        .iter()
        .map(|n| NoteLine {
            by: n
                .author_name
                .clone()
                .unwrap_or_else(|| t.t("staff.case.from_staff")),
            at: show_moment(n.created_at),
            body: n.body.clone(),
        })
        .collect();
    let dl = deadline_fields(&t, &state.settings.deadlines, &deadlines);
    let case = &view.case;
    let triage = triage_fields(state, &t, case, &facts);
    let case_path = format!("/staff/cases/{}", case.id);
    let esc = escalation_fields(&t, staff, &case_path, escalation);
    let messages = view
        .messages
        .iter()
        .map(|m| MessageLine {
            from: match m.author {
                Author::Reporter => t.t("staff.case.from_reporter"),
                Author::Staff => m
                    .author_name
                    .clone()
                    .unwrap_or_else(|| t.t("staff.case.from_staff")),
            },
            staff: m.author == Author::Staff,
            date: show_day(m.created_at),
            body: if m.unreadable {
                t.t("common.unreadable_message")
            } else {
                m.body.clone()
            },
            retaliation: m.kind == crate::core::store::MessageKind::Retaliation,
        })
        .collect();
    let attachments = view
        .attachments
        .iter()
        .map(|a| AttachmentLine {
            // A file sealed wrongly gets no link: it would not open.
            href: if a.unreadable {
                String::new()
            } else {
                format!("{case_path}/attachments/{}", a.id)
            },
            name: if a.unreadable {
                t.t("common.unreadable_attachment")
            } else {
                a.name.clone()
            },
            from: match a.author {
                Author::Reporter => t.t("staff.case.from_reporter"),
                Author::Staff => t.t("staff.case.from_staff"),
            },
            date: show_day(a.created_at),
            size: size_label(&t, a.size),
        })
        .collect();
    let limits = &state.settings.limits;
    CasePage {
        t,
        csrf: visitor.csrf().unwrap_or_default().to_owned(),
        nav: StaffNav::new(&t, staff, false),
        title: t.f("staff.case.title", &[("ref", &super::reference(case.id))]),
        category: label(&t, "category", case.category.key()),
        severity: label(&t, "severity", case.severity.key()),
        suggested_severity: (case.suggested_severity != case.severity)
            .then(|| label(&t, "severity", case.suggested_severity.key())),
        status: label(&t, "status", case.status.key()),
        received: show_day(case.received_at),
        acknowledged: case.acknowledged_at.map(show_day),
        answer_due: view.answer_due.map(show_date),
        due_marker: dl.answer_marker,
        description: view.report.description.clone(),
        when: view.report.when.clone(),
        place: view.report.place.clone(),
        messages,
        attachments,
        statuses: CaseStatus::ALL
            .into_iter()
            .filter(|s| *s != CaseStatus::Closed)
            .map(|s| StatusOption {
                key: s.key(),
                label: label(&t, "status", s.key()),
                selected: s == case.status,
            })
            .collect(),
        can_acknowledge: case.status == CaseStatus::Received,
        done: done.map(|d| t.t(&d.key())),
        problem: problem.map(|p| (p.message(&t, state), p.field())),
        problem_form: problem.map(Problem::form),
        notes,
        note_draft,
        is_contact: crate::core::authz::staff_may(
            staff,
            crate::core::authz::Permission::DecideEscalation,
        ),
        decisions: esc.decisions,
        closed: esc.closed,
        police_decision_missing: esc.police_decision_missing,
        deadlines: dl.lines,
        extension: dl.extension,
        can_extend: dl.can_extend,
        extension_hint: dl.extension_hint,
        extension_reason_hint: dl.reason_hint,
        extension_invalid: problem.is_some_and(|p| p.form() == "feedback-extension"),
        authorities: choices(&t, Authority::ALL.iter().map(|a| (a.key(), a.label_key()))),
        decision_choices: choices(&t, Decision::ALL.iter().map(|d| (d.key(), d.label_key()))),
        legal_bases: choices(&t, LegalBasis::ALL.iter().map(|b| (b.key(), b.label_key()))),
        outcomes: choices(&t, Outcome::ALL.iter().map(|o| (o.key(), o.label_key()))),
        reference_hint: t.f(
            "escalation.reference_hint",
            &[("max", &MAX_REFERENCE_CHARS.to_string())],
        ),
        subtype: triage.subtype,
        risk: triage.risk,
        risk_marker: triage.risk_marker,
        categories: triage.categories,
        subtypes: triage.subtypes,
        severities: triage.severities,
        probabilities: triage.probabilities,
        consequences: triage.consequences,
        draft,
        files_hint: t.f(
            "staff.case.reply_files_hint",
            &[
                ("max", &limits.max_attachments_per_case.to_string()),
                ("size", &megabytes(limits.max_attachment_bytes)),
            ],
        ),
        case_path,
        protection,
        identity: super::identity_view::IdentitySection::default(),
        breach: super::breach_view::BreachSection::default(),
        legal_hold: super::legal_hold_view::HoldSection::default(),
    }
}

/// The triage facts and form choices of the case page.
struct TriageFields {
    subtype: Option<String>,
    risk: Option<String>,
    risk_marker: Option<(&'static str, String)>,
    categories: Vec<Choice>,
    subtypes: Vec<SubtypeGroup>,
    severities: Vec<Choice>,
    probabilities: Vec<Choice>,
    consequences: Vec<Choice>,
}

fn triage_fields(
    state: &AppState,
    t: &Translator,
    case: &Case,
    facts: &TriageFacts,
) -> TriageFields {
    let taxonomy = &state.settings.taxonomy;
    let accepted = state.settings.routing.accepted_risk;
    let risk = crate::core::routing::risk_of(facts);
    let levels = |current: Option<u8>| -> Vec<Choice> {
        std::iter::once(Choice {
            key: String::new(),
            label: t.t("staff.case.triage_not_assessed"),
            selected: current.is_none(),
        })
        .chain((1..=5u8).map(|v| Choice {
            key: v.to_string(),
            label: v.to_string(),
            selected: current == Some(v),
        }))
        .collect()
    };
    let subtype_label = |category: &CategoryKey, key: &SubtypeKey| {
        taxonomy.subtype(category, key).map_or_else(
            || t.t(&label_key(category, key)),
            |s| t.subtype_label(category, s),
        )
    };
    TriageFields {
        subtype: facts
            .subtype
            .as_ref()
            .map(|k| subtype_label(&CategoryKey::from(case.category), k)),
        risk: risk.map(|r| {
            t.f(
                "staff.case.risk_value",
                &[
                    ("p", &r.probability().to_string()),
                    ("c", &r.consequence().to_string()),
                    ("score", &r.score().to_string()),
                ],
            )
        }),
        risk_marker: risk.map(|r| {
            let n = accepted.to_string();
            if r.above(accepted) {
                (
                    "above-risk",
                    t.f("staff.case.risk_above", &[("accepted", &n)]),
                )
            } else {
                (
                    "below-risk",
                    t.f("staff.case.risk_below", &[("accepted", &n)]),
                )
            }
        }),
        categories: taxonomy
            .categories()
            .iter()
            .map(|c| Choice {
                key: c.key.to_string(),
                label: label(t, "category", c.key.as_str()),
                selected: c.key.as_str() == case.category.key(),
            })
            .collect(),
        subtypes: taxonomy
            .categories()
            .iter()
            .map(|c| SubtypeGroup {
                label: label(t, "category", c.key.as_str()),
                options: c
                    .subtypes
                    .iter()
                    .map(|s| Choice {
                        key: s.key.as_str().to_owned(),
                        label: subtype_label(&c.key, &s.key),
                        selected: c.key.as_str() == case.category.key()
                            && facts.subtype.as_ref() == Some(&s.key),
                    })
                    .collect(),
            })
            .collect(),
        severities: Severity::ALL
            .into_iter()
            .map(|s| Choice {
                key: s.key().to_owned(),
                label: label(t, "severity", s.key()),
                selected: s == case.severity,
            })
            .collect(),
        probabilities: levels(risk.map(Risk::probability)),
        consequences: levels(risk.map(Risk::consequence)),
    }
}

/// Renders the case page for `staff`, with `problem` explained if a form was
/// refused (`draft`: the reply text to offer again). Not theirs: 404.
pub(super) async fn render_case(
    state: &AppState,
    visitor: &Visitor,
    staff: &StaffMember,
    case_id: Uuid,
    problem: Option<Problem>,
    draft: String,
) -> StaffResult {
    render_case_page(
        state,
        visitor,
        staff,
        case_id,
        problem,
        draft,
        Extra::default(),
    )
    .await
}

/// Renders the case page with a note from the legal-hold forms (what was
/// done, or why it was refused, with the reason as typed).
pub(super) async fn render_case_noted(
    state: &AppState,
    visitor: &Visitor,
    staff: &StaffMember,
    case_id: Uuid,
    note: super::legal_hold_view::HoldNote,
    hold_draft: String,
) -> StaffResult {
    render_case_page(
        state,
        visitor,
        staff,
        case_id,
        None,
        String::new(),
        Extra {
            hold_note: Some((note, hold_draft)),
            ..Extra::default()
        },
    )
    .await
}

/// What else a rendering of the case page may carry.
#[derive(Default)]
struct Extra {
    /// A refused identity request: message, the reason as typed, status.
    identity_problem: Option<(String, String, StatusCode)>,
    /// The confirmation of the last action.
    done: Option<Done>,
    /// What a legal-hold form did or why it was refused, with the reason
    /// as typed.
    hold_note: Option<(super::legal_hold_view::HoldNote, String)>,
}

/// Renders the case page with a refused identity request explained
/// (`identity_problem`: message, the reason as typed, status).
pub(super) async fn render_case_with(
    state: &AppState,
    visitor: &Visitor,
    staff: &StaffMember,
    case_id: Uuid,
    identity_problem: Option<(String, String, StatusCode)>,
) -> StaffResult {
    render_case_page(
        state,
        visitor,
        staff,
        case_id,
        None,
        String::new(),
        Extra {
            identity_problem,
            ..Extra::default()
        },
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn render_case_page(
    state: &AppState,
    visitor: &Visitor,
    staff: &StaffMember,
    case_id: Uuid,
    problem: Option<Problem>,
    draft: String,
    extra: Extra,
) -> StaffResult {
    let Extra {
        identity_problem,
        done,
        hold_note,
    } = extra;
    let file = case_file::staff_case_file(state, staff, case_id, Parts::WithEscalation)
        .await
        .map_err(|e| visitor.fail(e))?;
    let breach_error = problem.filter(|p| p.form() == "breach-decision").map(|p| {
        let field = match p {
            Problem::BreachDecidedInFuture | Problem::BreachDecidedBeforeReceipt => "decided_at",
            _ => "decision",
        };
        (p.message(&visitor.t(), state), field)
    });
    let breach =
        super::breach_view::section(&visitor.t(), case_id, file.breach.as_ref(), breach_error);
    let (view, facts, deadlines, measures, notes) = (
        file.view,
        file.triage,
        file.deadlines,
        file.measures,
        file.notes,
    );
    let escalation = file
        .escalation
        .ok_or_else(|| visitor.internal(anyhow::anyhow!("escalation was not read")))?;
    let mut status = problem.map_or(StatusCode::OK, Problem::status);
    let (identity_problem, identity_draft) = match identity_problem {
        Some((message, draft, refused)) => {
            status = refused;
            (Some(message), draft)
        }
        None => (None, String::new()),
    };
    let identity = super::identity_view::section(
        state,
        visitor,
        staff,
        case_id,
        identity_problem,
        identity_draft,
    )
    .await?;
    let mut page = build_page(
        state,
        visitor,
        staff,
        view,
        Loaded {
            facts,
            escalation,
            deadlines,
            measures,
            notes,
            done,
        },
        problem,
        draft,
    );
    page.identity = identity;
    page.breach = breach;
    let (note, hold_draft) = hold_note.map_or((None, String::new()), |(n, d)| (Some(n), d));
    match note {
        Some(HoldNote::AlreadyHeld | HoldNote::NotHeld) => status = StatusCode::CONFLICT,
        Some(HoldNote::ReasonEmpty | HoldNote::TooLong(_)) => {
            status = StatusCode::UNPROCESSABLE_ENTITY;
        }
        _ => {}
    }
    page.legal_hold =
        super::legal_hold_view::section(state, visitor, staff, case_id, note, hold_draft).await?;
    render(visitor, &page, status)
}

/// GET /staff/cases/{id}[?done=…]
pub(super) async fn page(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<String>,
    req: actix_web::HttpRequest,
) -> StaffResult {
    let staff = case_worker(&visitor)?;
    let id = case_id(&visitor, &path)?;
    let done = Done::of_query(req.query_string());
    // After a legal-hold form: say what was done.
    let hold_note = HoldNote::from_query(req.query_string()).map(|n| (n, String::new()));
    let extra = Extra {
        done,
        hold_note,
        ..Extra::default()
    };
    render_case_page(&state, &visitor, staff, id, None, String::new(), extra).await
}

/// GET on an action's URL: back to the case page.
pub(super) async fn back_to_case(
    visitor: Visitor,
    path: web::Path<String>,
) -> Result<actix_web::HttpResponse, StaffError> {
    let id = case_id(&visitor, &path)?;
    Ok(see_other(&format!("/staff/cases/{id}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::i18n::Lang;

    #[test]
    fn sizes_are_rounded_up() {
        let t = Translator::new(Lang::En);
        assert_eq!(size_label(&t, 1), "1 kB");
        assert_eq!(size_label(&t, 999_999), "1000 kB");
        assert_eq!(size_label(&t, 2_340_000), "2.4 MB");
        assert_eq!(megabytes(100 * 1000 * 1000), "100");
    }
}
