//! The vector part of the pass: per 64-byte block of a string, four bit masks (bit `i` is
//! byte `i` of the block), for a batch of blocks at a time ([`fill`]):
//!
//! - `cand`: where a three-byte anchor fingerprint may *end* (a Teddy-style filter: each
//!   fingerprint byte's low and high nibble index two 16-byte tables whose bytes are bucket
//!   bits, 16 buckets in two halves of 8), or where a single-byte anchor (`@`) is (bucket
//!   [`SINGLE_BUCKET`], whose first two bytes are any byte);
//! - `digit` (`[0-9]`), `num` (`[0-9 ().+-]`), `dot` (`[A-Za-z0-9_.-]`): byte classes, from
//!   one more pair of nibble tables. `[ ().+-]` is the class's top bit, so `num` costs one
//!   `bitmask` more than `digit`.
//!
//! The same computation exists three times: SSSE3 (native x86-64, chosen at run time), Wasm
//! `simd128` (the plugin's build), and plain Rust (anything else, and the reference the
//! tests hold the vector versions to). The vector versions are the same sequence of
//! operations (`pshufb` is `i8x16.swizzle`, `palignr` a two-vector shuffle).

/// Class bits of the class tables (`CL[lo] & CH[hi]`); each is a product of a set of low
/// and a set of high nibbles, so one pair of lookups classifies a byte.
const C_UPPER_AO: u8 = 1; // hi 4, lo 1..=15
const C_UPPER_PZ: u8 = 2; // hi 5, lo 0..=10
const C_LOWER_AO: u8 = 4; // hi 6, lo 1..=15
const C_LOWER_PZ: u8 = 8; // hi 7, lo 0..=10
const C_DIGIT: u8 = 16; // hi 3, lo 0..=9
const C_UNDERSCORE: u8 = 32; // hi 5, lo 15
const C_DASH_DOT: u8 = 64; // hi 2, lo 13..=14
// The top bit: `bitmask` reads it without a compare.
const C_NUM_PUNCT: u8 = 128; // hi 2, lo 0, 8, 9, 11, 13, 14: ` ().+-`

/// `[A-Z]`.
pub const UPPER: u8 = C_UPPER_AO | C_UPPER_PZ;
/// `[0-9]`.
pub const DIGIT: u8 = C_DIGIT;
/// `[0-9 ().+-]`.
pub const NUM: u8 = C_DIGIT | C_NUM_PUNCT;
/// `[A-Za-z0-9_.-]`.
pub const DOT: u8 = !C_NUM_PUNCT;

const fn class_tables() -> ([u8; 16], [u8; 16]) {
    let mut lo = [0u8; 16];
    let mut hi = [0u8; 16];
    let mut n = 0;
    while n < 16 {
        if n >= 1 {
            lo[n] |= C_UPPER_AO | C_LOWER_AO;
        }
        if n <= 10 {
            lo[n] |= C_UPPER_PZ | C_LOWER_PZ;
        }
        if n <= 9 {
            lo[n] |= C_DIGIT;
        }
        if n == 15 {
            lo[n] |= C_UNDERSCORE;
        }
        if n == 13 || n == 14 {
            lo[n] |= C_DASH_DOT;
        }
        if matches!(n, 0 | 8 | 9 | 11 | 13 | 14) {
            lo[n] |= C_NUM_PUNCT;
        }
        n += 1;
    }
    hi[2] = C_DASH_DOT | C_NUM_PUNCT;
    hi[3] = C_DIGIT;
    hi[4] = C_UPPER_AO;
    hi[5] = C_UPPER_PZ | C_UNDERSCORE;
    hi[6] = C_LOWER_AO;
    hi[7] = C_LOWER_PZ;
    (lo, hi)
}

/// The class tables (low nibble, high nibble).
const CLASS_TABLES: ([u8; 16], [u8; 16]) = class_tables();

/// The class of every byte, as the vector code computes it.
const CLASS: [u8; 256] = {
    let (lo, hi) = CLASS_TABLES;
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = lo[b & 15] & hi[b >> 4];
        b += 1;
    }
    t
};

