//! The user-facing error type (defined in `tapstand-error`, re-exported here).

pub use tapstand_error::{FieldIssue, Localized, UserError};
