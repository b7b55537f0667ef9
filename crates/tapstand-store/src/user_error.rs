//! How storage errors read to the merchant.

use tapstand_error::UserError;

use crate::StoreError;

impl From<StoreError> for UserError {
    fn from(e: StoreError) -> UserError {
        let u = match &e {
                StoreError::NotADatabase { .. } => UserError::new(
                    "db.not_a_database",
                    (
                        "数据文件不是 Tapstand 的数据库，已停止打开，文件未被改动。",
                        "请检查数据文件夹（设置页可见）；如果是误放的文件，请把它移走后重新打开程序。",
                    ),
                    (
                        "The data file is not a Tapstand database; it was not opened or changed.",
                        "Check the data folder (shown in Settings); move the stray file away and start Tapstand again.",
                    ),
                ),
                StoreError::Corrupt { .. } => UserError::new(
                    "db.corrupt",
                    (
                        "数据库文件已损坏，已停止打开，文件未被改动。",
                        "请关闭程序，从数据文件夹的 backups 目录恢复最近的备份，或联系技术支持。",
                    ),
                    (
                        "The database file is damaged; it was not opened or changed.",
                        "Close Tapstand and restore the latest copy from the backups folder next to it, or contact support.",
                    ),
                ),
                StoreError::NewerSchema { .. } | StoreError::MigrationMismatch { .. } => UserError::new(
                    "db.newer_schema",
                    (
                        "数据库由更新版本的 Tapstand 创建，本版本无法安全打开，文件未被改动。",
                        "请安装最新版本的 Tapstand 后再打开。",
                    ),
                    (
                        "The database was written by a newer Tapstand; this version cannot open it safely. It was not changed.",
                        "Install the latest Tapstand and open it again.",
                    ),
                ),
                StoreError::Io { .. } | StoreError::Open { .. } => UserError::new(
                    "db.io",
                    (
                        "无法读写数据文件夹。",
                        "请确认磁盘有空间、文件夹可写，且没有其他程序锁住数据库文件。",
                    ),
                    (
                        "The data folder cannot be read or written.",
                        "Check there is free disk space, the folder is writable, and no other program holds the database file.",
                    ),
                ),
                StoreError::Sqlx(_) | StoreError::Migrate(_) => UserError::new(
                    "db.error",
                    ("保存数据时出错，本次操作没有生效。", "请重试；如果仍然出错，请联系技术支持并提供日志。"),
                    (
                        "Saving data failed; nothing was changed.",
                        "Try again; if it keeps failing, contact support with the log folder.",
                    ),
                ),
            };
        u.with_detail(e)
    }
}
