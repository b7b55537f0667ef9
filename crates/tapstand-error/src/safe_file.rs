//! Safe files: every export (CSV, PDF, …) is written to a temporary file in the target's own folder,
//! flushed to the disk, and only then renamed over the target. A failed export leaves the old file as it
//! was and no temporary file behind, and the error says why in words (disk full, no permission, the file
//! is open in another program, the folder is gone, a read-only disk).
//!
//! ```no_run
//! use std::io::Write;
//! use tapstand_error::safe_file::SafeFile;
//! # fn main() -> Result<(), tapstand_error::UserError> {
//! let target = std::path::Path::new("门店.csv");
//! let mut f = SafeFile::create(target)?;
//! f.write_all(b"...").map_err(|e| f.error(e))?; // every write error through `error`
//! f.commit()?; // flush + fsync + rename; before this the target is untouched
//! # Ok(()) }
//! ```
//!
//! Or in one call with [`write_file`]. Dropping a [`SafeFile`] without [`SafeFile::commit`] deletes the
//! temporary file (`tempfile::NamedTempFile`'s drop). The rename is `rename(2)` on Unix and
//! `MoveFileExW(MOVEFILE_REPLACE_EXISTING)` on Windows (what `NamedTempFile::persist` does): the target
//! is either the old file or the complete new one, never a part.
//!
//! It lives in `tapstand-error` because that is the lowest crate every exporter (records, station,
//! print) already depends on, and most of it is the mapping of an `io::Error` to a [`UserError`].

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::UserError;

/// What the export was doing when the error happened (the same OS error means different things).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Creating the temporary file in the target's folder.
    Create,
    /// Writing or flushing the data.
    Write,
    /// Renaming the finished file over the target.
    Replace,
}

/// Why a file could not be written, in the words the merchant gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    DiskFull,
    NoPermission,
    /// Another program (Excel, a PDF viewer) has the target open.
    InUse,
    FolderMissing,
    ReadOnlyDisk,
    /// The target path is a folder.
    IsFolder,
    Other,
}

#[cfg(unix)]
mod os {
    pub const DISK_FULL: &[i32] = &[
        28,  /* ENOSPC */
        122, /* EDQUOT (Linux) */
        27,  /* EFBIG */
    ];
    pub const NO_PERMISSION: &[i32] = &[13 /* EACCES */, 1 /* EPERM */];
    pub const IN_USE: &[i32] = &[26 /* ETXTBSY */];
    pub const FOLDER_MISSING: &[i32] = &[2 /* ENOENT */, 20 /* ENOTDIR */];
    pub const READ_ONLY: &[i32] = &[30 /* EROFS */];
    pub const IS_FOLDER: &[i32] = &[21 /* EISDIR */];
    pub const ACCESS_DENIED: Option<i32> = None;
}

#[cfg(windows)]
mod os {
    pub const DISK_FULL: &[i32] = &[
        112, /* ERROR_DISK_FULL */
        39,  /* ERROR_HANDLE_DISK_FULL */
    ];
    pub const NO_PERMISSION: &[i32] = &[5 /* ERROR_ACCESS_DENIED */];
    pub const IN_USE: &[i32] = &[
        32, /* ERROR_SHARING_VIOLATION */
        33, /* ERROR_LOCK_VIOLATION */
    ];
    pub const FOLDER_MISSING: &[i32] = &[
        3,   /* ERROR_PATH_NOT_FOUND */
        2,   /* ERROR_FILE_NOT_FOUND */
        15,  /* ERROR_INVALID_DRIVE */
        267, /* ERROR_DIRECTORY */
    ];
    pub const READ_ONLY: &[i32] = &[19 /* ERROR_WRITE_PROTECT */];
    pub const IS_FOLDER: &[i32] = &[];
    pub const ACCESS_DENIED: Option<i32> = Some(5);
}

#[cfg(not(any(unix, windows)))]
mod os {
    pub const DISK_FULL: &[i32] = &[];
    pub const NO_PERMISSION: &[i32] = &[];
    pub const IN_USE: &[i32] = &[];
    pub const FOLDER_MISSING: &[i32] = &[];
    pub const READ_ONLY: &[i32] = &[];
    pub const IS_FOLDER: &[i32] = &[];
    pub const ACCESS_DENIED: Option<i32> = None;
}

