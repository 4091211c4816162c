//! Two-factor login for staff: a TOTP code ([`crate::core::totp`]) or a
//! single-use recovery code after the password.
//!
//! - **The secret** is sealed (age, X25519) to the user's own recipient, so
//!   only their key, which their password unlocks, opens it: a stolen
//!   database yields no secret. A secret that no longer opens (the user's key
//!   was replaced) counts as not enrolled; [`forget`] deletes it.
//! - **Enrolment** keeps a new secret as pending until a code from it
//!   confirms it; the confirmed secret it replaces works until then.
//! - **Recovery codes** are kept as keyed hashes, HMAC-SHA-256 under the
//!   user's own identity, compared in constant time, deleted when used.
//! - **A code never works twice**: the last accepted time step is kept and
//!   only a later one is accepted (one conditional update, so two requests
//!   racing with the same code cannot both win).
//! - **A pending login** (browser only) is the password step done and the
//!   second still to come: a row keyed, like a session, by a one-way lookup
//!   key of a random secret that only the browser's cookie holds, with the
//!   unlocked identity sealed under that secret, ending after
//!   [`PENDING_SECONDS`] or [`PENDING_ATTEMPTS`] codes tried.
//! - **Who must**: the setting [`REQUIREMENT_SETTING`] (nobody, every staff
//!   member, or chosen roles), set by an administrator.

use anyhow::anyhow;
use hmac::{Hmac, Mac};
use rand::Rng;
use serde_json::json;
use sha2::Sha256;
use subtle::ConstantTimeEq;
use uuid::Uuid;
use varsel_crypto::AnyIdentity;
use zeroize::Zeroizing;

use crate::core::actor::StaffMember;
use crate::core::audit::{action, AuditActor, AuditEvent};
use crate::core::audit_log;
use crate::core::authz::{self, Permission};
use crate::core::domain::Role;
use crate::core::error::{CoreError, CoreResult, FieldError, FieldProblem, Refusal};
use crate::core::keys;
use crate::core::service::Core;
use crate::core::totp::TotpSecret;

mod login;

pub use login::{
    api_login, cancel_pending, complete_pending, page_login, pending_if_due, pending_view,
    Completed, PasswordStep, PendingView,
};

/// Name of the setting saying who must log in with two factors.
pub const REQUIREMENT_SETTING: &str = "two_factor_required";
/// How long a pending login waits for its second factor, in seconds.
pub const PENDING_SECONDS: i64 = 300;
/// How many codes a pending login may try.
pub const PENDING_ATTEMPTS: i64 = 5;
/// How many recovery codes an enrolment gives.
pub const RECOVERY_CODES: usize = 10;
/// Characters of a recovery code (about 59 bits).
const RECOVERY_CODE_CHARS: usize = 12;
/// The alphabet of recovery codes: no 0/o, 1/l/i.
const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
/// Domain separation of the recovery codes' keyed hashes.
const RECOVERY_LABEL: &[u8] = b"varsel.two_factor.recovery.v1:";
/// The issuer authenticator apps show.
const ISSUER: &str = "Varsel";

/// Who must log in with two factors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requirement {
    /// Nobody (those enrolled still are asked).
    Nobody,
    /// Every staff member.
    Everyone,
    /// Holders of any of these roles.
    Roles(Vec<Role>),
}

impl Requirement {
    /// Parses the stored setting: `none`, `all` or `roles:<role>,<role>`;
    /// anything else (or no role) is [`Requirement::Nobody`].
    pub fn parse(stored: &str) -> Self {
        match stored.trim() {
            "all" => Requirement::Everyone,
            other => match other.strip_prefix("roles:") {
                Some(list) => {
                    let roles: Vec<Role> = Role::ALL
                        .into_iter()
                        .filter(|r| list.split(',').any(|k| k.trim() == r.key()))
                        .collect();
                    if roles.is_empty() {
                        Requirement::Nobody
                    } else {
                        Requirement::Roles(roles)
                    }
                }
                None => Requirement::Nobody,
            },
        }
    }

    /// The stored form, as [`Requirement::parse`] reads it.
    pub fn to_setting(&self) -> String {
        match self {
            Requirement::Nobody => "none".to_owned(),
            Requirement::Everyone => "all".to_owned(),
            Requirement::Roles(roles) => {
                let keys: Vec<&str> = roles.iter().map(|r| r.key()).collect();
                format!("roles:{}", keys.join(","))
            }
        }
    }

    /// Whether a staff member with `roles` must use two factors.
    pub fn applies_to(&self, roles: &[Role]) -> bool {
        match self {
            Requirement::Nobody => false,
            Requirement::Everyone => true,
            Requirement::Roles(required) => roles.iter().any(|r| required.contains(r)),
        }
    }
}

