//! GET /case — the reporter's case: status, dates, the report, the thread
//! (staff appear only as "the case handler"), attachments, a reply form and
//! the external channels. Without a reporter session it sends the visitor to
//! the code login.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::HttpRequest;
use actix_web::{web, HttpResponse};
use askama::Template;
use uuid::Uuid;
use zeroize::Zeroize;

use super::FormErrors;
use crate::core::actor::Reporter;
use crate::core::casework;
use crate::core::i18n::Translator;
use crate::core::store::Author;
use crate::web::http::{AppError, ErrorKind, Visitor};
use crate::web::state::AppState;

/// One message in the thread.
struct ThreadItem {
    from_reporter: bool,
    author: String,
    date: String,
    body: String,
    /// Its age file in base64 where the key is in the browser (`body` is
    /// then empty).
    sealed: Option<String>,
    /// A report of retaliation.
    retaliation: bool,
}

/// One attachment.
struct AttachmentItem {
    id: Uuid,
    /// Added by the reporter (not by the handler).
    from_reporter: bool,
    name: String,
    /// Its sealed name in base64 where the key is in the browser (`name`
    /// is then empty).
    sealed_name: Option<String>,
    /// Its name opened (false: sealed wrongly, shown without a link).
    openable: bool,
    size: String,
    author: String,
    date: String,
}

impl ThreadItem {
    /// A message by `author` at `created_at`: its `body`, or its age file
    /// in base64 (`sealed`) for the script.
    fn new(
        t: &Translator,
        author: Author,
        created_at: i64,
        kind: crate::core::store::MessageKind,
        body: String,
        sealed: Option<String>,
    ) -> Self {
        ThreadItem {
            from_reporter: author == Author::Reporter,
            author: author_label(t, author),
            date: super::format_day(created_at),
            body,
            sealed,
            retaliation: kind == crate::core::store::MessageKind::Retaliation,
        }
    }
}

impl AttachmentItem {
    /// An attachment without its name yet (set `name` or `sealed_name`).
    fn new(t: &Translator, id: Uuid, author: Author, size: i64, created_at: i64) -> Self {
        AttachmentItem {
            id,
            from_reporter: author == Author::Reporter,
            name: String::new(),
            sealed_name: None,
            openable: true,
            size: super::format_size(u64::try_from(size).unwrap_or(0), t.lang()),
            author: author_label(t, author),
            date: super::format_day(created_at),
        }
    }
}

/// What the page carries where the case key is in the browser
/// (docs/e2e.md): the ciphertexts are decrypted by the script.
struct SealedCase {
    /// The case's recipient.
    recipient: String,
    /// The report's age file in base64.
    report: String,
    /// The script's messages (JSON).
    msgs: String,
    /// The reply form's limits, for the script.
    max_text_chars: usize,
    max_attachment_bytes: u64,
    max_attachments: usize,
    max_name_chars: usize,
}

/// The case page.
#[derive(Template)]
#[template(path = "reporter/case.html")]
struct CasePage {
    t: Translator,
    csrf: String,
    languages: Vec<super::LanguageButton>,
    status: String,
    category: String,
    received: String,
    answer_due: Option<String>,
    description: String,
    when: Option<String>,
    place: Option<String>,
    messages: Vec<ThreadItem>,
    attachments: Vec<AttachmentItem>,
    errors: FormErrors,
    message: String,
    attachment_limits: String,
    followup: super::followup_panel::FollowupPanel,
    /// The reporter's identity: given or not, and whether it can be.
    identity: super::identity::IdentityNote,
    /// Files the reporter just added that were stored with their metadata.
    metadata_kept: Vec<String>,
    /// Set where the case key is in the browser.
    sealed_case: Option<SealedCase>,
    /// The browser script's tag, if it was built.
    e2e_script: Option<String>,
}

impl Drop for CasePage {
    fn drop(&mut self) {
        self.description.zeroize();
        self.when.zeroize();
        self.place.zeroize();
        self.message.zeroize();
        for m in &mut self.messages {
            m.body.zeroize();
        }
        for a in &mut self.attachments {
            a.name.zeroize();
        }
        for name in &mut self.metadata_kept {
            name.zeroize();
        }
    }
}