/// The cause of `e` during `step`. `target_exists`: on Windows, "access denied" while replacing an
/// existing file almost always means another program has it open (Excel opens without sharing delete).
pub fn cause(e: &io::Error, step: Step, target_exists: bool) -> Cause {
    if let Some(code) = e.raw_os_error() {
        if step == Step::Replace && target_exists && os::ACCESS_DENIED == Some(code) {
            return Cause::InUse;
        }
        let table: [(&[i32], Cause); 6] = [
            (os::DISK_FULL, Cause::DiskFull),
            (os::IN_USE, Cause::InUse),
            (os::READ_ONLY, Cause::ReadOnlyDisk),
            (os::IS_FOLDER, Cause::IsFolder),
            (os::NO_PERMISSION, Cause::NoPermission),
            (os::FOLDER_MISSING, Cause::FolderMissing),
        ];
        if let Some((_, c)) = table.iter().find(|(codes, _)| codes.contains(&code)) {
            return *c;
        }
    }
    match e.kind() {
        io::ErrorKind::StorageFull | io::ErrorKind::FileTooLarge | io::ErrorKind::QuotaExceeded => {
            Cause::DiskFull
        }
        io::ErrorKind::PermissionDenied => Cause::NoPermission,
        io::ErrorKind::NotFound => Cause::FolderMissing,
        io::ErrorKind::ReadOnlyFilesystem => Cause::ReadOnlyDisk,
        io::ErrorKind::IsADirectory => Cause::IsFolder,
        _ => Cause::Other,
    }
}

/// The merchant-facing error for `cause` while saving `path`. The old file, if any, is untouched.
pub fn cause_error(path: &Path, cause: Cause) -> UserError {
    let p = path.display();
    let kept_zh = "原来的文件（如果有）没有被改动。";
    let kept_en = "The old file, if any, is unchanged.";
    let (code, zh, zh_do, en, en_do) = match cause {
        Cause::DiskFull => (
            "file.disk_full",
            format!("磁盘空间不足，没能保存 {p}。{kept_zh}"),
            "请删除一些不用的文件、清空回收站，或换一个有空间的磁盘（例如 U 盘），然后再导出。",
            format!("The disk is full; {p} could not be saved. {kept_en}"),
            "Free some space (delete unused files, empty the Recycle Bin) or choose another disk, then export again.",
        ),
        Cause::NoPermission => (
            "file.no_permission",
            format!("没有权限在这个位置保存 {p}。{kept_zh}"),
            "请换一个文件夹（例如“文档”或桌面）再导出，或请电脑管理员给这个文件夹写入权限。",
            format!("Tapstand may not save {p} here. {kept_en}"),
            "Choose another folder (Documents or the desktop), or ask the computer's administrator for write access to this folder.",
        ),
        Cause::InUse => (
            "file.in_use",
            format!("{p} 正在被其他程序使用（例如在 Excel 或 PDF 阅读器里打开着），没能替换它。{kept_zh}"),
            "请先在 Excel 或阅读器里关闭这个文件，然后再导出；或者换一个文件名。",
            format!("{p} is open in another program (such as Excel or a PDF viewer) and could not be replaced. {kept_en}"),
            "Close the file in Excel or the viewer and export again, or choose another file name.",
        ),
        Cause::FolderMissing => (
            "file.folder_missing",
            format!("要保存到的文件夹不存在：{p}。"),
            "请确认文件夹还在（U 盘是否已拔出），或在保存对话框中重新选择一个文件夹。",
            format!("The folder to save into does not exist: {p}."),
            "Check that the folder is still there (is the USB drive plugged in?), or choose a folder again in the save dialog.",
        ),
        Cause::ReadOnlyDisk => (
            "file.read_only_disk",
            format!("这个磁盘是只读的，没能保存 {p}。{kept_zh}"),
            "请换一个可以写入的磁盘或文件夹（例如“文档”），或关闭 U 盘 / 存储卡上的写保护开关后再导出。",
            format!("The disk is read-only; {p} could not be saved. {kept_en}"),
            "Choose a writable disk or folder (e.g. Documents), or switch off the write-protect tab of the USB drive or card, then export again.",
        ),
        Cause::IsFolder => (
            "file.is_folder",
            format!("{p} 是一个文件夹，不能用作导出文件。"),
            "请在保存对话框中输入一个文件名（例如“门店.csv”），不要选文件夹本身。",
            format!("{p} is a folder, not a file."),
            "Type a file name in the save dialog (e.g. stores.csv) instead of choosing the folder itself.",
        ),
        Cause::Other => (
            "file.write_failed",
            format!("没能保存 {p}。{kept_zh}"),
            "请换一个文件夹（例如“文档”或桌面）再导出；如果仍然失败，请把“设置”页中的日志文件夹发给技术支持。",
            format!("{p} could not be saved. {kept_en}"),
            "Choose another folder (Documents or the desktop) and export again; if it keeps failing, send the log folder shown in Settings to support.",
        ),
    };
    UserError::new(code, (&zh, zh_do), (&en, en_do))
}

