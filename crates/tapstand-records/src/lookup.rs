//! Finding a record from what the merchant typed (the CLI's `--profile`, `--model`, `--store`,
//! `--terminal`) or from an id the UI sent. One set of rules for every command:
//!
//! | record   | matched by, in this order                                             |
//! |----------|-----------------------------------------------------------------------|
//! | profile  | `#id`, name, AppID, id                                                |
//! | model    | `#id`, model_id, 型号 (model name), id                                 |
//! | store    | `#id`, 机构编号, 门店名称 (active stores only; must be unique), id       |
//! | terminal | `#id`, 终端号, 机器号, id                                               |
//!
//! A bare number is tried as a code or name first (机构编号 are often digits), then as a row id. Archived
//! stores and terminals are found by code and id (their history stays reachable), never by name.

use tapstand_error::UserError;
use tapstand_store::records::{DeviceModel, Profile, Store, Terminal};
use tapstand_store::Db;

/// What kind of record a lookup was for: the wording of its errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordName {
    Profile,
    Model,
    Store,
    Terminal,
}

impl RecordName {
    fn words(self) -> (&'static str, &'static str, &'static str, &'static str) {
        // (zh, en, the error code's noun, the CLI command that lists them)
        match self {
            RecordName::Profile => (
                "小程序配置",
                "mini program profile",
                "profile",
                "profile list",
            ),
            RecordName::Model => ("设备型号", "device model", "model", "model list"),
            RecordName::Store => ("门店", "store", "store", "store list"),
            RecordName::Terminal => (
                "前台终端",
                "front-desk terminal",
                "terminal",
                "terminal list",
            ),
        }
    }
}

/// No record matches `key`.
pub fn not_found(what: RecordName, key: &str) -> UserError {
    let (zh, en, code, list) = what.words();
    UserError::new(
        &format!("{code}.not_found"),
        (
            &format!("找不到{zh}“{key}”。"),
            &format!(
                "请检查名称或编号是否写对（用 `tapstand-cli {list}` 或应用里的列表查看已有的）。"
            ),
        ),
        (
            &format!("No {en} \"{key}\"."),
            &format!(
                "Check the name or number (see `tapstand-cli {list}` or the list in the app)."
            ),
        ),
    )
}

/// The record the UI picked is gone (deleted in another window, or by the CLI).
pub fn gone(what: RecordName) -> UserError {
    let (zh, en, code, _) = what.words();
    UserError::new(
        &format!("{code}.gone"),
        (
            &format!("所选的{zh}已不存在（可能刚被删除）。"),
            "请刷新页面后重新选择。",
        ),
        (
            &format!("The selected {en} no longer exists (perhaps just deleted)."),
            "Reload the page and choose again.",
        ),
    )
}

fn ambiguous(what: RecordName, key: &str, n: usize) -> UserError {
    let (zh, en, code, _) = what.words();
    UserError::new(
        &format!("{code}.ambiguous"),
        (
            &format!("有 {n} 个{zh}都叫“{key}”。"),
            "请改用编号指定（机构编号、终端号或 #编号）。",
        ),
        (
            &format!("{n} {en}s are called \"{key}\"."),
            "Use its code or #id instead.",
        ),
    )
}

/// `#12` → 12.
fn hash_id(key: &str) -> Option<i64> {
    key.strip_prefix('#')?.trim().parse().ok()
}

/// The one candidate, or an error naming the key. `tiers` are tried in order: the first tier with any
/// match decides (several matches in it are ambiguous).
fn pick<'a, T, const N: usize>(
    what: RecordName,
    key: &str,
    items: &'a [T],
    id_of: impl Fn(&T) -> i64,
    tiers: [&dyn Fn(&T) -> bool; N],
) -> Result<&'a T, UserError> {
    if let Some(id) = hash_id(key) {
        return items
            .iter()
            .find(|x| id_of(x) == id)
            .ok_or_else(|| not_found(what, key));
    }
    for tier in tiers {
        let found: Vec<&T> = items.iter().filter(|x| tier(x)).collect();
        match found[..] {
            [] => continue,
            [one] => return Ok(one),
            _ => return Err(ambiguous(what, key, found.len())),
        }
    }
    if let Ok(id) = key.parse::<i64>() {
        if let Some(x) = items.iter().find(|x| id_of(x) == id) {
            return Ok(x);
        }
    }
    Err(not_found(what, key))
}

