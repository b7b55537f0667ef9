//! PC/SC pseudo-APDUs for storage cards (CLA FF) and status words.

use serde::Serialize;

/// `FF CA 00 00 00`: the UID.
pub const GET_UID: [u8; 5] = [0xFF, 0xCA, 0x00, 0x00, 0x00];

/// `FF B0 00 <page> 10`: 4 pages (16 bytes) from `page`.
pub fn read_binary(page: u8) -> [u8; 5] {
    [0xFF, 0xB0, 0x00, page, 0x10]
}

/// `FF D6 00 <page> 04 d0 d1 d2 d3`; `pad16` for readers that want a 16-byte body (Gemalto Prox).
pub fn update_binary(page: u8, data: [u8; 4], pad16: bool) -> Vec<u8> {
    let mut a = vec![0xFF, 0xD6, 0x00, page, if pad16 { 16 } else { 4 }];
    a.extend_from_slice(&data);
    if pad16 {
        a.extend_from_slice(&[0u8; 12]);
    }
    a
}

/// `FF C0 00 00 xx`: GET RESPONSE (old T=0 firmware answering `61 xx`).
pub fn get_response(len: u8) -> [u8; 5] {
    [0xFF, 0xC0, 0x00, 0x00, len]
}

/// ACR122U Direct Transmit of a native command through the PN532's InCommunicateThru.
pub fn acr122_direct(cmd: &[u8]) -> Vec<u8> {
    let mut a = vec![0xFF, 0x00, 0x00, 0x00, (cmd.len() + 2) as u8, 0xD4, 0x42];
    a.extend_from_slice(cmd);
    a
}

/// ACR122U InDataExchange with target 1 (`D4 40 01 cmd`): the PN532 checks the tag's ACK itself, so a
/// WRITE's answer (`D5 41 00`) can be trusted, unlike through `D4 42`.
pub fn acr122_exchange(cmd: &[u8]) -> Vec<u8> {
    let mut a = vec![
        0xFF,
        0x00,
        0x00,
        0x00,
        (cmd.len() + 3) as u8,
        0xD4,
        0x40,
        0x01,
    ];
    a.extend_from_slice(cmd);
    a
}

/// ACS readers' firmware version (`FF 00 48 00 00`): ASCII, no status word on the ACR122U.
pub const FIRMWARE_VERSION: [u8; 5] = [0xFF, 0x00, 0x48, 0x00, 0x00];

/// PC/SC Part 3 transparent session: start (`81 00`) / end (`82 00`).
pub const TRANSPARENT_START: [u8; 7] = [0xFF, 0xC2, 0x00, 0x00, 0x02, 0x81, 0x00];
pub const TRANSPARENT_END: [u8; 7] = [0xFF, 0xC2, 0x00, 0x00, 0x02, 0x82, 0x00];

/// PC/SC Part 3 transparent exchange: timer DO `5F 46 04 <µs LE>` + transceive DO `95 len cmd`.
pub fn transparent_transceive(cmd: &[u8], timeout_us: u32) -> Vec<u8> {
    let mut dos = vec![0x5F, 0x46, 0x04];
    dos.extend_from_slice(&timeout_us.to_le_bytes());
    dos.push(0x95);
    dos.push(cmd.len() as u8);
    dos.extend_from_slice(cmd);
    let mut a = vec![0xFF, 0xC2, 0x00, 0x01, dos.len() as u8];
    a.extend_from_slice(&dos);
    a.push(0x00);
    a
}

/// A transparent-session answer (BER-TLV after the `C0 03 <status> SW1 SW2` header).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transparent {
    /// Status `00`: the card's answer (`97 len data`; empty when there is none).
    Ok(Vec<u8>),
    /// A non-zero status (no card, no answer, a NAK: `C0 03 01 64 01`).
    Failed,
    /// No `C0` header or broken TLVs: not a transparent-session answer at all.
    Malformed,
}

/// Reads a transparent-exchange (or session-management) response.
pub fn transparent_answer(data: &[u8]) -> Transparent {
    let mut i = 0;
    let mut status = None;
    let mut answer = None;
    while i + 1 < data.len() {
        let (tag, len_at) = if data[i] == 0x5F || data[i] == 0xFF {
            (((data[i] as u16) << 8) | data[i + 1] as u16, i + 2)
        } else {
            (data[i] as u16, i + 1)
        };
        let Some(&len) = data.get(len_at) else {
            return Transparent::Malformed;
        };
        let start = len_at + 1;
        let end = start + len as usize;
        if end > data.len() {
            return Transparent::Malformed;
        }
        match tag {
            0xC0 if len >= 1 => status = Some(data[start]),
            0x97 => answer = Some(data[start..end].to_vec()),
            _ => {}
        }
        i = end;
    }
    if i != data.len() {
        return Transparent::Malformed;
    }
    match status {
        Some(0) => Transparent::Ok(answer.unwrap_or_default()),
        Some(_) => Transparent::Failed,
        None => Transparent::Malformed,
    }
}

/// Extracts the tag's answer from a transparent-exchange response: `C0 03 <err> SW1 SW2`, ...,
/// `97 len <data>`. `None` when the reader reports an error (NAK, timeout) or the answer is malformed.
pub fn parse_transparent(data: &[u8]) -> Option<Vec<u8>> {
    match transparent_answer(data) {
        Transparent::Ok(v) => Some(v),
        _ => None,
    }
}

