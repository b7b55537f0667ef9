//! The genuine-chip check: NXP's originality signature. NTAG21x and MIFARE Ultralight EV1 answer
//! `READ_SIG` (`3C 00`) with 32 bytes r ‖ s, an ECDSA signature on secp128r1 over the 7-byte UID with no
//! hash (the UID, read as a big-endian integer, is e). It is written at the factory and cannot be changed, so
//! a chip whose signature verifies against NXP's published key for its family is an NXP original; one that
//! does not (or that refuses READ_SIG although it claims to be such a chip) is not — a domestic compatible
//! chip or a copy, which is not necessarily a fake, so the words never say "假冒".
//!
//! Which implementation: RustCrypto's `ecdsa` (`hazmat::verify_prehashed`: r and s in [1, n−1], the key a
//! point on the curve, u1·G + u2·Q, x mod n = r) over a secp128r1 curve assembled from RustCrypto's generic
//! parts (`primefield`, `primeorder`, `elliptic-curve`; see [`curve`]). Pure Rust, no system library, so it
//! builds for Windows and macOS as is. Considered and not taken: `ecdsa_verify` (num-bigint, only
//! secp256k1/r1 built in, a one-person crate), writing the arithmetic over `num-bigint` by hand.
//!
//! The verifier takes the key table as a parameter: the product passes [`NXP_KEYS`]; tests and the virtual
//! tag can use [`TEST_KEY`] (feature `test-signer`), whose private half is public and so proves nothing.

pub mod curve;

use ecdsa::hazmat::verify_prehashed;
use elliptic_curve::sec1::FromSec1Point;
use elliptic_curve::sec1::Sec1Point;

pub use curve::Secp128r1;

/// The chip families that carry an originality signature, each with its own NXP key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    /// NTAG210/212/213/215/216.
    Ntag21x,
    /// MIFARE Ultralight EV1 (MF0UL11, MF0UL21).
    UltralightEv1,
}

/// A public key that signs originality signatures of one chip family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OriginalityKey {
    pub family: Family,
    pub name: &'static str,
    /// SEC1 uncompressed point, hex (`04` ‖ x ‖ y, 33 bytes).
    pub sec1_hex: &'static str,
}

/// NXP's published originality keys (the application notes AN11350 / AN11341 are under NDA; the keys are in
/// Proxmark3's `cmdhfmfu.c`, see `../shared/reference/tags-beyond-ntag.md`).
pub const NXP_NTAG21X: OriginalityKey = OriginalityKey {
    family: Family::Ntag21x,
    name: "NXP NTAG21x",
    sec1_hex: "04494E1A386D3D3CFE3DC10E5DE68A499B1C202DB5B132393E89ED19FE5BE8BC61",
};

/// See [`NXP_NTAG21X`].
pub const NXP_ULTRALIGHT_EV1: OriginalityKey = OriginalityKey {
    family: Family::UltralightEv1,
    name: "NXP MIFARE Ultralight EV1",
    sec1_hex: "0490933BDCD6E99B4E255E3DA55389A827564E11718E017292FAF23226A96614B8",
};

/// The keys the product trusts.
pub const NXP_KEYS: &[OriginalityKey] = &[NXP_NTAG21X, NXP_ULTRALIGHT_EV1];

/// Length of a READ_SIG answer: r ‖ s, 16 bytes each.
pub const SIGNATURE_LEN: usize = 32;

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Whether `signature` (r ‖ s as READ_SIG returns it) is `key`'s ECDSA signature over `uid`.
/// Anything malformed (wrong length, r or s zero or ≥ n, a key not on the curve) is simply `false`.
pub fn verify(uid: &[u8], signature: &[u8], key: &OriginalityKey) -> bool {
    if uid.is_empty() || uid.len() > 16 || signature.len() != SIGNATURE_LEN {
        return false;
    }
    let Some(point) = unhex(key.sec1_hex).and_then(|b| Sec1Point::<Secp128r1>::from_bytes(b).ok())
    else {
        return false;
    };
    let Some(q) = Option::<curve::AffinePoint>::from(curve::AffinePoint::from_sec1_point(&point))
    else {
        return false;
    };
    // `from_slice` refuses r or s = 0 or ≥ n.
    let Ok(sig) = ecdsa::Signature::<Secp128r1>::from_slice(signature) else {
        return false;
    };
    // The message is shorter than n: e is the UID as a big-endian integer (left-padded to the field size,
    // which is what the standard's truncation rule gives for a short message).
    let mut e = [0u8; 16];
    e[16 - uid.len()..].copy_from_slice(uid);
    verify_prehashed::<Secp128r1>(&q.into(), &e, &sig).is_ok()
}

