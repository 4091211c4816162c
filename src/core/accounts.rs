//! The staff account lifecycle (issue 11): creating an account with its key
//! pair, listing accounts, setting roles and groups, deactivating and
//! reactivating. The admin pages, the API and the CLI all call these; every
//! change is in the audit log, written in the transaction of the change.
//!
//! Deactivation removes the account from everything that gives access:
//! sessions, groups (so every routing) and every key wrap it holds. It is
//! refused, naming the cases, while a case it holds would then be held by no
//! other active staff member and not by the recovery key: that case would
//! become unreadable forever. Reactivation gives the account back its login
//! only; access comes back through groups and the routing rules.
//!
//! Guardrails: only an account with the handler or contact-point role may
//! be in a handler group, and a routing rule must reach at least one active
//! handler or contact point through its groups.

use serde_json::json;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::core::actor::Actor;
use crate::core::audit::{action, AuditActor, AuditEvent};
use crate::core::audit_log;
use crate::core::authz::{self, Permission};
use crate::core::casework::RECOVERY_SETTING;
pub use crate::core::domain::account::{case_reference, AccountRefusal};
use crate::core::domain::Role;
use crate::core::error::{CoreError, CoreResult, FieldError, FieldProblem, Refusal};
use crate::core::service::Core;
use crate::core::store::{Deactivation, DeactivationRefused, Store, StoreError, User};

/// Shortest password accepted for staff accounts, in characters.
pub use crate::core::domain::password::MIN_PASSWORD_CHARS;
/// Longest password accepted, in characters.
pub const MAX_PASSWORD_CHARS: usize = 1024;
/// Longest display name, in characters.
pub const MAX_DISPLAY_NAME_CHARS: usize = 100;
/// Longest e-mail address, in characters.
pub const MAX_EMAIL_CHARS: usize = 254;
/// The setting that records when the recovery key was set (UNIX seconds),
/// written by `varsel recovery-key init`.
pub const RECOVERY_SET_AT_SETTING: &str = "recovery_key_set_at";

impl From<AccountRefusal> for CoreError {
    fn from(r: AccountRefusal) -> Self {
        CoreError::Refused(Refusal::Account(r))
    }
}

/// Whether an account with `roles` may be in a handler group.
pub fn may_be_in_groups(roles: &[Role]) -> bool {
    roles.contains(&Role::Handler) || roles.contains(&Role::Contact)
}

/// Refuses putting `user` in a handler group unless it is an active
/// handler or contact point.
pub fn check_group_member(user: &User) -> Result<(), AccountRefusal> {
    if !user.active {
        Err(AccountRefusal::Inactive)
    } else if !may_be_in_groups(&user.roles) {
        Err(AccountRefusal::NotCaseWorker)
    } else {
        Ok(())
    }
}

/// How many active handlers are in any of `groups` (a group rule reaches
/// the handlers of its groups; contact points are reached by the escalation
/// settings, not by groups: `routing::members`).
pub fn reachable_case_workers(users: &[User], groups: &[String]) -> usize {
    users
        .iter()
        .filter(|u| u.active && u.roles.contains(&Role::Handler))
        .filter(|u| u.groups.iter().any(|g| groups.contains(g)))
        .count()
}

/// Refuses a routing rule whose groups hold no active handler.
pub fn check_rule_reaches(users: &[User], groups: &[String]) -> Result<(), AccountRefusal> {
    if reachable_case_workers(users, groups) == 0 {
        Err(AccountRefusal::RuleReachesNoOne)
    } else {
        Ok(())
    }
}

/// Who the audit log names for `actor`, if it may administer accounts: an
/// administrator, or the operator at the command line.
fn administrator(actor: &Actor) -> CoreResult<AuditActor> {
    match actor {
        Actor::Cli => Ok(AuditActor::Cli),
        other => authz::decide(Some(other), Permission::Administer)
            .map(|()| other.audit())
            .map_err(|_| CoreError::Forbidden),
    }
}