/// A status word, with the meanings PC/SC readers give them. Only [`Sw::Ok`] means success, and even
/// then the data written is checked by reading it back; `63 00` is never trusted either way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sw {
    /// 90 00
    Ok,
    /// 63 00: "operation failed" (ACS use it for nearly everything, sometimes even after success).
    Failed,
    /// 61 xx: more data (GET RESPONSE).
    MoreData(u8),
    /// 62 82: end of data reached before Le.
    EndOfData,
    /// 6C xx: wrong Le; xx is the right one.
    WrongLe(u8),
    /// 67 00
    WrongLength,
    /// 69 81 / 69 86: command incompatible / not allowed.
    NotAllowed,
    /// 69 82: security status not satisfied.
    SecurityNotSatisfied,
    /// 6A 81 / 6D 00 / 6E 00: not supported by this reader.
    NotSupported,
    /// 6A 82 / 6B 00: address out of range / wrong P1-P2.
    OutOfRange,
    /// 64 00: no card / execution error.
    NoCard,
    Other(u16),
}

impl Sw {
    pub fn from_bytes(sw1: u8, sw2: u8) -> Sw {
        match (sw1, sw2) {
            (0x90, 0x00) => Sw::Ok,
            (0x63, 0x00) => Sw::Failed,
            (0x61, x) => Sw::MoreData(x),
            (0x62, 0x82) => Sw::EndOfData,
            (0x6C, x) => Sw::WrongLe(x),
            (0x67, 0x00) => Sw::WrongLength,
            (0x69, 0x81) | (0x69, 0x86) => Sw::NotAllowed,
            (0x69, 0x82) => Sw::SecurityNotSatisfied,
            (0x6A, 0x81) | (0x6D, 0x00) | (0x6E, 0x00) => Sw::NotSupported,
            (0x6A, 0x82) | (0x6B, 0x00) => Sw::OutOfRange,
            (0x64, 0x00) => Sw::NoCard,
            (a, b) => Sw::Other(u16::from_be_bytes([a, b])),
        }
    }

    pub fn code(self) -> u16 {
        match self {
            Sw::Ok => 0x9000,
            Sw::Failed => 0x6300,
            Sw::MoreData(x) => 0x6100 | x as u16,
            Sw::EndOfData => 0x6282,
            Sw::WrongLe(x) => 0x6C00 | x as u16,
            Sw::WrongLength => 0x6700,
            Sw::NotAllowed => 0x6986,
            Sw::SecurityNotSatisfied => 0x6982,
            Sw::NotSupported => 0x6A81,
            Sw::OutOfRange => 0x6A82,
            Sw::NoCard => 0x6400,
            Sw::Other(c) => c,
        }
    }
}

impl std::fmt::Display for Sw {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04X}", self.code())
    }
}

/// Splits an R-APDU into data and status word.
pub fn split(resp: &[u8]) -> (&[u8], Sw) {
    if resp.len() < 2 {
        return (&[], Sw::Other(0));
    }
    let (d, sw) = resp.split_at(resp.len() - 2);
    (d, Sw::from_bytes(sw[0], sw[1]))
}

pub fn hex(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02X}"))
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn hex_compact(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders_and_parsers() {
        assert_eq!(
            update_binary(4, [3, 0x48, 0x91, 1], false),
            vec![0xFF, 0xD6, 0, 4, 4, 3, 0x48, 0x91, 1]
        );
        assert_eq!(update_binary(4, [1, 2, 3, 4], true).len(), 21);
        assert_eq!(
            acr122_direct(&[0x60]),
            vec![0xFF, 0, 0, 0, 3, 0xD4, 0x42, 0x60]
        );
        // Reference §4.3 (derived example): GET_VERSION with a 50 000 µs timer.
        assert_eq!(
            transparent_transceive(&[0x60], 50_000),
            vec![
                0xFF, 0xC2, 0x00, 0x01, 0x0A, 0x5F, 0x46, 0x04, 0x50, 0xC3, 0x00, 0x00, 0x95, 0x01,
                0x60, 0x00
            ]
        );
        let ok = [
            0xC0, 3, 0, 0x90, 0, 0x92, 1, 0, 0x96, 2, 0, 0, 0x97, 2, 0xAA, 0xBB,
        ];
        assert_eq!(parse_transparent(&ok), Some(vec![0xAA, 0xBB]));
        assert_eq!(parse_transparent(&[0xC0, 3, 1, 0x64, 1]), None);
        assert_eq!(parse_transparent(&[0xC0, 9]), None);
        assert_eq!(
            transparent_answer(&[0xC0, 3, 1, 0x64, 1]),
            Transparent::Failed
        );
        assert_eq!(transparent_answer(&[0x6A, 0x81]), Transparent::Malformed);
        assert_eq!(transparent_answer(&[]), Transparent::Malformed);
        assert_eq!(
            transparent_answer(&[0xC0, 3, 0, 0x90, 0]),
            Transparent::Ok(vec![])
        );
        assert_eq!(
            acr122_exchange(&[0xA2, 4, 1, 2, 3, 4]),
            vec![0xFF, 0, 0, 0, 9, 0xD4, 0x40, 1, 0xA2, 4, 1, 2, 3, 4]
        );
        assert_eq!(split(&[1, 0x63, 0]), (&[1u8][..], Sw::Failed));
        assert_eq!(Sw::from_bytes(0x6A, 0x81), Sw::NotSupported);
    }
}
