//! NDEF records and messages (NFC Forum NDEF 1.0): encode and decode.
//!
//! Header octet: `MB 80 | ME 40 | CF 20 | SR 10 | IL 08 | TNF 07`, then TYPE_LENGTH, PAYLOAD_LENGTH (1 byte
//! if SR, else 4 bytes big-endian), ID_LENGTH (only if IL), TYPE, ID, PAYLOAD. Short records (SR) are written
//! whenever the payload is shorter than 256 bytes. Chunked records (CF) are refused: no NFC tag tool writes
//! them on a Type 2 tag and supporting them would only widen the attack surface of the decoder.

use serde::Serialize;

/// Type Name Format (the low three bits of the record header). `7` is reserved and refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum Tnf {
    Empty = 0,
    WellKnown = 1,
    Media = 2,
    AbsoluteUri = 3,
    External = 4,
    Unknown = 5,
    Unchanged = 6,
}

impl Tnf {
    pub fn from_bits(b: u8) -> Option<Tnf> {
        Some(match b & 7 {
            0 => Tnf::Empty,
            1 => Tnf::WellKnown,
            2 => Tnf::Media,
            3 => Tnf::AbsoluteUri,
            4 => Tnf::External,
            5 => Tnf::Unknown,
            6 => Tnf::Unchanged,
            _ => return None,
        })
    }
}

/// One NDEF record. `record_type` and `id` are raw bytes (usually ASCII).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Record {
    pub tnf: Tnf,
    pub record_type: Vec<u8>,
    pub id: Vec<u8>,
    pub payload: Vec<u8>,
}

impl Record {
    pub fn new(tnf: Tnf, record_type: impl Into<Vec<u8>>, payload: impl Into<Vec<u8>>) -> Record {
        Record {
            tnf,
            record_type: record_type.into(),
            id: Vec::new(),
            payload: payload.into(),
        }
    }

    pub fn with_id(mut self, id: impl Into<Vec<u8>>) -> Record {
        self.id = id.into();
        self
    }

    /// The empty record (`TNF 0`, no type, no id, no payload).
    pub fn empty() -> Record {
        Record::new(Tnf::Empty, Vec::new(), Vec::new())
    }

    /// Checks the per-TNF rules of NDEF 1.0 §3.3 that both the encoder and the decoder enforce.
    fn validate(&self, index: usize) -> Result<(), NdefError> {
        match self.tnf {
            Tnf::Empty
                if !(self.record_type.is_empty()
                    && self.id.is_empty()
                    && self.payload.is_empty()) =>
            {
                Err(NdefError::InvalidEmptyRecord { index })
            }
            Tnf::Unknown | Tnf::Unchanged if !self.record_type.is_empty() => {
                Err(NdefError::TypeNotAllowed { index })
            }
            Tnf::Unchanged => Err(NdefError::UnchangedOutsideChunk { index }),
            Tnf::WellKnown | Tnf::Media | Tnf::AbsoluteUri | Tnf::External
                if self.record_type.is_empty() =>
            {
                Err(NdefError::MissingType { index })
            }
            _ => Ok(()),
        }
    }

    /// Number of bytes this record takes when encoded.
    pub fn encoded_len(&self) -> usize {
        let sr = self.payload.len() < 256;
        1 + 1
            + if sr { 1 } else { 4 }
            + if self.id.is_empty() { 0 } else { 1 }
            + self.record_type.len()
            + self.id.len()
            + self.payload.len()
    }
}

/// An NDEF message: an ordered list of records. Zero records encode to zero bytes (on a Type 2 tag that is
/// the "empty NDEF message": an NDEF TLV of length 0).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Message {
    pub records: Vec<Record>,
}

