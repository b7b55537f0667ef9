//! The genuine-chip verdict (NXP originality signature, see `tapstand_tag::genuine`) in plain words, and
//! the refusal of the profile option "只写 NXP 原厂芯片". One place for the words, so the station, the
//! inspector, the history export and the CLI say the same thing.
//!
//! A chip that fails the check is not called a fake: domestic compatible chips fail it too.

use tapstand_error::UserError;

/// The verdict, Chinese: `Some(true)` / `Some(false)` / `None`.
pub fn verdict_zh(genuine: Option<bool>) -> &'static str {
    match genuine {
        Some(true) => "NXP 原厂芯片",
        Some(false) => "不是 NXP 原厂芯片（可能是国产兼容芯片或仿冒）",
        None => "这种芯片无法检查",
    }
}

/// The verdict, English.
pub fn verdict_en(genuine: Option<bool>) -> &'static str {
    match genuine {
        Some(true) => "NXP original chip",
        Some(false) => "Not an NXP original chip (perhaps a domestic compatible chip or a copy)",
        None => "This chip cannot be checked",
    }
}

/// The station's refusal when the profile writes only NXP originals and this chip is not one (or cannot
/// be checked). Nothing was generated or recorded in the ledger for it.
pub fn refused(genuine: Option<bool>, chip: &str) -> UserError {
    match genuine {
        Some(false) => UserError::new(
            "station.not_genuine",
            (
                &format!("这张标签（{chip}）不是 NXP 原厂芯片（可能是国产兼容芯片或仿冒）。当前小程序配置设为“只写 NXP 原厂芯片”，所以没有写入，也没有生成链接。"),
                "请换一张 NXP 原厂标签（向卖家确认是 NXP 原厂 NTAG213/215/216）；如果也要写这种标签，请在“小程序配置”里关闭“只写 NXP 原厂芯片”。",
            ),
            (
                &format!("This tag ({chip}) is not an NXP original chip (perhaps a domestic compatible chip or a copy). The profile writes only NXP originals, so nothing was written and no link was generated."),
                "Use an NXP original tag (ask the seller for genuine NXP NTAG213/215/216), or turn \"only NXP original chips\" off in the profile.",
            ),
        ),
        _ => UserError::new(
            "station.genuine_unknown",
            (
                &format!("无法检查这张标签（{chip}）是不是 NXP 原厂芯片。当前小程序配置设为“只写 NXP 原厂芯片”，所以没有写入，也没有生成链接。"),
                "只有 NTAG21x 和 MIFARE Ultralight EV1 标签能检查，而且读卡器要支持直通命令（如 ACR122U）：请换这样的标签或读卡器；如果也要写这种标签，请在“小程序配置”里关闭“只写 NXP 原厂芯片”。",
            ),
            (
                &format!("Tapstand cannot check whether this tag ({chip}) is an NXP original chip. The profile writes only NXP originals, so nothing was written and no link was generated."),
                "Only NTAG21x and MIFARE Ultralight EV1 tags can be checked, on a reader that passes native commands (e.g. ACR122U): use such a tag or reader, or turn \"only NXP original chips\" off in the profile.",
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_words_never_say_fake() {
        for g in [Some(true), Some(false), None] {
            assert!(!verdict_zh(g).contains("假冒"));
            assert!(!verdict_en(g).to_lowercase().contains("fake"));
            let e = refused(g, "NTAG215");
            assert!(!e.zh.message.contains("假冒") && !e.zh.remedy.is_empty());
        }
        assert_eq!(refused(Some(false), "x").code, "station.not_genuine");
        assert_eq!(refused(None, "x").code, "station.genuine_unknown");
    }
}