/// Who must log in with two factors now.
pub async fn requirement(core: &Core) -> CoreResult<Requirement> {
    Ok(core
        .store
        .setting(REQUIREMENT_SETTING)
        .await?
        .map(|s| Requirement::parse(&s))
        .unwrap_or(Requirement::Nobody))
}

/// Sets who must log in with two factors (administrators only); audited.
pub async fn set_requirement(
    core: &Core,
    admin: &StaffMember,
    requirement: &Requirement,
) -> CoreResult<()> {
    if !authz::staff_may(admin, Permission::Administer) {
        return Err(CoreError::Forbidden);
    }
    let value = requirement.to_setting();
    core.store.set_setting(REQUIREMENT_SETTING, &value).await?;
    audited(
        core,
        AuditEvent::new(admin.audit(), action::TWO_FACTOR_REQUIREMENT_SET)
            .with_detail(json!({ "required": value })),
    )
    .await
}

/// Staff accounts and whether each is enrolled, by username (administrators only).
pub async fn enrolment_overview(
    core: &Core,
    admin: &StaffMember,
) -> CoreResult<Vec<(String, bool)>> {
    if !authz::staff_may(admin, Permission::Administer) {
        return Err(CoreError::Forbidden);
    }
    let enrolled = core.store.two_factor_users().await?;
    let users = core.store.users_shared().await?;
    Ok(users
        .iter()
        .filter(|u| u.active)
        .map(|u| (u.username.clone(), enrolled.contains(&u.id)))
        .collect())
}

/// A secret being set up: what the authenticator app is given.
pub struct Setup {
    /// The secret in base32, to type in.
    pub secret_base32: Zeroizing<String>,
    /// The `otpauth://` URI, for the QR code.
    pub uri: Zeroizing<String>,
}

/// A staff member's two-factor state, as their account page shows it.
pub struct Status {
    /// Whether a confirmed secret opens with their key.
    pub enrolled: bool,
    /// Whether they must use two factors.
    pub required: bool,
    /// Recovery codes not used yet.
    pub recovery_codes_left: usize,
    /// A secret being set up, if any.
    pub setup: Option<Setup>,
}

/// New recovery codes, shown once.
pub struct RecoveryCodes(pub Vec<Zeroizing<String>>);

/// The factor a login was completed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Factor {
    /// A TOTP code.
    Totp,
    /// A recovery code (now used up).
    RecoveryCode,
}

impl Factor {
    /// How the audit log names it.
    pub fn key(self) -> &'static str {
        match self {
            Factor::Totp => "totp",
            Factor::RecoveryCode => "recovery_code",
        }
    }
}

/// The staff member's two-factor state; opens a secret being set up.
pub async fn status(core: &Core, staff: &StaffMember) -> CoreResult<Status> {
    let stored = core.store.two_factor(staff.user_id).await?;
    let enrolled = confirmed_secret(core, staff).await?.is_some();
    let recovery_codes_left = if enrolled {
        core.store.recovery_tags(staff.user_id).await?.len()
    } else {
        0
    };
    let setup = stored
        .and_then(|s| s.pending_secret)
        .and_then(|sealed| open_secret(&staff.identity, &sealed))
        .map(|secret| setup_of(&secret, &staff.username));
    Ok(Status {
        enrolled,
        required: requirement(core).await?.applies_to(&staff.roles),
        recovery_codes_left,
        setup,
    })
}

/// Starts setting up a new secret (kept pending until confirmed). One who
/// is enrolled proves it is them first: `proof` is a current code or
/// their password.
pub async fn begin_enrolment(
    core: &Core,
    staff: &StaffMember,
    proof: Option<Zeroizing<String>>,
) -> CoreResult<Setup> {
    if confirmed_secret(core, staff).await?.is_some() {
        reauthenticate(core, staff, proof).await?;
    }
    new_pending_secret(core, staff).await
}

/// Whether `code` has the form of a TOTP code (six digits, spaces aside).
fn is_totp_code(code: &str) -> bool {
    let digits: Vec<char> = code.chars().filter(|c| !c.is_whitespace()).collect();
    digits.len() == crate::core::totp::DIGITS as usize && digits.iter().all(char::is_ascii_digit)
}

