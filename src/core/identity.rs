//! The reporter's identity, kept by the organisation's identity custodians
//! (SPEC §4), enforced by cryptography rather than by a permission check:
//!
//! - A reporter may give their identity (name, contact, role) with the report
//!   or later. It is sealed (age) to the public keys of the active
//!   custodians — staff with the `custodian` role, each with their own key
//!   pair — and never to the case key: a handler who holds the case holds
//!   no key that opens it.
//! - A handler of the case files a written, reasoned request. A custodian
//!   reads it and approves or denies it with a reason.
//! - On approval the custodian's session key opens the identity and seals it
//!   again to that one handler's public key. The reporter is told in the
//!   case thread at once (a message sealed to the case, which the reporter
//!   reads with their code); the handler can read the identity only after
//!   the notice period (`identity.notice_hours`, default 24 hours).
//! - Every step is audited, never with the identity or a reason in it.
//!
//! Without an active custodian there is no key to seal to: the report form
//! does not offer the fields and the API refuses them
//! ([`IdentityRefusal::NoCustodian`]).
//!
//! An identity is sealed to the custodians of the moment it is given: a
//! custodian appointed later cannot open identities given before, and a
//! staff member who holds both the custodian role and a case could read the
//! identity of their own case — appoint custodians who do not work cases.

use anyhow::Context;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;
use varsel_crypto::AnyRecipient;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::core::actor::{Reporter, StaffMember};
use crate::core::audit::{action, AuditActor, AuditEvent};
use crate::core::audit_log;
use crate::core::authz::{self, Permission};
use crate::core::clock::day_of;
pub use crate::core::domain::identity::{IdentityRefusal, IdentitySettings};
use crate::core::domain::{Role, TextField, TextFieldError};
use crate::core::error::{CoreError, CoreResult, FieldError, FieldProblem, Refusal};
use crate::core::i18n::{Lang, Translator};
use crate::core::keys;
use crate::core::open;
use crate::core::service::Core;
use crate::core::store::{
    Author, IdentityDecision, IdentityRequest, Message, RequestState, StoreError, User,
};

fn refused(r: IdentityRefusal) -> CoreError {
    CoreError::Refused(Refusal::Identity(r))
}

/// Who the reporter is, in their own words; wiped from memory when dropped.
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop, Default)]
pub struct ReporterIdentity {
    /// Name.
    pub name: String,
    /// How to reach them.
    pub contact: String,
    /// Their role or position.
    pub role: String,
}

/// An identity as submitted (form or JSON), every field as typed.
#[derive(Default)]
pub struct IdentityDraft<'a> {
    /// `identity_name`.
    pub name: &'a str,
    /// `identity_contact`.
    pub contact: &'a str,
    /// `identity_role`.
    pub role: &'a str,
}

impl IdentityDraft<'_> {
    /// True if nothing was typed (the reporter gives no identity).
    pub fn is_empty(&self) -> bool {
        [self.name, self.contact, self.role]
            .iter()
            .all(|f| f.trim().is_empty())
    }

    /// The identity; `Ok(None)` if every field is empty. Fields are named
    /// `identity_name`, `identity_contact` and `identity_role` in errors.
    pub fn parse(
        &self,
        limits: &IdentitySettings,
    ) -> Result<Option<ReporterIdentity>, Vec<FieldError>> {
        if self.is_empty() {
            return Ok(None);
        }
        let mut errors = Vec::new();
        let mut field =
            |name: &'static str, value: &str, max: usize| match TextField::parse_optional(
                value, max,
            ) {
                Ok(t) => t.map(|t| t.as_str().to_owned()).unwrap_or_default(),
                Err(TextFieldError::TooLong { max }) => {
                    errors.push(FieldError {
                        field: name,
                        problem: FieldProblem::TooLong { max },
                    });
                    String::new()
                }
                Err(TextFieldError::Empty) => String::new(),
            };
        let identity = ReporterIdentity {
            name: field("identity_name", self.name, limits.max_name_chars),
            contact: field("identity_contact", self.contact, limits.max_contact_chars),
            role: field("identity_role", self.role, limits.max_role_chars),
        };
        if errors.is_empty() {
            Ok(Some(identity))
        } else {
            Err(errors)
        }
    }
}

