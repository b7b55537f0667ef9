//! The reader's own light and beep, for the merchant who looks at the tag, not the screen: green and a
//! short beep when a tag is done, red and a long beep when it failed, and the reader's own beep on every
//! card turned off while the write station runs (`../shared/reference/readers.md` §3).
//!
//! | reader | how | done | failed | beep on detection |
//! |---|---|---|---|---|
//! | ACR122U (and readers answering Direct Transmit) | pseudo-APDU over the card connection | `FF 00 40 A0 04 02 00 01 01` (green 200 ms + beep) | `FF 00 40 50 04 0A 00 01 01` (red 1 s + beep) | `FF 00 52 00 00` off, `FF 00 52 FF 00` on |
//! | ACR1252U / ACR1552U (transparent-session readers) | escapes through SCardControl | LED `E0 00 00 29 01 02`, buzzer `E0 00 00 28 01 0A` (100 ms) | LED `E0 00 00 29 01 01`, buzzer `E0 00 00 28 01 50` (800 ms) | `E0 00 00 21 00` read, `E0 00 00 21 01 <bits>` with bit 3 cleared, the old byte written back after |
//! | anything else | — | — | — | — |
//!
//! The escape's control code differs by system: Windows `SCARD_CTL_CODE(3500)` (`0x003136B0`); pcsc-lite
//! and macOS `SCARD_CTL_CODE(1)` (`0x42000001`) with the CCID driver, `SCARD_CTL_CODE(3500)`
//! (`0x42000DAC`) with ACS's acsccid — both are tried.
//! A reader that refuses any of it stays quiet: feedback never fails a tag.

use crate::dialect;
use crate::io::Transport;
use crate::quirks::{quirks_for, PassThrough, ReaderFamily};

/// What to tell the merchant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    Done,
    Failed,
}

/// How a reader takes light and beep commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Path {
    /// ACR122U pseudo-APDUs (`FF 00 40`, `FF 00 52`) over the card connection.
    Acr122,
    /// ACR1252U-family escapes (`E0 00 00 …`) through SCardControl.
    AcsEscape,
    None,
}

/// The path for `reader`: from the dialect probed in this process, else from its name.
pub fn path_for(reader: &str) -> Path {
    match dialect::probed(reader).dialect {
        Some(PassThrough::Acr122Direct) => return Path::Acr122,
        Some(PassThrough::Part3Transparent) => return Path::AcsEscape,
        Some(PassThrough::None) => return Path::None,
        None => {}
    }
    match quirks_for(reader).family {
        ReaderFamily::Acr122u => Path::Acr122,
        ReaderFamily::Acr1252u | ReaderFamily::Acr1552u => Path::AcsEscape,
        _ => Path::None,
    }
}

pub const ACR122_DONE: [u8; 9] = [0xFF, 0x00, 0x40, 0xA0, 0x04, 0x02, 0x00, 0x01, 0x01];
pub const ACR122_FAILED: [u8; 9] = [0xFF, 0x00, 0x40, 0x50, 0x04, 0x0A, 0x00, 0x01, 0x01];
pub const ACR122_DETECT_BEEP_OFF: [u8; 5] = [0xFF, 0x00, 0x52, 0x00, 0x00];
pub const ACR122_DETECT_BEEP_ON: [u8; 5] = [0xFF, 0x00, 0x52, 0xFF, 0x00];
pub const ESCAPE_LED_GREEN: [u8; 6] = [0xE0, 0x00, 0x00, 0x29, 0x01, 0x02];
pub const ESCAPE_LED_RED: [u8; 6] = [0xE0, 0x00, 0x00, 0x29, 0x01, 0x01];
pub const ESCAPE_BEEP_SHORT: [u8; 6] = [0xE0, 0x00, 0x00, 0x28, 0x01, 0x0A];
pub const ESCAPE_BEEP_LONG: [u8; 6] = [0xE0, 0x00, 0x00, 0x28, 0x01, 0x50];
pub const ESCAPE_READ_BEHAVIOUR: [u8; 5] = [0xE0, 0x00, 0x00, 0x21, 0x00];
/// Bit 3 of the ACR1252U family's indicator behaviour: beep when a card arrives or leaves.
pub const BEHAVIOUR_DETECT_BEEP: u8 = 0x08;

