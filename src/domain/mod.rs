//! Domain types that can only be built valid; route code converts input into
//! these at the edge, and nothing downstream re-checks.

mod case;
mod role;

pub use case::{CaseStatus, Category, Severity, TextField, TextFieldError};
pub use role::Role;
