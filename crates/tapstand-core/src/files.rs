//! Files the merchant picks (a logo, a code image, a CSV): read with an error that names the file and says
//! what to do. Files Tapstand writes go through [`SafeFile`] / [`write_file`] (temporary file, fsync,
//! rename; see `tapstand_error::safe_file`).

use std::path::Path;

pub use tapstand_error::safe_file::{write_file, SafeFile};
use tapstand_error::UserError;

/// Reads an input file; `what` names it for the merchant (zh, en), e.g. ("标志图片", "logo").
pub fn read_input(path: &Path, what: (&str, &str)) -> Result<Vec<u8>, UserError> {
    let (what_zh, what_en) = what;
    std::fs::read(path).map_err(|e| {
        UserError::new(
            "file.read_input",
            (
                &format!("无法读取{what_zh}文件 {}。", path.display()),
                "请确认文件还在原处、路径写对了，然后重新选择。",
            ),
            (
                &format!("Cannot read the {what_en} file {}.", path.display()),
                "Check that the file is still there and the path is right, then choose it again.",
            ),
        )
        .with_detail(e)
    })
}