/// [`cause_error`] for an io error, with the OS message as the detail.
pub fn io_error(path: &Path, step: Step, e: &io::Error) -> UserError {
    let c = cause(e, step, path.is_file());
    let step_word = match step {
        Step::Create => "create temporary file",
        Step::Write => "write",
        Step::Replace => "replace target",
    };
    cause_error(path, c).with_detail(format!("{step_word}: {}: {e}", path.display()))
}

/// A file being written next to its target; see the module comment. Buffered: no extra `BufWriter`.
pub struct SafeFile {
    out: Option<BufWriter<tempfile::NamedTempFile>>,
    target: PathBuf,
}

impl SafeFile {
    /// Starts writing `target`: a hidden temporary file (`.<name>.<random>.part`) in the same folder, so
    /// the final rename never crosses disks. Fails early when the target is a folder or the folder is
    /// missing or not writable.
    pub fn create(target: &Path) -> Result<SafeFile, UserError> {
        if target.is_dir() {
            return Err(cause_error(target, Cause::IsFolder));
        }
        let name = target
            .file_name()
            .ok_or_else(|| cause_error(target, Cause::IsFolder))?;
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !dir.is_dir() {
            return Err(cause_error(target, Cause::FolderMissing)
                .with_detail(format!("no folder {}", dir.display())));
        }
        let mut prefix = std::ffi::OsString::from(".");
        prefix.push(name);
        prefix.push(".");
        let mut b = tempfile::Builder::new();
        b.prefix(&prefix).suffix(".part");
        #[cfg(unix)]
        {
            // A new export gets the usual 0644 (tempfile's default 0600 would hide it from other users);
            // a replaced file keeps its mode.
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(target)
                .map(|m| m.permissions().mode() & 0o7777)
                .unwrap_or(0o644);
            b.permissions(std::fs::Permissions::from_mode(mode));
        }
        let tmp = b
            .tempfile_in(&dir)
            .map_err(|e| io_error(target, Step::Create, &e))?;
        Ok(SafeFile {
            out: Some(BufWriter::with_capacity(64 * 1024, tmp)),
            target: target.to_path_buf(),
        })
    }

    /// The file this will become.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// The temporary file's path (for tests and logs).
    pub fn temp_path(&self) -> Option<&Path> {
        self.out.as_ref().map(|o| o.get_ref().path())
    }

    /// The merchant-facing error for a write error (from `write`, a CSV writer, a PDF writer …).
    pub fn error(&self, e: io::Error) -> UserError {
        io_error(&self.target, Step::Write, &e)
    }

    /// Flushes the buffer, syncs the data to the disk and renames the file over the target. On an error
    /// the temporary file is deleted and the target is as it was.
    pub fn commit(mut self) -> Result<(), UserError> {
        let out = self.out.take().expect("a SafeFile is committed once");
        let tmp = out.into_inner().map_err(|e| {
            // The buffer could not be written out; dropping `e` drops the temporary file.
            io_error(&self.target, Step::Write, e.error())
        })?;
        tmp.as_file()
            .sync_all()
            .map_err(|e| io_error(&self.target, Step::Write, &e))?;
        let target_exists = self.target.is_file();
        tmp.persist(&self.target).map_err(|e| {
            let c = cause(&e.error, Step::Replace, target_exists);
            let detail = format!("replace target: {}: {}", self.target.display(), e.error);
            drop(e.file); // deletes the temporary file
            cause_error(&self.target, c).with_detail(detail)
        })?;
        // The rename itself is durable once the folder is synced (best effort: not on every OS/FS).
        #[cfg(unix)]
        if let Some(dir) = self.target.parent().filter(|d| !d.as_os_str().is_empty()) {
            if let Ok(d) = std::fs::File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    }
}

impl Write for SafeFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.as_mut().expect("not committed").write(buf)
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.out.as_mut().expect("not committed").write_all(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.out.as_mut().expect("not committed").flush()
    }
}

