//! Records from the command line: `profile`, `model`, `store`, `terminal` — the same rules and storage as
//! the app (tapstand-records). `profile set-secret` reads the AppSecret from stdin, never from argv.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use tapstand_core::{lookup, Core, UserError};
use tapstand_error::FieldIssue;
use tapstand_records::import::{ImportOptions, ImportPreview, RowAction};
use tapstand_records::RecordKind;
use tapstand_store::records::{DeviceModelInput, ProfileInput};

use crate::output;

#[derive(Subcommand, Debug)]
pub enum ProfileCommand {
    /// Add a mini program profile.
    Add(ProfileAdd),
    /// Change a profile: only the options given change.
    Edit(ProfileEdit),
    /// List the profiles (whether a secret is saved; never the secret).
    List,
    /// Save the AppSecret in the OS keychain, read from stdin.
    SetSecret(ProfileRef),
    /// Save the profile's tag key in the OS keychain (typed without echo, or stdin): the passwords of
    /// tags written with --password-protect are derived from it; type the same key on every PC of a team.
    SetTagKey(ProfileRef),
    /// Test the connection: fetch an access token with the saved AppSecret.
    Test(ProfileRef),
}

#[derive(Args, Debug)]
pub struct ProfileAdd {
    #[arg(long)]
    pub name: String,
    #[arg(long)]
    pub appid: String,
    /// release, trial or develop.
    #[arg(long, default_value = "release")]
    pub env: String,
    /// The membership page the tag opens, e.g. pages/member/card.
    #[arg(long, default_value = "")]
    pub page: String,
    /// Query template, e.g. store={org_code}&sn={sn}.
    #[arg(long, default_value = "")]
    pub query: String,
    /// 只写 NXP 原厂芯片: the station refuses every chip that is not an NXP original.
    #[arg(long)]
    pub only_genuine: bool,
}

#[derive(Args, Debug)]
pub struct ProfileEdit {
    /// Profile name, AppID or id.
    #[arg(long)]
    pub profile: String,
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long)]
    pub appid: Option<String>,
    /// release, trial or develop.
    #[arg(long)]
    pub env: Option<String>,
    #[arg(long)]
    pub page: Option<String>,
    #[arg(long)]
    pub query: Option<String>,
    /// 只写 NXP 原厂芯片: `--only-genuine` (or `=true`) turns it on, `--only-genuine=false` off.
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    pub only_genuine: Option<bool>,
}

#[derive(Args, Debug)]
pub struct ProfileRef {
    /// Profile name, AppID or id.
    #[arg(long)]
    pub profile: String,
}

#[derive(Subcommand, Debug)]
pub enum ModelCommand {
    /// Record a device model (型号) registered on the WeChat admin console.
    Add(ModelAdd),
    List,
    /// Move a model along the workflow: registering, registered, applying, approved, rejected.
    SetStatus(ModelStatus),
}

#[derive(Args, Debug)]
pub struct ModelAdd {
    /// 型号, e.g. ZHS-NTAG216.
    #[arg(long)]
    pub name: String,
    #[arg(long)]
    pub model_id: Option<String>,
    /// per_device (一机一码) or per_model (一型一码).
    #[arg(long, default_value = "per_device")]
    pub link: String,
    #[arg(long, default_value = "registering")]
    pub status: String,
    /// Profile name, AppID or id this model belongs to.
    #[arg(long)]
    pub profile: Option<String>,
    #[arg(long, default_value = "")]
    pub notes: String,
}

