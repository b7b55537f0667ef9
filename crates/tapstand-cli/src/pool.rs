//! `tapstand-cli pool generate|list`: the pool of pre-generated links (团队模式).

use clap::{ArgGroup, Args, Subcommand};
use tapstand_core::{lookup, Core, UserError};

use crate::output;
use crate::wechat::ProfileArg;

#[derive(Subcommand, Debug)]
pub enum PoolCommand {
    /// Generate N links for a target into its pool (needs the profile's AppSecret; each link counts
    /// towards WeChat's quota). Finishes first any link an earlier run left unfinished.
    Generate(GenerateArgs),
    /// What is left in each target's pool.
    List,
}

#[derive(Args, Debug)]
#[command(group(ArgGroup::new("target").required(true).args(["store", "terminal", "all_stores_target"])))]
pub struct GenerateArgs {
    #[command(flatten)]
    pub profile: ProfileArg,
    /// The device model (model_id, name or id); 一机一码 only.
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
    /// How many links (1–10,000; paced under WeChat's per-second limit, progress on stderr).
    #[arg(long)]
    pub count: u32,
    /// Confirm the page and query every link of this target opens for ever (asked once per target).
    #[arg(long)]
    pub yes: bool,
}

pub async fn run(c: PoolCommand, core: &Core, json: bool) -> Result<(), UserError> {
    match c {
        PoolCommand::Generate(a) => {
            let profile = a.profile.resolve(core).await?;
            let model = lookup::model(&core.db, &a.model).await?;
            let choice =
                crate::station::choice(core, &a.store, &a.terminal, a.all_stores_target).await?;
            if a.yes {
                core.confirm_link(&core.target(&profile, &model, &choice).await?)
                    .await?;
            }
            let show = |done: u32, total: u32| {
                if done == total || done.is_multiple_of(100) {
                    eprintln!("生成中 generating {done}/{total}");
                }
            };
            let r = core
                .pool_generate_with(&profile, &model, &choice, a.count, &show)
                .await?;
            if json {
                output::json(&r);
            } else {
                if r.finished > 0 {
                    println!(
                        "完成了上次没有生成完的 {} 个链接 / finished {} links an earlier run left unfinished",
                        r.finished, r.finished
                    );
                }
                println!(
                    "已为“{}”生成 {} 个链接，可用 {} 个 / generated {} links for \"{}\", {} free",
                    r.summary.target_label,
                    r.generated,
                    r.summary.free,
                    r.generated,
                    r.summary.target_label,
                    r.summary.free
                );
            }
        }
        PoolCommand::List => {
            let list = core.pool_list().await?;
            if json {
                output::json(&list);
            } else if list.is_empty() {
                println!("还没有预生成的链接。 / No pre-generated links yet.");
            } else {
                println!("目标 target                     model_id          可用 free  已领 claimed  已写 written  未完成 unfinished");
                for s in &list {
                    println!(
                        "{:<30} {:<17} {:>9} {:>12} {:>12} {:>18}",
                        s.target_label, s.model_id, s.free, s.claimed, s.written, s.unfinished
                    );
                }
            }
        }
    }
    Ok(())
}