/// Confirms the secret being set up with a `code` from it: it replaces any
/// earlier one and new recovery codes replace the old. Audited. A `code`
/// that is not six digits is `Invalid`; nothing set up is `Conflict`.
pub async fn confirm_enrolment(
    core: &Core,
    staff: &StaffMember,
    code: &str,
) -> CoreResult<RecoveryCodes> {
    if !is_totp_code(code) {
        return Err(CoreError::Invalid(vec![FieldError {
            field: "code",
            problem: FieldProblem::Malformed,
        }]));
    }
    let pending = core
        .store
        .two_factor(staff.user_id)
        .await?
        .and_then(|s| s.pending_secret);
    // Nothing set up (or sealed to a key since replaced): nothing to confirm.
    let Some(secret) = pending
        .as_deref()
        .and_then(|sealed| open_secret(&staff.identity, sealed))
    else {
        return Err(CoreError::Conflict);
    };
    let sealed = pending.unwrap_or_default();
    let Some(step) = secret.matching_step(code, core.now()) else {
        audited(core, failure(staff, "enrolment")).await?;
        return Err(CoreError::Refused(Refusal::SecondFactorFailed));
    };
    let (codes, tags) = new_recovery_codes(staff);
    core.store
        .confirm_two_factor(staff.user_id, &sealed, step, &tags, core.now())
        .await?;
    audited(
        core,
        AuditEvent::new(staff.audit(), action::TWO_FACTOR_ENROLLED),
    )
    .await?;
    Ok(codes)
}

/// Makes new recovery codes (the old stop working), after `proof` (a
/// current code or the password). Audited. Not enrolled: `Conflict`.
pub async fn renew_recovery_codes(
    core: &Core,
    staff: &StaffMember,
    proof: Option<Zeroizing<String>>,
) -> CoreResult<RecoveryCodes> {
    if confirmed_secret(core, staff).await?.is_none() {
        return Err(CoreError::Conflict);
    }
    reauthenticate(core, staff, proof).await?;
    let (codes, tags) = new_recovery_codes(staff);
    core.store
        .replace_recovery_tags(staff.user_id, &tags)
        .await?;
    audited(
        core,
        AuditEvent::new(staff.audit(), action::TWO_FACTOR_RECOVERY_CODES_RENEWED),
    )
    .await?;
    Ok(codes)
}

/// Deletes the TOTP secret and recovery codes of `user_id`: for after their
/// key was replaced, when the sealed secret can no longer be opened. If two
/// factors are required of them they enrol again at their next login.
pub async fn forget(core: &Core, user_id: Uuid) -> CoreResult<()> {
    core.store.forget_two_factor(user_id).await?;
    audited(
        core,
        AuditEvent::new(AuditActor::System, action::TWO_FACTOR_FORGOTTEN)
            .with_detail(json!({ "user_id": user_id })),
    )
    .await
}

/// Proves it is the staff member before a change: `proof` is a current
/// TOTP code (used up) or their password. A failure is recorded.
async fn reauthenticate(
    core: &Core,
    staff: &StaffMember,
    proof: Option<Zeroizing<String>>,
) -> CoreResult<()> {
    let Some(proof) = proof.filter(|p| !p.is_empty()) else {
        return Err(CoreError::Refused(Refusal::SecondFactorFailed));
    };
    if let Some(secret) = confirmed_secret(core, staff).await? {
        if let Some(step) = secret.matching_step(&proof, core.now()) {
            if core.store.use_totp_step(staff.user_id, step).await? {
                return Ok(());
            }
        }
    }
    let user = core
        .store
        .user_by_id(staff.user_id)
        .await?
        .ok_or(CoreError::NotFound)?;
    let wrapped = user.wrapped_identity;
    let unlocked = core
        .password_checks
        .unlock(wrapped, &proof, core.settings.security.password_work_factor)
        .await?;
    if unlocked.is_ok() {
        return Ok(());
    }
    audited(core, failure(staff, "reauthentication")).await?;
    Err(CoreError::Refused(Refusal::SecondFactorFailed))
}

/// The confirmed secret of `staff`, if there is one and it opens with their key.
async fn confirmed_secret(core: &Core, staff: &StaffMember) -> CoreResult<Option<TotpSecret>> {
    Ok(core
        .store
        .two_factor(staff.user_id)
        .await?
        .and_then(|s| s.sealed_secret)
        .and_then(|sealed| open_secret(&staff.identity, &sealed)))
}

/// Makes and keeps (sealed) a new secret to set up.
async fn new_pending_secret(core: &Core, staff: &StaffMember) -> CoreResult<Setup> {
    let secret = TotpSecret::generate();
    let sealed = keys::seal(&staff.identity.to_public(), secret.as_bytes())?;
    core.store
        .set_pending_two_factor(staff.user_id, &sealed)
        .await?;
    Ok(setup_of(&secret, &staff.username))
}

fn setup_of(secret: &TotpSecret, username: &str) -> Setup {
    Setup {
        secret_base32: secret.to_base32(),
        uri: secret.otpauth_uri(ISSUER, username),
    }
}

fn open_secret(identity: &dyn varsel_crypto::Identity, sealed: &[u8]) -> Option<TotpSecret> {
    keys::open(identity, sealed)
        .ok()
        .map(|bytes| TotpSecret::from_bytes(&bytes))
}

