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
            ("服务器只接受加密（TLS）连接，而这台电脑设置为“不加密”。", "请在 设置 → 团队模式 中把“加密连接”改为“加密”或“加密并验证证书”后重试。"),
            ("The server accepts only encrypted (TLS) connections, and this PC is set to “not encrypted”.", "In Settings → Team mode, set “Encryption” to “Encrypted” or “Encrypted, certificate verified” and try again."),
        ),
        ConnectFailure::TlsFailed => (
            "db.team.tls_failed",
            ("无法与服务器建立加密（TLS）连接，连接已停止，没有改用不加密的连接。", "请管理员在数据库服务器上开启 TLS（postgresql.conf 中 ssl = on）；只有在可信的内部网络中，才可以在 设置 → 团队模式 中选择“不加密”。"),
            ("An encrypted (TLS) connection to the server could not be made; Tapstand stopped and did not fall back to an unencrypted one.", "Ask your administrator to turn on TLS on the database server (ssl = on in postgresql.conf); choose “Not encrypted” in Settings → Team mode only on a network you trust."),
        ),
        ConnectFailure::TlsUntrusted => (
            "db.team.tls_untrusted",
            ("服务器的证书不是由指定的 CA 签发的，连接已拒绝（CA 证书文件不对，或有人冒充服务器）。", "请向管理员索取正确的 CA 证书文件，在 设置 → 团队模式 的“CA 证书文件”中选择它后重试；不要改用不加密连接。"),
            ("The server's certificate is not signed by the chosen CA; the connection was refused (a wrong CA file, or someone posing as the server).", "Get the right CA certificate file from your administrator, choose it under “CA file” in Settings → Team mode and try again; do not switch to an unencrypted connection."),
        ),
        ConnectFailure::TlsWrongHost => (
            "db.team.tls_wrong_host",
            ("服务器证书上的名称与填写的服务器地址不一致，连接已拒绝。", "请按证书上的名称填写服务器地址（向管理员确认；IP 地址和域名不能互换），然后重试。"),
            ("The name on the server's certificate does not match the server address entered; the connection was refused.", "Enter the server address exactly as the certificate names it (ask your administrator; an IP address and a host name are not interchangeable), then try again."),
        ),
        ConnectFailure::Other => (
            "db.team.error",
            ("团队数据库服务器拒绝了连接。", "请把错误详情发给管理员。"),
            ("The team database server refused the connection.", "Send the error details to your administrator."),
        ),
    };
    UserError::new(code, zh, en)
}

/// The server refused a statement for lack of rights (SQLSTATE 42501): on a team database, a PC whose
/// user is the writer role ([`crate::roles`]) asked for something only head office may do.
fn permission_denied(e: &StoreError) -> bool {
    let db = match e {
        StoreError::Sqlx(sqlx::Error::Database(db)) => db,
        StoreError::Migrate(sqlx::migrate::MigrateError::Execute(sqlx::Error::Database(db))) => db,
        _ => return false,
    };
    db.code().as_deref() == Some("42501")
}

impl From<StoreError> for UserError {
    fn from(e: StoreError) -> UserError {
        if permission_denied(&e) {
            return UserError::new(
                "db.team.not_permitted",
                (
                    "这台电脑的团队数据库账号没有做这件事的权限（写卡员账号只能从预生成链接写卡），没有任何改动。",
                    "请在总部的电脑上操作，或请管理员为这台电脑换用总部账号。",
                ),
                (
                    "This PC's team database user may not do this (a writer account only writes tags from the pool); nothing was changed.",
                    "Do it on a head-office PC, or ask your administrator for a head-office account for this PC.",
                ),
            )
            .with_detail(e);
        }
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