/// Windows' `SCARD_CTL_CODE(3500)`: `CTL_CODE(FILE_DEVICE_SMARTCARD, 3500, METHOD_BUFFERED, FILE_ANY_ACCESS)`.
pub const WINDOWS_ESCAPE: u32 = 0x0031_0000 | (3500 << 2);
/// pcsc-lite's and macOS's `SCARD_CTL_CODE(1)`: the CCID driver's escape.
pub const CCID_ESCAPE: u32 = 0x4200_0001;
/// pcsc-lite's `SCARD_CTL_CODE(3500)`: ACS's own acsccid driver.
pub const ACSCCID_ESCAPE: u32 = 0x4200_0DAC;

/// The control codes to try for an escape on `os` (`std::env::consts::OS`, or [`crate::PcscApi::os`]).
pub fn escape_codes(os: &str) -> Vec<u32> {
    if os == "windows" {
        vec![WINDOWS_ESCAPE]
    } else {
        vec![CCID_ESCAPE, ACSCCID_ESCAPE]
    }
}

fn escape<T: Transport + ?Sized>(t: &mut T, cmd: &[u8], os: &str) -> Option<Vec<u8>> {
    escape_codes(os)
        .into_iter()
        .find_map(|code| t.control(code, cmd).ok())
}

fn apdu_ok<T: Transport + ?Sized>(t: &mut T, a: &[u8]) -> bool {
    matches!(t.transmit(a), Ok(r) if r.first() == Some(&0x90))
}

/// Shows `signal` on the reader holding the tag through `t` (on the system `os`). Quiet (false) when the
/// reader refuses.
pub fn signal<T: Transport + ?Sized>(t: &mut T, signal: Signal, os: &str) -> bool {
    let reader = t.reader_name();
    match (path_for(&reader), signal) {
        (Path::Acr122, Signal::Done) => apdu_ok(t, &ACR122_DONE),
        (Path::Acr122, Signal::Failed) => apdu_ok(t, &ACR122_FAILED),
        (Path::AcsEscape, s) => {
            let (led, beep) = match s {
                Signal::Done => (ESCAPE_LED_GREEN, ESCAPE_BEEP_SHORT),
                Signal::Failed => (ESCAPE_LED_RED, ESCAPE_BEEP_LONG),
            };
            escape(t, &led, os).is_some() & escape(t, &beep, os).is_some()
        }
        (Path::None, _) => false,
    }
}

/// Turns the reader's own beep on card detection off (`on == false`) or back on. For the escape path,
/// `previous` is the behaviour byte read before turning it off (written back as it was); the answer is
/// the byte read now (to keep for the restore), or `None` when the reader refuses. `os`: the system whose
/// escape control code applies.
pub fn detect_beep<T: Transport + ?Sized>(
    t: &mut T,
    on: bool,
    previous: Option<u8>,
    os: &str,
) -> Option<u8> {
    let reader = t.reader_name();
    match path_for(&reader) {
        Path::Acr122 => {
            let a = if on {
                ACR122_DETECT_BEEP_ON
            } else {
                ACR122_DETECT_BEEP_OFF
            };
            apdu_ok(t, &a).then_some(0)
        }
        Path::AcsEscape => {
            let now = escape(t, &ESCAPE_READ_BEHAVIOUR, os)?.last().copied()?;
            let want = match (on, previous) {
                (true, Some(p)) => p,
                (true, None) => now | BEHAVIOUR_DETECT_BEEP,
                (false, _) => now & !BEHAVIOUR_DETECT_BEEP,
            };
            escape(t, &[0xE0, 0x00, 0x00, 0x21, 0x01, want], os)?;
            Some(now)
        }
        Path::None => None,
    }
}

