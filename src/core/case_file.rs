//! A staff member's whole view of one case, for the case page and the API:
//! the case is opened once and every part is read with the same key.

use uuid::Uuid;

use crate::core::actor::StaffMember;
use crate::core::casework::{self, CaseView};
use crate::core::deadlines::{self, CaseDeadlines};
use crate::core::error::CoreResult;
use crate::core::escalation::{self, CaseEscalation};
use crate::core::open;
use crate::core::service::Core;
use crate::core::store::TriageFacts;

/// What to read besides the case itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parts {
    /// The case, its triage facts and deadlines.
    Case,
    /// Those and the escalation decisions and closure.
    WithEscalation,
}

/// A case as a staff member sees it.
pub struct StaffCaseFile {
    /// The case, decrypted (reading it is audited and marks it read).
    pub view: CaseView,
    /// The current classification and risk.
    pub triage: TriageFacts,
    /// Decisions and closure, if asked for.
    pub escalation: Option<CaseEscalation>,
    /// Every deadline and the feedback extension.
    pub deadlines: CaseDeadlines,
    /// The measures taken to protect the reporter.
    pub measures: Vec<crate::core::followup::MeasureView>,
    /// The Datatilsynet decision of a personal-data breach, read with the
    /// escalation.
    pub breach: Option<crate::core::breach::BreachDecisions>,
    /// The internal notes between handlers.
    pub notes: Vec<crate::core::notes::NoteView>,
}

/// Opens case `case_id` for `staff` once and reads `parts` of it; "not
/// found" unless it is routed to them.
pub async fn staff_case_file(
    core: &Core,
    staff: &StaffMember,
    case_id: Uuid,
    parts: Parts,
) -> CoreResult<StaffCaseFile> {
    let opened = open::staff_case(core, staff, case_id).await?;
    let view = casework::staff_view(core, staff, &opened).await?;
    let triage = core.store.triage_facts(case_id).await?.unwrap_or_default();
    let escalation = match parts {
        Parts::WithEscalation => Some(escalation::escalation_of(core, staff, &opened).await?),
        Parts::Case => None,
    };
    let deadlines = deadlines::deadlines_of(core, &opened).await?;
    let measures = crate::core::followup::staff_measures(core, &opened).await?;
    let breach = match parts {
        Parts::WithEscalation => {
            Some(crate::core::breach::decisions_of(core, staff, &opened).await?)
        }
        Parts::Case => None,
    };
    let notes = crate::core::notes::notes_of(core, &opened).await?;
    Ok(StaffCaseFile {
        view,
        triage,
        escalation,
        deadlines,
        measures,
        breach,
        notes,
    })
}
