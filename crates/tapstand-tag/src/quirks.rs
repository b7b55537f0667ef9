//! What each reader family needs, from the PC/SC reader name. The name is only the first guess of the
//! pass-through: the dialect a reader really speaks is found by probing it (`crate::dialect`).
//!
//! | Family | Native commands (GET_VERSION, PWD_AUTH) | Notes |
//! |---|---|---|
//! | ACS ACR122U | Direct Transmit `FF 00 00 00 Lc D4 42 cmd` → `D5 43 st …` | `FF B0`/`FF D6` after a Direct-Transmit PWD_AUTH report `63 00` (nfc-pcsc #36), so authenticated pages go through Direct Transmit too. Linux: the `pn533_usb` kernel module must be unloaded. |
//! | ACS ACR1252U / ACR1552U | PC/SC Part 3 transparent session `FF C2` | |
//! | HID OMNIKEY 5022 / 5422 | none confirmed (transparent exchange unverified) | identification from the CC; the 5023 dropped Ultralight support |
//! | Identiv uTrust 3700F | none found | identification from the CC |
//! | Gemalto Prox-DU/SU | none | `FF D6` wants a 16-byte body (first 4 bytes written) |
//! | vsmartcard "Virtual PCD" (Tapstand's virtual tag) | Direct Transmit (ACR122U-like) | |
//! | anything else | none (generic PC/SC Part 3) | |

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ReaderFamily {
    Acr122u,
    Acr1252u,
    Acr1552u,
    Omnikey5022,
    Omnikey5422,
    IdentivUtrust3700f,
    GemaltoProx,
    VirtualVpcd,
    GenericPart3,
}

/// How native ISO 14443-3 commands reach the tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum PassThrough {
    Acr122Direct,
    Part3Transparent,
    None,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, specta::Type)]
pub struct Quirks {
    pub family: ReaderFamily,
    pub passthrough: PassThrough,
    /// `FF D6` needs a 16-byte body.
    pub update_needs_16: bool,
    /// Pseudo-APDUs lose a PWD_AUTH done through the pass-through: use native READ/WRITE after it.
    pub pseudo_apdus_lose_auth: bool,
    /// Timeout for transparent exchanges, µs.
    pub transparent_timeout_us: u32,
}

impl Quirks {
    pub fn generic() -> Quirks {
        Quirks {
            family: ReaderFamily::GenericPart3,
            passthrough: PassThrough::None,
            update_needs_16: false,
            pseudo_apdus_lose_auth: false,
            transparent_timeout_us: 50_000,
        }
    }

    pub fn with_passthrough(mut self, p: PassThrough) -> Quirks {
        self.passthrough = p;
        self
    }

    /// Advice for the merchant about this reader, if any (zh, en).
    pub fn advice(&self) -> Option<(&'static str, &'static str)> {
        match self.family {
            ReaderFamily::Acr122u if cfg!(target_os = "linux") => Some((
                "ACR122U 在 Linux 上需要先卸载内核的 pn533_usb 模块（sudo modprobe -r pn533_usb），再重启 pcscd。",
                "On Linux the ACR122U needs the pn533_usb kernel module unloaded (sudo modprobe -r pn533_usb), then restart pcscd.",
            )),
            ReaderFamily::Omnikey5022 | ReaderFamily::Omnikey5422 | ReaderFamily::IdentivUtrust3700f | ReaderFamily::GenericPart3 => Some((
                "此读卡器无法识别空白标签的型号，也不能设置标签密码；出厂格式化的标签可以正常写入。",
                "This reader cannot identify blank tags or set tag passwords; factory-formatted tags write normally.",
            )),
            _ => None,
        }
    }
}

/// The quirks for a reader, from its PC/SC name. `TAPSTAND_PASSTHROUGH=acr122|part3|none` overrides the
/// pass-through (for trying a reader the table does not know).
pub fn quirks_for(reader_name: &str) -> Quirks {
    let n = reader_name.to_ascii_lowercase();
    let mut q = Quirks::generic();
    if n.contains("acr122") {
        q.family = ReaderFamily::Acr122u;
        q.passthrough = PassThrough::Acr122Direct;
        q.pseudo_apdus_lose_auth = true;
    } else if n.contains("acr1252") {
        q.family = ReaderFamily::Acr1252u;
        q.passthrough = PassThrough::Part3Transparent;
    } else if n.contains("acr1552") {
        q.family = ReaderFamily::Acr1552u;
        q.passthrough = PassThrough::Part3Transparent;
    } else if n.contains("omnikey") && n.contains("5022") {
        q.family = ReaderFamily::Omnikey5022;
    } else if n.contains("omnikey") && n.contains("5422") {
        q.family = ReaderFamily::Omnikey5422;
    } else if n.contains("utrust") || n.contains("3700 f") || n.contains("3700f") {
        q.family = ReaderFamily::IdentivUtrust3700f;
    } else if n.contains("prox-du")
        || n.contains("prox-su")
        || n.contains("prox du")
        || n.contains("prox su")
    {
        q.family = ReaderFamily::GemaltoProx;
        q.update_needs_16 = true;
    } else if n.contains("virtual pcd") {
        q.family = ReaderFamily::VirtualVpcd;
        q.passthrough = PassThrough::Acr122Direct;
        q.pseudo_apdus_lose_auth = true;
    }
    if let Ok(v) = std::env::var("TAPSTAND_PASSTHROUGH") {
        q.passthrough = match v.to_ascii_lowercase().as_str() {
            "acr122" | "direct" => PassThrough::Acr122Direct,
            "part3" | "transparent" => PassThrough::Part3Transparent,
            "none" => PassThrough::None,
            _ => q.passthrough,
        };
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        assert_eq!(
            quirks_for("ACS ACR122U PICC Interface 00 00").family,
            ReaderFamily::Acr122u
        );
        assert_eq!(
            quirks_for("ACS ACR1252 1S CL Reader [ACR1252 1S CL Reader(1)] 00 00").passthrough,
            PassThrough::Part3Transparent
        );
        assert_eq!(
            quirks_for("ACS ACR1552 1S CL Reader PICC 0").family,
            ReaderFamily::Acr1552u
        );
        assert_eq!(
            quirks_for("HID Global OMNIKEY 5022 Smart Card Reader 00 00").family,
            ReaderFamily::Omnikey5022
        );
        assert_eq!(
            quirks_for("HID Global OMNIKEY 5422CL Smartcard Reader 01 00").family,
            ReaderFamily::Omnikey5422
        );
        assert_eq!(
            quirks_for("Identiv uTrust 3700 F CL Reader 00 00").family,
            ReaderFamily::IdentivUtrust3700f
        );
        assert!(quirks_for("Gemalto Prox-DU Contactless_1234 00 00").update_needs_16);
        assert_eq!(
            quirks_for("Virtual PCD 00 00").passthrough,
            PassThrough::Acr122Direct
        );
        assert_eq!(
            quirks_for("Some Reader 00 00").family,
            ReaderFamily::GenericPart3
        );
    }
}
