//! Case export, for a hand-over (police, PST, a lawyer) and for archiving
//! (`docs/export.md`). A staff member who can open a case (the same rules as
//! reading it: [`case_file::staff_case_file`]) gets ONE archive: a ustar
//! file holding the report (text and JSON with the case facts), the thread,
//! the attachments (as stored: image metadata was removed at upload; file
//! names made safe), the escalation decisions and the deadlines, and
//! `index.html`, a printable, self-contained rendering of it all. The tar
//! stream is written straight into an age encryptor made out to the
//! recipients given at export time, so no plaintext touches the disk; the
//! attachments are decrypted chunk by chunk into it. Every export is
//! audited (`case.exported`, with the recipients: public keys).

use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;
use std::str::FromStr;

use anyhow::{anyhow, Context};
use serde_json::{json, Value};
use time::OffsetDateTime;
use uuid::Uuid;
use varsel_crypto::{AnyIdentity, AnyRecipient, Encryptor, Recipient};
use zeroize::{Zeroize, Zeroizing};

use crate::core::actor::StaffMember;
use crate::core::attachments;
use crate::core::audit::action;
use crate::core::audit_log;
use crate::core::case_file::{self, Parts, StaffCaseFile};
use crate::core::error::{CoreError, CoreResult, FieldError, FieldProblem};
use crate::core::i18n::{Lang, Translator};
use crate::core::service::Core;
use crate::core::store::Author;

/// The most recipients one export may be made out to.
pub const MAX_RECIPIENTS: usize = 20;

/// The longest attachment file name kept in the archive (characters).
const MAX_FILE_NAME: usize = 60;

/// The field that names the recipients, in the form and the JSON body.
pub const RECIPIENTS_FIELD: &str = "recipients";

/// Who an export is made out to: age X25519 recipients (`age1…`).
pub struct ExportRecipients(Vec<AnyRecipient>);

impl ExportRecipients {
    /// Parses recipients: each item may hold several, separated by white
    /// space or commas. At least one, at most [`MAX_RECIPIENTS`], each an
    /// `age1…` X25519 or `age1pq1…` hybrid public key, all of one kind (age
    /// advises against mixing them); otherwise a [`FieldError`] on
    /// `recipients`.
    pub fn parse<'a>(items: impl IntoIterator<Item = &'a str>) -> Result<Self, FieldError> {
        let problem = |problem| FieldError {
            field: RECIPIENTS_FIELD,
            problem,
        };
        let mut parsed: Vec<AnyRecipient> = Vec::new();
        for item in items {
            for word in item
                .split(|c: char| c.is_whitespace() || c == ',')
                .filter(|w| !w.is_empty())
            {
                let recipient =
                    AnyRecipient::from_str(word).map_err(|_| problem(FieldProblem::Malformed))?;
                if !parsed
                    .iter()
                    .any(|r| r.to_string() == recipient.to_string())
                {
                    parsed.push(recipient);
                }
            }
        }
        if parsed.is_empty() {
            return Err(problem(FieldProblem::Required));
        }
        if parsed.len() > MAX_RECIPIENTS {
            return Err(problem(FieldProblem::TooLong {
                max: MAX_RECIPIENTS,
            }));
        }
        let hybrid = parsed.iter().filter(|r| r.is_hybrid()).count();
        if hybrid != 0 && hybrid != parsed.len() {
            return Err(problem(FieldProblem::Malformed));
        }
        Ok(ExportRecipients(parsed))
    }

    /// The recipients as `age1…` strings.
    pub fn keys(&self) -> Vec<String> {
        self.0.iter().map(ToString::to_string).collect()
    }
}

/// An export: the age-encrypted archive and the name to save it under.
pub struct CaseExport {
    /// `varsel-case-<id>.tar.age`.
    pub file_name: String,
    /// The age file (ciphertext only).
    pub bytes: Vec<u8>,
}

/// The archive's name for case `id`, without `.tar.age`.
fn base_name(id: Uuid) -> String {
    format!("varsel-case-{id}")
}

