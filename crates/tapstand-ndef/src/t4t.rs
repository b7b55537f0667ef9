//! NFC Forum Type 4 Tag (the NDEF Tag Application on an ISO 14443-4 card: NTAG 424 DNA, MIFARE DESFire
//! with an NDEF application, ST25TA): the Capability Container file, the NDEF file's access bytes, the
//! chunk sizes, the tear-safe write plan and which chip it probably is. Pure: the APDUs are sent by
//! `tapstand-tag` (`type4.rs`).
//!
//! The mapping (T4T v2.0; v1.0 has the same CC layout):
//! * SELECT the application by name `D2 76 00 00 85 01 01` (v1.0: `… 01 00`), SELECT the CC file `E103`,
//!   READ BINARY it: `CCLEN(2) version(1) MLe(2) MLc(2)` then the NDEF File Control TLV
//!   `04 06 <file id(2)> <max size(2)> <read access> <write access>` (`00` free, `FF` never, `80`–`FE`
//!   proprietary: a key or password the tag's owner set).
//! * The NDEF file holds `NLEN(2)` and the message. A write sets NLEN to 0, writes the message from offset
//!   2 in UPDATE BINARY chunks of at most MLc bytes, then writes NLEN: a tag pulled off before the last
//!   step holds an empty message (or the old one, if the first step had not happened), never half of one.
//! * T4T v3.0 (4-byte ENLEN, Extended NDEF File Control TLV `06`) is refused: no tag sold for stands uses it.

use serde::Serialize;

use crate::chip::{info_for, ChipInfo, ChipKind, IdentifiedBy};

/// The NDEF Tag Application's name (mapping version 2.0 and later).
pub const NDEF_AID_V2: [u8; 7] = [0xD2, 0x76, 0x00, 0x00, 0x85, 0x01, 0x01];
/// The name mapping version 1.0 tags answer to.
pub const NDEF_AID_V1: [u8; 7] = [0xD2, 0x76, 0x00, 0x00, 0x85, 0x01, 0x00];
/// The Capability Container file.
pub const CC_FILE_ID: u16 = 0xE103;
/// Bytes of the CC up to and including the NDEF File Control TLV.
pub const CC_MIN_LEN: usize = 15;
/// The largest chunk in one short APDU (Le / Lc of one byte). MLe and MLc may be larger (NTAG 424 DNA:
/// MLe 256); the engine stays within one byte so the R-APDU fits every reader's buffer.
pub const SHORT_APDU_MAX: usize = 255;
/// The first read of the NDEF file takes this much (NLEN and a WeChat message, ~76 bytes, with room; at
/// most MLe), so a tag holding the usual content is read in one READ BINARY instead of NLEN first and then
/// the message.
pub const FIRST_READ: usize = 128;

/// An access byte of the NDEF File Control TLV.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "kind", content = "byte", rename_all = "snake_case")]
pub enum Access {
    /// `00`: granted without any security.
    Free,
    /// `FF`: never (a read-only tag, for writing).
    Never,
    /// `80`–`FE`: proprietary (a key or password set by whoever configured the tag).
    Proprietary(u8),
    /// `01`–`7F`: reserved by the NFC Forum; treated like proprietary.
    Reserved(u8),
}

impl Access {
    pub fn from_byte(b: u8) -> Access {
        match b {
            0x00 => Access::Free,
            0xFF => Access::Never,
            0x80..=0xFE => Access::Proprietary(b),
            _ => Access::Reserved(b),
        }
    }
}

/// The NDEF File Control TLV.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct NdefFileControl {
    pub file_id: u16,
    /// The NDEF file's size, NLEN included.
    pub max_size: u16,
    pub read_access: u8,
    pub write_access: u8,
}

/// The Capability Container file of a Type 4 tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CapabilityFile {
    pub cclen: u16,
    /// Mapping version: `10` = 1.0, `20` = 2.0.
    pub version: u8,
    /// Largest R-APDU data field the tag sends (READ BINARY Le).
    pub mle: u16,
    /// Largest C-APDU data field the tag accepts (UPDATE BINARY Lc).
    pub mlc: u16,
    pub ndef: NdefFileControl,
}

