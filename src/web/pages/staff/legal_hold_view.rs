//! The legal hold on the staff case page: handlers and contact points see
//! it, contact points get the form to place or lift it (`legal_hold.rs`),
//! and a line says what a form just did.

use uuid::Uuid;
use zeroize::Zeroize;

use crate::core::actor::StaffMember;
use crate::core::authz::{staff_may, Permission};
use crate::core::retention;
use crate::web::http::{AppError, Visitor};
use crate::web::state::AppState;

/// What the hold section says after a form: done, or refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HoldNote {
    /// The hold was placed.
    Placed,
    /// The hold was lifted.
    Lifted,
    /// The reason was empty.
    ReasonEmpty,
    /// The reason was too long.
    TooLong(usize),
    /// The case was already held (place) or not held (lift).
    AlreadyHeld,
    /// The case was not held.
    NotHeld,
}

impl HoldNote {
    /// The note a `?hold=` query names.
    pub(crate) fn from_query(query: &str) -> Option<Self> {
        query.split('&').find_map(|pair| match pair {
            "hold=placed" => Some(HoldNote::Placed),
            "hold=lifted" => Some(HoldNote::Lifted),
            _ => None,
        })
    }

    fn is_problem(self) -> bool {
        !matches!(self, HoldNote::Placed | HoldNote::Lifted)
    }
}

/// The legal-hold section of the staff case page.
#[derive(Default)]
pub(crate) struct HoldSection {
    /// Whether the case is held, and the line that says by whom and since when.
    pub(crate) held: Option<String>,
    /// The reason of the hold, opened with the case key.
    pub(crate) reason: String,
    /// Contact point: the place or lift form is offered.
    pub(crate) can_hold: bool,
    /// What was just done (a status line).
    pub(crate) done: Option<String>,
    /// Why the form was refused.
    pub(crate) problem: Option<String>,
    /// The reason as typed, to offer again.
    pub(crate) draft: String,
}

impl Drop for HoldSection {
    fn drop(&mut self) {
        self.reason.zeroize();
        self.draft.zeroize();
    }
}

/// The section for `staff` on case `case_id`, with a note of what a form did.
pub(crate) async fn section(
    state: &AppState,
    visitor: &Visitor,
    staff: &StaffMember,
    case_id: Uuid,
    note: Option<HoldNote>,
    draft: String,
) -> Result<HoldSection, AppError> {
    let t = visitor.t();
    let hold = retention::hold(state, staff, case_id)
        .await
        .map_err(|e| visitor.fail(e))?;
    let (held, reason) = match hold {
        Some(mut h) => (
            Some(t.f(
                "retention.hold.held",
                &[
                    ("time", &super::show_moment(h.placed_at.unix_timestamp())),
                    ("name", &h.placed_by_name),
                ],
            )),
            std::mem::take(&mut h.reason),
        ),
        None => (None, String::new()),
    };
    let text = note.map(|n| match n {
        HoldNote::Placed => t.t("retention.hold.placed"),
        HoldNote::Lifted => t.t("retention.hold.lifted"),
        HoldNote::ReasonEmpty => t.t("retention.hold.reason_empty"),
        HoldNote::TooLong(max) => t.f("retention.hold.too_long", &[("max", &max.to_string())]),
        HoldNote::AlreadyHeld => t.t("retention.hold.already_held"),
        HoldNote::NotHeld => t.t("retention.hold.not_held"),
    });
    let (done, problem) = match note {
        Some(n) if n.is_problem() => (None, text),
        _ => (text, None),
    };
    Ok(HoldSection {
        held,
        reason,
        can_hold: staff_may(staff, Permission::HoldCases),
        done,
        problem,
        draft,
    })
}
