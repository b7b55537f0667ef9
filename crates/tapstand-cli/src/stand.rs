//! The stand after the write: `audit` (巡检), `replace` (换标签), `repoint`, `stands retired`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Subcommand};
use serde_json::json;
use tapstand_core::{lookup, CheckWith, Core, UserError};

use crate::output;
use crate::tag::PickReader;
use crate::wechat::ProfileArg;

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Start a 巡检 of a store: prints its id and the stands the register knows there.
    Start {
        /// The store (机构编号, name or id).
        #[arg(long)]
        store: String,
        /// Operator name recorded with the audit.
        #[arg(long, default_value = "")]
        operator: String,
    },
    /// Read the tag on the reader and judge it (one JSON line with --json).
    Tap(AuditTapArgs),
    /// End the audit: counts per verdict, the stands not tapped, and the report.
    Finish {
        /// The audit (default: the one in progress).
        #[arg(long)]
        audit: Option<i64>,
        /// Write the report to this .xlsx file.
        #[arg(long, value_name = "FILE")]
        report: Option<PathBuf>,
        /// English headers and words in the report.
        #[arg(long)]
        english: bool,
    },
    /// The audits kept in 记录, newest first.
    List,
}

#[derive(Args, Debug)]
pub struct AuditTapArgs {
    /// The audit (default: the one in progress).
    #[arg(long)]
    pub audit: Option<i64>,
    /// Lock the tag now when it holds its right link but is not locked (permanent).
    #[arg(long)]
    pub lock: bool,
    /// Decide from the local records only (do not ask WeChat about links that are not ours).
    #[arg(long)]
    pub offline: bool,
    #[command(flatten)]
    pub pick: PickReader,
}

#[derive(Args, Debug)]
pub struct ReplaceArgs {
    /// The UID of the stand's old tag (from 记录, or read from the old tag with `inspect`).
    #[arg(long)]
    pub old_uid: String,
    /// The device model when the UID has rows for several.
    #[arg(long)]
    pub model: Option<String>,
    /// Why: broken, lost, tampered or other.
    #[arg(long, default_value = "broken")]
    pub reason: String,
    /// Permanently lock the new tag after verifying it.
    #[arg(long)]
    pub lock: bool,
    #[arg(long, default_value = "")]
    pub operator: String,
    #[command(flatten)]
    pub pick: PickReader,
}

#[derive(Args, Debug)]
pub struct RepointArgs {
    #[command(flatten)]
    pub profile: ProfileArg,
    /// The stand's tag (its UID); the tag must be on the reader.
    #[arg(long)]
    pub uid: String,
    /// The device model (model_id, name or id).
    #[arg(long)]
    pub model: String,
    /// The new target store (机构编号, name or id).
    #[arg(long)]
    pub store: Option<String>,
    /// The new target terminal (终端号, 机器号 or id).
    #[arg(long)]
    pub terminal: Option<String>,
    /// Take the new link from the target's pool instead of generating it.
    #[arg(long)]
    pub from_pool: bool,
    /// Permanently lock the tag after verifying it.
    #[arg(long)]
    pub lock: bool,
    #[arg(long, default_value = "")]
    pub operator: String,
    #[command(flatten)]
    pub pick: PickReader,
}

fn blocking_err(e: tokio::task::JoinError) -> UserError {
    UserError::internal(e)
}