/// An identity sealed to the custodians, ready to be stored.
pub struct SealedIdentity(Vec<u8>);

/// The active custodians who have a usable key.
fn custodians(users: &[User]) -> Vec<(Uuid, AnyRecipient)> {
    users
        .iter()
        .filter(|u| u.active && u.roles.contains(&Role::Custodian))
        .filter_map(|u| keys::recipient(&u.recipient).ok().map(|r| (u.id, r)))
        .collect()
}

async fn custodian_recipients(state: &Core) -> CoreResult<Vec<(Uuid, AnyRecipient)>> {
    let users = state.store.users_shared().await?;
    Ok(custodians(&users))
}

/// The active custodians with a usable key, their recipients as stored: for
/// a browser that seals an identity itself ([`crate::core::sealed`]).
pub async fn custodian_keys(state: &Core) -> CoreResult<Vec<(Uuid, String)>> {
    let users = state.store.users_shared().await?;
    Ok(users
        .iter()
        .filter(|u| u.active && u.roles.contains(&Role::Custodian))
        .filter(|u| keys::recipient(&u.recipient).is_ok())
        .map(|u| (u.id, u.recipient.clone()))
        .collect())
}

impl SealedIdentity {
    /// An identity the reporter's browser sealed to the custodians, checked
    /// by [`crate::core::sealed`] before it is stored.
    pub(crate) fn from_browser(sealed: Vec<u8>) -> Self {
        SealedIdentity(sealed)
    }
}

/// Whether an identity can be kept: some active custodian has a key.
pub async fn available(state: &Core) -> CoreResult<bool> {
    Ok(!custodian_recipients(state).await?.is_empty())
}

/// Seals to custodians and, at a release, the requester; while some of them
/// still hold X25519 keys, the file mixes kinds ([`keys::seal_to_all`]).
fn seal_to(recipients: &[&AnyRecipient], plaintext: &[u8]) -> CoreResult<Vec<u8>> {
    Ok(keys::seal_to_all(recipients, plaintext)?)
}

/// Seals `identity` to every active custodian; refused if there is none.
pub async fn seal(state: &Core, identity: &ReporterIdentity) -> CoreResult<SealedIdentity> {
    let custodians = custodian_recipients(state).await?;
    if custodians.is_empty() {
        return Err(refused(IdentityRefusal::NoCustodian));
    }
    let json = Zeroizing::new(serde_json::to_vec(identity).context("cannot encode")?);
    let recipients: Vec<&AnyRecipient> = custodians.iter().map(|(_, r)| r).collect();
    Ok(SealedIdentity(seal_to(&recipients, &json)?))
}

/// Stores the identity of case `case_id`, sealed before, and audits it as
/// the reporter's (the day only).
async fn store_sealed(state: &Core, case_id: Uuid, sealed: &SealedIdentity) -> CoreResult<()> {
    audit_log::record(
        &*state.store,
        state.now(),
        AuditEvent::new(AuditActor::Reporter, action::IDENTITY_ADDED).on_case(case_id),
    )
    .await?;
    state
        .store
        .put_identity(case_id, &sealed.0, day_of(state.now()))
        .await?;
    Ok(())
}

/// Stores the identity given with a new report (sealed by [`seal`] before the
/// report was stored).
pub async fn attach_to_new_case(
    state: &Core,
    case_id: Uuid,
    sealed: &SealedIdentity,
) -> CoreResult<()> {
    store_sealed(state, case_id, sealed).await
}

/// The reporter gives (or replaces) their identity from their case.
pub async fn reporter_add(
    state: &Core,
    reporter: &Reporter,
    identity: &ReporterIdentity,
) -> CoreResult<()> {
    let sealed = seal(state, identity).await?;
    store_sealed(state, reporter.case_id, &sealed).await
}

/// What the reporter's case page says about identity.
pub struct ReporterIdentityState {
    /// An identity can be given (a custodian is configured).
    pub offered: bool,
    /// The reporter has given it.
    pub given: bool,
}

/// Whether the reporter has given their identity, and whether they can.
pub async fn reporter_state(
    state: &Core,
    reporter: &Reporter,
) -> CoreResult<ReporterIdentityState> {
    Ok(ReporterIdentityState {
        offered: available(state).await?,
        given: state.store.identity_of(reporter.case_id).await?.is_some(),
    })
}

