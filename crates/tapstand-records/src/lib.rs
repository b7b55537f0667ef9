//! The merchant's records, with the rules a form and an import both follow:
//! mini program profiles (the AppSecret goes to the OS keychain and never comes back out to the UI),
//! WeChat device models with the registration helper, stores (门店) and front-desk terminals (前台终端).

pub mod import;
pub mod lookup;
pub mod registration;
mod validate;

use serde::{Deserialize, Serialize};
use tapstand_error::{FieldIssue, UserError};
use tapstand_secrets::{accounts, SecretError, SecretStore, SecretString};
use tapstand_store::records::{
    DeviceModel, DeviceModelInput, Profile, ProfileInput, Store, StoreInput, Terminal,
    TerminalInput,
};
use tapstand_store::{Db, StoreError};

pub use validate::{is_valid_appid, is_valid_model_id, looks_like_app_secret};

/// A saved record and the warnings (not errors) about it, e.g. an AppID that does not look like one.
#[derive(Clone, Debug, Serialize, specta::Type)]
pub struct Saved<T> {
    pub value: T,
    pub warnings: Vec<FieldIssue>,
}

fn validation_error(fields: Vec<FieldIssue>) -> UserError {
    let mut e = UserError::new(
        "validation",
        (
            "有内容需要修改，尚未保存。",
            "请按各输入框下方的提示修改后再保存。",
        ),
        (
            "Some entries need fixing; nothing was saved.",
            "Fix the fields marked below and save again.",
        ),
    );
    e.fields = fields;
    e
}

fn not_found(what_zh: &str, what_en: &str) -> UserError {
    UserError::new(
        "not_found",
        (
            &format!("{what_zh}不存在，可能已被删除。"),
            "请刷新列表后重试。",
        ),
        (
            &format!("The {what_en} does not exist; it may have been deleted."),
            "Refresh the list and try again.",
        ),
    )
}

fn referenced(what_zh: &str, what_en: &str) -> UserError {
    UserError::new(
        "in_use",
        (
            &format!("这个{what_zh}仍被其他记录（前台终端或已写的标签）引用，不能删除。"),
            "可以改为“归档”：归档后不再出现在列表和写卡目标中，历史记录保持完整。",
        ),
        (
            &format!("This {what_en} is still referenced by other records (terminals or written tags) and cannot be deleted."),
            "Archive it instead: it disappears from lists and write targets, and the history stays complete.",
        ),
    )
}

/// The keychain could not be used: say so and refuse (there is no file fallback).
pub fn keychain_error(e: SecretError) -> UserError {
    let native = tapstand_secrets::native_name();
    UserError::new(
        "keychain.unavailable",
        (
            &format!("无法使用系统钥匙串（{native}），小程序密钥没有保存。Tapstand 不会把密钥写入文件。"),
            "请确认已登录系统并解锁钥匙串（Linux 需要运行 GNOME Keyring 等 Secret Service），然后重试。",
        ),
        (
            &format!("The OS keychain ({native}) is not available; the AppSecret was not saved. Tapstand never writes it to a file."),
            "Make sure you are logged in and the keychain is unlocked (on Linux a Secret Service such as GNOME Keyring must run), then try again.",
        ),
    )
    .with_detail(e)
}

/// Maps a UNIQUE violation to a field error; any other storage error to its usual message.
fn store_err(e: StoreError, field: &str, zh: &str, en: &str) -> UserError {
    if e.is_unique_violation() {
        validation_error(vec![FieldIssue {
            field: field.into(),
            zh: zh.into(),
            en: en.into(),
        }])
    } else {
        e.into()
    }
}

/// The outcome of a delete: refused while referenced (archive instead), or not found.
fn deleted(r: Result<bool, StoreError>, what_zh: &str, what_en: &str) -> Result<(), UserError> {
    match r {
        Err(e) if e.is_referenced() => Err(referenced(what_zh, what_en)),
        Err(e) => Err(e.into()),
        Ok(false) => Err(not_found(what_zh, what_en)),
        Ok(true) => Ok(()),
    }
}

/// The outcome of an update that must hit one row.
fn updated(r: Result<bool, StoreError>, what_zh: &str, what_en: &str) -> Result<(), UserError> {
    if r? {
        Ok(())
    } else {
        Err(not_found(what_zh, what_en))
    }
}

// ---- profiles -------------------------------------------------------------------------------------------

pub async fn list_profiles(db: &Db) -> Result<Vec<Profile>, UserError> {
    Ok(db.list_profiles().await?)
}