/// The class of a byte, as the vector code computes it.
#[inline]
pub fn class(b: u8) -> u8 {
    CLASS[usize::from(b)]
}

/// The bucket of the single-byte anchor, when there is one: its first two fingerprint
/// bytes are any byte, its third the anchor (a compare per 16 bytes fewer than testing the
/// byte apart, inside Wasm a splat reloaded from the stack too).
pub const SINGLE_BUCKET: u8 = 15;

/// The lookup tables of one prefilter.
#[derive(Debug, Clone)]
pub struct Tables {
    /// `teddy[h][j]` = (low-nibble table, high-nibble table) of fingerprint byte `j` for
    /// bucket half `h` (buckets `8h..8h+8`).
    pub teddy: [[[u8; 16]; 6]; 2],
    /// The bucket bits of the two bytes before a string (per half, as in `scalar`): the
    /// single-byte anchor's bucket, so that it is found at the string's first two bytes.
    start: u16,
    /// Per byte, both halves' bucket bits for fingerprint byte `j` (scalar kernel).
    scalar: Box<[[u16; 256]; 3]>,
}

impl Tables {
    /// Tables for fingerprints given as (bucket 0..16, three sets of bytes). A byte set is
    /// entered by its nibbles, so a bucket matches the product of its members' nibble sets
    /// (a superset; the caller verifies exactly).
    pub fn new(fingerprints: &[(u8, [Vec<u8>; 3])], single: &[u8]) -> Tables {
        let mut teddy = [[[0u8; 16]; 6]; 2];
        assert!(single.len() <= 1, "at most one single-byte anchor");
        let mut start = 0u16;
        if let Some(&b) = single.first() {
            let (h, bit) = (usize::from(SINGLE_BUCKET / 8), 1u8 << (SINGLE_BUCKET % 8));
            for slot in teddy[h][..4].iter_mut().flatten() {
                *slot |= bit;
            }
            teddy[h][4][usize::from(b & 15)] |= bit;
            teddy[h][5][usize::from(b >> 4)] |= bit;
            start = u16::from(bit) << (8 * h);
        }
        for (bucket, sets) in fingerprints {
            assert!(
                single.is_empty() || *bucket != SINGLE_BUCKET,
                "bucket {SINGLE_BUCKET} is the single-byte anchor's"
            );
            let (h, bit) = (usize::from(*bucket / 8), 1u8 << (bucket % 8));
            for (j, set) in sets.iter().enumerate() {
                for &b in set {
                    teddy[h][2 * j][usize::from(b & 15)] |= bit;
                    teddy[h][2 * j + 1][usize::from(b >> 4)] |= bit;
                }
            }
        }
        let mut scalar = Box::new([[0u16; 256]; 3]);
        for (j, table) in scalar.iter_mut().enumerate() {
            for (b, slot) in table.iter_mut().enumerate() {
                let (lo, hi) = (b & 15, b >> 4);
                let a = teddy[0][2 * j][lo] & teddy[0][2 * j + 1][hi];
                let z = teddy[1][2 * j][lo] & teddy[1][2 * j + 1][hi];
                *slot = u16::from(a) | u16::from(z) << 8;
            }
        }
        Tables {
            teddy,
            start,
            scalar,
        }
    }
}

/// The masks of one 64-byte block.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Masks {
    /// A fingerprint may end here, or the single-byte anchor is here.
    pub cand: u64,
    /// `[0-9]`.
    pub digit: u64,
    /// `[0-9 ().+-]`.
    pub num: u64,
    /// `[A-Za-z0-9_.-]`.
    pub dot: u64,
}

impl Masks {
    /// The masks with the bits past the string's end (`valid` clear) cleared.
    fn within(self, valid: u64) -> Masks {
        Masks {
            cand: self.cand & valid,
            digit: self.digit & valid,
            num: self.num & valid,
            dot: self.dot & valid,
        }
    }
}