/// Why a CC file cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CcError {
    #[error("the capability container is {0} bytes, at least 15 are needed")]
    TooShort(usize),
    /// Mapping version 3.0 (ENLEN) or an unknown major version.
    #[error("mapping version {}.{} is not supported", .0 >> 4, .0 & 0x0F)]
    Version(u8),
    #[error("no NDEF File Control TLV (found tag {0:#04x})")]
    NoNdefFile(u8),
    #[error("MLe {mle} / MLc {mlc} are below the minimum (15 / 1)")]
    Limits { mle: u16, mlc: u16 },
    #[error("NDEF file id {0:#06x} is reserved")]
    FileId(u16),
    #[error("NDEF file size {0} is outside 5..=65534")]
    Size(u16),
}

impl CapabilityFile {
    /// Parses the CC file's first bytes (at least [`CC_MIN_LEN`]).
    pub fn parse(b: &[u8]) -> Result<CapabilityFile, CcError> {
        if b.len() < CC_MIN_LEN {
            return Err(CcError::TooShort(b.len()));
        }
        let be = |i: usize| u16::from_be_bytes([b[i], b[i + 1]]);
        let version = b[2];
        if !matches!(version >> 4, 1 | 2) {
            return Err(CcError::Version(version));
        }
        let (mle, mlc) = (be(3), be(5));
        if mle < 0x000F || mlc < 0x0001 {
            return Err(CcError::Limits { mle, mlc });
        }
        if b[7] != 0x04 || b[8] != 0x06 {
            return Err(CcError::NoNdefFile(b[7]));
        }
        let file_id = be(9);
        // 0000, E102, E103, 3F00, 3FFF are reserved (T4T §5.1.2.4); FFFF is invalid.
        if matches!(file_id, 0x0000 | 0xE102 | 0xE103 | 0x3F00 | 0x3FFF | 0xFFFF) {
            return Err(CcError::FileId(file_id));
        }
        let max_size = be(11);
        if !(0x0005..=0xFFFE).contains(&max_size) {
            return Err(CcError::Size(max_size));
        }
        Ok(CapabilityFile {
            cclen: be(0),
            version,
            mle,
            mlc,
            ndef: NdefFileControl {
                file_id,
                max_size,
                read_access: b[13],
                write_access: b[14],
            },
        })
    }

    pub fn read_access(&self) -> Access {
        Access::from_byte(self.ndef.read_access)
    }

    pub fn write_access(&self) -> Access {
        Access::from_byte(self.ndef.write_access)
    }

    /// The largest NDEF message the file holds (its size less NLEN).
    pub fn capacity(&self) -> usize {
        self.ndef.max_size as usize - 2
    }

    /// Bytes per READ BINARY.
    pub fn read_chunk(&self) -> usize {
        (self.mle as usize).min(SHORT_APDU_MAX)
    }

    /// Bytes per UPDATE BINARY.
    pub fn write_chunk(&self) -> usize {
        (self.mlc as usize).min(SHORT_APDU_MAX)
    }

    /// `"2.0"`.
    pub fn version_text(&self) -> String {
        format!("{}.{}", self.version >> 4, self.version & 0x0F)
    }
}

/// `(offset, length)` of the READ BINARY commands that read `len` bytes from `start`.
pub fn read_chunks(cc: &CapabilityFile, start: usize, len: usize) -> Vec<(u16, u8)> {
    let step = cc.read_chunk().max(1);
    let end = (start + len).min(cc.ndef.max_size as usize);
    (start..end)
        .step_by(step)
        .map(|o| (o as u16, (end - o).min(step) as u8))
        .collect()
}

/// One UPDATE BINARY.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Update {
    pub offset: u16,
    pub data: Vec<u8>,
}

/// Why a message cannot be written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum T4PlanError {
    #[error("the NDEF file is read-only")]
    ReadOnly,
    #[error("writing the NDEF file needs a key or password (access byte {0:#04x})")]
    Protected(u8),
    #[error("the message is {message_len} bytes, the tag holds at most {capacity}")]
    TooLarge { message_len: usize, capacity: usize },
}

/// The UPDATE BINARY commands that replace the NDEF file's content, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct T4Plan {
    pub updates: Vec<Update>,
    /// The file already holds exactly this message: nothing to write.
    pub unchanged: bool,
    pub capacity: usize,
}

/// Whether the CC allows writing; the card may still refuse (`69 82`) if it was configured behind the
/// CC's back (an NTAG 424 DNA whose file settings were changed).
pub fn check_writable(cc: &CapabilityFile) -> Result<(), T4PlanError> {
    match cc.write_access() {
        Access::Free => Ok(()),
        Access::Never => Err(T4PlanError::ReadOnly),
        Access::Proprietary(b) | Access::Reserved(b) => Err(T4PlanError::Protected(b)),
    }
}