/// Creates (`id` = None) or updates a profile.
pub async fn save_profile(
    db: &Db,
    id: Option<i64>,
    input: ProfileInput,
) -> Result<Saved<Profile>, UserError> {
    let (input, warnings) = validate::profile(input).map_err(validation_error)?;
    let dup = |e| {
        store_err(
            e,
            "appid",
            "这个 AppID 或名称已经存在。",
            "This AppID or name already exists.",
        )
    };
    let id = match id {
        None => db.insert_profile(&input).await.map_err(dup)?,
        Some(id) => {
            let before = db
                .get_profile(id)
                .await?
                .ok_or_else(|| not_found("小程序配置", "profile"))?;
            if before.appid != input.appid && before.secret_saved {
                return Err(validation_error(vec![FieldIssue {
                    field: "appid".into(),
                    zh: "已为原 AppID 保存了小程序密钥：请先移除密钥，再修改 AppID。".into(),
                    en: "An AppSecret is saved for the current AppID: remove it before changing the AppID.".into(),
                }]));
            }
            db.update_profile(id, &input).await.map_err(dup)?;
            id
        }
    };
    let value = db
        .get_profile(id)
        .await?
        .ok_or_else(|| not_found("小程序配置", "profile"))?;
    tracing::info!(profile = id, appid = %value.appid, "profile saved");
    Ok(Saved { value, warnings })
}

/// Saves the AppSecret in the OS keychain (never anywhere else) and returns format warnings.
pub async fn set_app_secret(
    db: &Db,
    secrets: &dyn SecretStore,
    profile_id: i64,
    secret: &str,
) -> Result<Vec<FieldIssue>, UserError> {
    let profile = db
        .get_profile(profile_id)
        .await?
        .ok_or_else(|| not_found("小程序配置", "profile"))?;
    let secret = secret.trim();
    if secret.is_empty() {
        return Err(validation_error(vec![FieldIssue {
            field: "secret".into(),
            zh: "请粘贴小程序密钥（AppSecret）。".into(),
            en: "Paste the AppSecret.".into(),
        }]));
    }
    let secret = SecretString::new(secret);
    let mut warnings = Vec::new();
    if !looks_like_app_secret(secret.expose()) {
        warnings.push(FieldIssue {
            field: "secret".into(),
            zh: "小程序密钥通常是 32 位小写字母和数字，请确认复制完整、没有多余字符。".into(),
            en: "An AppSecret is usually 32 lowercase hex characters: check it was copied whole."
                .into(),
        });
    }
    secrets
        .set(&accounts::app_secret(&profile.appid), &secret)
        .map_err(keychain_error)?;
    db.set_profile_secret_saved(profile_id, true).await?;
    tracing::info!(profile = profile_id, appid = %profile.appid, "AppSecret saved in the keychain");
    Ok(warnings)
}

pub async fn remove_app_secret(
    db: &Db,
    secrets: &dyn SecretStore,
    profile_id: i64,
) -> Result<(), UserError> {
    let profile = db
        .get_profile(profile_id)
        .await?
        .ok_or_else(|| not_found("小程序配置", "profile"))?;
    secrets
        .delete(&accounts::app_secret(&profile.appid))
        .map_err(keychain_error)?;
    db.set_profile_secret_saved(profile_id, false).await?;
    tracing::info!(profile = profile_id, "AppSecret removed from the keychain");
    Ok(())
}

/// The AppSecret, for the WeChat client only (never sent to the UI).
pub async fn app_secret(
    db: &Db,
    secrets: &dyn SecretStore,
    profile_id: i64,
) -> Result<SecretString, UserError> {
    let profile = db
        .get_profile(profile_id)
        .await?
        .ok_or_else(|| not_found("小程序配置", "profile"))?;
    secrets
        .get(&accounts::app_secret(&profile.appid))
        .map_err(keychain_error)?
        .ok_or_else(|| {
            UserError::new(
                "secret.missing",
                (
                    "这个小程序还没有保存密钥（AppSecret）。",
                    "请在“凭据”页粘贴小程序密钥并保存。",
                ),
                (
                    "No AppSecret is saved for this mini program.",
                    "Paste the AppSecret on the Credentials page and save it.",
                ),
            )
        })
}

pub async fn delete_profile(
    db: &Db,
    secrets: &dyn SecretStore,
    profile_id: i64,
) -> Result<(), UserError> {
    let profile = db
        .get_profile(profile_id)
        .await?
        .ok_or_else(|| not_found("小程序配置", "profile"))?;
    match db.delete_profile(profile_id).await {
        Err(e) if e.is_referenced() => return Err(referenced("小程序配置", "profile")),
        other => other?,
    };
    secrets
        .delete(&accounts::app_secret(&profile.appid))
        .map_err(keychain_error)?;
    Ok(())
}

// ---- device models --------------------------------------------------------------------------------------

pub async fn list_device_models(db: &Db) -> Result<Vec<DeviceModel>, UserError> {
    Ok(db.list_device_models().await?)
}