/// Whether the signature verifies against any key of `family` in `keys`.
pub fn check(uid: &[u8], signature: &[u8], family: Family, keys: &[OriginalityKey]) -> bool {
    keys.iter()
        .filter(|k| k.family == family)
        .any(|k| verify(uid, signature, k))
}

/// A **test** key for the NTAG21x family: its private half is [`TEST_PRIVATE_KEY_HEX`], public, so a
/// signature made with it proves nothing. The virtual tag signs every UID but NXP's public test UID with it,
/// so the product (which trusts only [`NXP_KEYS`]) calls those chips "not an NXP original".
#[cfg(any(test, feature = "test-signer"))]
pub const TEST_KEY: OriginalityKey = OriginalityKey {
    family: Family::Ntag21x,
    name: "Tapstand test key (not NXP)",
    sec1_hex: "0465BB0A75E2BC02D33CA415F57F43AE1835F02007A9E052A709571D488B7A5144",
};

/// "TAPSTAND-TEST-K1" as a 128-bit scalar.
#[cfg(any(test, feature = "test-signer"))]
pub const TEST_PRIVATE_KEY_HEX: &str = "5441505354414E442D544553542D4B31";

/// Signs `uid` with the private key `d_hex` (test equipment: the virtual tag, tests). The nonce is derived
/// from the key and the UID, so one UID always gets the same signature, as on a real chip.
#[cfg(any(test, feature = "test-signer"))]
pub fn sign(uid: &[u8], d_hex: &str) -> [u8; SIGNATURE_LEN] {
    use elliptic_curve::bigint::U128;
    use elliptic_curve::ops::Reduce;
    use elliptic_curve::NonZeroScalar;

    assert!(!uid.is_empty() && uid.len() <= 16, "UID of 1..=16 bytes");
    let d_bytes = unhex(d_hex).expect("hex private key");
    let d = NonZeroScalar::<Secp128r1>::from_repr(d_bytes.as_slice().try_into().expect("16 bytes"))
        .into_option()
        .expect("a private key in [1, n-1]");
    let mut e = [0u8; 16];
    e[16 - uid.len()..].copy_from_slice(uid);
    for round in 0u8.. {
        let mut seed = [0u8; 16];
        for i in 0..16 {
            seed[i] = d_bytes[i].rotate_left(3)
                ^ e[i].wrapping_mul(167)
                ^ (i as u8).wrapping_mul(29)
                ^ round;
        }
        let k = <curve::Scalar as Reduce<U128>>::reduce(&U128::from_be_slice(&seed));
        let Some(k) = NonZeroScalar::<Secp128r1>::new(k).into_option() else {
            continue;
        };
        if let Ok((sig, _)) = ecdsa::hazmat::sign_prehashed::<Secp128r1>(&d, &k, &e) {
            let mut out = [0u8; SIGNATURE_LEN];
            out.copy_from_slice(&sig.to_bytes());
            return out;
        }
    }
    unreachable!()
}

/// Signs `uid` with [`TEST_PRIVATE_KEY_HEX`].
#[cfg(any(test, feature = "test-signer"))]
pub fn sign_with_test_key(uid: &[u8]) -> [u8; SIGNATURE_LEN] {
    sign(uid, TEST_PRIVATE_KEY_HEX)
}

/// NXP's public test pair (Proxmark3 `recover_pk.py` self-tests): a genuine NTAG21x UID and its signature.
pub const PUBLIC_TEST_UID_HEX: &str = "04E10CDA993C80";
/// See [`PUBLIC_TEST_UID_HEX`].
pub const PUBLIC_TEST_SIGNATURE_HEX: &str =
    "8B76052EE42F5567BEB53238B3E3F9950707C0DCC956B5C5EFCFDB709B2D82B3";