/// Writes `target` safely in one call: `body` writes the contents; its io error becomes the merchant's
/// error; the target is replaced only when `body` and the flush succeed.
pub fn write_file<T>(
    target: &Path,
    body: impl FnOnce(&mut SafeFile) -> io::Result<T>,
) -> Result<T, UserError> {
    let mut f = SafeFile::create(target)?;
    let out = body(&mut f).map_err(|e| f.error(e))?;
    f.commit()?;
    Ok(out)
}

/// A CSV cell that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or carriage
/// return — OWASP "CSV injection") gets a leading `'`; so does a cell that already starts with `'`, so that
/// [`restore_cell`] gives back exactly the original text. Every CSV writer calls this on every cell.
pub fn defuse_cell(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r', '\'']) {
        format!("'{s}").into()
    } else {
        s.into()
    }
}

/// The inverse of [`defuse_cell`], for importing a file Tapstand (or Excel, keeping the `'`) wrote.
pub fn restore_cell(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r', '\'']) => rest,
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(code: i32) -> io::Error {
        io::Error::from_raw_os_error(code)
    }

    #[cfg(unix)]
    #[test]
    fn unix_codes() {
        assert_eq!(cause(&os(28), Step::Write, false), Cause::DiskFull);
        assert_eq!(cause(&os(122), Step::Write, false), Cause::DiskFull);
        assert_eq!(cause(&os(27), Step::Write, false), Cause::DiskFull);
        assert_eq!(cause(&os(13), Step::Create, false), Cause::NoPermission);
        assert_eq!(cause(&os(1), Step::Replace, true), Cause::NoPermission);
        assert_eq!(cause(&os(2), Step::Create, false), Cause::FolderMissing);
        assert_eq!(cause(&os(30), Step::Create, false), Cause::ReadOnlyDisk);
        assert_eq!(cause(&os(21), Step::Replace, false), Cause::IsFolder);
        assert_eq!(cause(&os(5), Step::Write, false), Cause::Other); // EIO
    }

    #[cfg(windows)]
    #[test]
    fn windows_codes() {
        assert_eq!(cause(&os(112), Step::Write, false), Cause::DiskFull);
        assert_eq!(cause(&os(39), Step::Write, false), Cause::DiskFull);
        assert_eq!(cause(&os(5), Step::Create, false), Cause::NoPermission);
        assert_eq!(cause(&os(5), Step::Replace, false), Cause::NoPermission);
        assert_eq!(cause(&os(5), Step::Replace, true), Cause::InUse);
        assert_eq!(cause(&os(32), Step::Replace, true), Cause::InUse);
        assert_eq!(cause(&os(33), Step::Write, false), Cause::InUse);
        assert_eq!(cause(&os(3), Step::Create, false), Cause::FolderMissing);
        assert_eq!(cause(&os(19), Step::Create, false), Cause::ReadOnlyDisk);
    }

    #[test]
    fn words_name_the_cause_and_what_to_do() {
        let p = Path::new("/x/门店.csv");
        let e = cause_error(p, Cause::DiskFull);
        assert_eq!(e.code, "file.disk_full");
        assert!(e.zh.message.contains("磁盘空间不足") && e.zh.message.contains("门店.csv"));
        assert!(e.en.message.contains("disk is full"));
        let e = cause_error(p, Cause::InUse);
        assert!(e.zh.message.contains("Excel") && e.zh.remedy.contains("关闭"));
        for c in [
            Cause::DiskFull,
            Cause::NoPermission,
            Cause::InUse,
            Cause::FolderMissing,
            Cause::ReadOnlyDisk,
            Cause::IsFolder,
            Cause::Other,
        ] {
            let e = cause_error(p, c);
            assert!(e.code.starts_with("file."));
            assert!(!e.zh.remedy.is_empty() && !e.en.remedy.is_empty());
        }
    }

    #[test]
    fn defuse_round_trips() {
        for s in [
            "=1+1",
            "+1",
            "-2",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "'",
            "'=x",
            "''=x",
            "南山店",
            "",
            "a'b",
            "'abc",
        ] {
            assert_eq!(restore_cell(&defuse_cell(s)), s, "{s:?}");
        }
        assert_eq!(defuse_cell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(defuse_cell("南山店"), "南山店");
        assert_eq!(defuse_cell("'abc"), "''abc");
    }
}
