//! Why a change of a staff account is refused (issue 11): the rules of the
//! account lifecycle, named once for the pages, the API and the CLI.

use uuid::Uuid;

/// A rule of the account lifecycle that refused a change; nothing changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountRefusal {
    /// Deactivating would leave these cases readable by no one: no other
    /// active staff member and no recovery key holds them.
    LastKeyHolder {
        /// The cases, by id.
        cases: Vec<Uuid>,
    },
    /// The account is the last active identity custodian, and reporters'
    /// identities are sealed to the custodians: they would be readable by
    /// no one. Appoint another custodian first (identities given from then
    /// on are sealed to both).
    LastCustodian {
        /// The cases holding an identity, by id.
        cases: Vec<Uuid>,
    },
    /// The account is deactivated (and this needs an active one).
    Inactive,
    /// The account is active already.
    Active,
    /// An administrator cannot deactivate their own account or take their
    /// own administrator role.
    OwnAccount,
    /// Only a handler or contact point may be in a handler group.
    NotCaseWorker,
    /// The rule's groups hold no active handler.
    RuleReachesNoOne,
}

impl AccountRefusal {
    /// The stable code (`api.error.<code>`).
    pub fn code(&self) -> &'static str {
        match self {
            AccountRefusal::LastKeyHolder { .. } => "last_key_holder",
            AccountRefusal::LastCustodian { .. } => "last_custodian",
            AccountRefusal::Inactive => "account_inactive",
            AccountRefusal::Active => "account_active",
            AccountRefusal::OwnAccount => "own_account",
            AccountRefusal::NotCaseWorker => "not_case_worker",
            AccountRefusal::RuleReachesNoOne => "rule_reaches_no_one",
        }
    }

    /// The values its message names (`{cases}`: the short references).
    pub fn params(&self) -> Vec<(&'static str, String)> {
        match self {
            AccountRefusal::LastKeyHolder { cases } | AccountRefusal::LastCustodian { cases } => {
                vec![(
                    "cases",
                    cases
                        .iter()
                        .map(|c| case_reference(*c))
                        .collect::<Vec<_>>()
                        .join(", "),
                )]
            }
            _ => Vec::new(),
        }
    }
}

/// A case's short reference as the inbox shows it: the first eight hex
/// digits of its id, in capitals.
pub fn case_reference(id: Uuid) -> String {
    id.simple().to_string()[..8].to_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_names_the_cases_by_their_short_reference() {
        let id = Uuid::parse_str("0a1b2c3d-0000-0000-0000-000000000000").unwrap();
        let r = AccountRefusal::LastKeyHolder { cases: vec![id] };
        assert_eq!(r.params(), [("cases", "0A1B2C3D".to_owned())]);
        assert_eq!(r.code(), "last_key_holder");
    }
}