/// What a handler of the case sees of the reporter's identity.
pub enum HandlerIdentity {
    /// The reporter has not given it.
    NotGiven,
    /// It exists and is closed to the handler; they may ask to see it. The
    /// custodian's reason for the last denial, if the last request was denied.
    Hidden {
        /// The reason of the last denial (if it could be read).
        denied: Option<Decided>,
    },
    /// The handler's request waits for a custodian.
    Pending {
        /// When they asked.
        requested_at: i64,
    },
    /// Approved; readable from `readable_from` (the reporter has been told).
    Waiting {
        /// From when.
        readable_from: i64,
    },
    /// Released to the handler and readable.
    Readable {
        /// The identity.
        identity: ReporterIdentity,
        /// Since when.
        readable_from: i64,
    },
}

/// A decision as its reader sees it.
pub struct Decided {
    /// When.
    pub at: i64,
    /// The custodian's reason, if the reader's key opens it.
    pub reason: Option<String>,
}

fn open_text(identity: &dyn varsel_crypto::Identity, sealed: &[u8]) -> Option<String> {
    keys::open(identity, sealed)
        .ok()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// The identity as handler `staff` of case `case_id` may see it. Reading a
/// released identity is audited.
pub async fn handler_view(
    state: &Core,
    staff: &StaffMember,
    case_id: Uuid,
) -> CoreResult<HandlerIdentity> {
    open::ensure_staff_case(state, staff, case_id).await?;
    if state.store.identity_of(case_id).await?.is_none() {
        return Ok(HandlerIdentity::NotGiven);
    }
    let mine: Vec<IdentityRequest> = state
        .store
        .identity_requests_of_case(case_id)
        .await?
        .into_iter()
        .filter(|r| r.requested_by == staff.user_id)
        .collect();
    if let Some(r) = mine.iter().find(|r| r.state == RequestState::Approved) {
        let from = r.readable_from.unwrap_or(i64::MAX);
        if state.now() < from {
            return Ok(HandlerIdentity::Waiting {
                readable_from: from,
            });
        }
        let released = r.released.as_deref().context("approved without a copy")?;
        let json = keys::open(&staff.identity, released)?;
        let identity: ReporterIdentity =
            serde_json::from_slice(&json).context("released identity is malformed")?;
        audit_log::record(
            &*state.store,
            state.now(),
            staff
                .event_on(action::IDENTITY_READ, case_id)
                .with_detail(json!({ "request_id": r.id })),
        )
        .await?;
        return Ok(HandlerIdentity::Readable {
            identity,
            readable_from: from,
        });
    }
    if let Some(r) = mine.iter().find(|r| r.state == RequestState::Pending) {
        return Ok(HandlerIdentity::Pending {
            requested_at: r.requested_at,
        });
    }
    let denied = mine.first().map(|r| Decided {
        at: r.decided_at.unwrap_or(r.requested_at),
        reason: r
            .decision_reason
            .as_deref()
            .and_then(|s| open_text(&staff.identity, s)),
    });
    Ok(HandlerIdentity::Hidden { denied })
}

/// A handler of case `case_id` asks to see the reporter's identity, giving
/// `reason` (sealed to the custodians and to the handler). Returns the
/// request's id.
pub async fn request(
    state: &Core,
    staff: &StaffMember,
    case_id: Uuid,
    reason: &str,
) -> CoreResult<Uuid> {
    open::ensure_staff_case(state, staff, case_id).await?;
    let reason = TextField::parse(reason, state.settings.limits.max_text_chars).map_err(|e| {
        CoreError::Invalid(vec![FieldError {
            field: "reason",
            problem: match e {
                TextFieldError::Empty => FieldProblem::Required,
                TextFieldError::TooLong { max } => FieldProblem::TooLong { max },
            },
        }])
    })?;
    if state.store.identity_of(case_id).await?.is_none() {
        return Err(refused(IdentityRefusal::NotGiven));
    }
    let open_already = state
        .store
        .identity_requests_of_case(case_id)
        .await?
        .iter()
        .any(|r| r.requested_by == staff.user_id && r.state != RequestState::Denied);
    if open_already {
        return Err(refused(IdentityRefusal::RequestOpen));
    }
    let custodians = custodian_recipients(state).await?;
    if custodians.is_empty() {
        return Err(refused(IdentityRefusal::NoCustodian));
    }
    let own = staff.identity.to_public();
    let mut recipients: Vec<&AnyRecipient> = custodians.iter().map(|(_, r)| r).collect();
    recipients.push(&own);
    let sealed = seal_to(&recipients, reason.as_str().as_bytes())?;
    let id = Uuid::new_v4();
    audit_log::record(
        &*state.store,
        state.now(),
        staff
            .event_on(action::IDENTITY_REQUESTED, case_id)
            .with_detail(json!({ "request_id": id })),
    )
    .await?;
    let stored = state
        .store
        .insert_identity_request(&IdentityRequest {
            id,
            case_id,
            requested_by: staff.user_id,
            reason: sealed,
            requested_at: state.now(),
            state: RequestState::Pending,
            decided_by: None,
            decided_at: None,
            decision_reason: None,
            released: None,
            readable_from: None,
        })
        .await;
    match stored {
        Ok(()) => Ok(id),
        Err(StoreError::Conflict) => Err(refused(IdentityRefusal::RequestOpen)),
        Err(e) => Err(e.into()),
    }
}

/// A request as a custodian sees it.
pub struct RequestView {
    /// Its id.
    pub id: Uuid,
    /// The case.
    pub case_id: Uuid,
    /// The handler who asked (display name; their id if the account is gone).
    pub requested_by: String,
    /// When.
    pub requested_at: i64,
    /// Why, if this custodian's key opens it.
    pub reason: Option<String>,
    /// Where it stands.
    pub state: RequestState,
    /// Who decided (display name).
    pub decided_by: Option<String>,
    /// The decision and its reason.
    pub decided: Option<Decided>,
    /// From when a released identity is readable.
    pub readable_from: Option<i64>,
}

impl Drop for RequestView {
    fn drop(&mut self) {
        if let Some(r) = self.reason.as_mut() {
            r.zeroize();
        }
        if let Some(r) = self.decided.as_mut().and_then(|d| d.reason.as_mut()) {
            r.zeroize();
        }
    }
}

fn custodian_of(staff: &StaffMember) -> CoreResult<()> {
    if authz::staff_may(staff, Permission::KeepIdentities) {
        Ok(())
    } else {
        Err(CoreError::Forbidden)
    }
}

/// Every request, pending first, with the reasons this custodian can read.
/// Audited (the reasons are about cases).
pub async fn custodian_requests(
    state: &Core,
    custodian: &StaffMember,
) -> CoreResult<Vec<RequestView>> {
    custodian_of(custodian)?;
    let users = state.store.users_shared().await?;
    let name = |id: Uuid| {
        users
            .iter()
            .find(|u| u.id == id)
            .map_or_else(|| id.to_string(), |u| u.display_name.clone())
    };
    let requests = state.store.identity_requests().await?;
    audit_log::record(
        &*state.store,
        state.now(),
        AuditEvent::new(custodian.audit(), action::IDENTITY_REQUESTS_READ)
            .with_detail(json!({ "requests": requests.len() })),
    )
    .await?;
    Ok(requests
        .into_iter()
        .map(|r| RequestView {
            id: r.id,
            case_id: r.case_id,
            requested_by: name(r.requested_by),
            requested_at: r.requested_at,
            reason: open_text(&custodian.identity, &r.reason),
            state: r.state,
            decided_by: r.decided_by.map(name),
            decided: r.decided_at.map(|at| Decided {
                at,
                reason: r
                    .decision_reason
                    .as_deref()
                    .and_then(|s| open_text(&custodian.identity, s)),
            }),
            readable_from: r.readable_from,
        })
        .collect())
}

/// A custodian's answer to a request.
pub struct DecisionInput {
    /// Approve (or deny).
    pub approve: bool,
    /// Why.
    pub reason: TextField,
}

/// The decision as input, parsed from `decision` (`approve` or `deny`) and
/// `reason`.
pub fn parse_decision(
    decision: &str,
    reason: &str,
    max_chars: usize,
) -> Result<DecisionInput, CoreError> {
    let approve = match decision.trim() {
        "approve" => Some(true),
        "deny" => Some(false),
        _ => None,
    };
    let reason = TextField::parse(reason, max_chars);
    let mut errors = Vec::new();
    if approve.is_none() {
        errors.push(FieldError {
            field: "decision",
            problem: FieldProblem::Unknown,
        });
    }
    if let Err(e) = &reason {
        errors.push(FieldError {
            field: "reason",
            problem: match e {
                TextFieldError::Empty => FieldProblem::Required,
                TextFieldError::TooLong { max } => FieldProblem::TooLong { max: *max },
            },
        });
    }
    match (approve, reason) {
        (Some(approve), Ok(reason)) => Ok(DecisionInput { approve, reason }),
        _ => Err(CoreError::Invalid(errors)),
    }
}

/// What a decision did.
pub struct DecisionOutcome {
    /// Approved (or denied).
    pub approved: bool,
    /// From when the handler can read the identity (approved).
    pub readable_from: Option<i64>,
}

/// The text of the notice the reporter reads in their thread, in the
/// server's default language.
fn notice_text(state: &Core, readable_from: i64) -> String {
    let lang = Lang::parse(&state.settings.server.default_language).unwrap_or_default();
    let t = Translator::new(lang);
    let when = time::OffsetDateTime::from_unix_timestamp(readable_from)
        .map(|d| {
            format!(
                "{:02}.{:02}.{} {:02}:{:02} UTC",
                d.day(),
                u8::from(d.month()),
                d.year(),
                d.hour(),
                d.minute()
            )
        })
        .unwrap_or_default();
    t.f("custodian.notice.thread_message", &[("time", &when)])
}

/// A custodian approves or denies request `id`. On approval the identity is
/// opened with the custodian's key and sealed to the requesting handler
/// alone, the reporter is told in the case thread, and the handler can read
/// it after the notice period.
pub async fn decide(
    state: &Core,
    custodian: &StaffMember,
    id: Uuid,
    input: &DecisionInput,
) -> CoreResult<DecisionOutcome> {
    custodian_of(custodian)?;
    let request = state
        .store
        .identity_request(id)
        .await?
        .ok_or(CoreError::NotFound)?;
    if request.state != RequestState::Pending {
        return Err(refused(IdentityRefusal::AlreadyDecided));
    }
    if request.requested_by == custodian.user_id {
        return Err(refused(IdentityRefusal::OwnRequest));
    }
    let requester = state
        .store
        .user_by_id(request.requested_by)
        .await?
        .filter(|u| u.active)
        .ok_or(CoreError::NotFound)?;
    let requester_key = keys::recipient(&requester.recipient)?;
    // The reason reaches the handler and every custodian.
    let custodians = custodian_recipients(state).await?;
    let mut to: Vec<&AnyRecipient> = custodians.iter().map(|(_, r)| r).collect();
    to.push(&requester_key);
    let reason = seal_to(&to, input.reason.as_str().as_bytes())?;
    let now = state.now();
    if !input.approve {
        audit_log::record(
            &*state.store,
            now,
            custodian
                .event_on(action::IDENTITY_DENIED, request.case_id)
                .with_detail(json!({ "request_id": id, "requested_by": requester.id })),
        )
        .await?;
        state
            .store
            .decide_identity_request(&IdentityDecision {
                id,
                state: RequestState::Denied,
                decided_by: custodian.user_id,
                decided_at: now,
                reason: &reason,
                released: None,
                readable_from: None,
            })
            .await
            .map_err(lost_race)?;
        return Ok(DecisionOutcome {
            approved: false,
            readable_from: None,
        });
    }
    let stored = state
        .store
        .identity_of(request.case_id)
        .await?
        .ok_or(CoreError::NotFound)?;
    let plaintext = keys::open(&custodian.identity, &stored.sealed)
        .map_err(|_| refused(IdentityRefusal::NotSealedToYou))?;
    let released = seal_to(&[&requester_key], &plaintext)?;
    drop(plaintext);
    let readable_from = now + i64::from(state.settings.identity.notice_hours) * 3600;
    let case = state
        .store
        .case_by_id(request.case_id)
        .await?
        .ok_or(CoreError::NotFound)?;
    let case_recipient = keys::recipient(&case.recipient)?;
    let notice = Message {
        id: Uuid::new_v4(),
        case_id: case.id,
        seq: 0,
        author: Author::Staff,
        author_user_id: None,
        created_at: now,
        kind: crate::core::store::MessageKind::Message,
        body: keys::seal(
            &case_recipient,
            notice_text(state, readable_from).as_bytes(),
        )?,
    };
    audit_log::record(
        &*state.store,
        now,
        custodian
            .event_on(action::IDENTITY_APPROVED, case.id)
            .with_detail(json!({
                "request_id": id,
                "requested_by": requester.id,
                "readable_from": readable_from,
            })),
    )
    .await?;
    // The reporter is told first. Should the decision then fail to store
    // (another custodian decided meanwhile), the reporter has been told of a
    // release that may not happen: the safe side of the two.
    state.store.add_message(&notice).await?;
    audit_log::record(
        &*state.store,
        now,
        custodian
            .event_on(action::IDENTITY_NOTICE_SENT, case.id)
            .with_detail(json!({ "request_id": id, "message_id": notice.id })),
    )
    .await?;
    state
        .store
        .decide_identity_request(&IdentityDecision {
            id,
            state: RequestState::Approved,
            decided_by: custodian.user_id,
            decided_at: now,
            reason: &reason,
            released: Some(&released),
            readable_from: Some(readable_from),
        })
        .await
        .map_err(lost_race)?;
    Ok(DecisionOutcome {
        approved: true,
        readable_from: Some(readable_from),
    })
}

fn lost_race(e: StoreError) -> CoreError {
    match e {
        StoreError::NotFound => refused(IdentityRefusal::AlreadyDecided),
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_draft_is_no_identity_and_limits_hold() {
        let limits = IdentitySettings {
            max_name_chars: 5,
            ..IdentitySettings::default()
        };
        assert!(matches!(IdentityDraft::default().parse(&limits), Ok(None)));
        let blank = IdentityDraft {
            name: "  ",
            contact: "\n",
            role: "",
        };
        assert!(matches!(blank.parse(&limits), Ok(None)));
        let long = IdentityDraft {
            name: "Kari Nordmann",
            ..IdentityDraft::default()
        };
        let errors = long.parse(&limits).err().unwrap_or_default();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "identity_name");
        let ok = IdentityDraft {
            name: " Kari ",
            contact: "",
            role: "Renhold",
        };
        let parsed = ok.parse(&limits).ok().flatten();
        assert_eq!(parsed.as_ref().map(|i| i.name.as_str()), Some("Kari"));
        assert_eq!(parsed.as_ref().map(|i| i.contact.as_str()), Some(""));
    }

    #[test]
    fn a_decision_is_approve_or_deny_with_a_reason() {
        assert!(parse_decision("approve", "Nødvendig", 100).is_ok_and(|d| d.approve));
        assert!(parse_decision("deny", "Ikke nødvendig", 100).is_ok_and(|d| !d.approve));
        let Err(CoreError::Invalid(errors)) = parse_decision("maybe", "", 100) else {
            panic!("refused");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["decision", "reason"]);
    }

    #[test]
    fn only_active_custodians_with_a_key_keep_identities() {
        let key = crate::core::keys::KeyKind::Hybrid
            .generate()
            .to_public()
            .to_string();
        let user = |roles: Vec<Role>, active: bool, recipient: &str| User {
            id: Uuid::new_v4(),
            username: "u".into(),
            display_name: "U".into(),
            roles,
            recipient: recipient.to_owned(),
            wrapped_identity: Vec::new(),
            email: None,
            active,
            groups: Vec::new(),
            created_at: 0,
        };
        let keeper = user(vec![Role::Custodian], true, &key);
        let users = vec![
            user(vec![Role::Handler], true, &key),
            user(vec![Role::Custodian], false, &key),
            user(vec![Role::Custodian], true, "not a key"),
            keeper.clone(),
        ];
        let found: Vec<Uuid> = custodians(&users).into_iter().map(|(id, _)| id).collect();
        assert_eq!(found, [keeper.id]);
    }
}