/// Hex helper for callers holding the published pair.
pub fn from_hex(s: &str) -> Option<Vec<u8>> {
    unhex(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        unhex(s).unwrap()
    }

    const N_HEX: &str = "FFFFFFFE0000000075A30D1B9038A115";

    fn public_pair() -> (Vec<u8>, Vec<u8>) {
        (h(PUBLIC_TEST_UID_HEX), h(PUBLIC_TEST_SIGNATURE_HEX))
    }

    #[test]
    fn the_public_pair_verifies_against_nxps_ntag21x_key() {
        let (uid, sig) = public_pair();
        assert!(verify(&uid, &sig, &NXP_NTAG21X));
        assert!(check(&uid, &sig, Family::Ntag21x, NXP_KEYS));
    }

    #[test]
    fn every_flipped_signature_byte_fails() {
        let (uid, sig) = public_pair();
        for i in 0..sig.len() {
            for bit in [0x01u8, 0x80] {
                let mut bad = sig.clone();
                bad[i] ^= bit;
                assert!(!verify(&uid, &bad, &NXP_NTAG21X), "byte {i} ^ {bit:#x}");
            }
        }
    }

    #[test]
    fn a_tampered_uid_fails() {
        let (uid, sig) = public_pair();
        for i in 0..uid.len() {
            let mut bad = uid.clone();
            bad[i] ^= 0x01;
            assert!(!verify(&bad, &sig, &NXP_NTAG21X), "uid byte {i}");
        }
        assert!(!verify(&uid[..6], &sig, &NXP_NTAG21X));
        let mut longer = uid.clone();
        longer.push(0);
        assert!(!verify(&longer, &sig, &NXP_NTAG21X));
    }

    #[test]
    fn the_wrong_key_fails() {
        let (uid, sig) = public_pair();
        assert!(!verify(&uid, &sig, &NXP_ULTRALIGHT_EV1));
        assert!(!verify(&uid, &sig, &TEST_KEY));
        assert!(!check(&uid, &sig, Family::UltralightEv1, NXP_KEYS));
        assert!(!check(&uid, &sig, Family::Ntag21x, &[NXP_ULTRALIGHT_EV1]));
    }

    #[test]
    fn r_or_s_zero_or_not_below_n_fails() {
        let (uid, sig) = public_pair();
        let (r, s) = sig.split_at(16);
        let zero = [0u8; 16];
        let n = h(N_HEX);
        let ff = [0xFFu8; 16];
        for bad_r in [&zero[..], &n, &ff] {
            assert!(!verify(&uid, &[bad_r, s].concat(), &NXP_NTAG21X));
        }
        for bad_s in [&zero[..], &n, &ff] {
            assert!(!verify(&uid, &[r, bad_s].concat(), &NXP_NTAG21X));
        }
        // r + n and s + n do not fit 16 bytes; r ‖ s of the wrong length is refused too.
        assert!(!verify(&uid, &sig[..31], &NXP_NTAG21X));
        assert!(!verify(&uid, &[&sig[..], &[0]].concat(), &NXP_NTAG21X));
        assert!(!verify(&uid, &[0u8; 32], &NXP_NTAG21X));
    }

    #[test]
    fn a_key_off_the_curve_fails() {
        let (uid, sig) = public_pair();
        let bad = OriginalityKey {
            sec1_hex: "04494E1A386D3D3CFE3DC10E5DE68A499B1C202DB5B132393E89ED19FE5BE8BC62",
            ..NXP_NTAG21X
        };
        assert!(!verify(&uid, &sig, &bad));
    }

    #[test]
    fn the_test_key_is_the_test_private_key_times_g() {
        use elliptic_curve::sec1::ToSec1Point;
        use elliptic_curve::Group;
        let d = h(TEST_PRIVATE_KEY_HEX);
        let d = curve::Scalar::from_slice(&d).unwrap();
        let q = (curve::ProjectivePoint::generator() * d).to_affine();
        let hex: String = q
            .to_sec1_point(false)
            .as_bytes()
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect();
        assert_eq!(hex, TEST_KEY.sec1_hex);
    }

    #[test]
    fn fresh_pairs_signed_with_a_test_key_verify_and_tampered_ones_do_not() {
        let uids = [
            "04A1B2C3D4E5F6",
            "04000000000000",
            "04FFFFFFFFFFFF",
            "0401020304050A",
            "1D2C3B4A596877",
        ];
        for u in uids {
            let uid = h(u);
            let sig = sign_with_test_key(&uid);
            assert!(verify(&uid, &sig, &TEST_KEY), "{u}");
            assert!(check(&uid, &sig, Family::Ntag21x, &[TEST_KEY]));
            // NXP's key does not vouch for it: the product calls such a chip "not an NXP original".
            assert!(!check(&uid, &sig, Family::Ntag21x, NXP_KEYS), "{u}");
            let mut bad = sig;
            bad[31] ^= 0x40;
            assert!(!verify(&uid, &bad, &TEST_KEY));
            let mut other = uid.clone();
            other[6] ^= 0x10;
            assert!(!verify(&other, &sig, &TEST_KEY));
            // Same UID, same signature (a chip's signature never changes).
            assert_eq!(sig, sign_with_test_key(&uid));
        }
        // Another private key: its pairs do not verify against the test key or NXP's.
        let uid = h("04E10CDA993C80");
        let sig = sign(&uid, "0123456789ABCDEF0123456789ABCDEF");
        assert!(!verify(&uid, &sig, &TEST_KEY));
        assert!(!verify(&uid, &sig, &NXP_NTAG21X));
    }
}
