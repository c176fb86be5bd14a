//! FNV-1a: a hasher for the per-batch match cache, whose keys are short model names.
//! std's default SipHash resists flooding, which a cache rebuilt every batch does not need.

use std::hash::{BuildHasherDefault, Hasher};

/// The 64-bit FNV-1a hasher.
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// Builds [`Fnv`] hashers for a `HashMap`.
pub type Build = BuildHasherDefault<Fnv>;