/// Uses up the recovery code `code` of `staff`, if it is one of theirs.
/// Codes made before a key upgrade are hashed under the earlier key: each
/// key of the ring is tried.
async fn use_recovery_code(core: &Core, staff: &StaffMember, code: &str) -> CoreResult<bool> {
    let stored = core.store.recovery_tags(staff.user_id).await?;
    for key in staff.identity.keys() {
        let Some(tag) = recovery_tag(key, staff.user_id, code) else {
            return Ok(false);
        };
        let mut found = false;
        for candidate in &stored {
            found |= candidate.len() == tag.len() && bool::from(candidate.ct_eq(&tag[..]));
        }
        if found {
            return Ok(core.store.use_recovery_tag(staff.user_id, &tag).await?);
        }
    }
    Ok(false)
}

/// New recovery codes and their keyed hashes.
fn new_recovery_codes(staff: &StaffMember) -> (RecoveryCodes, Vec<[u8; 32]>) {
    let mut rng = rand::rngs::OsRng;
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    let mut tags = Vec::with_capacity(RECOVERY_CODES);
    while codes.len() < RECOVERY_CODES {
        let mut code = Zeroizing::new(String::with_capacity(RECOVERY_CODE_CHARS + 2));
        for i in 0..RECOVERY_CODE_CHARS {
            if i > 0 && i % 4 == 0 {
                code.push('-');
            }
            let pick = rng.gen_range(0..RECOVERY_ALPHABET.len());
            code.push(char::from(RECOVERY_ALPHABET[pick]));
        }
        if let Some(tag) = recovery_tag(staff.identity.current(), staff.user_id, &code) {
            if !tags.contains(&tag) {
                tags.push(tag);
                codes.push(code);
            }
        }
    }
    (RecoveryCodes(codes), tags)
}

/// The keyed hash of a recovery code: `HMAC-SHA-256(key = the user's
/// identity, RECOVERY_LABEL || user id || ":" || code)`, the code without
/// dashes or spaces, lower case. `None` for what cannot be a code.
fn recovery_tag(key: &AnyIdentity, user_id: Uuid, code: &str) -> Option<[u8; 32]> {
    let normal: Zeroizing<String> = Zeroizing::new(
        code.chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_lowercase())
            .collect(),
    );
    if normal.len() != RECOVERY_CODE_CHARS || !normal.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let key = key.to_bech32();
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.as_bytes()).ok()?;
    mac.update(RECOVERY_LABEL);
    mac.update(user_id.as_bytes());
    mac.update(b":");
    mac.update(normal.as_bytes());
    Some(mac.finalize().into_bytes().into())
}

fn failure(staff: &StaffMember, during: &'static str) -> AuditEvent {
    AuditEvent::new(staff.audit(), action::TWO_FACTOR_FAILED)
        .with_detail(json!({ "during": during }))
}

async fn audited(core: &Core, event: AuditEvent) -> CoreResult<()> {
    audit_log::record(&*core.store, core.now(), event)
        .await
        .map_err(|e| CoreError::Internal(anyhow!("cannot write the audit log: {e}")))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_requirement_reads_back_what_it_stores() {
        for r in [
            Requirement::Nobody,
            Requirement::Everyone,
            Requirement::Roles(vec![Role::Handler, Role::Admin]),
        ] {
            assert_eq!(Requirement::parse(&r.to_setting()), r);
        }
        assert_eq!(Requirement::parse("roles:nonsense"), Requirement::Nobody);
        assert_eq!(Requirement::parse(""), Requirement::Nobody);
        let handlers = Requirement::Roles(vec![Role::Handler]);
        assert!(handlers.applies_to(&[Role::Auditor, Role::Handler]));
        assert!(!handlers.applies_to(&[Role::Auditor]));
        assert!(Requirement::Everyone.applies_to(&[Role::Auditor]));
    }

    fn staff() -> StaffMember {
        StaffMember {
            user_id: Uuid::new_v4(),
            username: "ola".into(),
            display_name: "Ola".into(),
            roles: vec![Role::Handler],
            identity: crate::core::keys::KeyKind::Hybrid.generate().into(),
        }
    }

    #[test]
    fn recovery_codes_are_distinct_and_hashed_under_the_users_key() {
        let ola = staff();
        let (codes, tags) = new_recovery_codes(&ola);
        assert_eq!(codes.0.len(), RECOVERY_CODES);
        assert_eq!(tags.len(), RECOVERY_CODES);
        let first = &codes.0[0];
        let tag =
            |who: &StaffMember, code: &str| recovery_tag(who.identity.current(), who.user_id, code);
        assert_eq!(tag(&ola, first), Some(tags[0]));
        // Typed without dashes, in capitals: the same code.
        let typed = first.replace('-', "").to_uppercase();
        assert_eq!(tag(&ola, &typed), Some(tags[0]));
        // Another user's key gives another hash.
        assert_ne!(tag(&staff(), first), Some(tags[0]));
        assert_eq!(tag(&ola, "short"), None);
    }
}