/// The account named `username`; `NotFound` if there is none.
async fn account(core: &Core, username: &str) -> CoreResult<User> {
    core.store
        .user_by_username(username.trim())
        .await?
        .ok_or(CoreError::NotFound)
}

/// An account as the administrator sees it.
#[derive(Debug, Clone)]
pub struct Account {
    /// The account (no key material is shown from it).
    pub user: User,
    /// When it was deactivated (UNIX seconds), if it is and the time is known.
    pub deactivated_at: Option<i64>,
}

/// Every account, ordered by username.
pub async fn list(core: &Core, actor: &Actor) -> CoreResult<Vec<Account>> {
    administrator(actor)?;
    let users = core.store.list_users().await?;
    let times = core.store.deactivation_times().await?;
    Ok(users
        .into_iter()
        .map(|user| {
            let deactivated_at = times.iter().find(|(id, _)| *id == user.id).map(|(_, t)| *t);
            Account {
                user,
                deactivated_at,
            }
        })
        .collect())
}

/// One account by username.
pub async fn get(core: &Core, actor: &Actor, username: &str) -> CoreResult<Account> {
    administrator(actor)?;
    let user = account(core, username).await?;
    let deactivated_at = core
        .store
        .deactivation_times()
        .await?
        .into_iter()
        .find(|(id, _)| *id == user.id)
        .map(|(_, t)| t);
    Ok(Account {
        user,
        deactivated_at,
    })
}

/// A new account as asked for, before it is checked.
#[derive(Default)]
pub struct AccountDraft {
    /// Login name.
    pub username: String,
    /// Name shown to colleagues; the username if empty.
    pub display_name: String,
    /// E-mail address for notifications; none if empty.
    pub email: String,
    /// Role keys.
    pub roles: Vec<String>,
    /// Group names.
    pub groups: Vec<String>,
    /// The initial password.
    pub password: Zeroizing<String>,
}

/// A checked new account.
pub struct NewAccount {
    username: String,
    display_name: String,
    email: Option<String>,
    roles: Vec<Role>,
    groups: Vec<String>,
    password: Zeroizing<String>,
}

/// Parses role keys: each known, each once, at least one.
pub fn parse_roles(keys: &[String]) -> Result<Vec<Role>, FieldError> {
    let mut roles = Vec::new();
    for key in keys {
        let role = Role::parse(key.trim()).ok_or(FieldError {
            field: "roles",
            problem: FieldProblem::Unknown,
        })?;
        if !roles.contains(&role) {
            roles.push(role);
        }
    }
    if roles.is_empty() {
        return Err(FieldError {
            field: "roles",
            problem: FieldProblem::Required,
        });
    }
    Ok(roles)
}

