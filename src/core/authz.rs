//! Authorisation, decided in one place (SPEC §1 roles, §3 security model).
//!
//! Every page, form and API endpoint names the [`Permission`] it needs and
//! asks [`decide`] whether the caller's session grants it; nothing else in
//! the code compares roles. The table is deny by default: a permission is
//! granted only by the arm that names it, and a new permission grants nothing
//! until it is added here.
//!
//! | permission | anonymous | reporter session | handler | contact point | admin | auditor |
//! | --- | --- | --- | --- | --- | --- | --- |
//! | [`SubmitReport`](Permission::SubmitReport) | yes | yes | yes | yes | yes | yes |
//! | [`FollowUpOwnCase`](Permission::FollowUpOwnCase) | — | its one case | — | — | — | — |
//! | [`WorkCases`](Permission::WorkCases) | — | — | yes | yes | — | — |
//! | [`DecideEscalation`](Permission::DecideEscalation) | — | — | — | yes | — | — |
//! | [`ReadRegister`](Permission::ReadRegister) | — | — | — | yes | — | — |
//! | [`ReadStatistics`](Permission::ReadStatistics) | — | — | — | — | yes | yes |
//! | [`Administer`](Permission::Administer) | — | — | — | — | yes | — |
//! | [`KeepIdentities`](Permission::KeepIdentities) | — | — | — | — | — | — |
//! | [`ManageOwnAccount`](Permission::ManageOwnAccount) | — | — | yes | yes | yes | yes |
//!
//! An identity custodian (`custodian`) holds [`KeepIdentities`](Permission::KeepIdentities)
//! and [`SubmitReport`](Permission::SubmitReport) only. A role grants what its column says; a user with several roles has the
//! union. Admins and auditors never work cases, so they hold no case keys.
//!
//! # Which case
//!
//! A permission is about *kinds* of action. Which case a caller may act on is
//! decided by [`may_open_case`]: a staff member opens a case only if its key
//! is wrapped to them (routing decides that) and the reporter has not
//! excluded them; a reporter session is bound to the one case whose code
//! opened it. Cryptography backs both: without a wrap there is no key to
//! unwrap. A case the caller may not open is "not found", exactly like a
//! case that does not exist.

use uuid::Uuid;

use crate::core::actor::{Actor, Reporter, StaffMember};
use crate::core::domain::Role;

/// A kind of action a caller asks to take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Read the public pages and submit a report.
    SubmitReport,
    /// Read and answer the case the reporter session was opened with.
    FollowUpOwnCase,
    /// Work the cases routed to one: inbox, read, reply, acknowledge, status,
    /// triage, deadlines, close and reopen, attachments.
    WorkCases,
    /// Record and confirm escalation decisions and read their rationale.
    DecideEscalation,
    /// Read and export the escalation register.
    ReadRegister,
    /// Read aggregate statistics.
    ReadStatistics,
    /// Manage groups, rules and notification delivery.
    Administer,
    /// Read handlers' requests to see a reporter's identity and approve or
    /// deny them (identity custodians; see [`crate::core::identity`]).
    KeepIdentities,
    /// Manage one's own staff account: password, second factors, sessions
    /// (every staff role, custodians included).
    ManageOwnAccount,
    /// Place and lift a legal hold on a case one can open, which keeps
    /// retention from deleting it (see [`crate::core::retention`]).
    HoldCases,
}

impl Permission {
    /// Every permission (for tests and documentation).
    pub const ALL: [Permission; 10] = [
        Permission::SubmitReport,
        Permission::FollowUpOwnCase,
        Permission::WorkCases,
        Permission::DecideEscalation,
        Permission::ReadRegister,
        Permission::ReadStatistics,
        Permission::Administer,
        Permission::KeepIdentities,
        Permission::ManageOwnAccount,
        Permission::HoldCases,
    ];

    /// The staff roles that grant it; empty for permissions no role grants.
    fn granted_to(self) -> &'static [Role] {
        match self {
            Permission::SubmitReport | Permission::ManageOwnAccount => &Role::ALL,
            Permission::WorkCases => &[Role::Handler, Role::Contact],
            Permission::DecideEscalation | Permission::ReadRegister | Permission::HoldCases => {
                &[Role::Contact]
            }
            Permission::ReadStatistics => &[Role::Admin, Role::Auditor],
            Permission::Administer => &[Role::Admin],
            Permission::KeepIdentities => &[Role::Custodian],
            Permission::FollowUpOwnCase => &[],
        }
    }
}

/// Why a permission was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    /// The caller has no session of the kind the action needs: sign in
    /// (staff) or open the case with its code (reporter).
    SignInRequired,
    /// The caller is signed in but their roles do not grant it.
    Forbidden,
}

/// Whether the caller with session `principal` (none: no session) may take
/// actions of kind `permission`.
pub fn decide(principal: Option<&Actor>, permission: Permission) -> Result<(), Denial> {
    match (principal, permission) {
        (_, Permission::SubmitReport) => Ok(()),
        (Some(Actor::Reporter(_)), Permission::FollowUpOwnCase) => Ok(()),
        (Some(Actor::Staff(staff)), _) => {
            if staff_may(staff, permission) {
                Ok(())
            } else {
                Err(Denial::Forbidden)
            }
        }
        _ => Err(Denial::SignInRequired),
    }
}