/// Which implementation runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    /// Plain Rust.
    Scalar,
    /// SSSE3 (x86-64, detected at run time).
    #[cfg(target_arch = "x86_64")]
    Ssse3,
    /// The same with AVX's three-operand encoding (what Cranelift emits for Wasm SIMD on
    /// such a CPU), detected at run time.
    #[cfg(target_arch = "x86_64")]
    Avx,
    /// Wasm `simd128` (every engine sluice runs on has it).
    #[cfg(target_arch = "wasm32")]
    Simd128,
}

impl Kernel {
    /// The fastest kernel this machine runs.
    pub fn best() -> Kernel {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx") {
            return Kernel::Avx;
        }
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("ssse3") {
            return Kernel::Ssse3;
        }
        #[cfg(target_arch = "wasm32")]
        return Kernel::Simd128;
        #[allow(unreachable_code)]
        Kernel::Scalar
    }
}

/// Blocks per call of [`fill`]: the kernel runs over this many blocks with its tables in
/// registers before the caller's per-block work runs over their masks (called per block,
/// that work made the kernel save and reload its vector state each time).
pub const BATCH: usize = 32;

/// Fills `out` with the masks of the blocks of `text` from byte `at` (a multiple of 64) on,
/// at most [`BATCH`] of them, and returns how many; the last block of `text` is zero-padded
/// (bits past the end are clear).
pub fn fill(kernel: Kernel, t: &Tables, text: &[u8], at: usize, out: &mut [Masks; BATCH]) -> usize {
    debug_assert!(at.is_multiple_of(64) && at < text.len());
    match kernel {
        Kernel::Scalar => scalar::fill(t, text, at, out),
        #[cfg(target_arch = "x86_64")]
        Kernel::Ssse3 => x86::fill(t, text, at, out),
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx => x86::fill_avx(t, text, at, out),
        #[cfg(target_arch = "wasm32")]
        Kernel::Simd128 => wasm::fill(t, text, at, out),
    }
}

/// Calls `f(offset, masks)` for every 64-byte block of `text`, in order (see [`fill`]): what
/// the tests compare kernels with.
#[cfg(test)]
fn blocks(kernel: Kernel, t: &Tables, text: &[u8], f: &mut impl FnMut(usize, Masks)) {
    let mut out = [Masks::default(); BATCH];
    let mut at = 0;
    while at < text.len() {
        let n = fill(kernel, t, text, at, &mut out);
        for (k, m) in out[..n].iter().enumerate() {
            f(at + 64 * k, *m);
        }
        at += 64 * n;
    }
}

/// The zero-padded last block and its valid-bits mask.
fn tail(text: &[u8], at: usize) -> ([u8; 64], u64) {
    let mut buf = [0u8; 64];
    let n = text.len() - at;
    buf[..n].copy_from_slice(&text[at..]);
    (buf, if n == 64 { u64::MAX } else { (1u64 << n) - 1 })
}

mod scalar {
    use super::{BATCH, C_DIGIT, DOT, Masks, NUM, Tables, class, tail};

    /// Bucket bits carried from the previous bytes: `a0` of the last two, `a1` of the last.
    struct Carry {
        a0_2: u16,
        a0_1: u16,
        a1_1: u16,
    }

    pub fn fill(t: &Tables, text: &[u8], at: usize, out: &mut [Masks; BATCH]) -> usize {
        // The bucket bits of the two bytes before the first block.
        let mut carry = Carry {
            a0_2: t.start,
            a0_1: t.start,
            a1_1: t.start,
        };
        if at >= 2 {
            carry.a0_2 = t.scalar[0][usize::from(text[at - 2])];
            carry.a0_1 = t.scalar[0][usize::from(text[at - 1])];
            carry.a1_1 = t.scalar[1][usize::from(text[at - 1])];
        }
        let (mut n, mut at) = (0, at);
        while n < BATCH && at + 64 <= text.len() {
            let block: &[u8; 64] = text[at..at + 64].try_into().expect("64 bytes");
            out[n] = block_masks(t, block, &mut carry);
            n += 1;
            at += 64;
        }
        if n < BATCH && at < text.len() {
            let (buf, valid) = tail(text, at);
            out[n] = block_masks(t, &buf, &mut carry).within(valid);
            n += 1;
        }
        n
    }

