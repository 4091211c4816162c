//! Domain types that can only be built valid; route code converts input into
//! these at the edge, and nothing downstream re-checks.

pub mod account;
mod case;
pub mod deadline;
pub mod escalation;
pub mod identity;
pub mod password;
pub mod report;
mod role;
pub mod routing;
pub mod taxonomy;

pub use case::{CaseStatus, Category, Severity, TextField, TextFieldError};
pub use deadline::{
    add_calendar_months, all_deadlines, extend_feedback, next_open, open_deadlines, CaseFacts,
    Deadline, DeadlineKind, DeadlineSettings, DeadlineState, ExtensionError, ExtensionReason,
    FeedbackExtension, RetaliationFacts,
};
pub use escalation::{Authority, Decision, LegalBasis, Outcome};
pub use role::Role;
pub use taxonomy::{
    CategoryDef, CategoryKey, KeyError, Subtype, SubtypeFlags, SubtypeKey, Taxonomy, TaxonomyError,
};