/// Whether a signed-in staff member's roles grant `permission`.
pub fn staff_may(staff: &StaffMember, permission: Permission) -> bool {
    roles_grant(&staff.roles, permission)
}

/// Whether any of `roles` grants `permission`.
pub fn roles_grant(roles: &[Role], permission: Permission) -> bool {
    let granted = permission.granted_to();
    roles.iter().any(|r| granted.contains(r))
}

/// The staff session, if `principal` is one whose roles grant `permission`.
pub fn staff_session(
    principal: Option<&Actor>,
    permission: Permission,
) -> Result<&StaffMember, Denial> {
    decide(principal, permission)?;
    match principal {
        Some(Actor::Staff(staff)) => Ok(staff),
        _ => Err(Denial::SignInRequired),
    }
}

/// The reporter session, if `principal` is one (it may follow up its case).
pub fn reporter_session(principal: Option<&Actor>) -> Result<&Reporter, Denial> {
    decide(principal, Permission::FollowUpOwnCase)?;
    match principal {
        Some(Actor::Reporter(reporter)) => Ok(reporter),
        _ => Err(Denial::SignInRequired),
    }
}

/// Whether staff member `user_id` may open a case: its key is wrapped to
/// them (`holds_wrap`) and the reporter did not exclude them (`excluded`).
/// Routing never wraps a case to an excluded member; this refuses such a
/// wrap even if one existed.
pub fn may_open_case(user_id: Uuid, holds_wrap: bool, excluded: &[Uuid]) -> bool {
    holds_wrap && !excluded.contains(&user_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::actor::StaffMember;

    fn staff(roles: &[Role]) -> Actor {
        Actor::Staff(StaffMember {
            user_id: Uuid::new_v4(),
            username: "u".to_owned(),
            display_name: "U".to_owned(),
            roles: roles.to_vec(),
            identity: crate::core::keys::KeyKind::Hybrid.generate().into(),
        })
    }

    fn reporter() -> Actor {
        Actor::Reporter(Reporter {
            case_id: Uuid::new_v4(),
            key: crate::core::actor::ReporterKey::Unwrapped(
                crate::core::keys::KeyKind::Hybrid.generate(),
            ),
        })
    }

    /// The documented table, row by row: which principals are allowed.
    #[test]
    fn the_table_is_as_documented() {
        use Permission as P;
        let principals: Vec<(&str, Option<Actor>)> = vec![
            ("none", None),
            ("anonymous", Some(Actor::Anonymous)),
            ("reporter", Some(reporter())),
            ("handler", Some(staff(&[Role::Handler]))),
            ("contact", Some(staff(&[Role::Contact]))),
            ("admin", Some(staff(&[Role::Admin]))),
            ("auditor", Some(staff(&[Role::Auditor]))),
            ("custodian", Some(staff(&[Role::Custodian]))),
            ("no roles", Some(staff(&[]))),
        ];
        let expected: [(P, &[&str]); 10] = [
            (
                P::SubmitReport,
                &[
                    "none",
                    "anonymous",
                    "reporter",
                    "handler",
                    "contact",
                    "admin",
                    "auditor",
                    "custodian",
                    "no roles",
                ],
            ),
            (P::FollowUpOwnCase, &["reporter"]),
            (P::WorkCases, &["handler", "contact"]),
            (P::DecideEscalation, &["contact"]),
            (P::ReadRegister, &["contact"]),
            (P::HoldCases, &["contact"]),
            (P::ReadStatistics, &["admin", "auditor"]),
            (P::Administer, &["admin"]),
            (P::KeepIdentities, &["custodian"]),
            (
                P::ManageOwnAccount,
                &["handler", "contact", "admin", "auditor", "custodian"],
            ),
        ];
        assert_eq!(expected.len(), Permission::ALL.len());
        for (permission, allowed) in expected {
            let got: Vec<&str> = principals
                .iter()
                .filter(|(_, p)| decide(p.as_ref(), permission).is_ok())
                .map(|(name, _)| *name)
                .collect();
            assert_eq!(got, allowed, "{permission:?}");
        }
    }

    #[test]
    fn staff_are_forbidden_and_everyone_else_must_sign_in() {
        let auditor = staff(&[Role::Auditor]);
        assert_eq!(
            decide(Some(&auditor), Permission::WorkCases),
            Err(Denial::Forbidden)
        );
        assert_eq!(
            decide(Some(&auditor), Permission::FollowUpOwnCase),
            Err(Denial::Forbidden)
        );
        for p in [None, Some(reporter()), Some(Actor::Anonymous)] {
            assert_eq!(
                decide(p.as_ref(), Permission::Administer),
                Err(Denial::SignInRequired)
            );
        }
    }

    #[test]
    fn several_roles_grant_the_union() {
        let both = staff(&[Role::Handler, Role::Auditor]);
        assert!(decide(Some(&both), Permission::WorkCases).is_ok());
        assert!(decide(Some(&both), Permission::ReadStatistics).is_ok());
        assert!(decide(Some(&both), Permission::DecideEscalation).is_err());
    }

    #[test]
    fn excluded_staff_cannot_open_a_case_even_with_a_wrap() {
        let me = Uuid::new_v4();
        assert!(may_open_case(me, true, &[]));
        assert!(!may_open_case(me, false, &[]));
        assert!(!may_open_case(me, true, &[Uuid::new_v4(), me]));
    }
}