/// Exports case `case_id` for `staff`, made out to `recipients`, the texts
/// of `index.html` and the text files in `lang`. "Not found" unless the
/// case is routed to them, as for reading it.
pub async fn export_case(
    core: &Core,
    staff: &StaffMember,
    case_id: Uuid,
    recipients: &ExportRecipients,
    lang: Lang,
) -> CoreResult<CaseExport> {
    let opened = crate::core::open::staff_case(core, staff, case_id).await?;
    let identity = opened.identity.clone();
    drop(opened);
    let file = case_file::staff_case_file(core, staff, case_id, Parts::WithEscalation).await?;
    let now = core.now();
    let dir = core.settings.storage.attachments_dir();
    let contents = Contents::of(&file, &Translator::new(lang), staff, now, &dir);
    drop(file);
    let keys = recipients.keys();
    let recipients = recipients.0.clone();
    let bytes = tokio::task::spawn_blocking(move || contents.encrypt(&recipients, &identity, now))
        .await
        .context("export task failed")??;
    audit_log::record(
        &*core.store,
        core.now(),
        staff
            .event_on(action::CASE_EXPORTED, case_id)
            .with_detail(json!({ "recipients": keys })),
    )
    .await?;
    Ok(CaseExport {
        file_name: format!("{}.tar.age", base_name(case_id)),
        bytes,
    })
}

/// One attachment to put into the archive.
struct AttachmentEntry {
    /// Its path in the archive.
    name: String,
    /// The encrypted file.
    file: PathBuf,
}

/// Everything the archive holds, in memory only until encrypted.
struct Contents {
    root: String,
    report_txt: Zeroizing<String>,
    thread_txt: Zeroizing<String>,
    case_json: Zeroizing<String>,
    index_html: Zeroizing<String>,
    attachments: Vec<AttachmentEntry>,
}

impl Contents {
    fn of(
        file: &StaffCaseFile,
        t: &Translator,
        staff: &StaffMember,
        now: i64,
        dir: &std::path::Path,
    ) -> Self {
        let case = &file.view.case;
        let root = base_name(case.id);
        let names = archive_names(file.view.attachments.iter().map(|a| a.name.as_str()));
        let attachments = file
            .view
            .attachments
            .iter()
            .zip(&names)
            // A file whose name does not open was sealed wrongly: it is
            // listed as such, and not exported.
            .filter(|(a, _)| !a.unreadable)
            .map(|(a, name)| AttachmentEntry {
                name: format!("{root}/attachments/{name}"),
                file: attachments::path(dir, a.id),
            })
            .collect();
        let facts = Facts::of(file, t, staff, now, &names);
        Contents {
            report_txt: facts.report_text(t),
            thread_txt: facts.thread_text(t),
            case_json: Zeroizing::new(
                serde_json::to_string_pretty(&facts.json(file, &names)).unwrap_or_default(),
            ),
            index_html: facts.html(t),
            root,
            attachments,
        }
    }