/// Why bytes are not a valid NDEF message (or a record cannot be encoded).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NdefError {
    #[error("NDEF data ends early at byte {at}: {needed} more byte(s) needed")]
    Truncated { at: usize, needed: usize },
    #[error("record {index} is chunked (CF flag); chunked records are not supported")]
    ChunkedRecord { index: usize },
    #[error("record {index} uses the reserved TNF value 7")]
    ReservedTnf { index: usize },
    #[error("the first record does not have the Message Begin (MB) flag")]
    MissingMessageBegin,
    #[error("record {index} has the Message Begin (MB) flag but is not the first record")]
    UnexpectedMessageBegin { index: usize },
    #[error("the last record does not have the Message End (ME) flag")]
    MissingMessageEnd,
    #[error("{count} byte(s) follow the record with the Message End (ME) flag")]
    TrailingBytes { count: usize },
    #[error("record {index} is an empty record (TNF 0) but has a type, id or payload")]
    InvalidEmptyRecord { index: usize },
    #[error("record {index} must not have a type for its TNF")]
    TypeNotAllowed { index: usize },
    #[error("record {index} has TNF 'unchanged' outside a chunked record")]
    UnchangedOutsideChunk { index: usize },
    #[error("record {index} needs a type for its TNF")]
    MissingType { index: usize },
    #[error("record {index}: {field} is longer than the NDEF format allows")]
    FieldTooLong { index: usize, field: &'static str },
}

const MB: u8 = 0x80;
const ME: u8 = 0x40;
const CF: u8 = 0x20;
const SR: u8 = 0x10;
const IL: u8 = 0x08;

impl Message {
    pub fn new(records: Vec<Record>) -> Message {
        Message { records }
    }

    /// Encodes the message. Fails only for records that break the NDEF rules (e.g. a type of 256 bytes).
    pub fn encode(&self) -> Result<Vec<u8>, NdefError> {
        let mut out = Vec::with_capacity(self.records.iter().map(Record::encoded_len).sum());
        let n = self.records.len();
        for (i, r) in self.records.iter().enumerate() {
            r.validate(i)?;
            if r.record_type.len() > 255 {
                return Err(NdefError::FieldTooLong {
                    index: i,
                    field: "type",
                });
            }
            if r.id.len() > 255 {
                return Err(NdefError::FieldTooLong {
                    index: i,
                    field: "id",
                });
            }
            if u32::try_from(r.payload.len()).is_err() {
                return Err(NdefError::FieldTooLong {
                    index: i,
                    field: "payload",
                });
            }
            let mut h = r.tnf as u8;
            if i == 0 {
                h |= MB;
            }
            if i + 1 == n {
                h |= ME;
            }
            let sr = r.payload.len() < 256;
            if sr {
                h |= SR;
            }
            if !r.id.is_empty() {
                h |= IL;
            }
            out.push(h);
            out.push(r.record_type.len() as u8);
            if sr {
                out.push(r.payload.len() as u8);
            } else {
                out.extend_from_slice(&(r.payload.len() as u32).to_be_bytes());
            }
            if !r.id.is_empty() {
                out.push(r.id.len() as u8);
            }
            out.extend_from_slice(&r.record_type);
            out.extend_from_slice(&r.id);
            out.extend_from_slice(&r.payload);
        }
        Ok(out)
    }

    /// Number of bytes of the encoded message.
    pub fn encoded_len(&self) -> usize {
        self.records.iter().map(Record::encoded_len).sum()
    }

