//! Reader doubles: the dialects real PC/SC readers speak, replayed by the virtual reader's firmware
//! ([`crate::firmware::Firmware::model`]). Facts from `../shared/reference/readers.md` (sources there);
//! "(inferred)" marks what no source states.
//!
//! | model | native path | failure status words | firmware string | light / beep |
//! |---|---|---|---|---|
//! | [`ReaderModel::Acr122u`] | Direct Transmit `FF 00 00 00 Lc D4 42 cmd` → `D5 43 st …` (st `00` ok, `01` timeout, `02` CRC error), InDataExchange `D4 40 01 cmd` → `D5 41 st …`; one PN532 frame (≤ 252 bytes of answer); a `D4 42` WRITE answers `02` (CRC error) although the page was written; `FF C2` refused (`63 00`) | `63 00` for everything | `FF 00 48 00 00` → `ACR122U215`, no status word | `FF 00 40 …` → `90 <led>`, `FF 00 52 FF/00 00` (beep on detection) over the card connection |
//! | [`ReaderModel::Acr1252u`], [`ReaderModel::Acr1552u`] | PC/SC Part 3 transparent session (`FF C2`, BER-TLV answers); **no** `D4 42` (Direct Transmit answered `63 00`, inferred) | `63 00` | none (`63 00`, inferred) | escapes `E0 00 00 28/29/21` through SCardControl ([`Firmware::escape`]) |
//! | [`ReaderModel::Omnikey5422`] | none (`FF 00`, `FF C2` → `6D 00`, inferred) | `64 00` tag timeout, `65 81` write failed, `69 82` protected page, `6A 82` past the end | none | refused |
//! | [`ReaderModel::IdentivUtrust3700f`] | none | `6A 81` for everything | none | refused |
//! | [`ReaderModel::FeitianR502`] | none | `63 00`; `6A 82` for any page past `0F` of an Ultralight C (it takes it for an Ultralight); a successful `FF D6` answered with the one byte `90` (OEM firmware) | none | refused |
//! | [`ReaderModel::VirtualPcd`] | both Direct Transmit and transparent sessions ([`crate::PassThroughMode`]): the virtual reader Tapstand's older tests use | `63 00` | none | refused |
//!
//! Every model answers `FF CA` (UID), `FF B0` (READ, ≤ 16 bytes) and `FF D6` (WRITE) and keeps the tag
//! halted after a NAK until the card is reset ([`crate::tag::TagState::mute`]). Each has the reader names
//! Windows, macOS and Linux give it ([`ReaderModel::names`]); the pcscd rig can rename the virtual reader
//! to any of them ([`crate::Rig::rename`]).

/// The reader a [`crate::firmware::Firmware`] plays.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReaderModel {
    /// vsmartcard's "Virtual PCD" as Tapstand's tests always had it (both pass-throughs, ACS status words).
    #[default]
    VirtualPcd,
    Acr122u,
    Acr1252u,
    Acr1552u,
    Omnikey5422,
    IdentivUtrust3700f,
    FeitianR502,
}

/// The way native Type 2 commands reach the tag on a model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    DirectTransmit,
    TransparentSession,
    PseudoApdusOnly,
    /// [`ReaderModel::VirtualPcd`]: Direct Transmit and transparent sessions.
    Both,
}

/// Reader names: (system, the name that system's PC/SC gives the reader).
pub type ReaderNames = [(&'static str, &'static str); 3];

impl ReaderModel {
    /// The doubles of real readers (not [`ReaderModel::VirtualPcd`]).
    pub const DOUBLES: [ReaderModel; 6] = [
        ReaderModel::Acr122u,
        ReaderModel::Acr1252u,
        ReaderModel::Acr1552u,
        ReaderModel::Omnikey5422,
        ReaderModel::IdentivUtrust3700f,
        ReaderModel::FeitianR502,
    ];

    pub fn dialect(self) -> Dialect {
        match self {
            ReaderModel::VirtualPcd => Dialect::Both,
            ReaderModel::Acr122u => Dialect::DirectTransmit,
            ReaderModel::Acr1252u | ReaderModel::Acr1552u => Dialect::TransparentSession,
            _ => Dialect::PseudoApdusOnly,
        }
    }