    /// The tar archive, written straight into an age file to `recipients`.
    fn encrypt(
        &self,
        recipients: &[AnyRecipient],
        identity: &AnyIdentity,
        mtime: i64,
    ) -> CoreResult<Vec<u8>> {
        let refs: Vec<&dyn Recipient> = recipients.iter().map(|r| r as &dyn Recipient).collect();
        let writer = Encryptor::with_recipients(refs)
            .map_err(|_| {
                // The recipients parsed, but one is unusable (a hybrid key
                // whose X25519 half is a low-order point, say).
                CoreError::Invalid(vec![FieldError {
                    field: RECIPIENTS_FIELD,
                    problem: FieldProblem::Malformed,
                }])
            })?
            .wrap_output(Vec::new())
            .map_err(|e| CoreError::Internal(anyhow!("cannot encrypt the export: {e}")))?;
        let mut tar = TarWriter::new(writer, mtime);
        let root = &self.root;
        let io = |e: std::io::Error| CoreError::Internal(anyhow!("cannot write the export: {e}"));
        tar.dir(&format!("{root}/")).map_err(io)?;
        tar.file(&format!("{root}/index.html"), self.index_html.as_bytes())
            .map_err(io)?;
        tar.file(&format!("{root}/report.txt"), self.report_txt.as_bytes())
            .map_err(io)?;
        tar.file(&format!("{root}/thread.txt"), self.thread_txt.as_bytes())
            .map_err(io)?;
        tar.file(&format!("{root}/case.json"), self.case_json.as_bytes())
            .map_err(io)?;
        if !self.attachments.is_empty() {
            tar.dir(&format!("{root}/attachments/")).map_err(io)?;
        }
        for a in &self.attachments {
            // The plaintext size goes first in the header: one pass counts
            // it, a second writes the bytes (neither keeps them).
            let size =
                attachments::copy_decrypted(&a.file, identity, &mut std::io::sink()).map_err(io)?;
            tar.header(&a.name, size, b'0').map_err(io)?;
            let mut counted = Counting {
                inner: &mut tar.out,
                written: 0,
            };
            attachments::copy_decrypted(&a.file, identity, &mut counted).map_err(io)?;
            if counted.written != size {
                return Err(CoreError::Internal(anyhow!(
                    "an attachment changed while it was exported"
                )));
            }
            tar.pad(size).map_err(io)?;
        }
        let writer = tar.finish().map_err(io)?;
        writer
            .finish()
            .map_err(|e| CoreError::Internal(anyhow!("cannot encrypt the export: {e}")))
    }
}

/// A writer that counts what passes through it.
struct Counting<'a, W: Write> {
    inner: &'a mut W,
    written: u64,
}

impl<W: Write> Write for Counting<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The archive's file names of attachments: numbered in thread order
/// (`01-…`), only ASCII letters, digits, `.`, `_` and `-`, never starting
/// with a dot, at most [`MAX_FILE_NAME`] characters keeping the extension.
pub fn archive_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    names
        .into_iter()
        .enumerate()
        .map(|(i, name)| format!("{:02}-{}", i + 1, safe_file_name(name)))
        .collect()
}

fn safe_file_name(name: &str) -> String {
    // Only the last path component of whatever the uploader's system sent.
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let mut safe: String = last
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let trimmed = safe.trim_start_matches('.').to_owned();
    safe = trimmed;
    if safe.chars().count() > MAX_FILE_NAME {
        let (stem, ext) = match safe.rfind('.') {
            Some(dot) if safe.len() - dot <= 10 => (&safe[..dot], &safe[dot..]),
            _ => (safe.as_str(), ""),
        };
        let keep = MAX_FILE_NAME - ext.len();
        safe = format!("{}{ext}", &stem[..keep.min(stem.len())]);
    }
    if safe.is_empty() || safe.chars().all(|c| c == '_') {
        "file".to_owned()
    } else {
        safe
    }
}

/// A UNIX time as `YYYY-MM-DD HH:MM UTC` (the day only at midnight: reporter
/// times are kept to the day).
fn moment(at: i64) -> String {
    match OffsetDateTime::from_unix_timestamp(at) {
        Ok(d) if d.hour() == 0 && d.minute() == 0 => {
            format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
        }
        Ok(d) => format!(
            "{:04}-{:02}-{:02} {:02}:{:02} UTC",
            d.year(),
            u8::from(d.month()),
            d.day(),
            d.hour(),
            d.minute()
        ),
        Err(_) => String::new(),
    }
}

/// One labelled fact of the case.
struct Fact {
    label: String,
    value: String,
}

/// One message of the thread, as exported.
struct Message {
    from: String,
    at: String,
    retaliation: bool,
    body: String,
}

/// One decision, as exported.
struct DecisionFacts {
    facts: Vec<Fact>,
    rationale: String,
}

/// The case as the archive shows it, labelled in one language.
struct Facts {
    title: String,
    facts: Vec<Fact>,
    description: String,
    when: Option<String>,
    place: Option<String>,
    messages: Vec<Message>,
    attachments: Vec<Fact>,
    deadlines: Vec<Fact>,
    decisions: Vec<DecisionFacts>,
    closure: Vec<Fact>,
    evaluation: Option<String>,
    exported: String,
}

