//! Windows Smart Card Plug and Play (`../shared/reference/readers.md` §4): Windows treats every tapped tag
//! as a smart card, sends its own APDUs to it and searches Windows Update for a driver ("device driver
//! software was not installed"), tag after tag. Two remedies: the machine-wide policy
//! (`HKLM\SOFTWARE\Policies\Microsoft\Windows\ScPnP\EnableScPnP = 0`), or — what Tapstand offers — an
//! exception for NFC storage tags only: a card type with their ATR (masked so it covers every Type 2 tag
//! and MIFARE storage card a PC/SC Part 3 reader reports) whose crypto provider is `$DisableSCPnP$`, which
//! is what `SCardIntroduceCardType` + `SCardSetCardTypeProviderName(…, SCARD_PROVIDER_CSP,
//! "$DisableSCPnP$")` write under `HKLM\SOFTWARE\Microsoft\Cryptography\Calais\SmartCards` (Microsoft
//! KB976832).
//!
//! Writing there needs administrator rights: [`apply`] runs `reg.exe` once, elevated (the Windows UAC
//! prompt); [`it_commands`] are exactly the commands an IT person can run instead. Reading needs none, so
//! `doctor` (and 设置 → 诊断 on Windows) says the state through [`report`] with any [`Registry`] — the
//! Windows registry in the product, a map in the tests.

use serde::Serialize;
use tapstand_error::UserError;

/// The card type Tapstand registers.
pub const CARD_NAME: &str = "Tapstand NFC storage tag";
/// The provider name that tells Windows not to look for a driver.
pub const DISABLE_SCPNP: &str = "$DisableSCPnP$";
/// A PC/SC Part 3 reader's ATR for an ISO 14443-3A storage card (`3B 8F 80 01 80 4F 0C A0 00 00 03 06 03
/// NN NN 00 00 00 00 TCK`), with the card name (NN NN: Ultralight / NTAG `00 03`, Ultralight C `00 3A`,
/// MIFARE `00 01` …) and the check byte zeroed, as the mask below leaves them.
pub const ATR: [u8; 20] = [
    0x3B, 0x8F, 0x80, 0x01, 0x80, 0x4F, 0x0C, 0xA0, 0x00, 0x00, 0x03, 0x06, 0x03, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
];
/// Which ATR bytes must match: all but the card name and the check byte.
pub const ATR_MASK: [u8; 20] = [
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0xFF,
    0xFF, 0xFF, 0xFF, 0x00,
];
const CALAIS: &str = r"SOFTWARE\Microsoft\Cryptography\Calais\SmartCards";
/// 32-bit programs read the card database from here on 64-bit Windows.
const CALAIS_WOW64: &str = r"SOFTWARE\WOW6432Node\Microsoft\Cryptography\Calais\SmartCards";
const POLICY: &str = r"SOFTWARE\Policies\Microsoft\Windows\ScPnP";

/// Does an ATR fall under the exception?
pub fn covers(atr: &[u8]) -> bool {
    atr.len() == ATR.len()
        && atr
            .iter()
            .zip(ATR_MASK.iter().zip(ATR.iter()))
            .all(|(a, (m, want))| a & m == *want)
}

/// Read access to `HKEY_LOCAL_MACHINE` (values under `path`).
pub trait Registry {
    fn dword(&self, path: &str, name: &str) -> Result<Option<u32>, String>;
    fn string(&self, path: &str, name: &str) -> Result<Option<String>, String>;
}

