//! The genuine-chip check on the tag: READ_SIG (`3C 00`) through the reader's native pass-through, verified
//! by `tapstand-genuine` against a key table (the product passes NXP's published keys).
//!
//! The verdict is `Some(true)` (an NXP original), `Some(false)` (not: the signature does not verify, is
//! malformed, or a chip that identified itself as NTAG21x / Ultralight EV1 refused READ_SIG, which an NXP
//! chip never does), or `None` (this chip cannot be checked: it has no originality signature — NTAG203,
//! Ultralight, Ultralight C, a Type 2 chip of unknown make —, or the reader passes no native commands).

use tapstand_genuine::{Family, OriginalityKey};
use tapstand_ndef::chip::ChipKind;

use crate::error::TagError;
use crate::io::{TagIo, Transport};

/// READ_SIG, address 00.
pub const READ_SIG: [u8; 2] = [0x3C, 0x00];

/// The signature family of a chip kind, or `None` when such a chip has no originality signature.
pub fn family_of(kind: ChipKind) -> Option<Family> {
    match kind {
        k if k.is_ntag21x() => Some(Family::Ntag21x),
        ChipKind::UltralightEv1Mf0ul11 | ChipKind::UltralightEv1Mf0ul21 => {
            Some(Family::UltralightEv1)
        }
        _ => None,
    }
}

/// Reads the originality signature and checks it against `keys`. Only a removed tag or a dead reader
/// is an error; everything the chip or the reader cannot do is a verdict.
pub fn check<T: Transport>(
    io: &mut TagIo<T>,
    kind: ChipKind,
    uid: &[u8],
    keys: &[OriginalityKey],
) -> Result<Option<bool>, TagError> {
    let Some(family) = family_of(kind) else {
        return Ok(None);
    };
    if uid.is_empty() {
        return Ok(None);
    }
    match io.native(&READ_SIG) {
        Ok(Some(sig)) if sig.len() >= tapstand_genuine::SIGNATURE_LEN => Ok(Some(
            tapstand_genuine::check(uid, &sig[..tapstand_genuine::SIGNATURE_LEN], family, keys),
        )),
        // An answer too short to be a signature, or a NAK: an NXP chip of this family always answers.
        Ok(_) => Ok(Some(false)),
        Err(TagError::NoPassThrough) => Ok(None),
        Err(e) => Err(e),
    }
}
