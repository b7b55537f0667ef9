//! The write target: profile + device model + (store | 不区分门店 | terminal), and the page path and
//! query the profile's template gives for it (filled per tag for `{sn}` and `{uid}`).

use serde::{Deserialize, Serialize};
use tapstand_error::UserError;
use tapstand_records::lookup::{self, RecordName};
use tapstand_store::records::{DeviceModel, Profile, Store, Terminal};
use tapstand_store::Db;

// Kept as JSON in the settings (the app's last station request): each variant's name is spelled out,
// so renaming a variant does not lose the stored choice (`stored` pins the spellings).
/// What the merchant picked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(tag = "kind")]
pub enum TargetChoice {
    #[serde(rename = "store")]
    Store {
        #[specta(type = specta_typescript::Number)]
        id: i64,
    },
    #[serde(rename = "terminal")]
    Terminal {
        #[specta(type = specta_typescript::Number)]
        id: i64,
    },
    /// 不区分门店
    #[serde(rename = "all_stores")]
    AllStores,
}

/// A resolved target: everything the tap loop needs, without placeholders other than `{sn}`/`{uid}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, specta::Type)]
pub struct Target {
    pub appid: String,
    pub env_version: String,
    pub model_id: String,
    /// `per_device` (一机一码, sn per tag) or `per_model` (一型一码, no sn).
    pub link_type: String,
    /// `store:<id>`, `terminal:<id>` or `all`.
    pub key: String,
    /// Plain words for the merchant, e.g. `门店 1001 南山店`.
    pub label: String,
    #[specta(type = Option<specta_typescript::Number>)]
    pub store_id: Option<i64>,
    #[specta(type = Option<specta_typescript::Number>)]
    pub terminal_id: Option<i64>,
    pub path: String,
    /// The query with every placeholder but `{sn}` and `{uid}` filled.
    pub query_template: String,
    /// The profile's "只写 NXP 原厂芯片": refuse every chip that is not an NXP original.
    pub only_genuine: bool,
}

/// What the link for one tag is made of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagLink {
    /// Sent to WeChat with the request: the UID for 一机一码, empty for 一型一码.
    pub sn: String,
    pub path: String,
    /// The target's query with `{sn}` and `{uid}` filled.
    pub query: String,
}

impl Target {
    pub fn per_device(&self) -> bool {
        self.link_type != "per_model"
    }

    /// The sn sent for a tag: the UID in hex for 一机一码, none for 一型一码.
    pub fn sn_for(&self, uid: &str) -> String {
        if self.per_device() {
            uid.to_string()
        } else {
            String::new()
        }
    }

    /// The sn, page and query of the link for the tag with this UID.
    pub fn link_for(&self, uid: &str) -> TagLink {
        self.link_with_sn(uid, &self.sn_for(uid))
    }

    /// [`Target::link_for`] with another sn than the UID (a derived sn, `<UID>-2`, for a tag whose own sn
    /// was used up): `{sn}` in the query is that sn.
    pub fn link_with_sn(&self, uid: &str, sn: &str) -> TagLink {
        let sn = sn.to_string();
        let query = self
            .query_template
            .replace("{sn}", &sn)
            .replace("{uid}", uid);
        TagLink {
            sn,
            path: self.path.clone(),
            query,
        }
    }

    /// (path, query) for a tag: [`Target::link_for`] without the sn.
    pub fn path_query(&self, uid: &str) -> (String, String) {
        let l = self.link_for(uid);
        (l.path, l.query)
    }

    /// What the merchant sees before writing (with `{sn}` / `{uid}` still shown as placeholders).
    pub fn preview(&self) -> String {
        if self.query_template.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{}", self.path, self.query_template)
        }
    }
}

