//! `tapstand-cli`: the same core as the desktop app, for automation and support.
//!
//! Every command prints human-readable text (Chinese first, then English), or one JSON document with
//! `--json`. Errors go to stderr with what to do next; the exit code is 1 for an error the user can fix,
//! 2 for a usage error (clap).

mod doctor;
mod output;
mod pool;
mod print;
mod records;
mod stand;
mod station;
mod tag;
mod wechat;

use clap::{Parser, Subcommand};
use tapstand_core::{AppPaths, Core, UserError};

#[derive(Parser, Debug)]
#[command(
    name = "tapstand-cli",
    version,
    about = "碰一碰立牌工作台 (Tapstand) — command line"
)]
pub struct Cli {
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// Log to stderr too (the log file is always written).
    #[arg(long, global = true)]
    pub verbose: bool,
    /// Use this data folder (database, logs) instead of TAPSTAND_DATA_DIR or the OS location.
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<std::path::PathBuf>,
    /// Use this database instead of the data folder's SQLite file: a team database shared by several PCs
    /// (postgres://user:password@host:port/database) or sqlite:PATH. Also TAPSTAND_DATABASE_URL.
    #[arg(
        long,
        global = true,
        value_name = "URL",
        env = "TAPSTAND_DATABASE_URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Versions, database, readers, keychain and log folder: what support needs to know.
    Doctor,
    /// List card readers and whether a tag is on them.
    Readers,
    /// Read the tag on the reader: UID, chip, capacity, lock/password state, records, WeChat validity;
    /// with --explain, what it is in plain words (ours for which store, another mini program's, …).
    Inspect(tag::InspectArgs),
    /// Write a URI (+ Android Application Record) tear-safely and verify it.
    WriteNdef(tag::WriteArgs),
    /// WeChat connection of a profile (--profile P): test it, store the AppSecret (from stdin), quota use.
    #[command(subcommand)]
    Wechat(wechat::WechatCommand),
    /// Find or generate the NFC link (openlink) of a tag: the ledger first, WeChat only when needed.
    Scheme(wechat::SchemeArgs),
    /// Download the 小程序码 (getwxacodeunlimit) to an image file.
    Wxacode(wechat::WxacodeArgs),
    /// Print-ready stand artwork (PDF: 3 mm bleed, crop marks, TrimBox/BleedBox, K100 text and code).
    ExportPdf(print::ExportPdfArgs),
    /// The write station: tag after tag for a target (scheme from the ledger or WeChat, write, verify, record).
    Write(station::WriteArgs),
    /// The station's history: every tag and attempt, filtered, optionally exported to CSV.
    History(station::HistoryArgs),
    /// Mini program profiles: add, list, set-secret (stdin → OS keychain), test the connection.
    #[command(subcommand)]
    Profile(records::ProfileCommand),
    /// Device models (型号 / model_id): add, list, set-status.
    #[command(subcommand)]
    Model(records::ModelCommand),
    /// Stores (门店): import a CSV (UTF-8 or GBK) or an Excel workbook (.xlsx/.xls; all rows or none),
    /// list, export to .xlsx or CSV.
    #[command(subcommand)]
    Store(records::ListOrImport),
    /// Front-desk terminals (前台终端): import a CSV or workbook, list, export to .xlsx or CSV.
    #[command(subcommand)]
    Terminal(records::ListOrImport),
    /// The tag register (标签台账): every tag the station recorded, exported to an Excel workbook.
    #[command(subcommand)]
    Tags(station::TagsCommand),
    /// Pre-generated links (团队模式): generate a target's links on a PC with the AppSecret, list what is
    /// left; PCs without it write with `write --from-pool`.
    #[command(subcommand)]
    Pool(pool::PoolCommand),
    /// 巡检: tap a store's stands one by one; each is compared with the register and the ledger
    /// (start, tap, finish with an .xlsx report, list).
    #[command(subcommand)]
    Audit(stand::AuditCommand),
    /// 换标签: write a stand's own link onto a new tag (no new link spent); the old tag is retired.
    Replace(stand::ReplaceArgs),
    /// Re-point a stand to another store or terminal: a new link over the tag, the old link retired.
    Repoint(stand::RepointArgs),
    /// Tags that 换标签 retired, newest first.
    Retired,
    /// The database itself: `copy-to URL` moves this PC's data to an empty team database (PostgreSQL).
    #[command(subcommand)]
    Db(DbCommand),
}

#[derive(Subcommand, Debug)]
pub enum DbCommand {
    /// Save a team database's password in the OS keychain (read from stdin, never argv); then
    /// --database-url postgres://user@host:port/db (no password) is enough.
    SetPassword {
        #[arg(value_name = "URL")]
        url: String,
    },
    /// Test a team database (postgres://user:password@host:port/db) without changing it: reachable,
    /// password, database, TLS, and whether its schema is one this Tapstand can use.
    Check {
        #[arg(value_name = "URL")]
        url: String,
    },
    /// Set up least privilege on a team database (run once, by the administrator, with a user that may
    /// create roles): a head-office role that may do everything and a writer role for PCs without the
    /// AppSecret (read, claim pool links, record attempts and tags; no DELETE, no ledger changes, no
    /// DDL). Login users are then added to one of them. Running it again changes nothing.
    InitRoles {
        #[arg(value_name = "URL")]
        url: String,
        /// Role names are PREFIX_head_office and PREFIX_writer (default: the database's name).
        #[arg(long)]
        prefix: Option<String>,
    },
    /// Copy the local database into an empty team database (postgres://user:password@host:port/db), all
    /// or nothing, counts checked afterwards; the local file is kept untouched. Refuses a target that
    /// holds other data.
    CopyTo {
        /// The team database (the password may also come from TAPSTAND_DATABASE_URL's form).
        #[arg(value_name = "URL")]
        url: String,
    },
}

