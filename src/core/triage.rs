//! Triage: a handler re-classifies a case (category, sub-type, severity,
//! risk), and the case is re-routed to the members the rules now choose.

use serde_json::json;
use uuid::Uuid;

use crate::core::actor::StaffMember;
use crate::core::audit::{action, AuditActor, AuditEvent};
use crate::core::audit_log;
use crate::core::casework;
use crate::core::domain::routing::TriageInput;
use crate::core::domain::SubtypeKey;
use crate::core::error::{CoreError, CoreResult, Refusal};
use crate::core::keys;
use crate::core::open::{self, OpenCase};
use crate::core::routing::{members, rules_in_force};
use crate::core::service::Core;
use crate::core::store::{Holder, KeyWrap, Retriage, TriageFacts};

/// What a triage changed.
#[derive(Debug, Clone)]
pub struct TriageOutcome {
    /// Staff members the case now reaches who did not before.
    pub added: Vec<Uuid>,
    /// Staff members who no longer reach it.
    pub removed: Vec<Uuid>,
    /// Whether the triaging staff member still reaches the case.
    pub still_member: bool,
}

/// Re-classifies a case and re-routes it: the case identity is wrapped to new
/// members and the wraps of members no longer routed to are deleted, together
/// with the new classification in one transaction. Exclusions hold. If the
/// new routing would reach nobody, nothing changes (`NoEligibleHandler`).
pub async fn triage(
    state: &Core,
    staff: &StaffMember,
    case_id: Uuid,
    input: &TriageInput,
) -> CoreResult<TriageOutcome> {
    let OpenCase { case, identity } = open::staff_case(state, staff, case_id).await?;
    let before = state
        .store
        .triage_facts(case_id)
        .await?
        .ok_or(CoreError::NotFound)?;
    // Sealed to the case: opened with the key the triaging handler holds.
    let excluded = crate::core::exclusions::of_case(state, case_id, &identity).await?;
    let users = state.store.list_users().await?;
    let rules = rules_in_force(&state.settings.routing, &*state.store).await?;
    let flags = state
        .settings
        .taxonomy
        .flags_of(input.category, input.subtype.as_ref());
    let chosen = members(
        &state.settings.routing,
        &rules,
        &users,
        input.category,
        input.severity,
        flags,
        &excluded,
    );
    if chosen.is_empty() {
        return Err(CoreError::Refused(Refusal::NoEligibleHandler));
    }
    let holders: Vec<Uuid> = state
        .store
        .key_holders(case_id)
        .await?
        .iter()
        .filter_map(Holder::user_id)
        .collect();
    let mut added = Vec::new();
    let mut wraps = Vec::new();
    for user in chosen.iter().filter(|u| !holders.contains(&u.id)) {
        let r = keys::recipient(&user.recipient)?;
        wraps.push(KeyWrap {
            holder: Holder::User(user.id),
            wrapped: keys::wrap_case_identity(&identity, &r)?,
        });
        added.push(user.id);
    }
    let removed: Vec<Uuid> = holders
        .iter()
        .filter(|id| !chosen.iter().any(|u| u.id == **id))
        .copied()
        .collect();
    let after = TriageFacts {
        subtype: input.subtype.clone(),
        risk_probability: input.risk.map(|r| i64::from(r.probability())),
        risk_consequence: input.risk.map(|r| i64::from(r.consequence())),
    };
    let actor = AuditActor::User(staff.user_id);
    audit_log::record(
        &*state.store,
        state.now(),
        AuditEvent::new(actor, action::CASE_TRIAGED)
            .on_case(case_id)
            .with_detail(json!({
                "from": {
                    "category": case.category.key(),
                    "severity": case.severity.key(),
                    "subtype": before.subtype.as_ref().map(SubtypeKey::as_str),
                    "risk_probability": before.risk_probability,
                    "risk_consequence": before.risk_consequence,
                },
                "to": {
                    "category": input.category.key(),
                    "severity": input.severity.key(),
                    "subtype": after.subtype.as_ref().map(SubtypeKey::as_str),
                    "risk_probability": after.risk_probability,
                    "risk_consequence": after.risk_consequence,
                },
            })),
    )
    .await?;
    if !added.is_empty() || !removed.is_empty() {
        audit_log::record(
            &*state.store,
            state.now(),
            AuditEvent::new(actor, action::CASE_ROUTING_CHANGED)
                .on_case(case_id)
                .with_detail(json!({ "added": added, "removed": removed })),
        )
        .await?;
    }
    state
        .store
        .retriage(&Retriage {
            case_id,
            category: input.category,
            severity: input.severity,
            facts: after,
            at: casework::now_in(state),
            added: wraps,
            removed: removed.clone(),
        })
        .await?;
    crate::core::deadlines::refresh_one(state, case_id).await?;
    // Those the case now reaches hear of it like those it reached at receipt.
    crate::core::notifications::case_routed(state, case_id, &added).await;
    Ok(TriageOutcome {
        still_member: !removed.contains(&staff.user_id),
        added,
        removed,
    })
}
