//! `tapstand-cli write …` (the write station, headless: one line per tag) and `tapstand-cli history …`.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use clap::{ArgGroup, Args};
use serde::Serialize;
use tapstand_core::{lookup, CheckWith, Core, StationSetup, UserError};
use tapstand_station::inspect::{Inspection, Verdict};
use tapstand_station::{StationEvent, StationOptions, TapOutcome, TargetChoice};
use tapstand_store::station::HistoryFilter;

use crate::output;
use crate::tag::InspectArgs;
use crate::wechat::ProfileArg;

#[derive(Args, Debug)]
#[command(group(ArgGroup::new("target").required(true).args(["store", "terminal", "all_stores_target"])))]
pub struct WriteArgs {
    #[command(flatten)]
    pub profile: ProfileArg,
    /// The device model (model_id, name or id).
    #[arg(long)]
    pub model: String,
    /// Target store (机构编号, name or id).
    #[arg(long)]
    pub store: Option<String>,
    /// Target front-desk terminal (终端号, 机器号 or id).
    #[arg(long)]
    pub terminal: Option<String>,
    /// 不区分门店: one target for every store.
    #[arg(long)]
    pub all_stores_target: bool,
    /// Stop after this many tags (default: until Ctrl-C).
    #[arg(long)]
    pub count: Option<u32>,
    /// Permanently lock each tag after verifying it (cannot be undone).
    #[arg(long)]
    pub lock: bool,
    /// Overwrite tags that hold another WeChat link.
    #[arg(long)]
    pub overwrite: bool,
    /// Operator name recorded with each tag.
    #[arg(long, default_value = "")]
    pub operator: String,
    /// Reader name (or part of it); default: the reader a tag is put on.
    #[arg(long)]
    pub reader: Option<String>,
    /// Write each tag with a link from the target's pool of pre-generated links (`pool generate` on a PC
    /// with the AppSecret): no AppSecret needed here, WeChat is never called.
    #[arg(long)]
    pub from_pool: bool,
    /// Confirm the page and query every link of this target opens for ever (asked once per target;
    /// needed before its first link is generated).
    #[arg(long)]
    pub yes: bool,
}

/// The target of a write or a pool: exactly one of --store, --terminal, --all-stores-target.
pub async fn choice(
    core: &Core,
    store: &Option<String>,
    terminal: &Option<String>,
    all_stores: bool,
) -> Result<TargetChoice, UserError> {
    let db = &core.db;
    Ok(match (store, terminal, all_stores) {
        (Some(s), None, false) => TargetChoice::Store {
            id: lookup::store(db, s).await?.id,
        },
        (None, Some(t), false) => TargetChoice::Terminal {
            id: lookup::terminal(db, t).await?.id,
        },
        (None, None, true) => TargetChoice::AllStores,
        _ => {
            return Err(usage(
                "请只选一个目标：--store、--terminal 或 --all-stores-target。",
                "Pick exactly one target: --store, --terminal or --all-stores-target.",
            ))
        }
    })
}

#[derive(Args, Debug)]
pub struct HistoryArgs {
    /// Only this store (机构编号, name or id).
    #[arg(long)]
    pub store: Option<String>,
    /// Only this terminal (终端号, 机器号 or id).
    #[arg(long)]
    pub terminal: Option<String>,
    /// Only attempts on or after this date (YYYY-MM-DD, China time).
    #[arg(long)]
    pub since: Option<String>,
    /// Only attempts on or before this date (YYYY-MM-DD, China time, the whole day).
    #[arg(long)]
    pub until: Option<String>,
    /// `ok`, `failed` or `all` (default).
    #[arg(long)]
    pub result: Option<String>,
    /// Only attempts whose UID, sn, target, link or operator contains this text.
    #[arg(long)]
    pub search: Option<String>,
    /// At most this many rows (newest first).
    #[arg(long)]
    pub limit: Option<i64>,
    /// Export the matching rows (all of them unless --limit) to this CSV file instead of printing them
    /// (UTF-8 with BOM, opens in Excel; the file is replaced only when the export is complete).
    #[arg(long)]
    pub csv: Option<PathBuf>,
    /// Export the matching rows to this file instead of printing them: FILE.xlsx (Excel workbook: text
    /// cells, China time, frozen header, filters) or any other name for CSV.
    #[arg(long, value_name = "FILE", conflicts_with = "csv")]
    pub export: Option<PathBuf>,
}

