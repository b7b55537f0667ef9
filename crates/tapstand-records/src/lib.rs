//! The merchant's records, with the rules a form and an import both follow:
//! mini program profiles (the AppSecret goes to the OS keychain and never comes back out to the UI),
//! WeChat device models with the registration helper, stores (门店) and front-desk terminals (前台终端).

pub mod excel;
pub mod import;
pub mod lookup;
pub mod registration;
mod validate;
pub mod xlsx;

use std::sync::Arc;

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
/// Runs one keychain call on tokio's blocking pool. A keychain can block for as long as the merchant takes
/// to answer (a macOS keychain prompt, GNOME Keyring asking to be unlocked) or a slow D-Bus: that must
/// never hold one of the async runtime's few worker threads, on which the whole UI's commands run.
pub async fn off_runtime<R: Send + 'static>(
    secrets: &Arc<dyn SecretStore>,
    call: impl FnOnce(&dyn SecretStore) -> Result<R, SecretError> + Send + 'static,
) -> Result<R, UserError> {
    let secrets = secrets.clone();
    tokio::task::spawn_blocking(move || call(&*secrets))
        .await
        .map_err(UserError::internal)?
        .map_err(keychain_error)
}

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

/// A kind of record a form saves (profiles, device models, stores, terminals): its queries and its words.
/// The flow around them is written once: [`save`] (validate, check, insert or update with duplicates as a
/// field error, read back), [`fetch`], [`archive`] and [`delete`].
trait Table {
    type Input;
    type Row;
    /// What the record is called in messages, e.g. ("门店", "store").
    const WHAT: (&'static str, &'static str);
    /// The field a UNIQUE violation is reported on, and what is said there (zh, en).
    const DUPLICATE: (&'static str, &'static str, &'static str);
    /// Trims and checks the input: the errors, or the input to save and the warnings about it.
    fn validate(input: Self::Input) -> Result<(Self::Input, Vec<FieldIssue>), Vec<FieldIssue>>;
    /// Checks the input against other records (what it refers to exists, ...) before anything is written;
    /// `id` is the record being updated.
    async fn check(_db: &Db, _id: Option<i64>, _input: &Self::Input) -> Result<(), UserError> {
        Ok(())
    }
    async fn get(db: &Db, id: i64) -> Result<Option<Self::Row>, StoreError>;
    async fn insert(db: &Db, input: &Self::Input) -> Result<i64, StoreError>;
    async fn update(db: &Db, id: i64, input: &Self::Input) -> Result<bool, StoreError>;
    async fn delete(db: &Db, id: i64) -> Result<bool, StoreError>;
}

/// A kind of record that is archived (hidden from lists and write targets) rather than deleted while in use.
trait Archivable: Table {
    async fn set_archived(db: &Db, id: i64, archived: bool) -> Result<bool, StoreError>;
}

fn not_found_of<T: Table>() -> UserError {
    not_found(T::WHAT.0, T::WHAT.1)
}

/// The record with this id, or "does not exist".
async fn fetch<T: Table>(db: &Db, id: i64) -> Result<T::Row, UserError> {
    T::get(db, id).await?.ok_or_else(not_found_of::<T>)
}

/// Creates (`id` = None) or updates a record. A UNIQUE violation becomes a field error on
/// [`Table::DUPLICATE`]'s field; an update that hits no row is "does not exist".
async fn save<T: Table>(
    db: &Db,
    id: Option<i64>,
    input: T::Input,
) -> Result<Saved<T::Row>, UserError> {
    let (input, warnings) = T::validate(input).map_err(validation_error)?;
    T::check(db, id, &input).await?;
    let dup = |e: StoreError| {
        if e.is_unique_violation() {
            let (field, zh, en) = T::DUPLICATE;
            validation_error(vec![FieldIssue {
                field: field.into(),
                zh: zh.into(),
                en: en.into(),
            }])
        } else {
            e.into()
        }
    };
    let id = match id {
        None => T::insert(db, &input).await.map_err(dup)?,
        Some(id) => {
            if !T::update(db, id, &input).await.map_err(dup)? {
                return Err(not_found_of::<T>());
            }
            id
        }
    };
    let value = fetch::<T>(db, id).await?;
    Ok(Saved { value, warnings })
}

/// Deletes a record: refused while other records refer to it (archive it instead), or "does not exist".
async fn delete<T: Table>(db: &Db, id: i64) -> Result<(), UserError> {
    match T::delete(db, id).await {
        Err(e) if e.is_referenced() => Err(referenced(T::WHAT.0, T::WHAT.1)),
        Err(e) => Err(e.into()),
        Ok(false) => Err(not_found_of::<T>()),
        Ok(true) => Ok(()),
    }
}

/// Archives or restores a record, or "does not exist".
async fn archive<T: Archivable>(db: &Db, id: i64, archived: bool) -> Result<(), UserError> {
    if T::set_archived(db, id, archived).await? {
        Ok(())
    } else {
        Err(not_found_of::<T>())
    }
}

// ---- profiles -------------------------------------------------------------------------------------------

struct Profiles;

impl Table for Profiles {
    type Input = ProfileInput;
    type Row = Profile;
    const WHAT: (&'static str, &'static str) = ("小程序配置", "profile");
    const DUPLICATE: (&'static str, &'static str, &'static str) = (
        "appid",
        "这个 AppID 或名称已经存在。",
        "This AppID or name already exists.",
    );
    fn validate(input: ProfileInput) -> Result<(ProfileInput, Vec<FieldIssue>), Vec<FieldIssue>> {
        validate::profile(input)
    }
    /// The AppID cannot change under a saved AppSecret (the secret is stored by AppID).
    async fn check(db: &Db, id: Option<i64>, input: &ProfileInput) -> Result<(), UserError> {
        let Some(id) = id else { return Ok(()) };
        let before = fetch::<Self>(db, id).await?;
        if before.appid != input.appid && before.secret_saved {
            return Err(validation_error(vec![FieldIssue {
                field: "appid".into(),
                zh: "已为原 AppID 保存了小程序密钥：请先移除密钥，再修改 AppID。".into(),
                en: "An AppSecret is saved for the current AppID: remove it before changing the AppID.".into(),
            }]));
        }
        Ok(())
    }
    async fn get(db: &Db, id: i64) -> Result<Option<Profile>, StoreError> {
        db.get_profile(id).await
    }
    async fn insert(db: &Db, input: &ProfileInput) -> Result<i64, StoreError> {
        db.insert_profile(input).await
    }
    async fn update(db: &Db, id: i64, input: &ProfileInput) -> Result<bool, StoreError> {
        db.update_profile(id, input).await
    }
    async fn delete(db: &Db, id: i64) -> Result<bool, StoreError> {
        db.delete_profile(id).await
    }
}

pub async fn list_profiles(db: &Db) -> Result<Vec<Profile>, UserError> {
    Ok(db.list_profiles().await?)
}

/// Creates (`id` = None) or updates a profile.
pub async fn save_profile(
    db: &Db,
    id: Option<i64>,
    input: ProfileInput,
) -> Result<Saved<Profile>, UserError> {
    let saved = save::<Profiles>(db, id, input).await?;
    tracing::info!(profile = saved.value.id, appid = %saved.value.appid, "profile saved");
    Ok(saved)
}

/// Saves the AppSecret in the OS keychain (never anywhere else) and returns format warnings.
pub async fn set_app_secret(
    db: &Db,
    secrets: &Arc<dyn SecretStore>,
    profile_id: i64,
    secret: &str,
) -> Result<Vec<FieldIssue>, UserError> {
    let profile = fetch::<Profiles>(db, profile_id).await?;
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
    let account = accounts::app_secret(&profile.appid);
    off_runtime(secrets, move |s| s.set(&account, &secret)).await?;
    db.set_profile_secret_saved(profile_id, true).await?;
    tracing::info!(profile = profile_id, appid = %profile.appid, "AppSecret saved in the keychain");
    Ok(warnings)
}

pub async fn remove_app_secret(
    db: &Db,
    secrets: &Arc<dyn SecretStore>,
    profile_id: i64,
) -> Result<(), UserError> {
    let profile = fetch::<Profiles>(db, profile_id).await?;
    let account = accounts::app_secret(&profile.appid);
    off_runtime(secrets, move |s| s.delete(&account)).await?;
    db.set_profile_secret_saved(profile_id, false).await?;
    tracing::info!(profile = profile_id, "AppSecret removed from the keychain");
    Ok(())
}

/// The AppSecret, for the WeChat client only (never sent to the UI).
pub async fn app_secret(
    db: &Db,
    secrets: &Arc<dyn SecretStore>,
    profile_id: i64,
) -> Result<SecretString, UserError> {
    let profile = fetch::<Profiles>(db, profile_id).await?;
    let account = accounts::app_secret(&profile.appid);
    off_runtime(secrets, move |s| s.get(&account))
        .await?
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
    secrets: &Arc<dyn SecretStore>,
    profile_id: i64,
) -> Result<(), UserError> {
    let profile = fetch::<Profiles>(db, profile_id).await?;
    // Found a moment ago: a row gone by now is deleted all the same, and its secret goes with it.
    match db.delete_profile(profile_id).await {
        Err(e) if e.is_referenced() => return Err(referenced(Profiles::WHAT.0, Profiles::WHAT.1)),
        other => other?,
    };
    let account = accounts::app_secret(&profile.appid);
    off_runtime(secrets, move |s| s.delete(&account)).await?;
    Ok(())
}

// ---- device models --------------------------------------------------------------------------------------

struct DeviceModels;

impl Table for DeviceModels {
    type Input = DeviceModelInput;
    type Row = DeviceModel;
    const WHAT: (&'static str, &'static str) = ("设备型号", "device model");
    const DUPLICATE: (&'static str, &'static str, &'static str) = (
        "model_id",
        "这个 model_id 已经登记过。",
        "This model_id is already recorded.",
    );
    fn validate(
        input: DeviceModelInput,
    ) -> Result<(DeviceModelInput, Vec<FieldIssue>), Vec<FieldIssue>> {
        validate::device_model(input)
    }
    /// The profile it belongs to must exist.
    async fn check(db: &Db, _id: Option<i64>, input: &DeviceModelInput) -> Result<(), UserError> {
        if let Some(pid) = input.profile_id {
            fetch::<Profiles>(db, pid).await?;
        }
        Ok(())
    }
    async fn get(db: &Db, id: i64) -> Result<Option<DeviceModel>, StoreError> {
        db.get_device_model(id).await
    }
    async fn insert(db: &Db, input: &DeviceModelInput) -> Result<i64, StoreError> {
        db.insert_device_model(input).await
    }
    async fn update(db: &Db, id: i64, input: &DeviceModelInput) -> Result<bool, StoreError> {
        db.update_device_model(id, input).await
    }
    async fn delete(db: &Db, id: i64) -> Result<bool, StoreError> {
        db.delete_device_model(id).await
    }
}

pub async fn list_device_models(db: &Db) -> Result<Vec<DeviceModel>, UserError> {
    Ok(db.list_device_models().await?)
}

pub async fn save_device_model(
    db: &Db,
    id: Option<i64>,
    input: DeviceModelInput,
) -> Result<Saved<DeviceModel>, UserError> {
    save::<DeviceModels>(db, id, input).await
}

/// Moves a model along the WeChat workflow (登记审核中 → 登记通过 → 能力申请中 → 能力已通过, or 驳回).
pub async fn set_device_model_status(
    db: &Db,
    id: i64,
    status: &str,
    reject_reason: &str,
    model_id: Option<String>,
) -> Result<Saved<DeviceModel>, UserError> {
    let m = fetch::<DeviceModels>(db, id).await?;
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
    delete::<DeviceModels>(db, id).await
}

// ---- stores ---------------------------------------------------------------------------------------------

struct Stores;

impl Table for Stores {
    type Input = StoreInput;
    type Row = Store;
    const WHAT: (&'static str, &'static str) = ("门店", "store");
    const DUPLICATE: (&'static str, &'static str, &'static str) = (
        "org_code",
        "这个机构编号已经存在。",
        "This organisation number already exists.",
    );
    fn validate(input: StoreInput) -> Result<(StoreInput, Vec<FieldIssue>), Vec<FieldIssue>> {
        Ok((validate::store(input)?, vec![]))
    }
    async fn get(db: &Db, id: i64) -> Result<Option<Store>, StoreError> {
        db.get_store(id).await
    }
    async fn insert(db: &Db, input: &StoreInput) -> Result<i64, StoreError> {
        db.insert_store(input).await
    }
    async fn update(db: &Db, id: i64, input: &StoreInput) -> Result<bool, StoreError> {
        db.update_store(id, input).await
    }
    async fn delete(db: &Db, id: i64) -> Result<bool, StoreError> {
        db.delete_store(id).await
    }
}

impl Archivable for Stores {
    async fn set_archived(db: &Db, id: i64, archived: bool) -> Result<bool, StoreError> {
        db.set_store_archived(id, archived).await
    }
}

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
    save::<Stores>(db, id, input).await
}