    fn block_masks(t: &Tables, block: &[u8; 64], c: &mut Carry) -> Masks {
        let mut m = Masks::default();
        for (i, &b) in block.iter().enumerate() {
            let a0 = t.scalar[0][usize::from(b)];
            let a1 = t.scalar[1][usize::from(b)];
            let a2 = t.scalar[2][usize::from(b)];
            let bit = 1u64 << i;
            if c.a0_2 & c.a1_1 & a2 != 0 {
                m.cand |= bit;
            }
            let k = class(b);
            if k & C_DIGIT != 0 {
                m.digit |= bit;
            }
            if k & DOT != 0 {
                m.dot |= bit;
            }
            if k & NUM != 0 {
                m.num |= bit;
            }

            c.a0_2 = c.a0_1;
            c.a0_1 = a0;
            c.a1_1 = a1;
        }
        m
    }
}

/// The vector kernel's body, for either instruction set: `$v` names the vector operations
/// (see the two modules below). Everything is a macro so that it is one function with the
/// state in registers (closures were not inlined, and spilled it per 16 bytes).
macro_rules! vector_fill {
    ($v:ident, $t:ident, $text:ident, $at:ident, $out:ident) => {{
        let ta = [0, 1, 2, 3, 4, 5].map(|k| $v::load(&$t.teddy[0][k]));
        let tb = [0, 1, 2, 3, 4, 5].map(|k| $v::load(&$t.teddy[1][k]));
        let (cl, ch) = ($v::load(&CLASS_TABLES.0), $v::load(&CLASS_TABLES.1));
        let nib = $v::splat(0x0f);
        let zero = $v::splat(0);
        let (sa, sb) = ($v::splat($t.start as u8), $v::splat(($t.start >> 8) as u8));
        let (digit, dot) = ($v::splat(C_DIGIT), $v::splat(DOT));
        let (mut pa0, mut pa1, mut pb0, mut pb1) = (sa, sa, sb, sb);
        // Masks of the bytes where a vector is zero; inverted once per block.
        macro_rules! zeros {
            ($x:expr) => {
                u64::from($v::bitmask($v::eq($x, zero)))
            };
        }
        macro_rules! chunk {
            ($bytes:expr) => {{
                let v = $v::load($bytes);
                let lo = $v::and(v, nib);
                let hi = $v::shr4(v, nib);
                macro_rules! look {
                    ($l:expr, $h:expr) => {
                        $v::and($v::swizzle($l, lo), $v::swizzle($h, hi))
                    };
                }
                let (a0, a1, a2) = (look!(ta[0], ta[1]), look!(ta[2], ta[3]), look!(ta[4], ta[5]));
                let (b0, b1, b2) = (look!(tb[0], tb[1]), look!(tb[2], tb[3]), look!(tb[4], tb[5]));
                let ca = $v::and($v::and($v::back2(pa0, a0), $v::back1(pa1, a1)), a2);
                let cb = $v::and($v::and($v::back2(pb0, b0), $v::back1(pb1, b1)), b2);
                pa0 = a0;
                pa1 = a1;
                pb0 = b0;
                pb1 = b1;
                let cand = $v::or(ca, cb);
                let cls = look!(cl, ch);
                (
                    zeros!(cand),
                    zeros!($v::and(cls, digit)),
                    zeros!($v::and(cls, dot)),
                    u64::from($v::bitmask(cls)),
                )
            }};
        }
        macro_rules! block {
            ($bytes:expr) => {{
                let bytes: &[u8; 64] = $bytes;
                let parts: [&[u8; 16]; 4] = [
                    bytes[0..16].try_into().expect("16"),
                    bytes[16..32].try_into().expect("16"),
                    bytes[32..48].try_into().expect("16"),
                    bytes[48..64].try_into().expect("16"),
                ];
                // Unrolled by hand: as a loop, the vectors went through memory each time.
                let (c0, d0, x0, p0) = chunk!(parts[0]);
                let (c1, d1, x1, p1) = chunk!(parts[1]);
                let (c2, d2, x2, p2) = chunk!(parts[2]);
                let (c3, d3, x3, p3) = chunk!(parts[3]);
                let digit = !(d0 | d1 << 16 | d2 << 32 | d3 << 48);
                Masks {
                    cand: !(c0 | c1 << 16 | c2 << 32 | c3 << 48),
                    digit,
                    dot: !(x0 | x1 << 16 | x2 << 32 | x3 << 48),
                    // `[ ().+-]` (the top class bit) and the digits.
                    num: (p0 | p1 << 16 | p2 << 32 | p3 << 48) | digit,
                }
            }};
        }
        if $at > 0 {
            // The lookups of the 16 bytes before the first block, which its first chunk's
            // fingerprints may start in.
            let prev: &[u8; 16] = $text[$at - 16..$at].try_into().expect("16 bytes");
            let v = $v::load(prev);
            let lo = $v::and(v, nib);
            let hi = $v::shr4(v, nib);
            macro_rules! look {
                ($l:expr, $h:expr) => {
                    $v::and($v::swizzle($l, lo), $v::swizzle($h, hi))
                };
            }
            (pa0, pa1) = (look!(ta[0], ta[1]), look!(ta[2], ta[3]));
            (pb0, pb1) = (look!(tb[0], tb[1]), look!(tb[2], tb[3]));
        }
        let (mut n, mut at) = (0, $at);
        while n < BATCH && at + 64 <= $text.len() {
            $out[n] = block!($text[at..at + 64].try_into().expect("64 bytes"));
            n += 1;
            at += 64;
        }
        if n < BATCH && at < $text.len() {
            let (buf, valid) = tail($text, at);
            $out[n] = block!(&buf).within(valid);
            n += 1;
        }
        n
    }};
}

