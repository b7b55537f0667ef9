//! The merchant's records: mini program profiles, device models, stores and front-desk terminals.
//! Plain storage; validation and CSV handling live in `tapstand-records`.
//!
//! IDs and timestamps are i64 here and plain `number` in TypeScript (`specta_typescript::Number`): they
//! stay far below 2^53, so JSON numbers carry them exactly.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// A mini program (AppID) the merchant writes tags for. The AppSecret is in the OS keychain; only the
/// fact that one was saved is stored here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct Profile {
    #[specta(type = specta_typescript::Number)]
    pub id: i64,
    pub name: String,
    pub appid: String,
    pub env_version: String,
    pub page_path: String,
    pub query_template: String,
    pub secret_saved: bool,
    /// 只写 NXP 原厂芯片: the station refuses every chip that is not an NXP original (before generating).
    pub only_genuine: bool,
    #[specta(type = specta_typescript::Number)]
    pub created_at: i64,
    #[specta(type = specta_typescript::Number)]
    pub updated_at: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct ProfileInput {
    pub name: String,
    pub appid: String,
    pub env_version: String,
    pub page_path: String,
    pub query_template: String,
    /// 只写 NXP 原厂芯片 (default off).
    #[serde(default)]
    #[specta(optional)]
    pub only_genuine: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct DeviceModel {
    #[specta(type = specta_typescript::Number)]
    pub id: i64,
    #[specta(type = Option<specta_typescript::Number>)]
    pub profile_id: Option<i64>,
    pub model_id: Option<String>,
    pub model_name: String,
    /// `per_device` (一机一码, one scheme per tag) or `per_model` (一型一码).
    pub link_type: String,
    /// `registering` 登记审核中 → `registered` 登记通过 → `applying` 能力申请中 → `approved` 能力已通过, or `rejected` 驳回.
    pub status: String,
    pub reject_reason: String,
    pub notes: String,
    #[specta(type = specta_typescript::Number)]
    pub created_at: i64,
    #[specta(type = specta_typescript::Number)]
    pub updated_at: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct DeviceModelInput {
    #[specta(type = Option<specta_typescript::Number>)]
    pub profile_id: Option<i64>,
    pub model_id: Option<String>,
    pub model_name: String,
    pub link_type: String,
    pub status: String,
    pub reject_reason: String,
    pub notes: String,
}

/// A store (门店).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct Store {
    #[specta(type = specta_typescript::Number)]
    pub id: i64,
    /// 机构编号
    pub org_code: String,
    /// 组织/公司
    pub company: String,
    /// 门店名称
    pub name: String,
    pub address: String,
    #[specta(type = Option<specta_typescript::Number>)]
    pub archived_at: Option<i64>,
    #[specta(type = specta_typescript::Number)]
    pub created_at: i64,
    #[specta(type = specta_typescript::Number)]
    pub updated_at: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct StoreInput {
    pub org_code: String,
    pub company: String,
    pub name: String,
    pub address: String,
}

/// A front-desk terminal (前台终端).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct Terminal {
    #[specta(type = specta_typescript::Number)]
    pub id: i64,
    /// `null`: serves every store (不区分门店).
    #[specta(type = Option<specta_typescript::Number>)]
    pub store_id: Option<i64>,
    /// 机器号
    pub machine_no: String,
    /// 终端号
    pub terminal_no: String,
    /// 备注
    pub note: String,
    #[specta(type = Option<specta_typescript::Number>)]
    pub archived_at: Option<i64>,
    #[specta(type = specta_typescript::Number)]
    pub created_at: i64,
    #[specta(type = specta_typescript::Number)]
    pub updated_at: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct TerminalInput {
    #[specta(type = Option<specta_typescript::Number>)]
    pub store_id: Option<i64>,
    pub machine_no: String,
    pub terminal_no: String,
    pub note: String,
}

/// A row's fate in a bulk import.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Upsert {
    Inserted,
    Updated,
    Unchanged,
}

/// A record a bulk import inserts or updates by its key (a store's 机构编号, a terminal's 终端号).
pub trait UpsertKey: PartialEq {
    /// The key rows are matched on (UNIQUE in the table).
    fn key(&self) -> &str;
}

impl UpsertKey for StoreInput {
    fn key(&self) -> &str {
        &self.org_code
    }
}

impl UpsertKey for TerminalInput {
    fn key(&self) -> &str {
        &self.terminal_no
    }
}

/// What a bulk upsert writes: the rows to insert, the stored rows to update, and each input row's fate.
#[derive(Debug)]
pub struct UpsertPlan<'a, R> {
    pub inserts: Vec<&'a R>,
    pub updates: Vec<(i64, &'a R)>,
    pub outcome: Vec<Upsert>,
}

/// Sorts `rows` into inserts and updates against the `existing` rows (by key). A row equal to what is
/// stored is left alone. The same key twice in one call (an import's preview refuses that): the last row
/// wins, and the later one counts as updated unless it repeats the earlier one exactly.
pub fn plan_upsert<'a, R: UpsertKey>(
    rows: &'a [R],
    existing: &HashMap<String, (i64, R)>,
) -> UpsertPlan<'a, R> {
    let mut plan = UpsertPlan {
        inserts: vec![],
        updates: vec![],
        outcome: Vec::with_capacity(rows.len()),
    };
    let mut insert_at: HashMap<&str, usize> = HashMap::new();
    let mut update_at: HashMap<i64, usize> = HashMap::new();
    let fate = |same: bool| {
        if same {
            Upsert::Unchanged
        } else {
            Upsert::Updated
        }
    };
    for r in rows {
        if let Some(&i) = insert_at.get(r.key()) {
            plan.outcome.push(fate(plan.inserts[i] == r));
            plan.inserts[i] = r;
            continue;
        }
        match existing.get(r.key()) {
            None => {
                insert_at.insert(r.key(), plan.inserts.len());
                plan.inserts.push(r);
                plan.outcome.push(Upsert::Inserted);
            }
            Some((id, stored)) => {
                let unchanged = match update_at.get(id) {
                    Some(&i) => plan.updates[i].1 == r,
                    None => stored == r,
                };
                if !unchanged {
                    match update_at.get(id) {
                        Some(&i) => plan.updates[i].1 = r,
                        None => {
                            update_at.insert(*id, plan.updates.len());
                            plan.updates.push((*id, r));
                        }
                    }
                }
                plan.outcome.push(fate(unchanged));
            }
        }
    }
    plan
}