fn usage(zh: &str, en: &str) -> UserError {
    UserError::new(
        "cli.usage",
        (zh, "请检查命令参数。"),
        (en, "Check the arguments."),
    )
}

#[derive(Serialize)]
struct TagLine<'a> {
    n: u32,
    result: &'a str,
    uid: &'a str,
    chip: &'a str,
    sn: &'a str,
    openlink: Option<&'a str>,
    scheme_source: Option<&'a str>,
    target: &'a str,
    path: &'a str,
    query: &'a str,
    total_ms: i64,
    /// NXP original chip (null: cannot be checked).
    genuine: Option<bool>,
    error: Option<&'a UserError>,
}

fn print_outcome(json: bool, n: u32, o: &TapOutcome) {
    let a = &o.attempt;
    if json {
        output::json_line(&TagLine {
            n,
            result: o.result.as_str(),
            uid: &a.uid,
            chip: &a.chip,
            sn: &a.sn,
            openlink: a.openlink.as_deref(),
            scheme_source: a.scheme_source.as_deref(),
            target: &a.target_label,
            path: &a.path,
            query: &a.query,
            total_ms: a.total_ms,
            genuine: a.genuine,
            error: o.error.as_ref(),
        });
    } else {
        let word = match o.result {
            tapstand_station::TapResult::Written => "✔ 写入成功 written",
            tapstand_station::TapResult::AlreadyCorrect => "✔ 已是正确内容 already correct",
            tapstand_station::TapResult::NeedsConfirmation => "？需要确认覆盖 needs confirmation",
            tapstand_station::TapResult::Failed => "✘ 失败 failed",
        };
        println!(
            "#{n} {word}  UID {}  {}  {}  {} ms",
            a.uid,
            a.chip,
            tapstand_station::genuine::verdict_zh(a.genuine),
            a.total_ms
        );
        if let Some(e) = &o.error {
            eprintln!("{}", e.to_text());
        }
    }
}

pub async fn write(a: WriteArgs, core: &Core, json: bool) -> Result<(), UserError> {
    let db = &core.db;
    let profile = a.profile.resolve(core).await?;
    let model = lookup::model(db, &a.model).await?;
    let choice = choice(core, &a.store, &a.terminal, a.all_stores_target).await?;
    if a.yes {
        core.confirm_link(&core.target(&profile, &model, &choice).await?)
            .await?;
    }
    let station = core
        .station(StationSetup {
            profile,
            model,
            choice,
            options: StationOptions {
                lock: a.lock,
                overwrite: a.overwrite,
                operator: a.operator.clone(),
                from_pool: a.from_pool,
            },
        })
        .await?;
    let target = station.target().clone();
    if !json {
        println!(
            "目标 target: {}  页面 page: {}  (model_id {})",
            target.label,
            target.preview(),
            target.model_id
        );
        println!("请把标签放到读卡器上 Put a tag on the reader…");
    } else {
        output::json_line(
            &serde_json::json!({ "event": "target", "target": &target, "preview": target.preview() }),
        );
    }
    let count = a.count;
    let reader = a.reader.clone();
    let summary = tokio::task::spawn_blocking(move || {
        let n = std::sync::atomic::AtomicU32::new(0);
        let station = station.with_events(Arc::new(move |e: &StationEvent| match e {
            StationEvent::Done { outcome } => {
                let i = n.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                print_outcome(json, i, outcome);
            }
            StationEvent::RemoveTag if !json => {
                println!("请拿走标签，放下一张 Remove the tag, place the next.")
            }
            StationEvent::ReaderUnplugged if !json => {
                eprintln!("读卡器已拔出，等待重新连接… Reader unplugged, waiting…")
            }
            StationEvent::ReaderBack if !json => eprintln!("读卡器已连接 Reader back."),
            // On stderr in both modes (a --json reader keeps one object per tag on stdout).
            StationEvent::Problem { error } => eprintln!("{error}"),
            _ => {}
        }));
        let stop = AtomicBool::new(false);
        let mut pcsc = tapstand_tag::Pcsc::new();
        station.run(&mut pcsc, reader.as_deref(), &stop, count)
    })
    .await
    .map_err(UserError::internal)?;
    if json {
        output::json_line(&serde_json::json!({ "event": "summary", "summary": summary }));
    } else {
        println!(
            "完成 done: 写入 {} / 已正确 {} / 需确认 {} / 失败 {}",
            summary.written, summary.already_correct, summary.needs_confirmation, summary.failed
        );
    }
    if summary.failed > 0 || summary.needs_confirmation > 0 {
        std::process::exit(1);
    }
    Ok(())
}

