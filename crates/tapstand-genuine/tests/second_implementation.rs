//! The verifier against a second, independent implementation of secp128r1 ECDSA written here with
//! `num-bigint` (textbook affine formulas, no code shared with RustCrypto's): it accepts NXP's public pair
//! on its own, and pairs it signs with fresh private keys verify through `tapstand_genuine::verify` — and
//! fail once tampered.

use num_bigint::BigUint;
use tapstand_genuine::{from_hex, verify, Family, OriginalityKey};

struct Curve {
    p: BigUint,
    a: BigUint,
    n: BigUint,
    g: (BigUint, BigUint),
}

type Point = Option<(BigUint, BigUint)>;

fn h(s: &str) -> BigUint {
    BigUint::parse_bytes(s.as_bytes(), 16).unwrap()
}

impl Curve {
    fn secp128r1() -> Curve {
        Curve {
            p: h("FFFFFFFDFFFFFFFFFFFFFFFFFFFFFFFF"),
            a: h("FFFFFFFDFFFFFFFFFFFFFFFFFFFFFFFC"),
            n: h("FFFFFFFE0000000075A30D1B9038A115"),
            g: (
                h("161FF7528B899B2D0C28607CA52C5B86"),
                h("CF5AC8395BAFEB13C02DA292DDED7A83"),
            ),
        }
    }

    /// Fermat: `m` is prime.
    fn inv(&self, x: &BigUint, m: &BigUint) -> BigUint {
        x.modpow(&(m - 2u32), m)
    }

    fn add(&self, p1: &Point, p2: &Point) -> Point {
        let p = &self.p;
        let ((x1, y1), (x2, y2)) = match (p1, p2) {
            (None, q) | (q, None) => return q.clone(),
            (Some(a), Some(b)) => (a, b),
        };
        if x1 == x2 && (y1 + y2) % p == BigUint::ZERO {
            return None;
        }
        let l = if x1 == x2 {
            (3u32 * x1 * x1 + &self.a) * self.inv(&(2u32 * y1 % p), p) % p
        } else {
            ((y2 + p - y1) % p) * self.inv(&((x2 + p - x1) % p), p) % p
        };
        let x3 = (&l * &l + 2u32 * p - x1 - x2) % p;
        let y3 = (&l * ((x1 + p - &x3) % p) + p - y1) % p;
        Some((x3, y3))
    }

    fn mul(&self, k: &BigUint, pt: &Point) -> Point {
        let mut r: Point = None;
        let mut q = pt.clone();
        for i in 0..k.bits() {
            if k.bit(i) {
                r = self.add(&r, &q);
            }
            q = self.add(&q, &q);
        }
        r
    }

    fn g(&self) -> Point {
        Some(self.g.clone())
    }

    fn public(&self, d: &BigUint) -> (BigUint, BigUint) {
        self.mul(d, &self.g()).unwrap()
    }

    fn sign(&self, d: &BigUint, k: &BigUint, uid: &[u8]) -> (BigUint, BigUint) {
        let e = BigUint::from_bytes_be(uid);
        let (x, _) = self.mul(k, &self.g()).unwrap();
        let r = x % &self.n;
        let s = self.inv(k, &self.n) * (e + &r * d) % &self.n;
        (r, s)
    }

    fn verify(&self, q: &(BigUint, BigUint), uid: &[u8], r: &BigUint, s: &BigUint) -> bool {
        let n = &self.n;
        if *r == BigUint::ZERO || r >= n || *s == BigUint::ZERO || s >= n {
            return false;
        }
        let e = BigUint::from_bytes_be(uid);
        let w = self.inv(s, n);
        let u1 = e * &w % n;
        let u2 = r * &w % n;
        let pt = self.add(&self.mul(&u1, &self.g()), &self.mul(&u2, &Some(q.clone())));
        pt.is_some_and(|(x, _)| x % n == *r)
    }
}

fn be16(x: &BigUint) -> Vec<u8> {
    let b = x.to_bytes_be();
    let mut out = vec![0u8; 16 - b.len()];
    out.extend(b);
    out
}

fn sec1_hex(q: &(BigUint, BigUint)) -> String {
    let mut b = vec![4u8];
    b.extend(be16(&q.0));
    b.extend(be16(&q.1));
    b.iter().map(|x| format!("{x:02X}")).collect()
}

#[test]
fn the_second_implementation_accepts_nxps_public_pair() {
    let c = Curve::secp128r1();
    let key = from_hex(tapstand_genuine::NXP_NTAG21X.sec1_hex).unwrap();
    let q = (
        BigUint::from_bytes_be(&key[1..17]),
        BigUint::from_bytes_be(&key[17..33]),
    );
    let uid = from_hex(tapstand_genuine::PUBLIC_TEST_UID_HEX).unwrap();
    let sig = from_hex(tapstand_genuine::PUBLIC_TEST_SIGNATURE_HEX).unwrap();
    let (r, s) = (
        BigUint::from_bytes_be(&sig[..16]),
        BigUint::from_bytes_be(&sig[16..]),
    );
    assert!(c.verify(&q, &uid, &r, &s));
    assert!(!c.verify(&q, &uid, &(&r + 1u32), &s));
}

#[test]
fn pairs_signed_by_the_second_implementation_verify_through_the_product_path() {
    let c = Curve::secp128r1();
    let keys = [
        "1",
        "2",
        "5441505354414E442D544553542D4B31",
        "FFFFFFFE0000000075A30D1B9038A114", // n − 1
        "0F1E2D3C4B5A69788796A5B4C3D2E1F0",
    ];
    for (i, d) in keys.iter().enumerate() {
        let d = h(d);
        let q = c.public(&d);
        let key = OriginalityKey {
            family: Family::Ntag21x,
            name: "second implementation",
            sec1_hex: Box::leak(sec1_hex(&q).into_boxed_str()),
        };
        if i == 2 {
            // The same private key as the crate's test key (`TEST_KEY`): the same public key.
            assert_eq!(
                key.sec1_hex,
                "0465BB0A75E2BC02D33CA415F57F43AE1835F02007A9E052A709571D488B7A5144"
            );
        }
        for j in 0..4u8 {
            let uid = [0x04, 0x10 + i as u8, 0x20 + j, 0x33, 0x44, 0x55, 0x66 ^ j];
            let k = h("3A5C7E9102B4D6F8") * (j as u32 + 7) + (i as u32 + 1);
            let (r, s) = c.sign(&d, &k, &uid);
            assert!(r != BigUint::ZERO && s != BigUint::ZERO);
            let sig = [be16(&r), be16(&s)].concat();
            assert!(c.verify(&q, &uid, &r, &s), "self-check {i}/{j}");
            assert!(verify(&uid, &sig, &key), "key {i}, uid {j}");
            let mut bad = sig.clone();
            bad[(i * 7 + j as usize) % 32] ^= 0x04;
            assert!(!verify(&uid, &bad, &key), "tampered {i}/{j}");
            assert!(!verify(&uid, &sig, &tapstand_genuine::NXP_NTAG21X));
        }
    }
}