fn fill(template: &str, store: Option<&Store>, terminal: Option<&Terminal>) -> String {
    let store_id = store.map(|s| s.id.to_string()).unwrap_or_default();
    template
        .replace("{store_id}", &store_id)
        .replace(
            "{org_code}",
            store.map(|s| s.org_code.as_str()).unwrap_or(""),
        )
        .replace(
            "{terminal_no}",
            terminal.map(|t| t.terminal_no.as_str()).unwrap_or(""),
        )
        .replace(
            "{machine_no}",
            terminal.map(|t| t.machine_no.as_str()).unwrap_or(""),
        )
}

/// Builds the target from records.
pub async fn resolve_target(
    db: &Db,
    profile: &Profile,
    model: &DeviceModel,
    choice: &TargetChoice,
) -> Result<Target, UserError> {
    let Some(model_id) = model.model_id.clone().filter(|m| !m.is_empty()) else {
        return Err(UserError::new(
            "station.model_without_id",
            (
                &format!("设备型号“{}”还没有填写 model_id。", model.model_name),
                "请先在微信后台完成设备登记，把分配的 model_id 填到设备型号里。",
            ),
            (
                &format!("Device model \"{}\" has no model_id yet.", model.model_name),
                "Register the device on the WeChat console and paste the model_id it assigned.",
            ),
        ));
    };
    let stores = tapstand_records::list_stores(db, "", true).await?;
    let terminals = tapstand_records::list_terminals(db, "", true).await?;
    let (key, label, store, terminal) = match choice {
        TargetChoice::Store { id } => {
            let s = stores
                .iter()
                .find(|s| s.id == *id)
                .ok_or_else(|| lookup::gone(RecordName::Store))?;
            (
                format!("store:{id}"),
                format!("门店 {} {}", s.org_code, s.name),
                Some(s),
                None,
            )
        }
        TargetChoice::Terminal { id } => {
            let t = terminals
                .iter()
                .find(|t| t.id == *id)
                .ok_or_else(|| lookup::gone(RecordName::Terminal))?;
            let s = t
                .store_id
                .and_then(|sid| stores.iter().find(|s| s.id == sid));
            (
                format!("terminal:{id}"),
                format!("前台 机器号 {} 终端号 {}", t.machine_no, t.terminal_no),
                s,
                Some(t),
            )
        }
        TargetChoice::AllStores => ("all".into(), "不区分门店".into(), None, None),
    };
    Ok(Target {
        appid: profile.appid.clone(),
        env_version: if profile.env_version.is_empty() {
            "release".into()
        } else {
            profile.env_version.clone()
        },
        model_id,
        link_type: model.link_type.clone(),
        key,
        label,
        store_id: store.map(|s| s.id),
        terminal_id: terminal.map(|t| t.id),
        path: profile.page_path.clone(),
        query_template: fill(&profile.query_template, store, terminal),
        only_genuine: profile.only_genuine,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(link_type: &str) -> Target {
        Target {
            appid: "wx5a1b2c3d4e5f6071".into(),
            env_version: "release".into(),
            model_id: "model-1".into(),
            link_type: link_type.into(),
            key: "store:7".into(),
            label: "门店 1001 南山店".into(),
            store_id: Some(7),
            terminal_id: None,
            path: "pages/member/card".into(),
            query_template: "store=1001&sn={sn}&uid={uid}".into(),
            only_genuine: false,
        }
    }

    #[test]
    fn link_per_device_and_per_model() {
        let t = target("per_device");
        assert_eq!(
            t.link_for("04A1"),
            TagLink {
                sn: "04A1".into(),
                path: "pages/member/card".into(),
                query: "store=1001&sn=04A1&uid=04A1".into(),
            }
        );
        assert_eq!(
            t.path_query("04A1"),
            (
                "pages/member/card".to_string(),
                "store=1001&sn=04A1&uid=04A1".to_string()
            )
        );
        let t = target("per_model");
        assert_eq!(
            t.link_for("04A1"),
            TagLink {
                sn: String::new(),
                path: "pages/member/card".into(),
                query: "store=1001&sn=&uid=04A1".into(),
            }
        );
        assert_eq!(
            t.preview(),
            "pages/member/card?store=1001&sn={sn}&uid={uid}"
        );
    }
}