impl Drop for Facts {
    fn drop(&mut self) {
        self.description.zeroize();
        self.when.zeroize();
        self.place.zeroize();
        for m in &mut self.messages {
            m.body.zeroize();
        }
        for d in &mut self.decisions {
            d.rationale.zeroize();
        }
        self.evaluation.zeroize();
        for a in &mut self.attachments {
            a.label.zeroize();
        }
    }
}

fn fact(label: String, value: String) -> Fact {
    Fact { label, value }
}

impl Facts {
    fn of(
        file: &StaffCaseFile,
        t: &Translator,
        staff: &StaffMember,
        now: i64,
        names: &[String],
    ) -> Self {
        let view = &file.view;
        let case = &view.case;
        let label = |group: &str, key: &str| t.t(&format!("{group}.{key}"));
        let mut facts = vec![
            fact(t.t("export.archive.case_id"), case.id.to_string()),
            fact(
                t.t("staff.case.category"),
                label("category", case.category.key()),
            ),
            fact(
                t.t("staff.case.severity"),
                label("severity", case.severity.key()),
            ),
            fact(t.t("staff.case.status"), label("status", case.status.key())),
            fact(t.t("staff.case.received"), moment(case.received_at)),
        ];
        if let Some(subtype) = &file.triage.subtype {
            facts.insert(
                2,
                fact(
                    t.t("staff.case.subtype"),
                    t.t(&format!(
                        "taxonomy.{}.{}",
                        case.category.key(),
                        subtype.as_str()
                    )),
                ),
            );
        }
        if let Some(at) = case.acknowledged_at {
            facts.push(fact(t.t("staff.case.acknowledged"), moment(at)));
        }
        if let (Some(p), Some(c)) = (file.triage.risk_probability, file.triage.risk_consequence) {
            facts.push(fact(t.t("staff.case.risk"), format!("{p} × {c}")));
        }
        let author = |a: Author, name: &Option<String>| match (a, name) {
            (Author::Reporter, _) => t.t("staff.case.from_reporter"),
            (Author::Staff, Some(name)) => name.clone(),
            (Author::Staff, None) => t.t("staff.case.from_staff"),
        };
        let messages = view
            .messages
            .iter()
            .map(|m| Message {
                from: author(m.author, &m.author_name),
                at: moment(m.created_at),
                retaliation: m.kind == crate::core::store::MessageKind::Retaliation,
                body: if m.unreadable {
                    t.t("common.unreadable_message")
                } else {
                    m.body.clone()
                },
            })
            .collect();
        let attachments = view
            .attachments
            .iter()
            .zip(names)
            .map(|(a, name)| {
                let by = format!("{} · {}", author(a.author, &None), moment(a.created_at));
                // A file sealed wrongly is named as such, and not in the archive.
                if a.unreadable {
                    fact(t.t("common.unreadable_attachment"), by)
                } else {
                    fact(a.name.clone(), format!("attachments/{name} · {by}"))
                }
            })
            .collect();
        let deadlines = file
            .deadlines
            .statuses
            .iter()
            .map(|d| {
                fact(
                    t.t(&format!("deadlines.kind.{}", d.deadline.kind.key())),
                    format!(
                        "{} · {}",
                        moment(d.deadline.due.unix_timestamp()),
                        t.t(&format!("deadlines.state.{}", d.state_key()))
                    ),
                )
            })
            .collect();
        let mut decisions = Vec::new();
        let mut closure = Vec::new();
        let mut evaluation = None;
        if let Some(esc) = &file.escalation {
            for d in &esc.decisions {
                let r = &d.record;
                let mut facts = vec![
                    fact(
                        t.t("escalation.authority_label"),
                        t.t(&r.authority.label_key()),
                    ),
                    fact(
                        t.t("escalation.decision_label"),
                        t.t(&r.decision.label_key()),
                    ),
                    fact(
                        t.t("escalation.legal_basis_label"),
                        t.t(&r.legal_basis.label_key()),
                    ),
                    fact(t.t("escalation.aware_label"), moment(r.aware_at)),
                    fact(t.t("escalation.decided_label"), moment(r.decided_at)),
                    fact(
                        t.t("escalation.notified_label"),
                        r.notified_at
                            .map_or_else(|| t.t("escalation.not_notified"), moment),
                    ),
                    fact(
                        t.t("escalation.decided_by_label"),
                        d.decided_by_name.clone(),
                    ),
                    fact(
                        t.t("escalation.confirmed_by_label"),
                        d.confirmed_by_name
                            .clone()
                            .unwrap_or_else(|| t.t("escalation.not_confirmed")),
                    ),
                ];
                if let Some(reference) = &r.authority_reference {
                    facts.push(fact(t.t("escalation.reference_label"), reference.clone()));
                }
                decisions.push(DecisionFacts {
                    facts,
                    rationale: d.rationale.clone(),
                });
            }
            if let Some(c) = &esc.closure {
                closure = vec![
                    fact(
                        t.t("escalation.close.outcome_label"),
                        t.t(&c.outcome.label_key()),
                    ),
                    fact(t.t("escalation.close.closed_at"), moment(c.closed_at)),
                    fact(t.t("escalation.close.closed_by"), c.closed_by_name.clone()),
                ];
                evaluation = Some(c.evaluation.clone());
            }
        }
        Facts {
            title: t.f(
                "export.archive.title",
                &[(
                    "reference",
                    &case.id.simple().to_string()[..8].to_uppercase(),
                )],
            ),
            facts,
            description: view.report.description.clone(),
            when: view.report.when.clone(),
            place: view.report.place.clone(),
            messages,
            attachments,
            deadlines,
            decisions,
            closure,
            evaluation,
            exported: t.f(
                "export.archive.exported",
                &[("when", &moment(now)), ("by", &staff.display_name)],
            ),
        }
    }

