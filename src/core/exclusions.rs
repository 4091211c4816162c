//! The reporter's conflict-of-interest exclusions (SPEC §4 "Routing"),
//! sealed to the case key like the rest of the case's content: the database
//! does not say which handler a report is about.
//!
//! Who reads them, and how:
//! - Routing at submission: from the form, in memory
//!   ([`crate::core::casework::submit_report`]); an excluded handler is never
//!   given a wrap of the case key.
//! - Opening a case ([`crate::core::open::staff_case`]): a staff member
//!   without a wrap cannot open it at all; with the key unwrapped, the
//!   sealed list is checked once more (defence in depth).
//! - Re-routing at triage ([`crate::core::triage`]): the handler who
//!   triages holds the case key and opens the list with it, so no new wrap
//!   goes to an excluded member.
//! - Overdue notices (the scheduler, which holds no key): only members
//!   holding a wrap are named as responsible (`notifications::leads`); an
//!   excluded member never holds one.
//!
//! Cases stored by an older version kept their exclusions in plaintext
//! (`case_exclusions`). A migration cannot encrypt, so the service seals
//! them at start-up with each case's public recipient
//! ([`seal_plaintext`]) and deletes the plaintext rows.

use anyhow::Context;
use uuid::Uuid;
use varsel_crypto::{AnyIdentity, AnyRecipient};
use zeroize::Zeroizing;

use crate::core::error::CoreResult;
use crate::core::keys;
use crate::core::service::Core;
use crate::core::store::Store;

/// Seals the list of excluded user ids to the case recipient.
pub fn seal(recipient: &AnyRecipient, excluded: &[Uuid]) -> anyhow::Result<Vec<u8>> {
    let json = Zeroizing::new(serde_json::to_vec(excluded).context("cannot encode exclusions")?);
    keys::seal(recipient, &json)
}

/// Opens a sealed list with the case identity; no row means nobody excluded.
pub fn open(identity: &AnyIdentity, sealed: Option<&[u8]>) -> CoreResult<Vec<Uuid>> {
    let Some(sealed) = sealed else {
        return Ok(Vec::new());
    };
    let json = keys::open(identity, sealed)?;
    Ok(serde_json::from_slice(&json).context("stored exclusions are malformed")?)
}

/// The exclusions of `case_id`, opened with its identity.
pub async fn of_case(state: &Core, case_id: Uuid, identity: &AnyIdentity) -> CoreResult<Vec<Uuid>> {
    let sealed = state.store.sealed_exclusions(case_id).await?;
    open(identity, sealed.as_deref())
}

/// Seals every exclusion an older version stored in plaintext, deleting the
/// plaintext rows; returns how many cases were sealed. Runs at start-up.
pub async fn seal_plaintext(store: &dyn Store) -> CoreResult<usize> {
    let rows = store.plaintext_exclusions().await?;
    let mut sealed = 0;
    let mut rest = rows.as_slice();
    while let Some(&(case_id, _)) = rest.first() {
        let end = rest
            .iter()
            .position(|(c, _)| *c != case_id)
            .unwrap_or(rest.len());
        let excluded: Vec<Uuid> = rest[..end].iter().map(|(_, u)| *u).collect();
        rest = &rest[end..];
        let Some(case) = store.case_by_id(case_id).await? else {
            continue;
        };
        let recipient = keys::recipient(&case.recipient)?;
        store
            .seal_plaintext_exclusions(case_id, &seal(&recipient, &excluded)?)
            .await?;
        sealed += 1;
    }
    Ok(sealed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_list_opens_only_with_the_case_key() {
        let identity = keys::new_case_identity(keys::KeyKind::Hybrid);
        let excluded = vec![Uuid::new_v4(), Uuid::new_v4()];
        let sealed = seal(&identity.to_public(), &excluded).expect("seal");
        assert!(!sealed
            .windows(36)
            .any(|w| w == excluded[0].to_string().as_bytes()));
        assert_eq!(open(&identity, Some(&sealed)).expect("open"), excluded);
        assert!(open(
            &keys::new_case_identity(keys::KeyKind::Hybrid),
            Some(&sealed)
        )
        .is_err());
        assert!(open(&identity, None).expect("none").is_empty());
    }
}
