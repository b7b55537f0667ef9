//! The registration helper: the exact values to type into WeChat's 登记设备 (register device) and
//! 申请设备能力 (apply for device capability) forms, as the merchant's setup guide prescribes, with the
//! form's length limits. WeChat counts characters (a Chinese character counts as one), e.g. 正宏盛 = 3/64.

use serde::Serialize;

#[derive(Clone, Debug, Serialize, specta::Type)]
pub struct FormField {
    /// Stable key (`brand_zh`, `model`, ...).
    pub key: String,
    pub label_zh: String,
    pub label_en: String,
    /// The value to enter or choose. Empty for a field left blank.
    pub value: String,
    /// The form's length limit, when it shows a counter.
    pub max_chars: Option<u32>,
    /// Characters in `value`, counted the way the form counts them.
    pub chars: u32,
    /// A choice (radio, dropdown, checkbox) rather than typed text.
    pub is_choice: bool,
    pub hint_zh: String,
    pub hint_en: String,
}

#[derive(Clone, Debug, Serialize, specta::Type)]
pub struct RegistrationHelp {
    /// 登记设备
    pub register: Vec<FormField>,
    /// 申请设备能力
    pub capability: Vec<FormField>,
}

/// Characters as WeChat's counters count them.
pub fn count_chars(s: &str) -> u32 {
    s.chars().count() as u32
}

fn field(
    key: &str,
    label: (&str, &str),
    value: &str,
    max_chars: Option<u32>,
    is_choice: bool,
    hint: (&str, &str),
) -> FormField {
    FormField {
        key: key.into(),
        label_zh: label.0.into(),
        label_en: label.1.into(),
        value: value.into(),
        max_chars,
        chars: count_chars(value),
        is_choice,
        hint_zh: hint.0.into(),
        hint_en: hint.1.into(),
    }
}

/// The model name the guide prescribes.
pub const DEFAULT_MODEL: &str = "ZHS-NTAG216";

/// The two forms with the guide's values; `model` overrides 型号 (when "型号已经存在" forced a variant).
pub fn help(model: Option<&str>) -> RegistrationHelp {
    let model = model
        .filter(|m| !m.trim().is_empty())
        .unwrap_or(DEFAULT_MODEL);
    let none = ("", "");
    RegistrationHelp {
        register: vec![
            field("brand_zh", ("品牌名称（中文）", "Brand name (Chinese)"), "正宏盛", Some(64), false,
                ("用这个品牌是为了方便通过微信审核；实际可使用任意品牌、支持 NDEF 的 NFC 标签。",
                 "This brand eases WeChat's review; any NDEF-capable tag brand works in practice.")),
            field("brand_en", ("品牌名称（英文）", "Brand name (English)"), "Zhenghongsheng", Some(64), false, none),
            field("maker_zh", ("生产厂商（中文）", "Manufacturer (Chinese)"), "深圳市正宏盛智能科技有限公司", Some(64), false, none),
            field("maker_en", ("生产厂商（英文）", "Manufacturer (English)"), "SHENZHEN ZHS INTELLIGENCE TECHNOLOGY CO.,LTD.", Some(64), false, none),
            field("product_zh", ("产品名称（中文）", "Product name (Chinese)"), "NFC电子标签", Some(64), false,
                ("该名称展示给用户，建议与产品包装上的名称一致，不要过长。", "Shown to users: keep it as on the package, and short.")),
            field("product_en", ("产品名称（英文）", "Product name (English)"), "NFCtag", Some(64), false, none),
            field("model", ("型号", "Model"), model, Some(64), false,
                ("提交时如提示“登记失败，型号已经存在”，请换一个型号后重新提交（见下方建议）。",
                 "If the form says the model already exists, use another model name (see the suggestions) and submit again.")),
            field("image", ("产品图片", "Product image"), "https://wx.jys.com.cn/images/nfctag.png", None, false,
                ("252×252 px，透明底 PNG；不能出现与产品无关的信息。", "252×252 px transparent PNG, nothing unrelated to the product.")),
            field("intro", ("产品简介", "Product description"), "NFC标签，手机碰一碰拉起小程序", Some(600), false, none),
            field("network", ("设备联网", "Network"), "不需要联网", None, true, ("勾选“不需要联网”。", "Tick 'no network needed'.")),
            field("device_type", ("设备类型", "Device type"), "商用仪器 > 电子立牌", None, true, none),
            field("video", ("设备操作视频（选填）", "Operation video (optional)"), "", None, false, ("留空。", "Leave empty.")),
            field("applicant", ("申请方", "Applicant"), "方案服务商", None, true, ("选择“方案服务商”。", "Choose 'solution provider'.")),
        ],
        capability: vec![
            field("capability", ("设备能力", "Capability"), "NFC标签调起小程序", None, true, none),
            field("link_type", ("设备链接类型", "Link type"), "一机一码", None, true,
                ("一机一码：每个标签一个链接，可以区分门店和前台。请如实选择，与实际使用不符可能被禁用。",
                 "One code per device: one link per tag, so stores and desks can be told apart. Choose truthfully; a mismatch can get the capability disabled.")),
            field("reason", ("申请理由", "Reason"),
                "会员到店消费时，通过触碰NFC卡片快速拉起小程序会员码页面，实现快速出示会员码完成会员录入的操作",
                Some(600), false, none),
        ],
    }
}

/// Model names to try when WeChat answers "登记失败，型号已经存在" (the model already exists), skipping
/// those in `taken`. WeChat allows at most 64 characters.
pub fn model_variants(base: &str, taken: &[String]) -> Vec<String> {
    let base = base.trim();
    let base = if base.is_empty() { DEFAULT_MODEL } else { base };
    let stem: String = base.chars().take(58).collect();
    let mut out = vec![];
    for candidate in ["A", "B", "C"]
        .iter()
        .map(|s| format!("{stem}-{s}"))
        .chain((2..20).map(|n| format!("{stem}-{n:02}")))
    {
        if candidate != base && !taken.iter().any(|t| t.eq_ignore_ascii_case(&candidate)) {
            out.push(candidate);
        }
        if out.len() == 3 {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_match_the_wechat_form() {
        // The counts WeChat's form shows in the merchant's guide.
        let h = help(None);
        let c = |k: &str| {
            h.register
                .iter()
                .chain(&h.capability)
                .find(|f| f.key == k)
                .unwrap()
                .chars
        };
        assert_eq!(c("brand_zh"), 3);
        assert_eq!(c("brand_en"), 14);
        assert_eq!(c("maker_zh"), 14);
        assert_eq!(c("maker_en"), 45);
        assert_eq!(c("product_zh"), 7);
        assert_eq!(c("product_en"), 6);
        assert_eq!(c("model"), 11);
        assert_eq!(c("intro"), 16);
        assert_eq!(c("reason"), 48);
        assert!(h
            .register
            .iter()
            .all(|f| f.max_chars.is_none_or(|m| f.chars <= m)));
    }

    #[test]
    fn variants_skip_taken_names() {
        let v = model_variants("ZHS-NTAG216", &["zhs-ntag216-a".into()]);
        assert_eq!(v, ["ZHS-NTAG216-B", "ZHS-NTAG216-C", "ZHS-NTAG216-02"]);
        assert!(model_variants(&"X".repeat(80), &[])
            .iter()
            .all(|m| m.chars().count() <= 64));
    }
}