/// `tapstand-cli inspect --explain`: read the tag, then say what it is. Unknown WeChat links are checked
/// with the chosen profile (errors are reported), or the only profile with a saved secret (best effort).
pub async fn check(a: InspectArgs, core: Core, json: bool) -> Result<(), UserError> {
    let with = if a.offline {
        CheckWith::Offline
    } else if let Some(p) = &a.profile {
        CheckWith::Profile {
            profile: lookup::profile(&core.db, p).await?,
            required: true,
        }
    } else {
        let with_secret = tapstand_records::list_profiles(&core.db)
            .await?
            .iter()
            .filter(|p| p.secret_saved)
            .count();
        if with_secret > 1 && !json {
            eprintln!(
                "有多个小程序配置：要核对别的微信链接，请用 --profile 指定。 Several profiles: pass --profile to check unknown WeChat links."
            );
        }
        CheckWith::OnlyWithSecret
    };
    let reader = a.pick.reader.clone();
    let wait = Duration::from_secs(a.pick.wait);
    let core = Arc::new(core);
    let reading = core.clone();
    let report = tokio::task::spawn_blocking(move || reading.read_tag(reader.as_deref(), wait))
        .await
        .map_err(UserError::internal)??;
    let i = core.explain(&report, &with).await?;
    if json {
        output::json(&i);
    } else {
        print_inspection(&i);
    }
    Ok(())
}

fn print_inspection(i: &Inspection) {
    println!("{}", i.headline.zh);
    println!("→ {}", i.advice.zh);
    for p in &i.problems {
        println!("  · {}", p.zh);
    }
    if let Some(m) = &i.record_match {
        println!("记录：{}", m.message.zh);
    }
    println!();
    println!("{}", i.headline.en);
    println!("→ {}", i.advice.en);
    for p in &i.problems {
        println!("  · {}", p.en);
    }
    if let Some(m) = &i.record_match {
        println!("Record: {}", m.message.en);
    }
    println!();
    let yes_no = |b: bool| if b { "是 / yes" } else { "否 / no" };
    println!("UID:                 {}", i.uid.as_deref().unwrap_or("-"));
    println!("芯片 / Chip:         {}", i.chip);
    println!("                     {}", i.chip_words.zh);
    println!("                     {}", i.chip_words.en);
    println!(
        "原厂 / Genuine:      {} / {}",
        i.genuine_words.zh, i.genuine_words.en
    );
    println!("读卡器 / Reader:     {}", i.reader);
    match (i.used, i.capacity) {
        (Some(u), Some(c)) => println!("已用 / Used:         {u} / {c} 字节 bytes"),
        (None, Some(c)) => println!("容量 / Capacity:     {c} 字节 bytes"),
        _ => {}
    }
    println!("锁定 / Locked:       {}", yes_no(i.locked));
    println!("密码 / Password:     {}", yes_no(i.password_protected));
    println!("可写 / Writable:     {}", yes_no(i.writable));
    match &i.verdict {
        Verdict::Ours {
            openlink,
            model_id,
            sn,
            path,
            query,
            ..
        } => {
            println!("链接 / Link:         {openlink}");
            println!("model_id / sn:       {model_id} / {sn}");
            println!("页面 / Page:         {path}?{query}");
        }
        Verdict::WechatOther {
            openlink, source, ..
        } => {
            println!("链接 / Link:         {openlink}  ({source})");
        }
        Verdict::Damaged { detail } => println!("详情 / Detail:       {detail}"),
        _ => {}
    }
    if let Some(e) = &i.lookup_error {
        eprintln!("{}", e.to_text());
    }
}