pub async fn save_device_model(
    db: &Db,
    id: Option<i64>,
    input: DeviceModelInput,
) -> Result<Saved<DeviceModel>, UserError> {
    let (input, warnings) = validate::device_model(input).map_err(validation_error)?;
    if let Some(pid) = input.profile_id {
        db.get_profile(pid)
            .await?
            .ok_or_else(|| not_found("小程序配置", "profile"))?;
    }
    let dup = |e| {
        store_err(
            e,
            "model_id",
            "这个 model_id 已经登记过。",
            "This model_id is already recorded.",
        )
    };
    let id = match id {
        None => db.insert_device_model(&input).await.map_err(dup)?,
        Some(id) => {
            if !db.update_device_model(id, &input).await.map_err(dup)? {
                return Err(not_found("设备型号", "device model"));
            }
            id
        }
    };
    let value = db
        .get_device_model(id)
        .await?
        .ok_or_else(|| not_found("设备型号", "device model"))?;
    Ok(Saved { value, warnings })
}

/// Moves a model along the WeChat workflow (登记审核中 → 登记通过 → 能力申请中 → 能力已通过, or 驳回).
pub async fn set_device_model_status(
    db: &Db,
    id: i64,
    status: &str,
    reject_reason: &str,
    model_id: Option<String>,
) -> Result<Saved<DeviceModel>, UserError> {
    let m = db
        .get_device_model(id)
        .await?
        .ok_or_else(|| not_found("设备型号", "device model"))?;
    let input = DeviceModelInput {
        profile_id: m.profile_id,
        model_id: model_id.or(m.model_id),
        model_name: m.model_name,
        link_type: m.link_type,
        status: status.into(),
        reject_reason: reject_reason.into(),
        notes: m.notes,
    };
    save_device_model(db, Some(id), input).await
}

pub async fn delete_device_model(db: &Db, id: i64) -> Result<(), UserError> {
    deleted(db.delete_device_model(id).await, "设备型号", "device model")
}

// ---- stores ---------------------------------------------------------------------------------------------

pub async fn list_stores(
    db: &Db,
    search: &str,
    include_archived: bool,
) -> Result<Vec<Store>, UserError> {
    Ok(db.list_stores(search, include_archived).await?)
}

pub async fn save_store(
    db: &Db,
    id: Option<i64>,
    input: StoreInput,
) -> Result<Saved<Store>, UserError> {
    let input = validate::store(input).map_err(validation_error)?;
    let dup = |e| {
        store_err(
            e,
            "org_code",
            "这个机构编号已经存在。",
            "This organisation number already exists.",
        )
    };
    let id = match id {
        None => db.insert_store(&input).await.map_err(dup)?,
        Some(id) => {
            if !db.update_store(id, &input).await.map_err(dup)? {
                return Err(not_found("门店", "store"));
            }
            id
        }
    };
    let value = db
        .get_store(id)
        .await?
        .ok_or_else(|| not_found("门店", "store"))?;
    Ok(Saved {
        value,
        warnings: vec![],
    })
}

pub async fn archive_store(db: &Db, id: i64, archived: bool) -> Result<(), UserError> {
    updated(db.set_store_archived(id, archived).await, "门店", "store")
}

pub async fn delete_store(db: &Db, id: i64) -> Result<(), UserError> {
    deleted(db.delete_store(id).await, "门店", "store")
}

// ---- terminals ------------------------------------------------------------------------------------------

pub async fn list_terminals(
    db: &Db,
    search: &str,
    include_archived: bool,
) -> Result<Vec<Terminal>, UserError> {
    Ok(db.list_terminals(search, include_archived).await?)
}

pub async fn save_terminal(
    db: &Db,
    id: Option<i64>,
    input: TerminalInput,
) -> Result<Saved<Terminal>, UserError> {
    let input = validate::terminal(input).map_err(validation_error)?;
    if let Some(sid) = input.store_id {
        if db.get_store(sid).await?.is_none() {
            return Err(validation_error(vec![FieldIssue {
                field: "store_id".into(),
                zh: "所选门店不存在，请重新选择。".into(),
                en: "The chosen store does not exist; choose again.".into(),
            }]));
        }
    }
    let dup = |e| {
        store_err(
            e,
            "terminal_no",
            "这个终端号已经存在。",
            "This terminal number already exists.",
        )
    };
    let id = match id {
        None => db.insert_terminal(&input).await.map_err(dup)?,
        Some(id) => {
            if !db.update_terminal(id, &input).await.map_err(dup)? {
                return Err(not_found("前台终端", "terminal"));
            }
            id
        }
    };
    let value = db
        .get_terminal(id)
        .await?
        .ok_or_else(|| not_found("前台终端", "terminal"))?;
    Ok(Saved {
        value,
        warnings: vec![],
    })
}

pub async fn archive_terminal(db: &Db, id: i64, archived: bool) -> Result<(), UserError> {
    updated(
        db.set_terminal_archived(id, archived).await,
        "前台终端",
        "terminal",
    )
}

pub async fn delete_terminal(db: &Db, id: i64) -> Result<(), UserError> {
    deleted(db.delete_terminal(id).await, "前台终端", "terminal")
}

/// Which kind of records a CSV holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    Stores,
    Terminals,
}