    fn report_text(&self, t: &Translator) -> Zeroizing<String> {
        let mut s = Zeroizing::new(String::new());
        let _ = writeln!(s, "{}\n{}\n", self.title, self.exported);
        for f in &self.facts {
            let _ = writeln!(s, "{}: {}", f.label, f.value);
        }
        let not_given = t.t("staff.case.not_given");
        let _ = write!(
            s,
            "\n{}\n\n{}\n\n{}: {}\n{}: {}\n",
            t.t("staff.case.description"),
            self.description,
            t.t("staff.case.when"),
            self.when.as_deref().unwrap_or(&not_given),
            t.t("staff.case.place"),
            self.place.as_deref().unwrap_or(&not_given),
        );
        s
    }

    fn thread_text(&self, t: &Translator) -> Zeroizing<String> {
        let mut s = Zeroizing::new(String::new());
        let _ = writeln!(s, "{}\n", t.t("staff.case.thread"));
        for m in &self.messages {
            let flag = if m.retaliation {
                format!(" [{}]", t.t("staff.followup.retaliation_flag"))
            } else {
                String::new()
            };
            let _ = writeln!(s, "--- {} · {}{flag}\n{}\n", m.from, m.at, m.body);
        }
        s
    }

    fn json(&self, file: &StaffCaseFile, names: &[String]) -> Value {
        let view = &file.view;
        let case = &view.case;
        let author = |a: Author| a.as_db();
        json!({
            "format": "varsel-case-export/1",
            "case": {
                "id": case.id,
                "category": case.category.key(),
                "subtype": file.triage.subtype.as_ref().map(|s| s.as_str().to_owned()),
                "severity": case.severity.key(),
                "suggested_severity": case.suggested_severity.key(),
                "status": case.status.key(),
                "received_at": case.received_at,
                "acknowledged_at": case.acknowledged_at,
                "risk_probability": file.triage.risk_probability,
                "risk_consequence": file.triage.risk_consequence,
            },
            "report": {
                "description": view.report.description,
                "when": view.report.when,
                "place": view.report.place,
            },
            "thread": view.messages.iter().map(|m| json!({
                "author": author(m.author),
                "author_name": m.author_name,
                "created_at": m.created_at,
                "kind": if m.kind == crate::core::store::MessageKind::Retaliation { "retaliation" } else { "message" },
                "body": m.body,
                "unreadable": m.unreadable,
            })).collect::<Vec<_>>(),
            "attachments": view.attachments.iter().zip(names).map(|(a, name)| json!({
                // Not in the archive if it was sealed wrongly.
                "file": (!a.unreadable).then(|| format!("attachments/{name}")),
                "name": a.name,
                "unreadable": a.unreadable,
                "content_type": a.content_type,
                "author": author(a.author),
                "created_at": a.created_at,
            })).collect::<Vec<_>>(),
            "deadlines": file.deadlines.statuses.iter().map(|d| json!({
                "kind": d.deadline.kind.key(),
                "due": d.deadline.due.unix_timestamp(),
                "met": d.deadline.met.map(|m| m.unix_timestamp()),
                "state": d.state_key(),
            })).collect::<Vec<_>>(),
            "feedback_extension": file.deadlines.extension.as_ref().map(|e| json!({
                "at": e.at,
                "by": e.by_name,
                "reason": e.reason,
            })),
            "escalation_decisions": file.escalation.as_ref().map(|e| e.decisions.iter().map(|d| json!({
                "authority": d.record.authority.key(),
                "decision": d.record.decision.key(),
                "legal_basis": d.record.legal_basis.key(),
                "rationale": d.rationale,
                "aware_at": d.record.aware_at,
                "decided_at": d.record.decided_at,
                "notified_at": d.record.notified_at,
                "authority_reference": d.record.authority_reference,
                "decided_by": d.decided_by_name,
                "confirmed_by": d.confirmed_by_name,
                "confirmed_at": d.record.confirmed_at,
            })).collect::<Vec<_>>()).unwrap_or_default(),
            "closure": file.escalation.as_ref().and_then(|e| e.closure.as_ref()).map(|c| json!({
                "outcome": c.outcome.key(),
                "closed_at": c.closed_at,
                "closed_by": c.closed_by_name,
                "evaluation": c.evaluation,
            })),
            "exported": self.exported,
        })
    }

