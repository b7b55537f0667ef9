//! Tag passwords from one key per profile. An NTAG21x write password (PWD, 4 bytes) and its
//! acknowledgement (PACK, 2 bytes) are derived from the profile's tag key and the tag's UID:
//! HMAC-SHA256(key, "tapstand tag password v1" ‖ UID), first 6 bytes. The key is kept once in the OS
//! keychain (`accounts::tag_key(appid)`), not one entry per tag, so the keychain does not grow with the
//! tags; and every PC that holds the same key (a team types it once on each PC, as it does the team
//! database's password: `tapstand-cli profile set-tag-key`) can unlock a tag another PC protected.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

const LABEL: &[u8] = b"tapstand tag password v1";

/// (PWD, PACK) for the tag with `uid` under `key`. Never the factory password `FF FF FF FF` nor all
/// zeros (the counter byte moves past them).
pub fn derive(key: &str, uid: &[u8]) -> ([u8; 4], [u8; 2]) {
    for counter in 0u8..=255 {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes a key of any length");
        mac.update(LABEL);
        mac.update(&[counter]);
        mac.update(uid);
        let d = mac.finalize().into_bytes();
        let pwd = [d[0], d[1], d[2], d[3]];
        if pwd != [0; 4] && pwd != [0xFF; 4] {
            return (pwd, [d[4], d[5]]);
        }
    }
    unreachable!("256 HMACs that all start with 00000000 or FFFFFFFF")
}

/// The shortest tag key accepted: the key protects every tag of the profile.
pub const MIN_KEY_LEN: usize = 12;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_key_gives_each_tag_its_own_password_and_every_pc_the_same() {
        let uid_a = [0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66];
        let uid_b = [0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x67];
        let k = "团队标签密钥-2026-chain";
        assert_eq!(derive(k, &uid_a), derive(k, &uid_a), "deterministic");
        assert_ne!(derive(k, &uid_a), derive(k, &uid_b), "per tag");
        assert_ne!(
            derive(k, &uid_a),
            derive("another key!!", &uid_a),
            "per key"
        );
        let (pwd, _) = derive(k, &uid_a);
        assert!(pwd != [0xFF; 4] && pwd != [0; 4]);
    }

    /// Pinned so that a change of the derivation (which would lock every merchant out of the tags they
    /// protected) fails a test. HMAC-SHA256("key", "tapstand tag password v1" 00 04112233445566).
    #[test]
    fn the_derivation_is_pinned() {
        let (pwd, pack) = derive("key", &[0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66]);
        let mut mac = Hmac::<Sha256>::new_from_slice(b"key").unwrap();
        mac.update(b"tapstand tag password v1\x00\x04\x11\x22\x33\x44\x55\x66");
        let d = mac.finalize().into_bytes();
        assert_eq!((pwd, pack), ([d[0], d[1], d[2], d[3]], [d[4], d[5]]));
    }
}