fn clean(key: &str) -> &str {
    key.trim()
}

/// A profile by `#id`, name, AppID or id.
pub async fn profile(db: &Db, key: &str) -> Result<Profile, UserError> {
    let key = clean(key);
    let all = crate::list_profiles(db).await?;
    pick(
        RecordName::Profile,
        key,
        &all,
        |p| p.id,
        [&|p: &Profile| p.name == key, &|p: &Profile| p.appid == key],
    )
    .cloned()
}

/// A profile by the id the UI sent.
pub async fn profile_by_id(db: &Db, id: i64) -> Result<Profile, UserError> {
    db.get_profile(id)
        .await?
        .ok_or_else(|| gone(RecordName::Profile))
}

/// The profile named by `key`, or the only one there is (several, or none, is an error that says what to
/// do).
pub async fn profile_or_only(db: &Db, key: Option<&str>) -> Result<Profile, UserError> {
    if let Some(key) = key {
        return profile(db, key).await;
    }
    let mut all = crate::list_profiles(db).await?;
    match all.len() {
        1 => Ok(all.remove(0)),
        0 => Err(UserError::new(
            "profile.none",
            (
                "还没有小程序配置。",
                "请先用 `tapstand-cli profile add` 或在应用的“凭据”页添加小程序。",
            ),
            (
                "There is no mini program profile yet.",
                "Add one with `tapstand-cli profile add` or on the Credentials page of the app.",
            ),
        )),
        n => Err(UserError::new(
            "profile.choose",
            (
                &format!("有 {n} 个小程序配置，请指定用哪一个。"),
                "加上 --profile 名称（用 `tapstand-cli profile list` 查看）。",
            ),
            (
                &format!("There are {n} profiles; say which one."),
                "Add --profile NAME (see `tapstand-cli profile list`).",
            ),
        )),
    }
}

/// A device model by `#id`, model_id, name or id.
pub async fn model(db: &Db, key: &str) -> Result<DeviceModel, UserError> {
    let key = clean(key);
    let all = crate::list_device_models(db).await?;
    pick(
        RecordName::Model,
        key,
        &all,
        |m| m.id,
        [
            &|m: &DeviceModel| m.model_id.as_deref() == Some(key),
            &|m: &DeviceModel| m.model_name == key,
        ],
    )
    .cloned()
}

/// A device model by the id the UI sent.
pub async fn model_by_id(db: &Db, id: i64) -> Result<DeviceModel, UserError> {
    crate::list_device_models(db)
        .await?
        .into_iter()
        .find(|m| m.id == id)
        .ok_or_else(|| gone(RecordName::Model))
}

/// A store by `#id`, 机构编号, name (active stores) or id.
pub async fn store(db: &Db, key: &str) -> Result<Store, UserError> {
    let key = clean(key);
    let all = db.list_stores("", true).await?;
    store_in(&all, key).cloned()
}

/// The same rules over a list already loaded (several keys against one list).
pub fn store_in<'a>(all: &'a [Store], key: &str) -> Result<&'a Store, UserError> {
    let key = clean(key);
    pick(
        RecordName::Store,
        key,
        all,
        |s| s.id,
        [&|s: &Store| s.org_code == key, &|s: &Store| {
            s.name == key && s.archived_at.is_none()
        }],
    )
}

/// A terminal by `#id`, 终端号, 机器号 or id.
pub async fn terminal(db: &Db, key: &str) -> Result<Terminal, UserError> {
    let key = clean(key);
    let all = db.list_terminals("", true).await?;
    pick(
        RecordName::Terminal,
        key,
        &all,
        |t| t.id,
        [&|t: &Terminal| t.terminal_no == key, &|t: &Terminal| {
            t.machine_no == key
        }],
    )
    .cloned()
}