pub async fn archive_store(db: &Db, id: i64, archived: bool) -> Result<(), UserError> {
    archive::<Stores>(db, id, archived).await
}

pub async fn delete_store(db: &Db, id: i64) -> Result<(), UserError> {
    delete::<Stores>(db, id).await
}

// ---- terminals ------------------------------------------------------------------------------------------

struct Terminals;

impl Table for Terminals {
    type Input = TerminalInput;
    type Row = Terminal;
    const WHAT: (&'static str, &'static str) = ("前台终端", "terminal");
    const DUPLICATE: (&'static str, &'static str, &'static str) = (
        "terminal_no",
        "这个终端号已经存在。",
        "This terminal number already exists.",
    );
    fn validate(input: TerminalInput) -> Result<(TerminalInput, Vec<FieldIssue>), Vec<FieldIssue>> {
        Ok((validate::terminal(input)?, vec![]))
    }
    /// The store it serves, when one is chosen, must exist.
    async fn check(db: &Db, _id: Option<i64>, input: &TerminalInput) -> Result<(), UserError> {
        if let Some(sid) = input.store_id {
            if db.get_store(sid).await?.is_none() {
                return Err(validation_error(vec![FieldIssue {
                    field: "store_id".into(),
                    zh: "所选门店不存在，请重新选择。".into(),
                    en: "The chosen store does not exist; choose again.".into(),
                }]));
            }
        }
        Ok(())
    }
    async fn get(db: &Db, id: i64) -> Result<Option<Terminal>, StoreError> {
        db.get_terminal(id).await
    }
    async fn insert(db: &Db, input: &TerminalInput) -> Result<i64, StoreError> {
        db.insert_terminal(input).await
    }
    async fn update(db: &Db, id: i64, input: &TerminalInput) -> Result<bool, StoreError> {
        db.update_terminal(id, input).await
    }
    async fn delete(db: &Db, id: i64) -> Result<bool, StoreError> {
        db.delete_terminal(id).await
    }
}