#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod x86 {
    use super::{BATCH, C_DIGIT, CLASS_TABLES, DOT, Masks, Tables, tail};

    /// The vector operations, SSSE3 (each one instruction but `shr4`). They carry the
    /// target feature so that they inline into `blocks_ssse3`, which is only called when the
    /// CPU has it.
    mod v {
        use std::arch::x86_64::*;

        #[inline(always)]
        pub fn load(b: &[u8; 16]) -> __m128i {
            // SAFETY: `b` is 16 readable bytes; the load is unaligned (SSE2, baseline).
            unsafe { _mm_loadu_si128(b.as_ptr().cast()) }
        }
        #[inline]
        #[target_feature(enable = "ssse3")]
        pub fn splat(b: u8) -> __m128i {
            _mm_set1_epi8(b as i8)
        }
        #[inline]
        #[target_feature(enable = "ssse3")]
        pub fn and(a: __m128i, b: __m128i) -> __m128i {
            _mm_and_si128(a, b)
        }
        #[inline]
        #[target_feature(enable = "ssse3")]
        pub fn or(a: __m128i, b: __m128i) -> __m128i {
            _mm_or_si128(a, b)
        }
        #[inline]
        #[target_feature(enable = "ssse3")]
        pub fn eq(a: __m128i, b: __m128i) -> __m128i {
            _mm_cmpeq_epi8(a, b)
        }
        #[inline]
        #[target_feature(enable = "ssse3")]
        pub fn bitmask(a: __m128i) -> u16 {
            _mm_movemask_epi8(a) as u16
        }
        /// High nibbles.
        #[inline]
        #[target_feature(enable = "ssse3")]
        pub fn shr4(a: __m128i, nib: __m128i) -> __m128i {
            _mm_and_si128(_mm_srli_epi16::<4>(a), nib)
        }
        #[inline]
        #[target_feature(enable = "ssse3")]
        pub fn swizzle(table: __m128i, idx: __m128i) -> __m128i {
            _mm_shuffle_epi8(table, idx)
        }
        /// `r[i] = cur[i - 2]`, with the previous vector's last two bytes first.
        #[inline]
        #[target_feature(enable = "ssse3")]
        pub fn back2(prev: __m128i, cur: __m128i) -> __m128i {
            _mm_alignr_epi8::<14>(cur, prev)
        }
        /// `r[i] = cur[i - 1]`, with the previous vector's last byte first.
        #[inline]
        #[target_feature(enable = "ssse3")]
        pub fn back1(prev: __m128i, cur: __m128i) -> __m128i {
            _mm_alignr_epi8::<15>(cur, prev)
        }
    }

    pub fn fill(t: &Tables, text: &[u8], at: usize, out: &mut [Masks; BATCH]) -> usize {
        // SAFETY: `Kernel::Ssse3` is only chosen when the CPU reports SSSE3.
        unsafe { fill_ssse3(t, text, at, out) }
    }

    #[target_feature(enable = "ssse3")]
    #[allow(unused_assignments)]
    fn fill_ssse3(t: &Tables, text: &[u8], at: usize, out: &mut [Masks; BATCH]) -> usize {
        vector_fill!(v, t, text, at, out)
    }

    pub fn fill_avx(t: &Tables, text: &[u8], at: usize, out: &mut [Masks; BATCH]) -> usize {
        // SAFETY: `Kernel::Avx` is only chosen when the CPU reports AVX.
        unsafe { fill_avx_imp(t, text, at, out) }
    }

    #[target_feature(enable = "avx")]
    #[allow(unused_assignments)]
    fn fill_avx_imp(t: &Tables, text: &[u8], at: usize, out: &mut [Masks; BATCH]) -> usize {
        vector_fill!(v, t, text, at, out)
    }
}