    /// `index.html`: self-contained (no script, no external resource; a
    /// policy forbids loading any), every text escaped.
    fn html(&self, t: &Translator) -> Zeroizing<String> {
        let mut s = Zeroizing::new(String::new());
        let e = escape;
        let _ = write!(
            s,
            "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n<h1>{}</h1>\n<p class=\"meta\">{}</p>\n",
            t.lang().code(),
            e(&self.title),
            e(&self.title),
            e(&self.exported),
        );
        section_facts(&mut s, &t.t("staff.case.details"), &self.facts);
        let not_given = t.t("staff.case.not_given");
        let _ = write!(
            s,
            "<section>\n<h2>{}</h2>\n<h3>{}</h3>\n<p class=\"body\">{}</p>\n<h3>{}</h3>\n<p class=\"body\">{}</p>\n<h3>{}</h3>\n<p class=\"body\">{}</p>\n</section>\n",
            e(&t.t("staff.case.report")),
            e(&t.t("staff.case.description")),
            e(&self.description),
            e(&t.t("staff.case.when")),
            e(self.when.as_deref().unwrap_or(&not_given)),
            e(&t.t("staff.case.place")),
            e(self.place.as_deref().unwrap_or(&not_given)),
        );
        let _ = write!(s, "<section>\n<h2>{}</h2>\n", e(&t.t("staff.case.thread")));
        if self.messages.is_empty() {
            let _ = writeln!(s, "<p>{}</p>", e(&t.t("staff.case.no_messages")));
        } else {
            s.push_str("<ol class=\"thread\">\n");
            for m in &self.messages {
                let flag = if m.retaliation {
                    format!(
                        " <strong>{}</strong>",
                        e(&t.t("staff.followup.retaliation_flag"))
                    )
                } else {
                    String::new()
                };
                let _ = write!(
                    s,
                    "<li><p class=\"meta\"><strong>{}</strong> · {}{flag}</p>\n<p class=\"body\">{}</p></li>\n",
                    e(&m.from),
                    e(&m.at),
                    e(&m.body)
                );
            }
            s.push_str("</ol>\n");
        }
        s.push_str("</section>\n");
        let _ = write!(
            s,
            "<section>\n<h2>{}</h2>\n",
            e(&t.t("staff.case.attachments"))
        );
        if self.attachments.is_empty() {
            let _ = writeln!(s, "<p>{}</p>", e(&t.t("staff.case.no_attachments")));
        } else {
            let _ = writeln!(
                s,
                "<p>{}</p>\n<ul>",
                e(&t.t("export.archive.attachments_note"))
            );
            for a in &self.attachments {
                let _ = writeln!(
                    s,
                    "<li>{} <span class=\"meta\">({})</span></li>",
                    e(&a.label),
                    e(&a.value)
                );
            }
            s.push_str("</ul>\n");
        }
        s.push_str("</section>\n");
        section_facts(&mut s, &t.t("deadlines.page.heading"), &self.deadlines);
        let _ = write!(s, "<section>\n<h2>{}</h2>\n", e(&t.t("escalation.heading")));
        if self.decisions.is_empty() {
            let _ = writeln!(s, "<p>{}</p>", e(&t.t("export.archive.no_decisions")));
        }
        for d in &self.decisions {
            s.push_str("<div class=\"decision\">\n<dl>\n");
            for f in &d.facts {
                let _ = writeln!(s, "<dt>{}</dt><dd>{}</dd>", e(&f.label), e(&f.value));
            }
            let _ = write!(
                s,
                "</dl>\n<h3>{}</h3>\n<p class=\"body\">{}</p>\n</div>\n",
                e(&t.t("escalation.rationale_label")),
                e(&d.rationale)
            );
        }
        s.push_str("</section>\n");
        if !self.closure.is_empty() {
            section_facts(
                &mut s,
                &t.t("escalation.close.closed_heading"),
                &self.closure,
            );
            if let Some(evaluation) = &self.evaluation {
                let _ = write!(
                    s,
                    "<h3>{}</h3>\n<p class=\"body\">{}</p>\n",
                    e(&t.t("escalation.close.evaluation_label")),
                    e(evaluation)
                );
            }
        }
        s.push_str("</main>\n</body>\n</html>\n");
        s
    }
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;line-height:1.5;margin:0;color:#111;background:#fff}\
main{max-width:48rem;margin:0 auto;padding:1rem}\
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dt{font-weight:600}dd{margin:0}\
.body{white-space:pre-wrap;overflow-wrap:anywhere}.meta{color:#444}\
.thread li,.decision{border-top:1px solid #999;padding:.5rem 0}\
@media print{main{max-width:none}section{break-inside:avoid-page}}";

fn section_facts(s: &mut String, heading: &str, facts: &[Fact]) {
    let _ = write!(s, "<section>\n<h2>{}</h2>\n<dl>\n", escape(heading));
    for f in facts {
        let _ = writeln!(
            s,
            "<dt>{}</dt><dd>{}</dd>",
            escape(&f.label),
            escape(&f.value)
        );
    }
    s.push_str("</dl>\n</section>\n");
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A minimal ustar writer (POSIX.1-1988): regular files and directories,
/// names of at most 100 bytes, mode 0644/0755, owner `varsel`.
struct TarWriter<W: Write> {
    out: W,
    mtime: i64,
}

impl<W: Write> TarWriter<W> {
    fn new(out: W, mtime: i64) -> Self {
        TarWriter { out, mtime }
    }

    fn dir(&mut self, name: &str) -> std::io::Result<()> {
        self.header(name, 0, b'5')
    }

    fn file(&mut self, name: &str, data: &[u8]) -> std::io::Result<()> {
        self.header(name, data.len() as u64, b'0')?;
        self.out.write_all(data)?;
        self.pad(data.len() as u64)
    }

    fn header(&mut self, name: &str, size: u64, kind: u8) -> std::io::Result<()> {
        let block = ustar_header(name, size, self.mtime, kind)?;
        self.out.write_all(&block)
    }

    fn pad(&mut self, size: u64) -> std::io::Result<()> {
        let rest = (512 - size % 512) % 512;
        self.out.write_all(&[0u8; 512][..rest as usize])
    }

    /// The two zero blocks that end an archive; the inner writer.
    fn finish(mut self) -> std::io::Result<W> {
        self.out.write_all(&[0u8; 1024])?;
        Ok(self.out)
    }
}

fn octal(field: &mut [u8], value: u64) -> std::io::Result<()> {
    let width = field.len() - 1;
    let digits = format!("{value:0width$o}");
    if digits.len() > width {
        return Err(std::io::Error::other("a tar header field overflows"));
    }
    field[..width].copy_from_slice(digits.as_bytes());
    field[width] = 0;
    Ok(())
}

/// One 512-byte ustar header block.
fn ustar_header(name: &str, size: u64, mtime: i64, kind: u8) -> std::io::Result<[u8; 512]> {
    let mut h = [0u8; 512];
    let bytes = name.as_bytes();
    if bytes.len() > 100 {
        return Err(std::io::Error::other("a tar entry name is too long"));
    }
    h[..bytes.len()].copy_from_slice(bytes);
    octal(&mut h[100..108], if kind == b'5' { 0o755 } else { 0o644 })?;
    octal(&mut h[108..116], 0)?;
    octal(&mut h[116..124], 0)?;
    octal(&mut h[124..136], size)?;
    octal(&mut h[136..148], u64::try_from(mtime).unwrap_or(0))?;
    h[148..156].copy_from_slice(b"        ");
    h[156] = kind;
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[265..271].copy_from_slice(b"varsel");
    h[297..303].copy_from_slice(b"varsel");
    let sum: u64 = h.iter().map(|&b| u64::from(b)).sum();
    let digits = format!("{sum:06o}");
    h[148..154].copy_from_slice(digits.as_bytes());
    h[154] = 0;
    h[155] = b' ';
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_made_safe_and_numbered() {
        let names = archive_names([
            "../../etc/passwd",
            "C:\\Users\\kari\\bilde ø.jpg",
            ".hidden",
            "",
            &format!("{}.pdf", "a".repeat(100)),
        ]);
        assert_eq!(names[0], "01-passwd");
        assert_eq!(names[1], "02-bilde__.jpg");
        assert_eq!(names[2], "03-hidden");
        assert_eq!(names[3], "04-file");
        assert_eq!(names[4].len(), 3 + MAX_FILE_NAME);
        assert!(names[4].ends_with(".pdf"));
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape("<script>\"x\" & 'y'</script>"),
            "&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;"
        );
    }

    #[test]
    fn recipients_are_parsed_or_named_as_the_field_in_error() {
        let a = crate::core::keys::KeyKind::Hybrid
            .generate()
            .to_public()
            .to_string();
        let b = crate::core::keys::KeyKind::Hybrid
            .generate()
            .to_public()
            .to_string();
        let both = ExportRecipients::parse([format!("{a}, {b}\n{a}").as_str()]).unwrap();
        assert_eq!(both.keys(), vec![a.clone(), b]);
        let bad = ExportRecipients::parse(["age1notakey"]).err().unwrap();
        assert_eq!(bad.field, RECIPIENTS_FIELD);
        assert_eq!(bad.problem, FieldProblem::Malformed);
        let none = ExportRecipients::parse(["  "]).err().unwrap();
        assert_eq!(none.problem, FieldProblem::Required);
        // A classic key beside a post-quantum one is refused, not a 500.
        let classic = crate::core::keys::KeyKind::X25519
            .generate()
            .to_public()
            .to_string();
        let mixed = ExportRecipients::parse([format!("{a} {classic}").as_str()])
            .err()
            .unwrap();
        assert_eq!(
            (mixed.field, mixed.problem),
            (RECIPIENTS_FIELD, FieldProblem::Malformed)
        );
        assert!(ExportRecipients::parse([classic.as_str()]).is_ok());
    }

    #[test]
    fn a_ustar_header_carries_its_checksum() {
        let h = ustar_header("x/a.txt", 5, 0, b'0').unwrap();
        let mut copy = h;
        copy[148..156].copy_from_slice(b"        ");
        let sum: u64 = copy.iter().map(|&b| u64::from(b)).sum();
        let stored = std::str::from_utf8(&h[148..154]).unwrap();
        assert_eq!(u64::from_str_radix(stored, 8).unwrap(), sum);
        assert_eq!(&h[257..263], b"ustar\0");
    }
}
