//! The PC/SC readers, as the app's station page and `tapstand-cli readers` list them.

use tapstand_error::UserError;
use tapstand_tag::{ReaderInfo, TagError};

/// The readers PC/SC knows now: empty when none is plugged in, an error when the service is missing.
/// Blocks briefly: call it off the async workers.
pub fn readers() -> Result<Vec<ReaderInfo>, UserError> {
    match tapstand_tag::Pcsc::new().readers() {
        Ok(rs) => Ok(rs),
        Err(TagError::NoReader) => Ok(vec![]),
        Err(e) => Err(e.into()),
    }
}