impl Archivable for Terminals {
    async fn set_archived(db: &Db, id: i64, archived: bool) -> Result<bool, StoreError> {
        db.set_terminal_archived(id, archived).await
    }
}

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
    save::<Terminals>(db, id, input).await
}

pub async fn archive_terminal(db: &Db, id: i64, archived: bool) -> Result<(), UserError> {
    archive::<Terminals>(db, id, archived).await
}

pub async fn delete_terminal(db: &Db, id: i64) -> Result<(), UserError> {
    delete::<Terminals>(db, id).await
}

/// Which kind of records a CSV holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    Stores,
    Terminals,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The app runs these on a multi-threaded runtime: their futures must stay `Send` through the generic
    /// [`Table`] flow (checked when this compiles; nothing runs).
    #[test]
    fn record_futures_are_send() {
        fn send<T: Send>(_: T) {}
        let _ = |db: &Db, secrets: &Arc<dyn SecretStore>| {
            send(save_profile(db, None, ProfileInput::default()));
            send(set_app_secret(db, secrets, 1, ""));
            send(remove_app_secret(db, secrets, 1));
            send(app_secret(db, secrets, 1));
            send(delete_profile(db, secrets, 1));
            send(save_device_model(db, None, DeviceModelInput::default()));
            send(set_device_model_status(db, 1, "registered", "", None));
            send(delete_device_model(db, 1));
            send(save_store(db, None, StoreInput::default()));
            send(archive_store(db, 1, true));
            send(delete_store(db, 1));
            send(save_terminal(db, None, TerminalInput::default()));
            send(archive_terminal(db, 1, true));
            send(delete_terminal(db, 1));
        };
    }
}