#[derive(Args, Debug)]
pub struct ModelStatus {
    #[arg(long)]
    pub id: i64,
    #[arg(long)]
    pub status: String,
    #[arg(long, default_value = "")]
    pub reason: String,
    #[arg(long)]
    pub model_id: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum ListOrImport {
    /// Import a CSV (UTF-8 with or without BOM, or GBK/GB18030) or an Excel workbook (.xlsx, .xls; told
    /// from the content): every row or none.
    Import(ImportArgs),
    List(ListArgs),
    /// Export every record (archived too) to FILE.xlsx (Excel workbook) or a CSV file (UTF-8 with BOM,
    /// opens in Excel, imports back).
    Export(ExportArgs),
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// The file to write: `.xlsx` for an Excel workbook, anything else for CSV (replaced only when the
    /// export is complete).
    pub file: PathBuf,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    pub file: PathBuf,
    /// Only show what the import would do.
    #[arg(long)]
    pub dry_run: bool,
    /// The workbook's sheet to read (default: the only one, or the first with the header row).
    #[arg(long, value_name = "NAME")]
    pub sheet: Option<String>,
}

#[derive(Args, Debug)]
pub struct ListArgs {
    #[arg(long, default_value = "")]
    pub search: String,
    /// Include archived records.
    #[arg(long)]
    pub archived: bool,
}

fn print_warnings(json: bool, warnings: &[FieldIssue]) {
    if !json {
        for w in warnings {
            eprintln!("提示 / Note ({}): {} / {}", w.field, w.zh, w.en);
        }
    }
}

pub async fn profile(cmd: ProfileCommand, core: &Core, json: bool) -> Result<(), UserError> {
    let db = &core.db;
    match cmd {
        ProfileCommand::Add(a) => {
            let input = ProfileInput {
                name: a.name,
                appid: a.appid,
                env_version: a.env,
                page_path: a.page,
                query_template: a.query,
                only_genuine: a.only_genuine,
            };
            let saved = tapstand_records::save_profile(db, None, input).await?;
            print_warnings(json, &saved.warnings);
            if json {
                output::json(&saved);
            } else {
                println!(
                    "已添加 / Added: #{} {} ({})",
                    saved.value.id, saved.value.name, saved.value.appid
                );
            }
        }
        ProfileCommand::Edit(a) => {
            let p = lookup::profile(db, &a.profile).await?;
            let input = ProfileInput {
                name: a.name.unwrap_or(p.name),
                appid: a.appid.unwrap_or(p.appid),
                env_version: a.env.unwrap_or(p.env_version),
                page_path: a.page.unwrap_or(p.page_path),
                query_template: a.query.unwrap_or(p.query_template),
                only_genuine: a.only_genuine.unwrap_or(p.only_genuine),
            };
            let saved = tapstand_records::save_profile(db, Some(p.id), input).await?;
            print_warnings(json, &saved.warnings);
            if json {
                output::json(&saved);
            } else {
                let genuine = if saved.value.only_genuine {
                    "只写 NXP 原厂芯片 / only NXP original chips"
                } else {
                    "任何芯片 / any chip"
                };
                println!(
                    "已修改 / Saved: #{} {} ({})  {genuine}",
                    saved.value.id, saved.value.name, saved.value.appid
                );
            }
        }
        ProfileCommand::List => {
            let list = tapstand_records::list_profiles(db).await?;
            if json {
                output::json(&list);
            } else {
                for p in list {
                    let secret = if p.secret_saved {
                        "密钥已保存 / secret saved"
                    } else {
                        "未保存密钥 / no secret"
                    };
                    println!(
                        "#{} {}  {}  {}  {}",
                        p.id, p.name, p.appid, p.env_version, secret
                    );
                }
            }
        }
        ProfileCommand::SetSecret(r) => {
            let p = lookup::profile(db, &r.profile).await?;
            crate::wechat::set_secret(&p, core, json).await?;
        }
        ProfileCommand::SetTagKey(r) => {
            let p = lookup::profile(db, &r.profile).await?;
            let key = crate::output::read_secret_line(
                "请输入标签密码密钥后按回车（输入不会显示；团队每台电脑输入同一个）/ Type the tag key and press Enter (not shown; the same on every PC of the team): ",
            )?;
            core.save_tag_key(&p, key).await?;
            if json {
                crate::output::json(
                    &serde_json::json!({ "ok": true, "profile": p.id, "appid": p.appid }),
                );
            } else {
                println!(
                    "已把 {} 的标签密码密钥保存到系统钥匙串。/ The tag key of {} is in the OS keychain.",
                    p.appid, p.appid
                );
            }
        }
        ProfileCommand::Test(r) => {
            let p = lookup::profile(db, &r.profile).await?;
            crate::wechat::check(&p, core, json).await?;
        }
    }
    Ok(())
}

pub async fn model(cmd: ModelCommand, core: &Core, json: bool) -> Result<(), UserError> {
    let db = &core.db;
    match cmd {
        ModelCommand::Add(a) => {
            let profile_id = match &a.profile {
                Some(p) => Some(lookup::profile(db, p).await?.id),
                None => None,
            };
            let input = DeviceModelInput {
                profile_id,
                model_id: a.model_id,
                model_name: a.name,
                link_type: a.link,
                status: a.status,
                reject_reason: String::new(),
                notes: a.notes,
            };
            let saved = tapstand_records::save_device_model(db, None, input).await?;
            print_warnings(json, &saved.warnings);
            if json {
                output::json(&saved);
            } else {
                println!(
                    "已添加 / Added: #{} {} [{}]",
                    saved.value.id, saved.value.model_name, saved.value.status
                );
            }
        }
        ModelCommand::List => {
            let list = tapstand_records::list_device_models(db).await?;
            if json {
                output::json(&list);
            } else {
                for m in list {
                    println!(
                        "#{} {}  model_id={}  {}  {}",
                        m.id,
                        m.model_name,
                        m.model_id.as_deref().unwrap_or("-"),
                        m.link_type,
                        m.status
                    );
                }
            }
        }
        ModelCommand::SetStatus(s) => {
            let saved = tapstand_records::set_device_model_status(
                db, s.id, &s.status, &s.reason, s.model_id,
            )
            .await?;
            print_warnings(json, &saved.warnings);
            if json {
                output::json(&saved);
            } else {
                println!("#{} → {}", saved.value.id, saved.value.status);
            }
        }
    }
    Ok(())
}

pub async fn stores_or_terminals(
    kind: RecordKind,
    cmd: ListOrImport,
    core: &Core,
    json: bool,
) -> Result<(), UserError> {
    let db = &core.db;
    match cmd {
        ListOrImport::List(l) => match kind {
            RecordKind::Stores => {
                let list = tapstand_records::list_stores(db, &l.search, l.archived).await?;
                if json {
                    output::json(&list);
                } else {
                    for s in list {
                        println!("{}\t{}\t{}\t{}", s.org_code, s.company, s.name, s.address);
                    }
                }
            }
            RecordKind::Terminals => {
                let list = tapstand_records::list_terminals(db, &l.search, l.archived).await?;
                if json {
                    output::json(&list);
                } else {
                    for t in list {
                        println!("{}\t{}\t{}", t.machine_no, t.terminal_no, t.note);
                    }
                }
            }
        },
        ListOrImport::Export(a) => {
            let rows = core.export_records(kind, &a.file).await?;
            if json {
                output::json(&serde_json::json!({ "path": a.file, "rows": rows }));
            } else {
                println!(
                    "已导出 {rows} 条到 {} / Exported {rows} rows to {}",
                    a.file.display(),
                    a.file.display()
                );
            }
        }
        ListOrImport::Import(i) => {
            let bytes = tapstand_core::exports::read_import_file(&i.file)?;
            let options = ImportOptions {
                file_name: i.file.file_name().map(|n| n.to_string_lossy().into_owned()),
                sheet: i.sheet.clone(),
            };
            let preview = core.preview_import(kind, &bytes, &options).await?;
            if i.dry_run || !preview.can_commit() {
                report_preview(&preview, json);
                if !preview.can_commit() {
                    // The same refusal commit gives, with every row's problem.
                    core.commit_import(kind, &bytes, &options).await?;
                }
                return Ok(());
            }
            if !json {
                if let Some(sheet) = &preview.sheet {
                    if preview.sheets.len() > 1 {
                        eprintln!(
                            "工作表 / sheet: {sheet}（共 {} 个 / of {}: {}；用 --sheet 选择 / choose with --sheet）",
                            preview.sheets.len(),
                            preview.sheets.len(),
                            preview.sheets.join(", ")
                        );
                    }
                }
            }
            let r = core.commit_import(kind, &bytes, &options).await?;
            if json {
                output::json(&r);
            } else {
                println!(
                    "已导入 / Imported: {} 新增 new, {} 更新 updated, {} 未变 unchanged",
                    r.inserted, r.updated, r.unchanged
                );
            }
        }
    }
    Ok(())
}

fn report_preview(p: &ImportPreview, json: bool) {
    if json {
        output::json(p);
        return;
    }
    println!(
        "编码 / encoding: {:?}; 新增 new {}, 更新 updated {}, 未变 unchanged {}, 有错 invalid {}",
        p.encoding, p.new_rows, p.updated_rows, p.unchanged_rows, p.invalid_rows
    );
    if let Some(sheet) = &p.sheet {
        println!("工作表 / sheet: {sheet}（{}）", p.sheets.join(", "));
    }
    for f in &p.file_errors {
        println!("文件 / file: {} / {}", f.zh, f.en);
    }
    for r in p.rows.iter().filter(|r| r.action == RowAction::Invalid) {
        for e in &r.errors {
            match &p.sheet {
                Some(sheet) => println!(
                    "工作表“{sheet}”第 {} 行 / sheet '{sheet}' row {}: {} / {}",
                    r.line, r.line, e.zh, e.en
                ),
                None => println!("第 {} 行 / line {}: {} / {}", r.line, r.line, e.zh, e.en),
            }
        }
    }
}