/// The cookie that carries, from a reply to the case page, the ids of the
/// files it stored with their metadata, to be named there once.
const KEPT_COOKIE: &str = "varsel_kept";

/// The cookie with `ids` (dot-separated): HttpOnly, SameSite=Strict, only
/// for `/case`, ending with the browser session (the page clears it).
pub fn kept_cookie(ids: &str, secure: bool) -> Cookie<'static> {
    Cookie::build(KEPT_COOKIE, ids.to_owned())
        .path("/case")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .finish()
}

/// Shows the case, or sends a visitor without a reporter session to log in.
pub async fn show(
    state: web::Data<AppState>,
    visitor: Visitor,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let (Some(reporter), Some(csrf)) = (visitor.reporter(), visitor.csrf()) else {
        return Ok(super::see_other("/followup", None));
    };
    let mut page = case_page(&state, &visitor, reporter, csrf, FormErrors::default(), "").await?;
    let kept_ids = req.cookie(KEPT_COOKIE);
    let kept: Vec<Uuid> = kept_ids
        .as_ref()
        .map(|c| {
            c.value()
                .split('.')
                .filter_map(|id| Uuid::parse_str(id).ok())
                .collect()
        })
        .unwrap_or_default();
    page.metadata_kept = page
        .attachments
        .iter()
        .filter(|a| a.from_reporter && kept.contains(&a.id))
        .map(|a| a.name.clone())
        .collect();
    let body = super::render(&visitor, &page)?;
    // Named once: the cookie is cleared.
    let cleared = kept_ids.map(|_| {
        let mut cookie = kept_cookie("", state.settings.server.tls);
        cookie.make_removal();
        cookie
    });
    Ok(super::html(StatusCode::OK, body, cleared))
}

fn author_label(t: &Translator, author: Author) -> String {
    match author {
        Author::Reporter => t.t("reporter.case.author_you"),
        Author::Staff => t.t("reporter.case.author_handler"),
    }
}

/// Renders the case page with `errors` for the reply form and the message
/// the reporter was writing.
pub async fn render_case(
    state: &AppState,
    visitor: &Visitor,
    errors: FormErrors,
    message: &str,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let (Some(reporter), Some(csrf)) = (visitor.reporter(), visitor.csrf()) else {
        return Err(visitor.error(ErrorKind::NotFound));
    };
    let page = case_page(state, visitor, reporter, csrf, errors, message).await?;
    let body = super::render(visitor, &page)?;
    Ok(super::html(status, body, None))
}

/// What differs between a case page the server decrypted and one the
/// browser decrypts.
struct CaseParts {
    case: crate::core::store::Case,
    answer_due: Option<time::Date>,
    description: String,
    when: Option<String>,
    place: Option<String>,
    messages: Vec<ThreadItem>,
    attachments: Vec<AttachmentItem>,
    measures: Vec<super::followup_panel::MeasureItem>,
    sealed_case: Option<SealedCase>,
}

async fn case_page(
    state: &AppState,
    visitor: &Visitor,
    reporter: &Reporter,
    csrf: &str,
    errors: FormErrors,
    message: &str,
) -> Result<CasePage, AppError> {
    let t = visitor.t();
    let parts = match reporter.identity() {
        Some(_) => opened_parts(state, visitor, reporter, &t).await?,
        None => sealed_parts(state, visitor, reporter, &t).await?,
    };
    let followup =
        super::followup_panel::panel(state, visitor, reporter, &t, parts.measures).await?;
    Ok(CasePage {
        t,
        csrf: csrf.to_owned(),
        languages: super::language_buttons(t.lang()),
        status: t.t(&format!("status.{}", parts.case.status.key())),
        category: t.t(&format!("category.{}", parts.case.category.key())),
        received: super::format_day(parts.case.received_at),
        answer_due: parts.answer_due.map(super::format_date),
        description: parts.description,
        when: parts.when,
        place: parts.place,
        messages: parts.messages,
        attachments: parts.attachments,
        errors,
        message: message.to_owned(),
        attachment_limits: super::attachment_limits(&t, &state.settings.limits),
        followup,
        identity: super::identity::note(state, visitor).await?,
        metadata_kept: Vec::new(),
        sealed_case: parts.sealed_case,
        e2e_script: crate::web::script::script_tag(),
    })
}