/// Whether `username` is 1–64 characters of ASCII letters, digits, `.`,
/// `_` or `-`.
pub fn valid_username(username: &str) -> bool {
    !username.is_empty()
        && username.len() <= 64
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

impl AccountDraft {
    /// The checked account, or one error per field that is wrong.
    pub fn parse(self) -> Result<NewAccount, Vec<FieldError>> {
        let mut errors = Vec::new();
        let username = self.username.trim().to_owned();
        if username.is_empty() {
            errors.push(FieldError {
                field: "username",
                problem: FieldProblem::Required,
            });
        } else if !valid_username(&username) {
            errors.push(FieldError {
                field: "username",
                problem: FieldProblem::Malformed,
            });
        }
        let display_name = match self.display_name.trim() {
            "" => username.clone(),
            name => name.to_owned(),
        };
        if display_name.chars().count() > MAX_DISPLAY_NAME_CHARS
            || display_name.chars().any(char::is_control)
        {
            errors.push(FieldError {
                field: "display_name",
                problem: FieldProblem::TooLong {
                    max: MAX_DISPLAY_NAME_CHARS,
                },
            });
        }
        let email = match self.email.trim() {
            "" => None,
            e if e.chars().count() > MAX_EMAIL_CHARS
                || !e.contains('@')
                || e.chars().any(|c| c.is_whitespace() || c.is_control()) =>
            {
                errors.push(FieldError {
                    field: "email",
                    problem: FieldProblem::Malformed,
                });
                None
            }
            e => Some(e.to_owned()),
        };
        let roles = parse_roles(&self.roles).unwrap_or_else(|e| {
            errors.push(e);
            Vec::new()
        });
        let mut groups: Vec<String> = Vec::new();
        for g in &self.groups {
            let g = g.trim();
            if !g.is_empty() && !groups.iter().any(|x| x == g) {
                groups.push(g.to_owned());
            }
        }
        let chars = self.password.chars().count();
        if chars < MIN_PASSWORD_CHARS {
            errors.push(FieldError {
                field: "password",
                problem: FieldProblem::Malformed,
            });
        } else if chars > MAX_PASSWORD_CHARS {
            errors.push(FieldError {
                field: "password",
                problem: FieldProblem::TooLong {
                    max: MAX_PASSWORD_CHARS,
                },
            });
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(NewAccount {
            username,
            display_name,
            email,
            roles,
            groups,
            password: self.password,
        })
    }
}

/// Creates the account with a new key pair (the private key wrapped under
/// its password). Groups must exist, unless `register_groups` (the CLI,
/// which registers a group named for the first time). Returns its id.
pub async fn create(
    core: &Core,
    actor: &Actor,
    new: NewAccount,
    register_groups: bool,
) -> CoreResult<Uuid> {
    let by = administrator(actor)?;
    if !new.groups.is_empty() && !may_be_in_groups(&new.roles) {
        return Err(AccountRefusal::NotCaseWorker.into());
    }
    if !register_groups {
        let known = core.store.groups().await?;
        if new
            .groups
            .iter()
            .any(|g| !known.iter().any(|k| k.name == *g))
        {
            return Err(CoreError::Invalid(vec![FieldError {
                field: "groups",
                problem: FieldProblem::Unknown,
            }]));
        }
    }
    // Checked before the slow key derivation and the audit entry.
    if core.store.user_by_username(&new.username).await?.is_some() {
        return Err(CoreError::Conflict);
    }
    let work_factor = core.settings.security.password_work_factor;
    let kind = crate::core::keys::KeyKind::new_keys(core.settings.security.hybrid_keys);
    let password = new.password;
    let (recipient, wrapped_identity) = tokio::task::spawn_blocking(move || {
        crate::core::keys::new_user_keys(password.as_bytes(), work_factor, kind)
    })
    .await
    .map_err(|e| CoreError::Internal(anyhow::anyhow!("key task failed: {e}")))??;
    let user = User {
        id: Uuid::new_v4(),
        username: new.username,
        display_name: new.display_name,
        roles: new.roles,
        recipient,
        wrapped_identity,
        email: new.email,
        active: true,
        groups: new.groups,
        created_at: core.now(),
    };
    audit_log::record(
        &*core.store,
        core.now(),
        AuditEvent::new(by, action::USER_CREATED).with_detail(json!({
            "user_id": user.id,
            "roles": user.roles.iter().map(|r| r.key()).collect::<Vec<_>>(),
            "groups": user.groups,
        })),
    )
    .await?;
    core.store.create_user(&user).await?;
    Ok(user.id)
}

/// Deactivates the account named `username` (see the module's note);
/// what it removed.
pub async fn deactivate(core: &Core, actor: &Actor, username: &str) -> CoreResult<Deactivation> {
    let by = administrator(actor)?;
    let user = account(core, username).await?;
    if actor.staff().is_some_and(|s| s.user_id == user.id) {
        return Err(AccountRefusal::OwnAccount.into());
    }
    keep_a_custodian(core, &user, &[]).await?;
    let audit = audit_log::prepare(
        core.now(),
        AuditEvent::new(by, action::USER_DEACTIVATED).with_detail(json!({
            "user": user.id,
            "groups": user.groups,
        })),
    );
    match core
        .store
        .deactivate_user(user.id, core.now(), audit)
        .await?
    {
        Ok(done) => Ok(done),
        Err(DeactivationRefused::AlreadyInactive) => Err(AccountRefusal::Inactive.into()),
        Err(DeactivationRefused::LastKeyHolder(cases)) => {
            Err(AccountRefusal::LastKeyHolder { cases }.into())
        }
    }
}

/// Refuses to leave reporters' identities readable by no one: `user`, about
/// to keep only `roles_after` (none: deactivated), is the last active
/// identity custodian while identities are stored. Identities are sealed to
/// the custodians' keys at the time they are given, so another custodian
/// must be appointed first (only identities given after that reach them;
/// see docs/identity.md).
async fn keep_a_custodian(core: &Core, user: &User, roles_after: &[Role]) -> CoreResult<()> {
    if !user.roles.contains(&Role::Custodian) || roles_after.contains(&Role::Custodian) {
        return Ok(());
    }
    let others = core
        .store
        .list_users()
        .await?
        .iter()
        .any(|u| u.id != user.id && u.active && u.roles.contains(&Role::Custodian));
    if others {
        return Ok(());
    }
    let cases = core.store.cases_with_identity().await?;
    if cases.is_empty() {
        return Ok(());
    }
    Err(AccountRefusal::LastCustodian { cases }.into())
}

/// Makes the deactivated account named `username` active again, with no
/// groups and no cases: access comes back through groups and routing.
pub async fn reactivate(core: &Core, actor: &Actor, username: &str) -> CoreResult<()> {
    let by = administrator(actor)?;
    let user = account(core, username).await?;
    if user.active {
        return Err(AccountRefusal::Active.into());
    }
    let audit = audit_log::prepare(
        core.now(),
        AuditEvent::new(by, action::USER_REACTIVATED).with_detail(json!({
            "user": user.id,
        })),
    );
    match core.store.reactivate_user(user.id, audit).await {
        Err(StoreError::Conflict) => Err(AccountRefusal::Active.into()),
        other => Ok(other?),
    }
}

/// Sets the roles of the account named `username`. Taking a role away ends
/// its sessions; an account left without the handler and contact roles
/// leaves its groups. Returns how many sessions ended.
pub async fn set_roles(
    core: &Core,
    actor: &Actor,
    username: &str,
    roles: &[String],
) -> CoreResult<u64> {
    let by = administrator(actor)?;
    let roles = parse_roles(roles).map_err(|e| CoreError::Invalid(vec![e]))?;
    let user = account(core, username).await?;
    if actor.staff().is_some_and(|s| s.user_id == user.id) && !roles.contains(&Role::Admin) {
        return Err(AccountRefusal::OwnAccount.into());
    }
    let removed: Vec<&str> = user
        .roles
        .iter()
        .filter(|r| !roles.contains(r))
        .map(|r| r.key())
        .collect();
    if user.active {
        keep_a_custodian(core, &user, &roles).await?;
    }
    let leave_groups = !may_be_in_groups(&roles) && !user.groups.is_empty();
    let changed = !removed.is_empty() || roles.iter().any(|r| !user.roles.contains(r));
    let audit = audit_log::prepare(
        core.now(),
        AuditEvent::new(by, action::USER_ROLES_CHANGED).with_detail(json!({
            "user": user.id,
            "roles": roles.iter().map(|r| r.key()).collect::<Vec<_>>(),
            "removed": removed,
            "left_groups": if leave_groups { user.groups.clone() } else { Vec::new() },
        })),
    );
    Ok(core
        .store
        // Any change ends the sessions: a removed role must stop working at
        // once, and an added one may fall under the two-factor requirement
        // that the session's login did not meet.
        .set_user_roles(user.id, &roles, leave_groups, changed, audit)
        .await?)
}

/// Sets the handler groups of the account named `username` (replacing
/// them). Only an active handler or contact point may be in one.
pub async fn set_groups(
    core: &Core,
    actor: &Actor,
    username: &str,
    groups: &[String],
) -> CoreResult<()> {
    let by = administrator(actor)?;
    let user = account(core, username).await?;
    let mut wanted: Vec<String> = Vec::new();
    for g in groups {
        let g = g.trim();
        if !g.is_empty() && !wanted.iter().any(|x| x == g) {
            wanted.push(g.to_owned());
        }
    }
    wanted.sort();
    if !wanted.is_empty() {
        check_group_member(&user)?;
    }
    let known = core.store.groups().await?;
    if wanted.iter().any(|g| !known.iter().any(|k| k.name == *g)) {
        return Err(CoreError::Invalid(vec![FieldError {
            field: "groups",
            problem: FieldProblem::Unknown,
        }]));
    }
    let audit = audit_log::prepare(
        core.now(),
        AuditEvent::new(by, action::USER_GROUPS_CHANGED).with_detail(json!({
            "user": user.id,
            "groups": wanted,
            "before": user.groups,
        })),
    );
    match core.store.set_user_groups(user.id, &wanted, audit).await {
        Err(StoreError::NotFound) => Err(CoreError::Invalid(vec![FieldError {
            field: "groups",
            problem: FieldProblem::Unknown,
        }])),
        other => Ok(other?),
    }
}

/// What the administrator is told about the recovery key.
#[derive(Debug, Clone)]
pub struct RecoveryStatus {
    /// The recovery recipient, if one is set.
    pub recipient: Option<String>,
    /// When it was set (UNIX seconds), if known.
    pub set_at: Option<i64>,
    /// Cases wrapped to a recovery key.
    pub wrapped: i64,
    /// Cases not wrapped to one (created before it was set).
    pub not_wrapped: i64,
}

/// Whether a recovery key is set, since when, and how many cases it covers.
pub async fn recovery_status(core: &Core, actor: &Actor) -> CoreResult<RecoveryStatus> {
    administrator(actor)?;
    let recipient = core.store.setting(RECOVERY_SETTING).await?;
    let mut set_at = core
        .store
        .setting(RECOVERY_SET_AT_SETTING)
        .await?
        .and_then(|v| v.parse::<i64>().ok());
    if set_at.is_none() && recipient.is_some() {
        // Set by an older version: the last audit entry of the setting.
        set_at = last_recovery_entry(&*core.store).await?;
    }
    let (wrapped, not_wrapped) = core.store.recovery_coverage().await?;
    Ok(RecoveryStatus {
        recipient,
        set_at,
        wrapped,
        not_wrapped,
    })
}

/// The time of the last `recovery_key.set` audit entry, if any.
async fn last_recovery_entry(store: &dyn Store) -> CoreResult<Option<i64>> {
    Ok(store
        .audit_entries()
        .await?
        .iter()
        .rev()
        .find(|e| e.action == action::RECOVERY_KEY_SET)
        .map(|e| e.at))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(username: &str, roles: &[&str], password: &str) -> AccountDraft {
        AccountDraft {
            username: username.into(),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            password: Zeroizing::new(password.into()),
            ..AccountDraft::default()
        }
    }

    fn fields(r: Result<NewAccount, Vec<FieldError>>) -> Vec<&'static str> {
        r.err()
            .unwrap_or_default()
            .iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn a_new_account_is_checked_field_by_field() {
        let ok = draft("kari", &["handler", "handler"], "correct horse battery");
        let ok = ok.parse().expect("valid");
        assert_eq!(ok.roles, [Role::Handler]);
        assert_eq!(ok.display_name, "kari");
        assert_eq!(
            fields(draft("", &[], "short").parse()),
            ["username", "roles", "password"]
        );
        assert_eq!(
            fields(draft("kari nordmann", &["boss"], "correct horse battery").parse()),
            ["username", "roles"]
        );
    }

    #[test]
    fn only_handlers_and_contact_points_join_groups() {
        assert!(may_be_in_groups(&[Role::Handler]));
        assert!(may_be_in_groups(&[Role::Admin, Role::Contact]));
        assert!(!may_be_in_groups(&[Role::Admin, Role::Auditor]));
    }
}