pub async fn audit(c: AuditCommand, core: Core, json_mode: bool) -> Result<(), UserError> {
    match c {
        AuditCommand::Start { store, operator } => {
            let r = core.audit_start(&store, &operator).await?;
            if json_mode {
                output::json_line(&json!({
                    "audit": r.id, "store": r.scope.store_label, "stands": r.untapped,
                }));
            } else {
                println!(
                    "巡检 #{} 开始：{}，登记的立牌 {} 个 / audit #{} started: {} stands registered",
                    r.id,
                    r.scope.store_label,
                    r.untapped.len(),
                    r.id,
                    r.untapped.len()
                );
            }
        }
        AuditCommand::Tap(a) => {
            let mut report = core.audit_load(a.audit).await?;
            let with = if a.offline {
                CheckWith::Offline
            } else {
                CheckWith::OnlyWithSecret
            };
            let core = Arc::new(core);
            let (entry, report) = tokio::task::spawn_blocking(move || {
                let wait = Duration::from_secs(a.pick.wait);
                core.audit_tap(&mut report, a.pick.reader.as_deref(), wait, a.lock, &with)
                    .map(|e| (e, report))
            })
            .await
            .map_err(blocking_err)??;
            if json_mode {
                output::json_line(&entry);
            } else {
                println!(
                    "{}  {} / {}\n  {}\n  {}",
                    entry.uid,
                    entry.verdict.label().zh,
                    entry.verdict.label().en,
                    entry.found.zh,
                    entry.advice.zh
                );
                if entry.locked_now {
                    println!("  已锁定 / locked now");
                }
                println!(
                    "  还没碰的立牌 / stands not tapped yet: {}",
                    report.untapped.len()
                );
            }
        }
        AuditCommand::Finish {
            audit,
            report: path,
            english,
        } => {
            let mut r = core.audit_load(audit).await?;
            core.audit_finish(&mut r, path.as_deref(), english).await?;
            if json_mode {
                output::json_line(&json!({
                    "audit": r.id, "store": r.scope.store_label, "counts": r.counts,
                    "untapped": r.untapped, "entries": r.entries.len(),
                    "report": path,
                }));
            } else {
                println!(
                    "巡检 #{} 完成：{} / audit #{} finished",
                    r.id, r.scope.store_label, r.id
                );
                for (k, n) in &r.counts {
                    println!("  {k}: {n}");
                }
                for s in &r.untapped {
                    println!("  未巡检 / not tapped: {} {}", s.uid, s.target_label);
                }
                if let Some(p) = path {
                    println!("报告 / report: {}", p.display());
                }
            }
        }
        AuditCommand::List => {
            let rows = core.audits(200).await?;
            if json_mode {
                let list: Vec<_> = rows
                    .iter()
                    .map(|r| {
                        json!({"audit": r.id, "store": r.store_label, "started_at": r.started_at,
                               "finished_at": r.finished_at, "operator": r.operator})
                    })
                    .collect();
                output::json(&list);
            } else {
                for r in rows {
                    println!(
                        "#{}  {}  {}{}",
                        r.id,
                        tapstand_station::history::china_time(r.started_at),
                        r.store_label,
                        if r.finished_at.is_none() {
                            "  (进行中 / in progress)"
                        } else {
                            ""
                        }
                    );
                }
            }
        }
    }
    Ok(())
}

pub async fn replace(a: ReplaceArgs, core: Core, json_mode: bool) -> Result<(), UserError> {
    let model_id = match &a.model {
        Some(m) => Some(
            lookup::model(&core.db, m)
                .await?
                .model_id
                .unwrap_or_default(),
        ),
        None => None,
    };
    let old = core.stand_by_uid(&a.old_uid, model_id.as_deref()).await?;
    let core = Arc::new(core);
    let r = tokio::task::spawn_blocking(move || {
        core.replace_stand(
            &old,
            &a.reason,
            a.lock,
            &a.operator,
            a.pick.reader.as_deref(),
            Duration::from_secs(a.pick.wait),
        )
    })
    .await
    .map_err(blocking_err)??;
    if json_mode {
        output::json_line(&r);
    } else {
        println!(
            "已换标签：{} 的链接写到新标签 {}（旧标签 {} 已停用）/ replaced: the stand's link is on {} (old {} retired)",
            r.target_label, r.new_uid, r.old_uid, r.new_uid, r.old_uid
        );
    }
    Ok(())
}

pub async fn repoint(a: RepointArgs, core: Core, json_mode: bool) -> Result<(), UserError> {
    let profile = a.profile.resolve(&core).await?;
    let model = lookup::model(&core.db, &a.model).await?;
    let choice = crate::station::choice(&core, &a.store, &a.terminal, false).await?;
    let stand = core.stand_by_uid(&a.uid, model.model_id.as_deref()).await?;
    let core = Arc::new(core);
    let r = tokio::task::spawn_blocking(move || {
        core.repoint_stand(
            &stand,
            &profile,
            &model,
            &choice,
            a.from_pool,
            a.lock,
            &a.operator,
            a.pick.reader.as_deref(),
            Duration::from_secs(a.pick.wait),
        )
    })
    .await
    .map_err(blocking_err)??;
    if json_mode {
        output::json_line(&r);
    } else {
        println!(
            "已改指向：{} → {}\n新链接 / new link: {}\n{}\n{}",
            r.old_target_label, r.target_label, r.openlink, r.warning_zh, r.warning_en
        );
    }
    Ok(())
}

pub async fn retired(core: Core, json_mode: bool) -> Result<(), UserError> {
    let rows = core.retired_tags(1000).await?;
    if json_mode {
        output::json(&rows);
    } else {
        for r in rows {
            println!(
                "{}  {}  {} → {}  {}",
                tapstand_station::history::china_time(r.retired_at),
                r.target_label,
                r.uid,
                r.replaced_by,
                tapstand_station::audit::reason_zh(&r.reason)
            );
        }
    }
    Ok(())
}
