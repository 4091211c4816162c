//! Opening a case: the one way to a case's key. A staff member opens a case
//! through a wrap of its key made out to them, if [`authz::may_open_case`]
//! lets them (the reporter did not exclude them); every other case is the
//! same "not found". The opened case is a value the later steps of the same
//! request reuse, so a page unwraps each case once.

use uuid::Uuid;
use varsel_crypto::AnyIdentity;

use crate::core::actor::StaffMember;
use crate::core::authz::{self, Permission};
use crate::core::error::{CoreError, CoreResult};
use crate::core::keys;
use crate::core::service::Core;
use crate::core::store::{Case, Holder};

/// A case opened by someone allowed to read it: the stored case and its
/// identity, unwrapped once.
pub struct OpenCase {
    /// The case as stored.
    pub case: Case,
    /// The case identity (zeroized when dropped).
    pub identity: AnyIdentity,
}

/// The staff member's wrap of the case key, if their roles let them work
/// cases ([`authz::staff_may`] with [`Permission::WorkCases`]: otherwise
/// "forbidden") and [`authz::may_open_case`] lets them open this one:
/// otherwise "not found", as for a missing case.
async fn openable_wrap(state: &Core, staff: &StaffMember, case_id: Uuid) -> CoreResult<Vec<u8>> {
    if !authz::staff_may(staff, Permission::WorkCases) {
        return Err(CoreError::Forbidden);
    }
    // An excluded member is never given a wrap; the sealed exclusions are
    // checked again once the key is unwrapped (`staff_case`).
    state
        .store
        .key_wrap(case_id, &Holder::User(staff.user_id))
        .await?
        .ok_or(CoreError::NotFound)
}

/// Checks that a staff member may open a case without unlocking it, so that
/// a request about a case that is not theirs is refused before its body is
/// read or validated.
pub async fn ensure_staff_case(state: &Core, staff: &StaffMember, case_id: Uuid) -> CoreResult<()> {
    openable_wrap(state, staff, case_id).await.map(|_| ())
}

/// Unlocks a case for a staff member through their wrap, or "not found".
pub async fn staff_case(state: &Core, staff: &StaffMember, case_id: Uuid) -> CoreResult<OpenCase> {
    let wrapped = openable_wrap(state, staff, case_id).await?;
    let case = state
        .store
        .case_by_id(case_id)
        .await?
        .ok_or(CoreError::NotFound)?;
    // A wrap made out to this member that their key does not open, or
    // exclusions that the case key does not open, were sealed wrongly by a
    // reporter's browser: named, not a server error.
    let identity = keys::unwrap_case_identity(&wrapped, &staff.identity)
        .map_err(|_| CoreError::Refused(crate::core::error::Refusal::CaseUnreadable))?;
    let excluded = crate::core::exclusions::of_case(state, case_id, &identity)
        .await
        .map_err(|e| match e {
            CoreError::Internal(_) => {
                CoreError::Refused(crate::core::error::Refusal::CaseUnreadable)
            }
            other => other,
        })?;
    if !authz::may_open_case(staff.user_id, true, &excluded) {
        return Err(CoreError::NotFound);
    }
    Ok(OpenCase { case, identity })
}