/// Gives an escape reader its behaviour byte `before` back without a card (a DIRECT connection).
pub fn restore_detect_beep_direct<P: crate::PcscApi + ?Sized>(
    pcsc: &mut P,
    reader: &str,
    before: u8,
) -> bool {
    if path_for(reader) != Path::AcsEscape {
        return false;
    }
    let cmd = [0xE0, 0x00, 0x00, 0x21, 0x01, before];
    escape_codes(pcsc.os())
        .into_iter()
        .any(|code| pcsc.control_direct(reader, code, &cmd).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inproc::InProcessTransport;
    use tapstand_vtag::{nth_uid, ReaderModel, TagState, VChip};

    const OS: &str = "linux";

    #[test]
    fn control_codes_per_system() {
        assert_eq!(WINDOWS_ESCAPE, 0x003136B0);
        assert_eq!(escape_codes("windows"), [0x003136B0]);
        assert_eq!(escape_codes("macos"), [0x42000001, 0x42000DAC]);
        #[cfg(unix)]
        assert_eq!(
            [CCID_ESCAPE, ACSCCID_ESCAPE],
            [pcsc::ctl_code(1) as u32, pcsc::ctl_code(3500) as u32]
        );
    }

    fn on(model: ReaderModel) -> InProcessTransport {
        let t = InProcessTransport::with_tag(TagState::factory(VChip::Ntag213, nth_uid(1)));
        t.fw.lock().unwrap().model = model;
        let p = match model {
            ReaderModel::Acr122u => PassThrough::Acr122Direct,
            ReaderModel::Acr1252u | ReaderModel::Acr1552u => PassThrough::Part3Transparent,
            _ => PassThrough::None,
        };
        dialect::remember_dialect(&t.reader_name(), p);
        t
    }

    /// Each double records exactly the light/beep commands of a success and of a failure; the
    /// detection beep goes off and comes back as it was; readers without any stay quiet.
    #[test]
    fn each_double_gets_its_own_commands() {
        let mut t = on(ReaderModel::Acr122u);
        assert_eq!(detect_beep(&mut t, false, None, OS), Some(0));
        assert!(!t.fw.lock().unwrap().beep_on_detect);
        assert!(signal(&mut t, Signal::Done, OS));
        assert!(signal(&mut t, Signal::Failed, OS));
        assert_eq!(detect_beep(&mut t, true, Some(0), OS), Some(0));
        assert_eq!(
            t.fw.lock().unwrap().signals,
            [
                ACR122_DETECT_BEEP_OFF.to_vec(),
                ACR122_DONE.to_vec(),
                ACR122_FAILED.to_vec(),
                ACR122_DETECT_BEEP_ON.to_vec()
            ]
        );
        assert!(t.fw.lock().unwrap().beep_on_detect);

        for model in [ReaderModel::Acr1252u, ReaderModel::Acr1552u] {
            let mut t = on(model);
            let before = detect_beep(&mut t, false, None, OS).expect("escape accepted");
            assert_eq!(before & BEHAVIOUR_DETECT_BEEP, BEHAVIOUR_DETECT_BEEP);
            assert!(!t.fw.lock().unwrap().beep_on_detect);
            assert!(signal(&mut t, Signal::Done, OS));
            assert!(signal(&mut t, Signal::Failed, OS));
            detect_beep(&mut t, true, Some(before), OS).unwrap();
            assert_eq!(
                t.fw.lock().unwrap().signals,
                [
                    vec![0xE0, 0, 0, 0x21, 0x01, before & !BEHAVIOUR_DETECT_BEEP],
                    ESCAPE_LED_GREEN.to_vec(),
                    ESCAPE_BEEP_SHORT.to_vec(),
                    ESCAPE_LED_RED.to_vec(),
                    ESCAPE_BEEP_LONG.to_vec(),
                    vec![0xE0, 0, 0, 0x21, 0x01, before],
                ],
                "{model:?}"
            );
            assert!(t.fw.lock().unwrap().beep_on_detect);
        }

        for model in [
            ReaderModel::Omnikey5422,
            ReaderModel::IdentivUtrust3700f,
            ReaderModel::FeitianR502,
        ] {
            let mut t = on(model);
            assert!(!signal(&mut t, Signal::Done, OS));
            assert_eq!(detect_beep(&mut t, false, None, OS), None);
            assert!(t.fw.lock().unwrap().signals.is_empty());
        }
    }

    /// An ACR122U-named reader whose firmware refuses `FF 00 40` (a clone): quiet, no error.
    #[test]
    fn a_reader_that_refuses_stays_quiet() {
        let mut t = InProcessTransport::with_tag(TagState::factory(VChip::Ntag213, nth_uid(2)));
        t.fw.lock().unwrap().model = ReaderModel::VirtualPcd;
        dialect::remember_dialect(&t.reader_name(), PassThrough::Acr122Direct);
        assert!(!signal(&mut t, Signal::Done, OS));
        assert_eq!(detect_beep(&mut t, false, None, OS), None);
    }
}