/// Smart Card Plug and Play on this PC, for `doctor` and 设置 → 诊断 (Windows only).
#[derive(Clone, Debug, Serialize, specta::Type)]
pub struct ScPnpReport {
    /// Windows' Smart Card Plug and Play is on (its default).
    pub enabled: bool,
    /// Turned off for every card by the policy (`EnableScPnP = 0`).
    pub policy_disabled: bool,
    /// Tapstand's exception for NFC tags is registered: Windows leaves tags alone.
    pub exempted: bool,
    /// What this means and what to do, when Windows may still look for a driver for each tag.
    pub problem: Option<UserError>,
    /// The commands (run as administrator) that add the exception, for an IT person.
    pub it_commands: Vec<String>,
    /// The commands that remove it again.
    pub undo_commands: Vec<String>,
    /// The registry could not be read (technical detail).
    pub error: Option<String>,
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

/// `reg.exe` commands that add the exception (both registry views).
pub fn it_commands() -> Vec<String> {
    [CALAIS, CALAIS_WOW64]
        .iter()
        .flat_map(|root| {
            let key = format!(r"HKLM\{root}\{CARD_NAME}");
            [
                format!(
                    r#"reg add "{key}" /v ATR /t REG_BINARY /d {} /f"#,
                    hex(&ATR)
                ),
                format!(
                    r#"reg add "{key}" /v ATRMask /t REG_BINARY /d {} /f"#,
                    hex(&ATR_MASK)
                ),
                format!(
                    r#"reg add "{key}" /v "Crypto Provider" /t REG_SZ /d "{DISABLE_SCPNP}" /f"#
                ),
            ]
        })
        .collect()
}

/// `reg.exe` commands that remove the exception.
pub fn undo_commands() -> Vec<String> {
    [CALAIS, CALAIS_WOW64]
        .iter()
        .map(|root| format!(r#"reg delete "HKLM\{root}\{CARD_NAME}" /f"#))
        .collect()
}

/// The state as the registry holds it.
pub fn report(reg: &dyn Registry) -> ScPnpReport {
    let key = format!(r"{CALAIS}\{CARD_NAME}");
    let policy = reg.dword(POLICY, "EnableScPnP");
    let provider = reg.string(&key, "Crypto Provider");
    let error = match (&policy, &provider) {
        (Err(e), _) | (_, Err(e)) => Some(e.clone()),
        _ => None,
    };
    let policy_disabled = matches!(policy, Ok(Some(0)));
    let exempted = matches!(&provider, Ok(Some(p)) if p == DISABLE_SCPNP);
    let problem = (!policy_disabled && !exempted).then(|| {
        UserError::new(
            "scpnp.on",
            (
                "Windows 的“智能卡即插即用”开着：每放一张标签，Windows 都可能去找驱动程序，并弹出“未能成功安装设备驱动程序”。",
                "点「让 Windows 不再为 NFC 标签找驱动」（需要管理员同意一次）；只对 NFC 标签生效，银行卡、U 盾等智能卡不受影响，随时可以撤销。没有管理员权限的话，请把下面的命令交给电脑管理员运行。",
            ),
            (
                "Windows Smart Card Plug and Play is on: for each tag you put down, Windows may look for a driver and show “Device driver software was not installed”.",
                "Click “Stop Windows looking for drivers for NFC tags” (an administrator approves once); it applies to NFC tags only, not to bank cards or other smart cards, and can be undone any time. Without administrator rights, give the commands below to your IT person.",
            ),
        )
    });
    ScPnpReport {
        enabled: !policy_disabled,
        policy_disabled,
        exempted,
        problem,
        it_commands: it_commands(),
        undo_commands: undo_commands(),
        error,
    }
}

/// The Windows registry.
#[cfg(windows)]
pub struct WindowsRegistry;

#[cfg(windows)]
impl Registry for WindowsRegistry {
    fn dword(&self, path: &str, name: &str) -> Result<Option<u32>, String> {
        match windows_registry::LOCAL_MACHINE.open(path) {
            Ok(k) => Ok(k.get_u32(name).ok()),
            Err(_) => Ok(None),
        }
    }
    fn string(&self, path: &str, name: &str) -> Result<Option<String>, String> {
        match windows_registry::LOCAL_MACHINE.open(path) {
            Ok(k) => Ok(k.get_string(name).ok()),
            Err(_) => Ok(None),
        }
    }
}

/// This PC's state (`None` off Windows).
pub fn this_pc() -> Option<ScPnpReport> {
    #[cfg(windows)]
    {
        Some(report(&WindowsRegistry))
    }
    #[cfg(not(windows))]
    {
        None
    }
}

/// The one command line `apply` runs elevated: every `reg.exe` command joined for `cmd.exe /c`.
pub fn elevated_command_line(exempt: bool) -> String {
    let cmds = if exempt {
        it_commands()
    } else {
        undo_commands()
    };
    cmds.join(" & ")
}

/// Adds (`exempt`) or removes the exception: `cmd.exe /c <reg commands>` run elevated through
/// PowerShell's `Start-Process -Verb RunAs` (Windows asks an administrator once). Then reads the state
/// back: the answer is what the registry holds, whatever the prompt's fate.
pub fn apply(exempt: bool) -> Result<ScPnpReport, UserError> {
    #[cfg(windows)]
    {
        // Inside PowerShell's single quotes only a single quote needs doubling.
        let line = elevated_command_line(exempt).replace('\'', "''");
        let ps = format!(
            "Start-Process -FilePath cmd.exe -ArgumentList '/c {line}' -Verb RunAs -Wait -WindowStyle Hidden"
        );
        let status = std::process::Command::new("powershell.exe")
            .args(["-NoProfile", "-NonInteractive", "-Command", &ps])
            .status()
            .map_err(|e| refused(&e.to_string()))?;
        let r = report(&WindowsRegistry);
        if r.exempted != exempt {
            return Err(refused(&format!("powershell: {status}")));
        }
        Ok(r)
    }
    #[cfg(not(windows))]
    {
        let _ = exempt;
        Err(UserError::new(
            "scpnp.not_windows",
            (
                "这个设置只在 Windows 上有。",
                "在 macOS 和 Linux 上不需要做任何事。",
            ),
            (
                "This setting exists on Windows only.",
                "Nothing needs doing on macOS or Linux.",
            ),
        ))
    }
}

#[cfg(windows)]
fn refused(detail: &str) -> UserError {
    UserError::new(
        "scpnp.not_changed",
        (
            "设置没有改成（可能没有得到管理员同意）。",
            "请再点一次并在弹出的窗口里点“是”；没有管理员权限的话，请把诊断里列出的命令交给电脑管理员，用管理员身份运行。",
        ),
        (
            "The setting was not changed (an administrator may not have approved it).",
            "Click again and choose “Yes” in the prompt; without administrator rights, give the commands listed under diagnostics to your IT person to run as administrator.",
        ),
    )
    .with_detail(detail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[derive(Default)]
    struct Map(BTreeMap<(String, String), Result<String, String>>);

    impl Registry for Map {
        fn dword(&self, path: &str, name: &str) -> Result<Option<u32>, String> {
            match self.0.get(&(path.into(), name.into())) {
                Some(Ok(v)) => Ok(v.parse().ok()),
                Some(Err(e)) => Err(e.clone()),
                None => Ok(None),
            }
        }
        fn string(&self, path: &str, name: &str) -> Result<Option<String>, String> {
            match self.0.get(&(path.into(), name.into())) {
                Some(Ok(v)) => Ok(Some(v.clone())),
                Some(Err(e)) => Err(e.clone()),
                None => Ok(None),
            }
        }
    }

    #[test]
    fn the_mask_covers_type2_tags_and_nothing_iso14443_4() {
        let ntag = [
            0x3B, 0x8F, 0x80, 0x01, 0x80, 0x4F, 0x0C, 0xA0, 0, 0, 0x03, 0x06, 0x03, 0x00, 0x03, 0,
            0, 0, 0, 0x68,
        ];
        assert!(covers(&ntag));
        let mut ulc = ntag;
        ulc[14] = 0x3A;
        ulc[19] = 0x51;
        assert!(covers(&ulc));
        // An NTAG 424 DNA / bank card (ISO 14443-4: 3B 8x 80 01 …) is a smart card: not covered.
        assert!(!covers(&[0x3B, 0x81, 0x80, 0x01, 0x80, 0x80]));
        let mut other_standard = ntag;
        other_standard[12] = 0x11; // FeliCa
        assert!(!covers(&other_standard));
    }

    #[test]
    fn the_state_comes_from_the_registry() {
        let r = report(&Map::default());
        assert!(r.enabled && !r.exempted && !r.policy_disabled);
        let p = r.problem.expect("advice");
        assert_eq!(p.code, "scpnp.on");
        assert!(p.zh.message.contains("智能卡即插即用"));
        assert!(p.zh.remedy.contains("撤销"));

        let mut m = Map::default();
        m.0.insert(
            (format!(r"{CALAIS}\{CARD_NAME}"), "Crypto Provider".into()),
            Ok(DISABLE_SCPNP.into()),
        );
        let r = report(&m);
        assert!(r.exempted && r.problem.is_none());

        let mut m = Map::default();
        m.0.insert((POLICY.into(), "EnableScPnP".into()), Ok("0".into()));
        let r = report(&m);
        assert!(r.policy_disabled && !r.enabled && r.problem.is_none());

        let mut m = Map::default();
        m.0.insert(
            (POLICY.into(), "EnableScPnP".into()),
            Err("access denied".into()),
        );
        assert_eq!(report(&m).error.as_deref(), Some("access denied"));
    }

    /// The exact calls: both registry views, the masked ATR, the provider, and an undo for each.
    #[test]
    fn the_commands_an_administrator_runs() {
        let c = it_commands();
        assert_eq!(c.len(), 6);
        assert_eq!(
            c[0],
            r#"reg add "HKLM\SOFTWARE\Microsoft\Cryptography\Calais\SmartCards\Tapstand NFC storage tag" /v ATR /t REG_BINARY /d 3B8F8001804F0CA0000003060300000000000000 /f"#
        );
        assert_eq!(
            c[1],
            r#"reg add "HKLM\SOFTWARE\Microsoft\Cryptography\Calais\SmartCards\Tapstand NFC storage tag" /v ATRMask /t REG_BINARY /d FFFFFFFFFFFFFFFFFFFFFFFFFF0000FFFFFFFF00 /f"#
        );
        assert!(c[2].ends_with(r#"/v "Crypto Provider" /t REG_SZ /d "$DisableSCPnP$" /f"#));
        assert!(c[3].contains(r"WOW6432Node"));
        let u = undo_commands();
        assert_eq!(
            u,
            [
                r#"reg delete "HKLM\SOFTWARE\Microsoft\Cryptography\Calais\SmartCards\Tapstand NFC storage tag" /f"#,
                r#"reg delete "HKLM\SOFTWARE\WOW6432Node\Microsoft\Cryptography\Calais\SmartCards\Tapstand NFC storage tag" /f"#,
            ]
        );
        assert_eq!(elevated_command_line(false), u.join(" & "));
    }
}
