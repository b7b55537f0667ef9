//! Torn EEPROM pages. NTAG21x data pages have no anti-tearing (NXP's datasheets give it only to the
//! Capability Container and the lock bits): a tag pulled out of the field inside an EEPROM write cycle
//! leaves the page being programmed holding a mix of old bits, new bits and whatever the half-charged
//! cells read as. [`tear`] applies that to a write the tag had just taken whole: of the pages the write
//! changed, those before a cut point hold the new data, the page at the cut a per-byte mix of old, new
//! and random bytes, those after it their old data. The static lock bytes (page 2), the CC (page 3) and
//! the dynamic lock page stay atomic (all old or all new), as on the chip.

/// A small deterministic generator (xorshift64*), so that a torn round can be replayed from its seed.
#[derive(Clone, Debug)]
pub struct Mix(u64);

impl Mix {
    pub fn new(seed: u64) -> Mix {
        Mix(seed ^ 0x2545_F491_4F6C_DD1D | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// `before` and `after` are the tag memory around a write that was applied whole; `atomic(page)` says
/// which pages the chip programs atomically. Returns the memory a tear inside that write leaves.
pub fn tear(before: &[u8], after: &[u8], seed: u64, atomic: impl Fn(usize) -> bool) -> Vec<u8> {
    let mut out = after.to_vec();
    let changed: Vec<usize> = (0..after.len() / 4)
        .filter(|p| before[p * 4..p * 4 + 4] != after[p * 4..p * 4 + 4])
        .collect();
    if changed.is_empty() {
        return out;
    }
    let mut rng = Mix::new(seed);
    let cut = rng.below(changed.len() as u64) as usize;
    for (i, &p) in changed.iter().enumerate() {
        let r = p * 4..p * 4 + 4;
        if i > cut {
            out[r.clone()].copy_from_slice(&before[r]);
        } else if i == cut {
            if atomic(p) {
                // All old or all new.
                if rng.below(2) == 0 {
                    out[r.clone()].copy_from_slice(&before[r]);
                }
                continue;
            }
            for a in r {
                out[a] = match rng.below(3) {
                    0 => before[a],
                    1 => after[a],
                    _ => rng.next_u64() as u8,
                };
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_torn_page_mixes_and_atomic_pages_do_not() {
        let before = vec![0u8; 32];
        let mut after = before.clone();
        after[16..20].copy_from_slice(&[1, 2, 3, 4]);
        let mut mixed = 0;
        for seed in 0..200 {
            let t = tear(&before, &after, seed, |_| false);
            assert_eq!(t[..16], before[..16]);
            if t[16..20] != before[16..20] && t[16..20] != after[16..20] {
                mixed += 1;
            }
            let a = tear(&before, &after, seed, |p| p == 4);
            assert!(a[16..20] == before[16..20] || a[16..20] == after[16..20]);
        }
        assert!(mixed > 100, "{mixed} of 200 seeds gave a mixed page");
    }

    #[test]
    fn pages_after_the_cut_keep_their_old_data() {
        let before = vec![0u8; 32];
        let after = vec![0xAAu8; 32];
        for seed in 0..50 {
            let t = tear(&before, &after, seed, |_| false);
            let pages: Vec<&[u8]> = t.chunks(4).collect();
            let cut = pages.iter().position(|p| *p != [0xAA; 4]).unwrap_or(8);
            let after_cut = pages.get(cut + 1..).unwrap_or(&[]);
            assert!(after_cut.iter().all(|p| *p == [0; 4]), "{seed}: {t:?}");
        }
    }
}