    /// The names each system gives the reader, without the slot numbers pcsc-lite appends (` 00 00`).
    /// Windows: the friendly name plus its index; Linux: pcsc-lite's `<name> [<interface>]`; macOS: the
    /// USB product name (S9 #104, S26, S49; the Omnikey, Identiv and Feitian macOS/Linux forms inferred
    /// from the same pattern).
    pub fn names(self) -> ReaderNames {
        match self {
            ReaderModel::VirtualPcd => [
                ("windows", "Virtual PCD"),
                ("macos", "Virtual PCD"),
                ("linux", "Virtual PCD"),
            ],
            ReaderModel::Acr122u => [
                ("windows", "ACS ACR122 0"),
                ("macos", "ACS ACR122U"),
                ("linux", "ACS ACR122U PICC Interface"),
            ],
            ReaderModel::Acr1252u => [
                ("windows", "ACS ACR1252 1S CL Reader PICC 0"),
                ("macos", "ACS ACR1252 Dual Reader PICC"),
                (
                    "linux",
                    "ACS ACR1252 Dual Reader [ACR1252 Dual Reader PICC]",
                ),
            ],
            ReaderModel::Acr1552u => [
                ("windows", "ACS ACR1552 1S CL Reader PICC 0"),
                ("macos", "ACS ACR1552 1S CL Reader PICC"),
                (
                    "linux",
                    "ACS ACR1552 1S CL Reader [ACR1552 1S CL Reader PICC]",
                ),
            ],
            ReaderModel::Omnikey5422 => [
                ("windows", "HID Global OMNIKEY 5422CL Smartcard Reader 0"),
                ("macos", "HID Global OMNIKEY 5422CL Smartcard Reader"),
                (
                    "linux",
                    "HID Global OMNIKEY 5422 Smartcard Reader [OMNIKEY 5422CL Smartcard Reader]",
                ),
            ],
            ReaderModel::IdentivUtrust3700f => [
                ("windows", "Identiv uTrust 3700 F CL Reader 0"),
                ("macos", "Identiv uTrust 3700 F CL Reader"),
                (
                    "linux",
                    "Identiv uTrust 3700 F CL Reader [uTrust 3700 F CL Reader]",
                ),
            ],
            ReaderModel::FeitianR502 => [
                ("windows", "FT R502 CL 0"),
                ("macos", "Feitian R502"),
                ("linux", "Feitian R502 [R502 Contactless Reader]"),
            ],
        }
    }

    /// The answer to `FF 00 48 00 00` (ACS: the firmware version, ASCII, **no status word**).
    pub fn firmware_answer(self) -> Vec<u8> {
        match self {
            ReaderModel::Acr122u => b"ACR122U215".to_vec(),
            _ => self.unsupported_sw().to_vec(),
        }
    }

    /// The status word for a command the reader does not know (`FF 00 …`, `FF C2 …`).
    pub fn unsupported_sw(self) -> [u8; 2] {
        match self {
            ReaderModel::VirtualPcd
            | ReaderModel::Acr122u
            | ReaderModel::Acr1252u
            | ReaderModel::Acr1552u => [0x63, 0x00],
            ReaderModel::Omnikey5422 => [0x6D, 0x00],
            ReaderModel::IdentivUtrust3700f | ReaderModel::FeitianR502 => [0x6A, 0x81],
        }
    }

    /// The status word for a READ the tag did not answer (NAK, timeout) or a page past the end.
    pub fn read_failed_sw(self, past_end: bool) -> [u8; 2] {
        match self {
            ReaderModel::Omnikey5422 if past_end => [0x6A, 0x82],
            ReaderModel::Omnikey5422 => [0x64, 0x00],
            ReaderModel::IdentivUtrust3700f => [0x6A, 0x81],
            _ => [0x63, 0x00],
        }
    }

    /// The status word for a WRITE the tag refused (NAK) or did not answer.
    pub fn write_failed_sw(self, protected: bool) -> [u8; 2] {
        match self {
            ReaderModel::Omnikey5422 if protected => [0x69, 0x82],
            ReaderModel::Omnikey5422 => [0x65, 0x81],
            ReaderModel::IdentivUtrust3700f => [0x6A, 0x81],
            _ => [0x63, 0x00],
        }
    }

    /// Does the reader refuse this page on this chip before asking the tag (Feitian: Ultralight C past
    /// page `0F`)?
    pub fn refuses_page(self, chip: crate::tag::VChip, page: usize) -> bool {
        self == ReaderModel::FeitianR502 && chip == crate::tag::VChip::UltralightC && page > 0x0F
    }

    /// The answer to a successful `FF D6` (Feitian OEM firmware: the one byte `90`).
    pub fn write_ok(self) -> Vec<u8> {
        match self {
            ReaderModel::FeitianR502 => vec![0x90],
            _ => vec![0x90, 0x00],
        }
    }

    /// Does a `D4 42` WRITE's ACK come back as a CRC error (`D5 43 02`) although the page was written?
    pub fn write_ack_as_crc_error(self) -> bool {
        self == ReaderModel::Acr122u
    }

    /// Does the reader accept the ACR122U's LED/buzzer pseudo-APDUs (`FF 00 40`, `FF 00 52`)?
    pub fn acr122_led(self) -> bool {
        self == ReaderModel::Acr122u
    }

    /// Does the reader accept the ACR1252U family's escapes (`E0 00 00 …`) through SCardControl?
    pub fn acs_escapes(self) -> bool {
        matches!(self, ReaderModel::Acr1252u | ReaderModel::Acr1552u)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_double_has_three_distinct_names() {
        for m in ReaderModel::DOUBLES {
            let n = m.names();
            assert_eq!(n.map(|(os, _)| os), ["windows", "macos", "linux"]);
            assert!(n[0].1 != n[1].1 && n[1].1 != n[2].1, "{m:?}");
        }
    }
}