fn main() {
    let cli = Cli::parse();
    let paths = match AppPaths::resolve_with(cli.data_dir.clone()) {
        Ok(p) => p,
        Err(e) => output::fail(cli.json, &UserError::internal(e)),
    };
    let _log = tapstand_core::logging::init(&paths.log_dir, cli.verbose).ok();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let result = runtime.block_on(run(
        cli.command,
        &paths,
        cli.database_url.as_deref(),
        cli.json,
    ));
    if let Err(e) = result {
        tracing::warn!(code = %e.code, "command failed");
        output::fail(cli.json, &e);
    }
}

async fn run(
    command: Command,
    paths: &AppPaths,
    database_url: Option<&str>,
    json: bool,
) -> Result<(), UserError> {
    // Commands that only talk to a reader (or test a team database) open no database.
    let command = match command {
        Command::Db(DbCommand::SetPassword { url }) => {
            let password = output::read_secret_line(
                "请输入团队数据库密码后按回车（输入不会显示）/ Type the team database password and press Enter (not shown): ",
            )?;
            let location = Core::save_team_password(&url, password).await?;
            if json {
                output::json(&serde_json::json!({ "ok": true, "location": location }));
            } else {
                println!("已把 {location} 的密码保存到系统钥匙串。 / The password of {location} is in the OS keychain.");
            }
            return Ok(());
        }
        Command::Db(DbCommand::Check { url }) => {
            let r = Core::check_team_database(&url).await?;
            if json {
                output::json(&r);
            } else if r.schema_version == 0 {
                println!("连接成功：{}（空数据库，首次使用时自动建表） / Connected: {} (empty; Tapstand sets it up on first use)", r.location, r.location);
            } else {
                println!(
                    "连接成功：{}（数据版本 {}） / Connected: {} (schema {})",
                    r.location, r.schema_version, r.location, r.schema_version
                );
            }
            return Ok(());
        }
        Command::Db(DbCommand::InitRoles { url, prefix }) => {
            let r = Core::init_team_roles(&url, prefix.as_deref()).await?;
            if json {
                output::json(&r);
            } else {
                println!(
                    "团队数据库 {} 的角色已就绪 / Roles of the team database {} are ready:\n  总部 / head office: {}\n  写卡员 / writer:    {}",
                    r.database, r.database, r.head_office, r.writer
                );
                println!(
                    "为每台电脑添加登录用户 / Add a login user per PC, e.g. (psql):\n  CREATE ROLE store_pc_1 LOGIN PASSWORD '…' IN ROLE {};\n  CREATE ROLE hq_pc LOGIN PASSWORD '…' IN ROLE {};",
                    r.writer, r.head_office
                );
            }
            return Ok(());
        }
        Command::Doctor => return doctor::run(paths, json).await,
        Command::Readers => return tag::readers(json),
        Command::Inspect(a) if !a.explain => return tag::inspect(a.pick, json),
        Command::WriteNdef(a) if a.profile.is_none() => return tag::write_ndef(a, None, json),
        other => other,
    };
    let database_url = database_url.filter(|u| !u.trim().is_empty());
    let core = Core::open_at(paths.clone(), database_url).await?;
    match command {
        Command::Doctor
        | Command::Readers
        | Command::Db(
            DbCommand::Check { .. } | DbCommand::SetPassword { .. } | DbCommand::InitRoles { .. },
        ) => unreachable!(),
        Command::Inspect(a) => station::check(a, core, json).await,
        Command::WriteNdef(a) => {
            // With --profile: the tag key of that profile protects and unlocks the tag.
            let name = a.profile.clone().unwrap_or_default();
            let profile = tapstand_core::lookup::profile(&core.db, &name).await?;
            let key = core.tag_key(&profile).await?;
            tokio::task::spawn_blocking(move || tag::write_ndef(a, Some(key), json))
                .await
                .map_err(UserError::internal)?
        }
        Command::Wechat(c) => wechat::run(c, &core, json).await,
        Command::Scheme(a) => wechat::scheme(a, &core, json).await,
        Command::Wxacode(a) => wechat::wxacode(a, &core, json).await,
        Command::ExportPdf(a) => print::export_pdf(a, &core, json).await,
        Command::Write(a) => station::write(a, &core, json).await,
        Command::History(a) => station::history(a, &core, json).await,
        Command::Tags(c) => station::tags(c, &core, json).await,
        Command::Pool(c) => pool::run(c, &core, json).await,
        Command::Audit(c) => stand::audit(c, core, json).await,
        Command::Replace(a) => stand::replace(a, core, json).await,
        Command::Repoint(a) => stand::repoint(a, core, json).await,
        Command::Retired => stand::retired(core, json).await,
        Command::Profile(c) => records::profile(c, &core, json).await,
        Command::Model(c) => records::model(c, &core, json).await,
        Command::Store(c) => {
            records::stores_or_terminals(tapstand_records::RecordKind::Stores, c, &core, json).await
        }
        Command::Db(DbCommand::CopyTo { url }) => {
            let r = core.copy_to_team(&url).await?;
            if json {
                output::json(&r);
            } else {
                if r.already_copied {
                    println!("团队数据库里已经是这些数据，没有重复复制。 / The team database already holds this data; nothing was copied again.");
                } else {
                    println!("已复制到团队数据库 / Copied to the team database:");
                }
                for t in &r.tables {
                    println!("  {:<18} {:>8}", t.table, t.rows);
                }
            }
            Ok(())
        }
        Command::Terminal(c) => {
            records::stores_or_terminals(tapstand_records::RecordKind::Terminals, c, &core, json)
                .await
        }
    }
}