/// The case opened by the server with the key the code unwrapped.
async fn opened_parts(
    state: &AppState,
    visitor: &Visitor,
    reporter: &Reporter,
    t: &Translator,
) -> Result<CaseParts, AppError> {
    let view = casework::reporter_view(state, reporter)
        .await
        .map_err(|e| visitor.fail(e))?;
    let messages = view
        .messages
        .iter()
        .map(|m| {
            let body = if m.unreadable {
                t.t("common.unreadable_message")
            } else {
                m.body.clone()
            };
            ThreadItem::new(t, m.author, m.created_at, m.kind, body, None)
        })
        .collect();
    let attachments = view
        .attachments
        .iter()
        .map(|a| {
            let mut item = AttachmentItem::new(t, a.id, a.author, a.size, a.created_at);
            item.name = if a.unreadable {
                t.t("common.unreadable_attachment")
            } else {
                a.name.clone()
            };
            item.openable = !a.unreadable;
            item
        })
        .collect();
    Ok(CaseParts {
        description: view.report.description.clone(),
        when: view.report.when.clone(),
        place: view.report.place.clone(),
        case: view.case.clone(),
        answer_due: view.answer_due,
        messages,
        attachments,
        measures: super::followup_panel::opened_measures(state, visitor, reporter).await?,
        sealed_case: None,
    })
}

/// The script's messages on a case page whose key is in the browser.
fn sealed_messages(t: &Translator) -> String {
    serde_json::json!({
        "decrypting": t.t("reporter.e2e.decrypting"),
        "no_key": t.t("reporter.e2e.no_key"),
        "failed": t.t("reporter.e2e.decrypt_failed"),
        "may_have_arrived": t.t("reporter.e2e.reply_may_have_arrived"),
    })
    .to_string()
}

/// The case where its key is in the browser: every sealed part as its age
/// file, for the script to decrypt in place.
async fn sealed_parts(
    state: &AppState,
    visitor: &Visitor,
    reporter: &Reporter,
    t: &Translator,
) -> Result<CaseParts, AppError> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let view = crate::core::sealed_followup::reporter_view(state, reporter)
        .await
        .map_err(|e| visitor.fail(e))?;
    let messages = view
        .messages
        .iter()
        .map(|m| {
            let sealed = Some(b64.encode(&m.body));
            ThreadItem::new(t, m.author, m.created_at, m.kind, String::new(), sealed)
        })
        .collect();
    let attachments = view
        .attachments
        .iter()
        .map(|a| {
            let mut item = AttachmentItem::new(t, a.id, a.author, a.size, a.created_at);
            item.sealed_name = Some(b64.encode(&a.name));
            item
        })
        .collect();
    let measures = view
        .measures
        .iter()
        .map(|m| super::followup_panel::MeasureItem {
            date: super::format_day(m.created_at),
            body: String::new(),
            sealed: Some(b64.encode(&m.body)),
        })
        .collect();
    let limits = &state.settings.limits;
    Ok(CaseParts {
        sealed_case: Some(SealedCase {
            recipient: reporter.recipient().to_string(),
            report: b64.encode(&view.case.report),
            msgs: sealed_messages(t),
            max_text_chars: limits.max_text_chars,
            max_attachment_bytes: limits.max_attachment_bytes,
            max_attachments: limits
                .max_attachments_per_case
                .saturating_sub(view.attachments.len()),
            max_name_chars: limits.max_short_field_chars,
        }),
        description: String::new(),
        when: None,
        place: None,
        case: view.case,
        answer_due: view.answer_due,
        messages,
        attachments,
        measures,
    })
}

/// Renders the case page with `errors` for the retaliation form and the
/// text the reporter was writing in it.
pub async fn render_case_with_retaliation(
    state: &AppState,
    visitor: &Visitor,
    errors: FormErrors,
    retaliation: &str,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let (Some(reporter), Some(csrf)) = (visitor.reporter(), visitor.csrf()) else {
        return Err(visitor.error(ErrorKind::NotFound));
    };
    let mut page = case_page(state, visitor, reporter, csrf, errors, "").await?;
    page.followup.retaliation = retaliation.to_owned();
    let body = super::render(visitor, &page)?;
    Ok(super::html(status, body, None))
}