/// `%text%` for LIKE, with `%`, `_` and `\` escaped.
pub fn like_pattern(search: &str) -> String {
    let mut p = String::with_capacity(search.len() + 2);
    p.push('%');
    for c in search.trim().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(code: &str, name: &str) -> StoreInput {
        StoreInput {
            org_code: code.into(),
            name: name.into(),
            ..Default::default()
        }
    }

    #[test]
    fn upsert_plan_inserts_updates_and_skips_by_key() {
        let existing: HashMap<String, (i64, StoreInput)> = [
            ("1".to_string(), (10, store("1", "人民路店"))),
            ("2".to_string(), (20, store("2", "解放路店"))),
        ]
        .into();
        let rows = [
            store("1", "人民路店"),     // as stored
            store("2", "解放路旗舰店"), // changed
            store("3", "新店"),         // new
        ];
        let plan = plan_upsert(&rows, &existing);
        assert_eq!(
            plan.outcome,
            [Upsert::Unchanged, Upsert::Updated, Upsert::Inserted]
        );
        assert_eq!(plan.inserts, [&rows[2]]);
        assert_eq!(plan.updates, [(20, &rows[1])]);
    }

    #[test]
    fn upsert_plan_lets_the_last_of_a_repeated_key_win() {
        let existing: HashMap<String, (i64, StoreInput)> =
            [("1".to_string(), (10, store("1", "人民路店")))].into();
        let rows = [
            store("9", "新店"),
            store("9", "新店"),     // repeats the pending insert exactly
            store("9", "新店二"),   // changes it
            store("1", "人民路店"), // as stored
            store("1", "改名"),     // changes the stored row
            store("1", "改名"),     // repeats the pending update
            store("1", "再改"),     // changes it again
        ];
        let plan = plan_upsert(&rows, &existing);
        assert_eq!(
            plan.outcome,
            [
                Upsert::Inserted,
                Upsert::Unchanged,
                Upsert::Updated,
                Upsert::Unchanged,
                Upsert::Updated,
                Upsert::Unchanged,
                Upsert::Updated,
            ]
        );
        assert_eq!(plan.inserts, [&rows[2]]);
        assert_eq!(plan.updates, [(10, &rows[6])]);
    }

    #[test]
    fn terminals_are_keyed_by_terminal_number() {
        let t = |no: &str, store_id: Option<i64>| TerminalInput {
            store_id,
            machine_no: "1".into(),
            terminal_no: no.into(),
            note: String::new(),
        };
        let existing: HashMap<String, (i64, TerminalInput)> =
            [("519181767".to_string(), (5, t("519181767", None)))].into();
        let rows = [t("519181767", Some(1)), t("3719962736", None)];
        let plan = plan_upsert(&rows, &existing);
        assert_eq!(plan.outcome, [Upsert::Updated, Upsert::Inserted]);
        assert_eq!(plan.updates, [(5, &rows[0])]);
    }
}
