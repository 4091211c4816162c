//! Internal notes between handlers: a staff member who can open a case
//! leaves a note for the others who can. A note is sealed to the case key
//! like a reply, so it is read with the case (and by no one else); it is
//! never part of anything the reporter reads. Adding one is audited
//! (`case.note_added`, with the note's id, never its text). A note does not
//! change the case's activity time: the inbox shows nothing of it.

use serde_json::json;
use uuid::Uuid;
use zeroize::Zeroize;

use crate::core::actor::StaffMember;
use crate::core::audit::action;
use crate::core::audit_log;
use crate::core::domain::TextField;
use crate::core::error::CoreResult;
use crate::core::keys;
use crate::core::open::{self, OpenCase};
use crate::core::service::Core;
use crate::core::store::Note;

/// A note, its text opened.
pub struct NoteView {
    /// Its id.
    pub id: Uuid,
    /// When it was written (UNIX seconds).
    pub created_at: i64,
    /// Who wrote it; `None` once the account is gone.
    pub author_name: Option<String>,
    /// The text.
    pub body: String,
}

impl Drop for NoteView {
    fn drop(&mut self) {
        self.body.zeroize();
    }
}

/// Adds a note to a case routed to `staff` (and not excluded by the
/// reporter), sealed to the case. Returns the note's id and time.
pub async fn add_note(
    state: &Core,
    staff: &StaffMember,
    case_id: Uuid,
    text: &TextField,
) -> CoreResult<(Uuid, i64)> {
    let OpenCase { case, .. } = open::staff_case(state, staff, case_id).await?;
    let recipient = keys::recipient(&case.recipient)?;
    let note = Note {
        id: Uuid::new_v4(),
        case_id,
        author_user_id: Some(staff.user_id),
        created_at: state.clock.now().unix_timestamp(),
        body: keys::seal(&recipient, text.as_str().as_bytes())?,
    };
    audit_log::record(
        &*state.store,
        state.now(),
        staff
            .event_on(action::CASE_NOTE_ADDED, case_id)
            .with_detail(json!({ "note_id": note.id })),
    )
    .await?;
    state.store.add_note(&note).await?;
    Ok((note.id, note.created_at))
}

/// Every note of a case already opened by a staff member, oldest first
/// (reading is part of the case read the caller audits).
pub async fn notes_of(state: &Core, opened: &OpenCase) -> CoreResult<Vec<NoteView>> {
    let mut out = Vec::new();
    for n in state.store.notes(opened.case.id).await? {
        let body = keys::open(&opened.identity, &n.body)?;
        let author_name = match n.author_user_id {
            Some(id) => state.store.user_by_id(id).await?.map(|u| u.display_name),
            None => None,
        };
        out.push(NoteView {
            id: n.id,
            created_at: n.created_at,
            author_name,
            body: String::from_utf8_lossy(&body).into_owned(),
        });
    }
    Ok(out)
}

/// The notes of case `case_id`, for `staff` who can open it; "not found"
/// otherwise. Audited as a read of the case's notes.
pub async fn staff_notes(
    state: &Core,
    staff: &StaffMember,
    case_id: Uuid,
) -> CoreResult<Vec<NoteView>> {
    let opened = open::staff_case(state, staff, case_id).await?;
    audit_log::record(
        &*state.store,
        state.now(),
        staff
            .event_on(action::CASE_READ, case_id)
            .with_detail(json!({ "part": "notes" })),
    )
    .await?;
    notes_of(state, &opened).await
}
