//! How storage errors read to the merchant.

use tapstand_error::UserError;

use crate::pg::ConnectFailure;
use crate::StoreError;

fn is_team(path: &std::path::Path) -> bool {
    crate::pg::is_pg_url(&path.to_string_lossy())
}

/// How a team database connection failure reads: (code, zh, en).
fn connect_failure(f: ConnectFailure) -> UserError {
    let (code, zh, en) = match f {
        ConnectFailure::BadUrl => (
            "db.team.bad_url",
            ("团队数据库地址格式不对。", "请按 postgres://用户名@服务器:端口/数据库名 填写，或在 设置 → 团队模式 中逐项填写。"),
            ("The team database address is not valid.", "Write it as postgres://user@server:port/database, or fill in each field in Settings → Team mode."),
        ),
        ConnectFailure::Unreachable => (
            "db.team.unreachable",
            ("连不上团队数据库服务器。", "请检查服务器地址和端口、这台电脑的网络，以及服务器是否已开机并允许这台电脑连接（防火墙）。"),
            ("The team database server cannot be reached.", "Check the server address and port, this PC's network, and that the server is running and its firewall lets this PC in."),
        ),
        ConnectFailure::WrongPassword => (
            "db.team.wrong_password",
            ("团队数据库的用户名或密码不对。", "请向管理员确认用户名和密码后重新输入；密码只保存在本机的系统钥匙串中。"),
            ("The team database user name or password is wrong.", "Check the user name and password with your administrator and enter them again; the password is kept only in this PC's keychain."),
        ),
        ConnectFailure::NotAllowed => (
            "db.team.not_allowed",
            ("团队数据库服务器不允许这台电脑或这个用户连接。", "请管理员在服务器的 pg_hba.conf 中为这台电脑和这个用户添加访问权限。"),
            ("The team database server does not let this PC or user connect.", "Ask your administrator to allow this PC and user in the server's pg_hba.conf."),
        ),
        ConnectFailure::NoDatabase => (
            "db.team.no_database",
            ("服务器上没有这个数据库。", "请检查数据库名称，或请管理员先创建一个空数据库（CREATE DATABASE）。"),
            ("That database does not exist on the server.", "Check the database name, or ask your administrator to create an empty database first (CREATE DATABASE)."),
        ),
        ConnectFailure::TlsRequired => (
            "db.team.tls_required",
            ("服务器只接受加密（TLS）连接。", "请在 设置 → 团队模式 中打开“加密连接（TLS）”后重试。"),
            ("The server accepts only encrypted (TLS) connections.", "Turn on \"Encrypted connection (TLS)\" in Settings → Team mode and try again."),
        ),
        ConnectFailure::TlsFailed => (
            "db.team.tls_failed",
            ("无法与服务器建立加密（TLS）连接。", "服务器可能未开启 TLS，或它的证书不被这台电脑信任；请联系管理员。"),
            ("An encrypted (TLS) connection to the server could not be made.", "The server may not offer TLS, or this PC does not trust its certificate; contact your administrator."),
        ),
        ConnectFailure::Other => (
            "db.team.error",
            ("团队数据库服务器拒绝了连接。", "请把错误详情发给管理员。"),
            ("The team database server refused the connection.", "Send the error details to your administrator."),
        ),
    };
    UserError::new(code, zh, en)
}

impl From<StoreError> for UserError {
    fn from(e: StoreError) -> UserError {
        let u = match &e {
                StoreError::Connect { failure, .. } => connect_failure(*failure),
                StoreError::NotADatabase { path } if is_team(path) => UserError::new(
                    "db.team.not_tapstand",
                    (
                        "这个团队数据库里已有其他程序的数据表，Tapstand 不会使用它，也没有改动它。",
                        "请让管理员为 Tapstand 新建一个空数据库，再填写它的名称。",
                    ),
                    (
                        "This team database holds another program's tables; Tapstand will not use it and did not change it.",
                        "Ask your administrator for a new, empty database for Tapstand and enter its name.",
                    ),
                ),
                StoreError::NewerSchema { path, .. } if is_team(path) => UserError::new(
                    "db.team.newer_schema",
                    (
                        "团队数据库已被更新版本的 Tapstand 升级，本版本无法安全使用，数据库未被改动。",
                        "请把这台电脑上的 Tapstand 更新到最新版本后再连接。",
                    ),
                    (
                        "The team database was upgraded by a newer Tapstand; this version cannot use it safely. It was not changed.",
                        "Update Tapstand on this PC to the latest version, then connect again.",
                    ),
                ),
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