#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod wasm {
    use super::{BATCH, C_DIGIT, CLASS_TABLES, DOT, Masks, Tables, tail};

    /// The vector operations, Wasm `simd128` (each one instruction but `shr4`).
    mod v {
        use core::arch::wasm32::*;

        #[inline(always)]
        pub fn load(b: &[u8; 16]) -> v128 {
            // SAFETY: `b` is 16 readable bytes; `v128.load` has no alignment requirement.
            unsafe { v128_load(b.as_ptr().cast()) }
        }
        #[inline]
        #[target_feature(enable = "simd128")]
        pub fn splat(b: u8) -> v128 {
            u8x16_splat(b)
        }
        #[inline]
        #[target_feature(enable = "simd128")]
        pub fn and(a: v128, b: v128) -> v128 {
            v128_and(a, b)
        }
        #[inline]
        #[target_feature(enable = "simd128")]
        pub fn or(a: v128, b: v128) -> v128 {
            v128_or(a, b)
        }
        #[inline]
        #[target_feature(enable = "simd128")]
        pub fn eq(a: v128, b: v128) -> v128 {
            u8x16_eq(a, b)
        }
        #[inline]
        #[target_feature(enable = "simd128")]
        pub fn bitmask(a: v128) -> u16 {
            u8x16_bitmask(a)
        }
        /// High nibbles.
        #[inline]
        #[target_feature(enable = "simd128")]
        pub fn shr4(a: v128, _nib: v128) -> v128 {
            u8x16_shr(a, 4)
        }
        /// Relaxed: the indices are nibbles, so its result is the same on every engine,
        /// and it is one `pshufb` where the strict swizzle needs a saturating add too.
        #[inline]
        #[target_feature(enable = "simd128,relaxed-simd")]
        pub fn swizzle(table: v128, idx: v128) -> v128 {
            i8x16_relaxed_swizzle(table, idx)
        }
        /// `r[i] = cur[i - 2]`, with the previous vector's last two bytes first.
        #[inline]
        #[target_feature(enable = "simd128")]
        pub fn back2(prev: v128, cur: v128) -> v128 {
            u8x16_shuffle::<14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29>(
                prev, cur,
            )
        }
        /// `r[i] = cur[i - 1]`, with the previous vector's last byte first.
        #[inline]
        #[target_feature(enable = "simd128")]
        pub fn back1(prev: v128, cur: v128) -> v128 {
            u8x16_shuffle::<15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30>(
                prev, cur,
            )
        }
    }

    #[target_feature(enable = "simd128,relaxed-simd")]
    #[allow(unused_assignments)]
    pub fn fill(t: &Tables, text: &[u8], at: usize, out: &mut [Masks; BATCH]) -> usize {
        vector_fill!(v, t, text, at, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables() -> Tables {
        let set = |s: &str| s.bytes().collect::<Vec<u8>>();
        let ci = |c: u8| vec![c.to_ascii_lowercase(), c.to_ascii_uppercase()];
        Tables::new(
            &[
                (0, [set("g"), set("h"), set("p")]),
                (3, [ci(b't'), ci(b'o'), ci(b'k')]),
                (9, [set("s"), set("k"), set("-")]),
                (14, [set("A"), set("K"), set("I")]),
                (14, [set("A"), set("S"), set("I")]),
            ],
            b"@",
        )
    }

    fn kernels() -> Vec<Kernel> {
        let mut k = vec![Kernel::Scalar];
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("ssse3") {
                k.push(Kernel::Ssse3);
            }
            if std::is_x86_feature_detected!("avx") {
                k.push(Kernel::Avx);
            }
        }
        k.push(Kernel::best());
        k
    }

    fn all(kernel: Kernel, t: &Tables, text: &[u8]) -> Vec<(usize, Masks)> {
        let mut out = Vec::new();
        blocks(kernel, t, text, &mut |at, m| out.push((at, m)));
        out
    }

    #[test]
    fn classes_are_exact() {
        for b in 0..=255u8 {
            let k = class(b);
            assert_eq!(k & DIGIT != 0, b.is_ascii_digit(), "{b}");
            assert_eq!(k & UPPER != 0, b.is_ascii_uppercase(), "{b}");
            let dot = b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-');
            assert_eq!(k & DOT != 0, dot, "{b}");
            let num = b.is_ascii_digit() || b" ().+-".contains(&b);
            assert_eq!(k & NUM != 0, num, "{b}");
        }
    }

    #[test]
    fn the_vector_kernel_agrees_with_the_scalar_one() {
        let t = tables();
        let mut seed = 0x1234_5678_9abc_def1u64;
        let mut texts: Vec<Vec<u8>> = vec![
            b"ghp_x TOKEN sk-ant AKIA ASIA a@b".to_vec(),
            b"".to_vec(),
            b"g".to_vec(),
            b"@".to_vec(),
            b"@@".to_vec(),
            b"x@".to_vec(),
            b"@xy@".to_vec(),
        ];
        // Past `BATCH` blocks too: each call of `fill` after the first starts from the bytes
        // before it.
        let batch = 64 * BATCH;
        for len in [
            1,
            15,
            16,
            17,
            63,
            64,
            65,
            127,
            128,
            129,
            300,
            batch - 1,
            batch,
            batch + 1,
        ]
        .into_iter()
        .chain([
            batch + 2,
            batch + 3,
            batch + 63,
            2 * batch + 17,
            3 * batch + 64,
        ]) {
            let alphabet = b"ghpsk-AKISTtoOK@9 ._";
            let text = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    alphabet[(seed % alphabet.len() as u64) as usize]
                })
                .collect();
            texts.push(text);
        }
        // Fingerprints across the first batch's end.
        for k in 0..4 {
            let mut text = vec![b'x'; batch - k];
            text.extend_from_slice(b"ghp sk- TOK AKI ghp");
            texts.push(text);
        }
        for text in &texts {
            let want = all(Kernel::Scalar, &t, text);
            for k in kernels() {
                assert_eq!(
                    all(k, &t, text),
                    want,
                    "{k:?} {:?}",
                    String::from_utf8_lossy(text)
                );
            }
            // Every 3-byte window that is a fingerprint is a candidate at its last byte.
            let flat = |f: fn(&Masks) -> u64| -> Vec<bool> {
                (0..text.len())
                    .map(|i| f(&want[i / 64].1) >> (i % 64) & 1 == 1)
                    .collect()
            };
            let cand = flat(|m| m.cand);
            for i in 2..text.len() {
                let w = &text[i - 2..=i];
                if w == b"ghp" || w.eq_ignore_ascii_case(b"tok") || w == b"sk-" || w == b"AKI" {
                    assert!(cand[i], "{i}");
                }
            }
            // The single-byte anchor everywhere, the string's first two bytes included.
            for (i, &b) in text.iter().enumerate() {
                if b == b'@' {
                    assert!(cand[i], "@ at {i}");
                }
            }
        }
    }
}