/// Plans writing `message`. `current`: the file's first bytes as read (NLEN and as much of the old message
/// as is known; `None` if unknown). Tear-safe order: NLEN = 0 (skipped when it already is 0), the message
/// from offset 2 in chunks of at most MLc (chunks that already hold the same bytes are skipped), then NLEN.
pub fn plan_write(
    cc: &CapabilityFile,
    current: Option<&[u8]>,
    message: &[u8],
) -> Result<T4Plan, T4PlanError> {
    check_writable(cc)?;
    let capacity = cc.capacity();
    if message.len() > capacity || message.len() > 0xFFFE {
        return Err(T4PlanError::TooLarge {
            message_len: message.len(),
            capacity,
        });
    }
    let nlen = (message.len() as u16).to_be_bytes();
    let old_nlen = current
        .filter(|c| c.len() >= 2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]) as usize);
    // The old bytes after NLEN that are known (as read; they stay on the tag after NLEN = 0).
    let known: &[u8] = current.map(|c| c.get(2..).unwrap_or(&[])).unwrap_or(&[]);
    if old_nlen == Some(message.len())
        && known.len() >= message.len()
        && &known[..message.len()] == message
    {
        return Ok(T4Plan {
            updates: Vec::new(),
            unchanged: true,
            capacity,
        });
    }
    let mut updates = Vec::new();
    if old_nlen != Some(0) {
        updates.push(Update {
            offset: 0,
            data: vec![0, 0],
        });
    }
    let step = cc.write_chunk().max(1);
    for (i, chunk) in message.chunks(step).enumerate() {
        let at = i * step;
        if known.get(at..at + chunk.len()) == Some(chunk) {
            continue;
        }
        updates.push(Update {
            offset: (2 + at) as u16,
            data: chunk.to_vec(),
        });
    }
    updates.push(Update {
        offset: 0,
        data: nlen.to_vec(),
    });
    Ok(T4Plan {
        updates,
        unchanged: false,
        capacity,
    })
}

/// What the CC and the UID say the chip is. The delivery states differ: NTAG 424 DNA has a 23-byte CC
/// (a second, proprietary file `E105`) and NDEF file `E104`; ST25TA use NDEF file `0001` (and ST's
/// manufacturer byte `02`); NXP's other Type 4 tags (DESFire EV1/EV2/EV3 with an NDEF application) have
/// the 15-byte CC. Anything else is a Type 4 tag of unknown make.
pub fn identify(uid: Option<&[u8]>, cc: &CapabilityFile) -> ChipInfo {
    let maker = uid.and_then(|u| u.first().copied());
    let kind = if cc.cclen == 0x0017 && cc.ndef.file_id == 0xE104 && maker != Some(0x02) {
        ChipKind::Ntag424Dna
    } else if maker == Some(0x02) || cc.ndef.file_id == 0x0001 {
        ChipKind::St25ta
    } else if maker == Some(0x04) {
        ChipKind::Desfire
    } else {
        ChipKind::Type4
    };
    info_for(kind, IdentifiedBy::CapabilityContainer, Some(cc.capacity()))
}

/// What the inspector shows about a Type 4 tag's NDEF application.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Type4Info {
    /// Mapping version, e.g. `2.0`.
    pub mapping_version: String,
    pub mle: u16,
    pub mlc: u16,
    /// The NDEF file's id, hex (`E104`).
    pub ndef_file: String,
    /// The NDEF file's size, NLEN included.
    pub file_size: u16,
    pub read_access: Access,
    pub write_access: Access,
    /// The CC says the NDEF file can never be written.
    pub read_only: bool,
    /// Writing needs a key or password Tapstand does not have (the CC says so, or the tag answered `69 82`).
    pub protected: bool,
}

