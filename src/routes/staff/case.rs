//! The case page: the decrypted report, the thread, the attachments and the
//! forms that act on the case. Also re-rendered, with the problem explained,
//! when one of those forms is refused.

use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;
use uuid::Uuid;
use zeroize::Zeroize;

use super::{
    case_id, case_worker, label, render, see_other, show_date, show_day, today, StaffError,
    StaffResult, Urgency,
};
use crate::casework::{self, CaseView, CaseworkError};
use crate::domain::taxonomy::label_key;
use crate::domain::{CaseStatus, Category, CategoryKey, Severity, SubtypeKey, Taxonomy};
use crate::http::session::StaffSession;
use crate::http::{ErrorKind, Visitor};
use crate::i18n::Translator;
use crate::routing::Risk;
use crate::state::AppState;
use crate::store::{Author, Case, TriageFacts};

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
    /// More files than the case may hold.
    TooManyAttachments,
    /// A status that does not exist.
    UnknownStatus,
    /// A category, sub-type, severity or risk that is not valid.
    UnknownClassification,
    /// The classification would route the case to nobody.
    NoOneLeft,
}

impl Problem {
    fn status(self) -> StatusCode {
        match self {
            Problem::AttachmentTooLarge | Problem::FormTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
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
        }
    }

    /// The form the problem belongs to (its anchor on the page).
    fn form(self) -> &'static str {
        match self {
            Problem::UnknownStatus => "status",
            Problem::UnknownClassification | Problem::NoOneLeft => "triage",
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

/// The case page.
#[derive(Template)]
#[template(path = "staff/case.html")]
struct CasePage {
    t: Translator,
    csrf: String,
    signed_in_as: String,
    /// Whether to link the statistics (auditors and administrators).
    show_stats: bool,
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
    problem: Option<(String, &'static str)>,
    reply_invalid: bool,
    status_invalid: bool,
    triage_invalid: bool,
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
}

impl Drop for CasePage {
    fn drop(&mut self) {
        self.description.zeroize();
        if let Some(w) = self.when.as_mut() {
            w.zeroize();
        }
        if let Some(p) = self.place.as_mut() {
            p.zeroize();
        }
        for m in &mut self.messages {
            m.body.zeroize();
        }
        for a in &mut self.attachments {
            a.name.zeroize();
        }
        self.draft.zeroize();
    }
}

fn build_page(
    state: &AppState,
    visitor: &Visitor,
    staff: &StaffSession,
    view: CaseView,
    facts: TriageFacts,
    problem: Option<Problem>,
    draft: String,
) -> CasePage {
    let t = visitor.t();
    let case = &view.case;
    let triage = triage_fields(state, &t, case, &facts);
    let case_path = format!("/staff/cases/{}", case.id);
    let status = CaseStatus::parse(&case.status);
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
            body: m.body.clone(),
        })
        .collect();
    let attachments = view
        .attachments
        .iter()
        .map(|a| AttachmentLine {
            href: format!("{case_path}/attachments/{}", a.id),
            name: a.name.clone(),
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
        signed_in_as: t.f("staff.nav.signed_in_as", &[("name", &staff.display_name)]),
        show_stats: staff.has(crate::domain::Role::Auditor)
            || staff.has(crate::domain::Role::Admin),
        title: t.f(
            "staff.case.title",
            &[("ref", &super::inbox::reference(case.id))],
        ),
        category: label(&t, "category", &case.category),
        severity: label(&t, "severity", &case.severity),
        suggested_severity: (case.suggested_severity != case.severity)
            .then(|| label(&t, "severity", &case.suggested_severity)),
        status: label(&t, "status", &case.status),
        received: show_day(case.received_at),
        acknowledged: case.acknowledged_at.map(show_day),
        answer_due: view.answer_due.map(show_date),
        due_marker: view
            .answer_due
            .and_then(|d| Urgency::of(d, today()).marker(&t)),
        description: view.report.description.clone(),
        when: view.report.when.clone(),
        place: view.report.place.clone(),
        messages,
        attachments,
        statuses: CaseStatus::ALL
            .into_iter()
            .map(|s| StatusOption {
                key: s.key(),
                label: label(&t, "status", s.key()),
                selected: Some(s) == status,
            })
            .collect(),
        can_acknowledge: matches!(status, Some(CaseStatus::Received) | None),
        problem: problem.map(|p| (p.message(&t, state), p.form())),
        reply_invalid: problem.is_some_and(|p| p.form() == "reply"),
        status_invalid: problem.is_some_and(|p| p.form() == "status"),
        triage_invalid: problem.is_some_and(|p| p.form() == "triage"),
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
    let taxonomy = Taxonomy::default_norwegian();
    let accepted = state.settings.routing.accepted_risk;
    let risk = Risk::from_facts(facts);
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
    let subtype_label = |category: &CategoryKey, key: &SubtypeKey| t.t(&label_key(category, key));
    TriageFields {
        subtype: facts.subtype.as_ref().map(|s| {
            match (CategoryKey::parse(&case.category), SubtypeKey::parse(s)) {
                (Ok(c), Ok(k)) => subtype_label(&c, &k),
                _ => s.clone(),
            }
        }),
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
        categories: Category::ALL
            .into_iter()
            .map(|c| Choice {
                key: c.key().to_owned(),
                label: label(t, "category", c.key()),
                selected: c.key() == case.category,
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
                        selected: c.key.as_str() == case.category
                            && facts.subtype.as_deref() == Some(s.key.as_str()),
                    })
                    .collect(),
            })
            .collect(),
        severities: Severity::ALL
            .into_iter()
            .map(|s| Choice {
                key: s.key().to_owned(),
                label: label(t, "severity", s.key()),
                selected: s.key() == case.severity,
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
    staff: &StaffSession,
    case_id: Uuid,
    problem: Option<Problem>,
    draft: String,
) -> StaffResult {
    let view = match casework::staff_view(state, staff, case_id).await {
        Ok(view) => view,
        Err(CaseworkError::NotFound) => return Err(visitor.error(ErrorKind::NotFound).into()),
        Err(e) => return Err(visitor.internal(e).into()),
    };
    let facts = match state.store.triage_facts(case_id).await {
        Ok(facts) => facts.unwrap_or_default(),
        Err(e) => return Err(visitor.internal(e).into()),
    };
    let status = problem.map_or(StatusCode::OK, Problem::status);
    let page = build_page(state, visitor, staff, view, facts, problem, draft);
    render(visitor, &page, status)
}

/// GET /staff/cases/{id}
pub(super) async fn page(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<String>,
) -> StaffResult {
    let staff = case_worker(&visitor)?;
    let id = case_id(&visitor, &path)?;
    render_case(&state, &visitor, staff, id, None, String::new()).await
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
    use crate::i18n::Lang;

    #[test]
    fn sizes_are_rounded_up() {
        let t = Translator::new(Lang::En);
        assert_eq!(size_label(&t, 1), "1 kB");
        assert_eq!(size_label(&t, 999_999), "1000 kB");
        assert_eq!(size_label(&t, 2_340_000), "2.4 MB");
        assert_eq!(megabytes(100 * 1000 * 1000), "100");
    }
}