/// `YYYY-MM-DD` → unix ms at midnight China time (UTC+8).
fn parse_date(s: &str) -> Option<i64> {
    let mut it = s.trim().split('-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: i64 = it.next()?.parse().ok()?;
    let d: i64 = it.next()?.parse().ok()?;
    if it.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // Days from civil (Howard Hinnant).
    let (y2, m2) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * m2 + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    Some(days * 86_400_000 - 8 * 3_600_000)
}

pub async fn history(a: HistoryArgs, core: &Core, json: bool) -> Result<(), UserError> {
    let db = &core.db;
    let mut f = HistoryFilter::default();
    if let Some(s) = &a.store {
        f.store_id = Some(lookup::store(db, s).await?.id);
    }
    if let Some(t) = &a.terminal {
        f.terminal_id = Some(lookup::terminal(db, t).await?.id);
    }
    if let Some(d) = &a.since {
        f.since_ms =
            Some(parse_date(d).ok_or_else(|| {
                usage("日期格式应为 YYYY-MM-DD。", "The date must be YYYY-MM-DD.")
            })?);
    }
    if let Some(d) = &a.until {
        f.until_ms = Some(
            parse_date(d).ok_or_else(|| {
                usage("日期格式应为 YYYY-MM-DD。", "The date must be YYYY-MM-DD.")
            })? + 86_400_000,
        );
    }
    if let Some(r) = &a.result {
        if !matches!(r.as_str(), "ok" | "failed" | "all") {
            return Err(usage(
                "--result 只能是 ok、failed 或 all。",
                "--result is ok, failed or all.",
            ));
        }
        f.result = Some(r.clone());
    }
    f.search = a.search.clone();
    f.limit = a.limit;
    if let Some(path) = a.export.as_ref().or(a.csv.as_ref()) {
        // The export streams every matching row (or the newest --limit) straight into the file; nothing is
        // printed per row, so 100,000 rows do not pass through memory or the terminal. `--csv` is always
        // CSV; `--export` is .xlsx when the name ends so.
        let rows = if a.export.is_some() {
            core.export_history(&f, path).await?
        } else {
            tapstand_station::history::export_csv_file(db, &f, path).await?
        };
        if json {
            output::json_line(&serde_json::json!({ "path": path, "rows": rows }));
        } else {
            println!(
                "已导出 {rows} 条记录到 {} / Exported {rows} rows to {}",
                path.display(),
                path.display()
            );
        }
        return Ok(());
    }
    let page = tapstand_station::history::page(db, &f).await?;
    let rows = page.rows;
    if json {
        for r in &rows {
            output::json_line(r);
        }
    } else {
        for r in &rows {
            println!(
                "{}  {:<16} {:<8} {:<18} {:<20} {} ms {}",
                tapstand_station::history::china_time(r.started_at),
                r.result,
                r.chip,
                r.uid,
                r.target_label,
                r.total_ms,
                r.error_zh.as_deref().unwrap_or("")
            );
        }
        println!(
            "共 {} 条（成功 {}，失败 {}，{} 张标签）/ {} rows ({} ok, {} failed, {} tags){}",
            page.total,
            page.ok,
            page.failed,
            page.tags,
            page.total,
            page.ok,
            page.failed,
            page.tags,
            if (rows.len() as i64) < page.total {
                format!("；显示最新 {} 条 / newest {} shown", rows.len(), rows.len())
            } else {
                String::new()
            }
        );
    }
    Ok(())
}

#[derive(clap::Subcommand, Debug)]
pub enum TagsCommand {
    /// Export the register (one row per tag: UID, chip, genuine check, target, sn, link, locked, first
    /// and last written, operator) to FILE.xlsx.
    Export(TagsExportArgs),
}

#[derive(clap::Args, Debug)]
pub struct TagsExportArgs {
    /// The .xlsx file to write (replaced only when the export is complete).
    pub file: PathBuf,
}

pub async fn tags(cmd: TagsCommand, core: &Core, json: bool) -> Result<(), UserError> {
    match cmd {
        TagsCommand::Export(a) => {
            let n = core.export_tag_register(&a.file).await?;
            if json {
                output::json_line(&serde_json::json!({ "path": a.file, "tags": n }));
            } else {
                println!(
                    "已导出 {n} 张标签到 {} / Exported {n} tags to {}",
                    a.file.display(),
                    a.file.display()
                );
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_china_midnight() {
        // 2026-01-01 00:00 +08:00 = 2025-12-31 16:00 UTC.
        assert_eq!(parse_date("2026-01-01"), Some(1_767_196_800_000));
        assert_eq!(parse_date("2026-13-01"), None);
    }
}