    /// Decodes a complete NDEF message. Zero bytes decode to the empty message. Never panics.
    pub fn decode(bytes: &[u8]) -> Result<Message, NdefError> {
        let mut records = Vec::new();
        let mut pos = 0usize;
        if bytes.is_empty() {
            return Ok(Message { records });
        }
        loop {
            let index = records.len();
            let take = |pos: &mut usize, n: usize| -> Result<std::ops::Range<usize>, NdefError> {
                let end = pos.checked_add(n).ok_or(NdefError::Truncated {
                    at: *pos,
                    needed: n,
                })?;
                if end > bytes.len() {
                    return Err(NdefError::Truncated {
                        at: *pos,
                        needed: end - bytes.len(),
                    });
                }
                let r = *pos..end;
                *pos = end;
                Ok(r)
            };
            let h = bytes[take(&mut pos, 1)?.start];
            let tnf = Tnf::from_bits(h).ok_or(NdefError::ReservedTnf { index })?;
            if h & CF != 0 {
                return Err(NdefError::ChunkedRecord { index });
            }
            if index == 0 && h & MB == 0 {
                return Err(NdefError::MissingMessageBegin);
            }
            if index > 0 && h & MB != 0 {
                return Err(NdefError::UnexpectedMessageBegin { index });
            }
            let type_len = bytes[take(&mut pos, 1)?.start] as usize;
            let payload_len = if h & SR != 0 {
                bytes[take(&mut pos, 1)?.start] as usize
            } else {
                let r = take(&mut pos, 4)?;
                u32::from_be_bytes([
                    bytes[r.start],
                    bytes[r.start + 1],
                    bytes[r.start + 2],
                    bytes[r.start + 3],
                ]) as usize
            };
            let id_len = if h & IL != 0 {
                bytes[take(&mut pos, 1)?.start] as usize
            } else {
                0
            };
            let record_type = bytes[take(&mut pos, type_len)?].to_vec();
            let id = bytes[take(&mut pos, id_len)?].to_vec();
            let payload = bytes[take(&mut pos, payload_len)?].to_vec();
            let record = Record {
                tnf,
                record_type,
                id,
                payload,
            };
            record.validate(index)?;
            records.push(record);
            if h & ME != 0 {
                if pos != bytes.len() {
                    return Err(NdefError::TrailingBytes {
                        count: bytes.len() - pos,
                    });
                }
                return Ok(Message { records });
            }
            if pos >= bytes.len() {
                return Err(NdefError::MissingMessageEnd);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_records_round_trip() {
        let long =
            Record::new(Tnf::Media, "application/octet-stream", vec![0xAB; 300]).with_id("x1");
        let m = Message::new(vec![
            Record::new(Tnf::WellKnown, "T", b"\x02enhi".to_vec()),
            long.clone(),
        ]);
        let b = m.encode().unwrap();
        assert_eq!(b[0], 0x91); // MB SR TNF1
        let second = &b[m.records[0].encoded_len()..];
        assert_eq!(second[0], 0x40 | 0x08 | 0x02); // ME IL TNF2, no SR
        assert_eq!(&second[2..6], &300u32.to_be_bytes());
        assert_eq!(Message::decode(&b).unwrap(), m);
        assert_eq!(m.encoded_len(), b.len());
    }

    #[test]
    fn all_tnfs_round_trip() {
        let m = Message::new(vec![
            Record::empty(),
            Record::new(Tnf::WellKnown, "U", vec![0x04, b'a']),
            Record::new(Tnf::Media, "text/plain", b"hi".to_vec()),
            Record::new(Tnf::AbsoluteUri, "https://example.com/x", Vec::new()),
            Record::new(Tnf::External, "android.com:pkg", b"com.tencent.mm".to_vec()),
            Record::new(Tnf::Unknown, Vec::new(), vec![1, 2, 3]),
        ]);
        let b = m.encode().unwrap();
        assert_eq!(Message::decode(&b).unwrap(), m);
    }

    #[test]
    fn decoder_errors() {
        assert_eq!(
            Message::decode(&[0xB1, 1, 0, b'U']),
            Err(NdefError::ChunkedRecord { index: 0 })
        );
        assert_eq!(
            Message::decode(&[0xD7, 0, 0]),
            Err(NdefError::ReservedTnf { index: 0 })
        );
        assert_eq!(
            Message::decode(&[0x51, 1, 0, b'U']),
            Err(NdefError::MissingMessageBegin)
        );
        assert_eq!(
            Message::decode(&[0x91, 1, 5, b'U', 0]),
            Err(NdefError::Truncated { at: 4, needed: 4 })
        );
        assert_eq!(
            Message::decode(&[0x91, 1, 0, b'U']),
            Err(NdefError::MissingMessageEnd)
        );
        assert_eq!(
            Message::decode(&[0xD1, 1, 0, b'U', 0]),
            Err(NdefError::TrailingBytes { count: 1 })
        );
        assert_eq!(
            Message::decode(&[0xD0, 1, 0, b'U']),
            Err(NdefError::InvalidEmptyRecord { index: 0 })
        );
        assert_eq!(
            Message::decode(&[0xD6, 0, 0]),
            Err(NdefError::UnchangedOutsideChunk { index: 0 })
        );
        assert_eq!(
            Message::decode(&[0x91, 1, 0, b'U', 0xD1, 1, 0, b'U']),
            Err(NdefError::UnexpectedMessageBegin { index: 1 })
        );
        // A long record claiming 4 GiB must fail cleanly.
        assert!(matches!(
            Message::decode(&[0xC1, 1, 0xFF, 0xFF, 0xFF, 0xFF, b'U']),
            Err(NdefError::Truncated { .. })
        ));
        assert_eq!(Message::decode(&[]), Ok(Message::default()));
    }
}
