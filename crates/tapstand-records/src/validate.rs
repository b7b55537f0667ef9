//! Field rules shared by the forms, the CLI and the CSV import. Values are trimmed first (stray spaces from
//! copy-paste are the most common cause of "wrong secret" and duplicate numbers).

use tapstand_error::FieldIssue;
use tapstand_store::records::{DeviceModelInput, ProfileInput, StoreInput, TerminalInput};

pub(crate) fn issue(field: &str, zh: &str, en: &str) -> FieldIssue {
    FieldIssue {
        field: field.into(),
        zh: zh.into(),
        en: en.into(),
    }
}

fn too_long(field: &str, max: usize, value: &str) -> Option<FieldIssue> {
    let n = value.chars().count();
    (n > max).then(|| {
        issue(
            field,
            &format!("最多 {max} 个字，现在 {n} 个。"),
            &format!("At most {max} characters ({n} now)."),
        )
    })
}

fn required(field: &str, value: &str, zh_name: &str, en_name: &str) -> Option<FieldIssue> {
    value.is_empty().then(|| {
        issue(
            field,
            &format!("请填写{zh_name}。"),
            &format!("{en_name} is required."),
        )
    })
}

/// `^wx[0-9a-f]{16}$`: the form of every AppID seen (not documented by WeChat, so only a warning).
pub fn is_valid_appid(s: &str) -> bool {
    s.len() == 18
        && s.starts_with("wx")
        && s[2..]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// `^[0-9a-f]{32}$`: the form of every AppSecret seen (a warning only).
pub fn looks_like_app_secret(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// `^[A-Za-z0-9_-]{22}$`: the form of every model_id seen (a warning only).
pub fn is_valid_model_id(s: &str) -> bool {
    s.len() == 22
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The placeholders a query template may use; the write station fills them per tag.
pub const QUERY_PLACEHOLDERS: [&str; 6] = [
    "{store_id}",
    "{org_code}",
    "{terminal_no}",
    "{machine_no}",
    "{sn}",
    "{uid}",
];

fn query_template_issues(t: &str) -> Vec<FieldIssue> {
    let mut out = vec![];
    if let Some(i) = too_long("query_template", 512, t) {
        out.push(i);
    }
    // Unknown {placeholders}.
    let mut rest = t;
    while let Some(start) = rest.find('{') {
        let Some(end) = rest[start..].find('}') else {
            out.push(issue(
                "query_template",
                "有一个“{”没有对应的“}”。",
                "A '{' has no matching '}'.",
            ));
            break;
        };
        let ph = &rest[start..start + end + 1];
        if !QUERY_PLACEHOLDERS.contains(&ph) {
            out.push(issue(
                "query_template",
                &format!(
                    "不认识的占位符 {ph}。可用：{}",
                    QUERY_PLACEHOLDERS.join(" ")
                ),
                &format!(
                    "Unknown placeholder {ph}. Available: {}",
                    QUERY_PLACEHOLDERS.join(" ")
                ),
            ));
        }
        rest = &rest[start + end + 1..];
    }
    // Characters WeChat accepts in an NFC query (placeholders are filled with safe values later).
    let allowed = |c: char| c.is_ascii_alphanumeric() || "!#$&'()*+,/:;=?@-._~%{}".contains(c);
    if let Some(c) = t.chars().find(|c| !allowed(*c)) {
        out.push(issue(
            "query_template",
            &format!("参数里不能有字符“{c}”：中文和空格需要先做 URL 编码（%XX）。"),
            &format!("The query cannot contain '{c}': percent-encode non-ASCII characters and spaces (%XX)."),
        ));
    }
    if t.starts_with('?') {
        out.push(issue(
            "query_template",
            "参数开头不要写“?”。",
            "Do not start the query with '?'.",
        ));
    }
    out
}

pub(crate) fn profile(
    mut p: ProfileInput,
) -> Result<(ProfileInput, Vec<FieldIssue>), Vec<FieldIssue>> {
    p.name = p.name.trim().into();
    p.appid = p.appid.trim().into();
    p.env_version = match p.env_version.trim() {
        "" => "release".into(),
        v => v.into(),
    };
    p.page_path = p.page_path.trim().into();
    p.query_template = p.query_template.trim().into();
    let mut errors: Vec<FieldIssue> = [
        required("name", &p.name, "名称", "Name"),
        too_long("name", 64, &p.name),
        required("appid", &p.appid, " AppID", "The AppID"),
        too_long("appid", 64, &p.appid),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !matches!(p.env_version.as_str(), "release" | "trial" | "develop") {
        errors.push(issue(
            "env_version",
            "版本只能是正式版、体验版或开发版。",
            "Choose release, trial or develop.",
        ));
    }
    if p.page_path.contains('?') {
        errors.push(issue(
            "page_path",
            "页面路径里不要带“?”，参数请写在下面的“参数模板”里。",
            "No '?' in the page path: put parameters in the query template below.",
        ));
    }
    if let Some(i) = too_long("page_path", 256, &p.page_path) {
        errors.push(i);
    }
    errors.extend(query_template_issues(&p.query_template));
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut warnings = vec![];
    if !is_valid_appid(&p.appid) {
        warnings.push(issue(
            "appid",
            "AppID 通常是 wx 开头、共 18 位的小写字母和数字，请核对是否复制完整。",
            "An AppID is usually 'wx' followed by 16 lowercase hex characters: check it was copied whole.",
        ));
    }
    Ok((p, warnings))
}

pub(crate) fn device_model(
    mut m: DeviceModelInput,
) -> Result<(DeviceModelInput, Vec<FieldIssue>), Vec<FieldIssue>> {
    m.model_name = m.model_name.trim().into();
    m.model_id = m
        .model_id
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    m.reject_reason = m.reject_reason.trim().into();
    m.notes = m.notes.trim().into();
    if m.link_type.is_empty() {
        m.link_type = "per_device".into();
    }
    if m.status.is_empty() {
        m.status = "registering".into();
    }
    let mut errors: Vec<FieldIssue> = [
        required("model_name", &m.model_name, "型号", "The model name"),
        too_long("model_name", 64, &m.model_name),
        too_long("notes", 600, &m.notes),
        too_long("reject_reason", 600, &m.reject_reason),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !matches!(m.link_type.as_str(), "per_device" | "per_model") {
        errors.push(issue(
            "link_type",
            "链接类型只能是一机一码或一型一码。",
            "Link type is one code per device or per model.",
        ));
    }
    if !matches!(
        m.status.as_str(),
        "registering" | "registered" | "applying" | "approved" | "rejected"
    ) {
        errors.push(issue("status", "状态不正确。", "Unknown status."));
    }
    if m.status == "rejected" && m.reject_reason.is_empty() {
        errors.push(issue(
            "reject_reason",
            "请填写驳回原因，方便修改后重新提交。",
            "Enter the rejection reason.",
        ));
    }
    if m.status == "approved" && m.model_id.is_none() {
        errors.push(issue(
            "model_id",
            "能力审核通过后，请把设备记录上的 model_id 复制到这里。",
            "Once the capability is approved, paste the model_id from the device record here.",
        ));
    }
    if let Some(id) = &m.model_id {
        if let Some(i) = too_long("model_id", 64, id) {
            errors.push(i);
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut warnings = vec![];
    if let Some(id) = &m.model_id {
        if !is_valid_model_id(id) {
            warnings.push(issue(
                "model_id",
                "model_id 通常是 22 位字母、数字、“_”或“-”，请核对是否复制完整。",
                "A model_id is usually 22 letters, digits, '_' or '-': check it was copied whole.",
            ));
        }
    }
    if m.link_type == "per_model" {
        warnings.push(issue(
            "link_type",
            "一型一码：所有标签打开同一个链接，无法区分门店或前台。每个门店一个立牌时，请选一机一码。",
            "One code per model: every tag opens the same link, so stores cannot be told apart. Use one code per device for per-store stands.",
        ));
    }
    Ok((m, warnings))
}

pub(crate) fn store_issues(s: &StoreInput) -> Vec<FieldIssue> {
    [
        required(
            "org_code",
            &s.org_code,
            "机构编号",
            "The organisation number",
        ),
        too_long("org_code", 32, &s.org_code),
        required("name", &s.name, "门店名称", "The store name"),
        too_long("name", 100, &s.name),
        too_long("company", 100, &s.company),
        too_long("address", 200, &s.address),
    ]
    .into_iter()
    .flatten()
    .collect()
}

pub(crate) fn normalize_store(mut s: StoreInput) -> StoreInput {
    s.org_code = s.org_code.trim().into();
    s.company = s.company.trim().into();
    s.name = s.name.trim().into();
    s.address = s.address.trim().into();
    s
}

pub(crate) fn store(s: StoreInput) -> Result<StoreInput, Vec<FieldIssue>> {
    let s = normalize_store(s);
    let errors = store_issues(&s);
    if errors.is_empty() {
        Ok(s)
    } else {
        Err(errors)
    }
}

pub(crate) fn normalize_terminal(mut t: TerminalInput) -> TerminalInput {
    t.machine_no = t.machine_no.trim().into();
    t.terminal_no = t.terminal_no.trim().into();
    t.note = t.note.trim().into();
    t
}

pub(crate) fn terminal_issues(t: &TerminalInput) -> Vec<FieldIssue> {
    [
        required("machine_no", &t.machine_no, "机器号", "The machine number"),
        too_long("machine_no", 32, &t.machine_no),
        required(
            "terminal_no",
            &t.terminal_no,
            "终端号",
            "The terminal number",
        ),
        too_long("terminal_no", 32, &t.terminal_no),
        too_long("note", 200, &t.note),
    ]
    .into_iter()
    .flatten()
    .collect()
}

pub(crate) fn terminal(t: TerminalInput) -> Result<TerminalInput, Vec<FieldIssue>> {
    let t = normalize_terminal(t);
    let errors = terminal_issues(&t);
    if errors.is_empty() {
        Ok(t)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_shapes() {
        assert!(is_valid_appid("wx8928293522b7aa0d"));
        assert!(!is_valid_appid("wx8928293522B7AA0D"));
        assert!(!is_valid_appid("wx8928293522b7aa0"));
        assert!(looks_like_app_secret("4e015658b5f2f2d1d6a2ec5995bede86"));
        assert!(!looks_like_app_secret("4e015658b5f2f2d1d6a2ec5995bede8"));
        assert!(is_valid_model_id("5utC432sD0LvHu6ial0u_g"));
        assert!(!is_valid_model_id("5utC432sD0LvHu6ial0u_"));
    }

    #[test]
    fn profile_rules() {
        let ok = ProfileInput {
            name: " 会员中心 ".into(),
            appid: " wx8928293522b7aa0d ".into(),
            env_version: "".into(),
            page_path: "pages/member/card".into(),
            query_template: "store={org_code}&t={terminal_no}&sn={sn}".into(),
            only_genuine: false,
        };
        let (p, w) = profile(ok.clone()).unwrap();
        assert_eq!(p.name, "会员中心");
        assert_eq!(p.appid, "wx8928293522b7aa0d");
        assert_eq!(p.env_version, "release");
        assert!(w.is_empty());

        let (_, w) = profile(ProfileInput {
            appid: "wxABC".into(),
            ..ok.clone()
        })
        .unwrap();
        assert_eq!(w[0].field, "appid");

        let e = profile(ProfileInput {
            query_template: "门店={foo}".into(),
            ..ok.clone()
        })
        .unwrap_err();
        assert!(e.iter().any(|i| i.zh.contains("{foo}")));
        assert!(e.iter().any(|i| i.zh.contains("URL 编码")));
        let e = profile(ProfileInput {
            name: "".into(),
            page_path: "a?b=1".into(),
            ..ok
        })
        .unwrap_err();
        let fields: Vec<_> = e.iter().map(|i| i.field.as_str()).collect();
        assert_eq!(fields, ["name", "page_path"]);
    }

    #[test]
    fn device_model_rules() {
        let m = DeviceModelInput {
            model_name: "ZHS-NTAG216".into(),
            ..Default::default()
        };
        let (m2, w) = device_model(m.clone()).unwrap();
        assert_eq!(
            (m2.link_type.as_str(), m2.status.as_str()),
            ("per_device", "registering")
        );
        assert!(w.is_empty());
        let e = device_model(DeviceModelInput {
            status: "approved".into(),
            ..m.clone()
        })
        .unwrap_err();
        assert_eq!(e[0].field, "model_id");
        let e = device_model(DeviceModelInput {
            status: "rejected".into(),
            ..m.clone()
        })
        .unwrap_err();
        assert_eq!(e[0].field, "reject_reason");
        let (_, w) = device_model(DeviceModelInput {
            model_id: Some("short".into()),
            ..m
        })
        .unwrap();
        assert_eq!(w[0].field, "model_id");
    }
}