impl Type4Info {
    pub fn of(cc: &CapabilityFile, refused_write: bool) -> Type4Info {
        let w = cc.write_access();
        Type4Info {
            mapping_version: cc.version_text(),
            mle: cc.mle,
            mlc: cc.mlc,
            ndef_file: format!("{:04X}", cc.ndef.file_id),
            file_size: cc.ndef.max_size,
            read_access: cc.read_access(),
            write_access: w,
            read_only: w == Access::Never,
            protected: refused_write || matches!(w, Access::Proprietary(_) | Access::Reserved(_)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// NTAG 424 DNA delivery state (datasheet NT4H2421Gx, §8.2.3.1: CC file content).
    pub const CC_424: [u8; 23] = [
        0x00, 0x17, 0x20, 0x01, 0x00, 0x00, 0xFF, 0x04, 0x06, 0xE1, 0x04, 0x01, 0x00, 0x00, 0x00,
        0x05, 0x06, 0xE1, 0x05, 0x00, 0x80, 0x82, 0x83,
    ];
    /// DESFire with an NDEF application as NXP's AN11004 creates it (2 KB NDEF file).
    const CC_DESFIRE: [u8; 15] = [
        0x00, 0x0F, 0x20, 0x00, 0x3B, 0x00, 0x34, 0x04, 0x06, 0xE1, 0x04, 0x08, 0x00, 0x00, 0x00,
    ];
    /// ST25TA02K (datasheet: CC file).
    const CC_ST: [u8; 15] = [
        0x00, 0x0F, 0x20, 0x00, 0xFF, 0x00, 0x36, 0x04, 0x06, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00,
    ];

    #[test]
    fn parses_the_three_delivery_states() {
        let c = CapabilityFile::parse(&CC_424).unwrap();
        assert_eq!((c.cclen, c.version, c.mle, c.mlc), (0x17, 0x20, 256, 255));
        assert_eq!(c.ndef.file_id, 0xE104);
        assert_eq!(c.capacity(), 254);
        assert_eq!((c.read_chunk(), c.write_chunk()), (255, 255));
        assert_eq!(c.version_text(), "2.0");
        assert_eq!(
            identify(Some(&[4, 1, 2, 3, 4, 5, 6]), &c).kind,
            ChipKind::Ntag424Dna
        );

        let d = CapabilityFile::parse(&CC_DESFIRE).unwrap();
        assert_eq!((d.mle, d.mlc, d.capacity()), (59, 52, 2046));
        assert_eq!(
            identify(Some(&[4, 9, 9, 9, 9, 9, 9]), &d).kind,
            ChipKind::Desfire
        );
        assert_eq!(identify(Some(&[8, 9, 9, 9]), &d).kind, ChipKind::Type4);

        let s = CapabilityFile::parse(&CC_ST).unwrap();
        assert_eq!(
            (s.mle, s.mlc, s.ndef.file_id, s.capacity()),
            (255, 54, 1, 254)
        );
        assert_eq!(
            identify(Some(&[2, 9, 9, 9, 9, 9, 9]), &s).kind,
            ChipKind::St25ta
        );
        assert_eq!(identify(None, &s).kind, ChipKind::St25ta);
        assert!(identify(None, &s).write_supported);
    }

    #[test]
    fn refuses_bad_ccs() {
        assert_eq!(
            CapabilityFile::parse(&CC_424[..14]),
            Err(CcError::TooShort(14))
        );
        let mut v3 = CC_424;
        v3[2] = 0x30;
        assert_eq!(CapabilityFile::parse(&v3), Err(CcError::Version(0x30)));
        let mut v1 = CC_424;
        v1[2] = 0x10;
        assert_eq!(CapabilityFile::parse(&v1).unwrap().version_text(), "1.0");
        let mut t = CC_424;
        t[7] = 0x06;
        assert_eq!(CapabilityFile::parse(&t), Err(CcError::NoNdefFile(6)));
        let mut l = CC_424;
        l[3..5].copy_from_slice(&[0, 0x0E]);
        assert!(matches!(
            CapabilityFile::parse(&l),
            Err(CcError::Limits { .. })
        ));
        let mut f = CC_424;
        f[9..11].copy_from_slice(&[0xE1, 0x03]);
        assert_eq!(CapabilityFile::parse(&f), Err(CcError::FileId(0xE103)));
        let mut s = CC_424;
        s[11..13].copy_from_slice(&[0xFF, 0xFF]);
        assert_eq!(CapabilityFile::parse(&s), Err(CcError::Size(0xFFFF)));
        // Any bytes: never a panic.
        for n in 0..40 {
            let _ = CapabilityFile::parse(&vec![0xA5; n]);
        }
    }

    #[test]
    fn access_bytes() {
        let mut ro = CC_DESFIRE;
        ro[14] = 0xFF;
        let c = CapabilityFile::parse(&ro).unwrap();
        assert_eq!(plan_write(&c, None, b"x"), Err(T4PlanError::ReadOnly));
        let i = Type4Info::of(&c, false);
        assert!(i.read_only && !i.protected);
        ro[14] = 0x80;
        let c = CapabilityFile::parse(&ro).unwrap();
        assert_eq!(
            plan_write(&c, None, b"x"),
            Err(T4PlanError::Protected(0x80))
        );
        assert!(Type4Info::of(&c, false).protected);
        assert_eq!(Access::from_byte(0x05), Access::Reserved(5));
        let c = CapabilityFile::parse(&CC_DESFIRE).unwrap();
        assert!(Type4Info::of(&c, true).protected);
    }

    #[test]
    fn chunks_follow_mle_and_mlc() {
        let d = CapabilityFile::parse(&CC_DESFIRE).unwrap();
        assert_eq!(read_chunks(&d, 0, 76), vec![(0, 59), (59, 17)]);
        let c = CapabilityFile::parse(&CC_424).unwrap();
        assert_eq!(read_chunks(&c, 0, 76), vec![(0, 76)]);
        // Never past the file's end.
        assert_eq!(read_chunks(&c, 0, 1000), vec![(0, 255), (255, 1)]);
        assert_eq!(read_chunks(&c, 10, 0), vec![]);

        let msg: Vec<u8> = (0..74u8).collect();
        // Fresh tag (NLEN already 0): message in MLc chunks, then NLEN.
        let p = plan_write(&d, Some(&[0, 0, 0, 0]), &msg).unwrap();
        let offs: Vec<(u16, usize)> = p.updates.iter().map(|u| (u.offset, u.data.len())).collect();
        assert_eq!(offs, vec![(2, 52), (54, 22), (0, 2)]);
        assert_eq!(p.updates[2].data, vec![0, 74]);
        // A tag with another message: NLEN 0 first.
        let p = plan_write(&c, Some(&[0, 3, 9, 9, 9]), &msg).unwrap();
        let offs: Vec<(u16, usize)> = p.updates.iter().map(|u| (u.offset, u.data.len())).collect();
        assert_eq!(offs, vec![(0, 2), (2, 74), (0, 2)]);
        // Unknown content: NLEN 0 first as well.
        assert_eq!(plan_write(&c, None, &msg).unwrap().updates.len(), 3);
        // The same message: nothing to do.
        let mut cur = vec![0, 74];
        cur.extend_from_slice(&msg);
        let p = plan_write(&d, Some(&cur), &msg).unwrap();
        assert!(p.unchanged && p.updates.is_empty());
        // Only the second chunk differs: the first is not rewritten.
        let mut other = msg.clone();
        other[60] ^= 1;
        let p = plan_write(&d, Some(&cur), &other).unwrap();
        let offs: Vec<u16> = p.updates.iter().map(|u| u.offset).collect();
        assert_eq!(offs, vec![0, 54, 0]);
        // Too large.
        assert_eq!(
            plan_write(&c, None, &[0; 255]),
            Err(T4PlanError::TooLarge {
                message_len: 255,
                capacity: 254
            })
        );
    }

    /// Replaying the plan on a file image, stopping after every command: the file always holds the old
    /// message, an empty one, or the new one.
    #[test]
    fn every_prefix_of_a_plan_is_old_empty_or_new() {
        let d = CapabilityFile::parse(&CC_DESFIRE).unwrap();
        let old: Vec<u8> = (100..190u8).collect();
        let new: Vec<u8> = (0..74u8).collect();
        let mut file = vec![0u8; d.ndef.max_size as usize];
        file[..2].copy_from_slice(&(old.len() as u16).to_be_bytes());
        file[2..2 + old.len()].copy_from_slice(&old);
        let p = plan_write(&d, Some(&file[..2 + old.len()]), &new).unwrap();
        for k in 0..=p.updates.len() {
            let mut f = file.clone();
            for u in &p.updates[..k] {
                let o = u.offset as usize;
                f[o..o + u.data.len()].copy_from_slice(&u.data);
            }
            let n = u16::from_be_bytes([f[0], f[1]]) as usize;
            let m = &f[2..2 + n];
            assert!(
                m == old.as_slice() || m.is_empty() || m == new.as_slice(),
                "after {k}"
            );
        }
    }
}
