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

/// [`readers`], with each reader that has a tag on it and is not probed yet in this process probed
/// first (its dialect and firmware string: `tapstand_tag::dialect`; the tag is reset afterwards, a card
/// another program holds is left alone). For `tapstand-cli readers` and 设置 → 诊断.
pub fn readers_probed() -> Result<Vec<ReaderInfo>, UserError> {
    let mut pcsc = tapstand_tag::Pcsc::new();
    let list = match pcsc.readers() {
        Ok(rs) => rs,
        Err(TagError::NoReader) => return Ok(vec![]),
        Err(e) => return Err(e.into()),
    };
    for r in list.iter().filter(|r| r.tag_present && r.dialect.is_none()) {
        pcsc.probe(&r.name).map_err(UserError::from)?;
    }
    readers()
}
