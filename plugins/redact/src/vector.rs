//! The few operations on sixteen bytes that the confirmations' scans share: SSE2 natively
//! (part of every x86_64 target), `simd128` inside Wasm (every engine sluice runs on has it).
//! A 17-byte window is loaded twice, at offsets 0 and 1, so that each of sixteen positions
//! is compared together with the byte after it.

#![allow(unsafe_code)]

/// `window` of the 17 bytes of `b` from `i` (0 past its end), with the marks of positions
/// past the end cleared: the marks of the (up to) sixteen positions from `i`, `i < b.len()`.
pub fn windowed(b: &[u8], i: usize, window: impl Fn(&[u8; 17]) -> u32) -> u32 {
    match b.get(i..i + 17) {
        Some(w) => window(w.try_into().expect("17 bytes")),
        None => {
            let n = b.len() - i;
            let mut w = [0u8; 17];
            w[..n].copy_from_slice(&b[i..]);
            window(&w) & ((1 << n) - 1)
        }
    }
}

#[cfg(target_arch = "wasm32")]
use core::arch::wasm32::*;
/// Whether `at` holds at some position of `byte` in `hay`, tried in order: the positions
/// are found sixteen bytes at a time (a compare and a bit mask), which is what makes looking
/// for a rare byte cheap inside Wasm too, where `memchr` reads a word at a time.
pub fn positions(hay: &[u8], byte: u8, at: impl FnMut(usize) -> bool) -> bool {
    positions_of(hay, [byte], at)
}

/// [`positions`] of any of `N` bytes (`memchr2`/`memchr3` sixteen bytes at a time): whether
/// `at` holds at some position of one of `bytes` in `hay`, tried in order.
#[cfg_attr(target_arch = "wasm32", target_feature(enable = "simd128"))]
pub fn positions_of<const N: usize>(
    hay: &[u8],
    bytes: [u8; N],
    mut at: impl FnMut(usize) -> bool,
) -> bool {
    #[cfg(any(target_arch = "x86_64", target_arch = "wasm32"))]
    if hay.len() >= 16 {
        let mut hits = |i: usize, mut m: u32| {
            while m != 0 {
                if at(i + m.trailing_zeros() as usize) {
                    return true;
                }
                m &= m - 1;
            }
            false
        };
        let mut i = 0;
        while i + 16 <= hay.len() {
            if hits(i, equal16(hay, i, bytes)) {
                return true;
            }
            i += 16;
        }
        // The last 16 bytes, without the ones already read.
        let last = hay.len() - 16;
        return i < hay.len() && hits(last, equal16(hay, last, bytes) >> (i - last) << (i - last));
    }
    (0..hay.len()).any(|k| bytes.contains(&hay[k]) && at(k))
}

/// Where `needle` first occurs in `hay`: its first byte is looked for sixteen bytes at a
/// time ([`positions`]) and the rest compared only there. `str::find` sets up a two-way
/// searcher on every call, and inside Wasm `memchr` reads a word at a time; a needle whose
/// first byte is rare in the hay (`-----END` in a key block) is found for the cost of
/// reading it.
pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let Some(&first) = needle.first() else {
        return Some(0);
    };
    let mut at = None;
    positions(hay, first, |k| {
        let hit = hay[k..].starts_with(needle);
        if hit {
            at = Some(k);
        }
        hit
    });
    at
}

/// Bit `k` set when `hay[i + k]` is one of `bytes`, for `i + 16 <= hay.len()`.
#[cfg(any(target_arch = "x86_64", target_arch = "wasm32"))]
#[cfg_attr(target_arch = "wasm32", target_feature(enable = "simd128"))]
fn equal16<const N: usize>(hay: &[u8], i: usize, bytes: [u8; N]) -> u32 {
    let x = load16(hay, i);
    bits(bytes.iter().fold(splat(0), |m, &c| or(m, eq(x, c))))
}

#[cfg(target_arch = "x86_64")]
use core::arch::x86_64::*;

/// Sixteen bytes.
#[cfg(target_arch = "x86_64")]
pub type V = __m128i;
/// Sixteen bytes.
#[cfg(target_arch = "wasm32")]
pub type V = v128;

#[cfg(any(target_arch = "x86_64", target_arch = "wasm32"))]
pub use ops::*;

// SSE2 is part of every x86_64 target, so these intrinsics are always there; the loads
// read 16 bytes from a 17-byte array at offsets 0 and 1.
#[cfg(target_arch = "x86_64")]
mod ops {
    use super::*;
    pub fn load(w: &[u8; 17], at: usize) -> V {
        assert!(at <= 1);
        // SAFETY: 16 bytes from `at <= 1` of 17 are readable; no alignment needed.
        unsafe { _mm_loadu_si128(w.as_ptr().add(at).cast()) }
    }
    pub fn load16(b: &[u8], at: usize) -> V {
        assert!(at + 16 <= b.len());
        // SAFETY: 16 bytes from `at` are readable (asserted); no alignment needed.
        unsafe { _mm_loadu_si128(b.as_ptr().add(at).cast()) }
    }
    /// Byte-wise wrapping `a - b`.
    pub fn sub(a: V, b: V) -> V {
        // SAFETY: SSE2 is part of every x86_64 target.
        unsafe { _mm_sub_epi8(a, b) }
    }
    /// Byte-wise unsigned minimum.
    pub fn min(a: V, b: V) -> V {
        // SAFETY: as above.
        unsafe { _mm_min_epu8(a, b) }
    }
    pub fn splat(c: u8) -> V {
        // SAFETY: SSE2 is part of every x86_64 target.
        unsafe { _mm_set1_epi8(c as i8) }
    }
    pub fn eq(v: V, c: u8) -> V {
        // SAFETY: as above.
        unsafe { _mm_cmpeq_epi8(v, splat(c)) }
    }
    pub fn same(a: V, b: V) -> V {
        // SAFETY: as above.
        unsafe { _mm_cmpeq_epi8(a, b) }
    }
    pub fn and(a: V, b: V) -> V {
        // SAFETY: as above.
        unsafe { _mm_and_si128(a, b) }
    }
    pub fn or(a: V, b: V) -> V {
        // SAFETY: as above.
        unsafe { _mm_or_si128(a, b) }
    }
    /// The top bit of each byte.
    pub fn bits(v: V) -> u32 {
        // SAFETY: as above.
        unsafe { _mm_movemask_epi8(v) as u32 }
    }
}

#[cfg(target_arch = "wasm32")]
mod ops {
    //! Each with `simd128`, so that they inline into their callers (which enable it too).
    use super::*;
    #[inline]
    #[target_feature(enable = "simd128")]
    pub fn load(w: &[u8; 17], at: usize) -> V {
        assert!(at <= 1);
        // SAFETY: 16 bytes from `at <= 1` of 17 are readable; no alignment needed.
        unsafe { v128_load(w.as_ptr().add(at).cast()) }
    }
    #[inline]
    #[target_feature(enable = "simd128")]
    pub fn load16(b: &[u8], at: usize) -> V {
        assert!(at + 16 <= b.len());
        // SAFETY: 16 bytes from `at` are readable (asserted); no alignment needed.
        unsafe { v128_load(b.as_ptr().add(at).cast()) }
    }
    /// Byte-wise wrapping `a - b`.
    #[inline]
    #[target_feature(enable = "simd128")]
    pub fn sub(a: V, b: V) -> V {
        i8x16_sub(a, b)
    }
    /// Byte-wise unsigned minimum.
    #[inline]
    #[target_feature(enable = "simd128")]
    pub fn min(a: V, b: V) -> V {
        u8x16_min(a, b)
    }
    #[inline]
    #[target_feature(enable = "simd128")]
    pub fn splat(c: u8) -> V {
        u8x16_splat(c)
    }
    #[inline]
    #[target_feature(enable = "simd128")]
    pub fn eq(v: V, c: u8) -> V {
        u8x16_eq(v, splat(c))
    }
    #[inline]
    #[target_feature(enable = "simd128")]
    pub fn same(a: V, b: V) -> V {
        u8x16_eq(a, b)
    }
    #[inline]
    #[target_feature(enable = "simd128")]
    pub fn and(a: V, b: V) -> V {
        v128_and(a, b)
    }
    #[inline]
    #[target_feature(enable = "simd128")]
    pub fn or(a: V, b: V) -> V {
        v128_or(a, b)
    }
    /// The top bit of each byte.
    #[inline]
    #[target_feature(enable = "simd128")]
    pub fn bits(v: V) -> u32 {
        u32::from(u8x16_bitmask(v))
    }
    /// Sixteen bytes from an array.
    #[inline]
    #[target_feature(enable = "simd128")]
    pub fn from_array(t: [u8; 16]) -> V {
        let [a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p] = t;
        u8x16(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p)
    }
    /// Each byte of `x` with the ASCII bytes of `set` (see [`nibble_table`]) all ones, the
    /// others zero: two table lookups by nibble (`i8x16.swizzle`) in place of a compare per
    /// byte of the set.
    #[inline]
    #[target_feature(enable = "simd128")]
    pub fn in_set(x: V, table: V) -> V {
        let lo = u8x16_swizzle(table, v128_and(x, splat(0x0f)));
        let hi = u8x16_swizzle(from_array(super::HIGH_NIBBLE), u8x16_shr(x, 4));
        v128_not(u8x16_eq(v128_and(lo, hi), splat(0)))
    }
}

/// Per high nibble `h`, the bit [`nibble_table`] gives it (none for 8..16, the non-ASCII
/// bytes): a byte `c` is in the set when `table[c & 15] & HIGH_NIBBLE[c >> 4] != 0`.
#[cfg(any(test, target_arch = "wasm32"))]
const HIGH_NIBBLE: [u8; 16] = [1, 2, 4, 8, 16, 32, 64, 128, 0, 0, 0, 0, 0, 0, 0, 0];

/// For `in_set` (inside Wasm): per low nibble `l`, bit `h` set when the byte `h << 4 | l`
/// is in `set` (ASCII bytes only).
#[cfg(any(test, target_arch = "wasm32"))]
pub const fn nibble_table(set: &[u8]) -> [u8; 16] {
    let mut t = [0u8; 16];
    let mut k = 0;
    while k < set.len() {
        let c = set[k];
        assert!(c < 0x80, "ASCII bytes only");
        t[(c & 0x0f) as usize] |= 1 << (c >> 4);
        k += 1;
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`positions_of`] offers every position of its bytes, in order, until `at` holds,
    /// for hays of every length up to 70 and sets of one to three bytes.
    #[test]
    fn positions_are_every_position_in_order() {
        fn check<const N: usize>(hay: &[u8], bytes: [u8; N], stop: usize) -> usize {
            let want: Vec<usize> = (0..hay.len())
                .filter(|&k| bytes.contains(&hay[k]))
                .take(stop)
                .collect();
            let mut got = Vec::new();
            let held = positions_of(hay, bytes, |k| {
                got.push(k);
                got.len() == stop
            });
            assert_eq!(got, want, "{hay:?} {bytes:?} {stop}");
            assert_eq!(held, want.len() == stop, "{hay:?} {bytes:?} {stop}");
            if N == 1 {
                let mut one = Vec::new();
                positions(hay, bytes[0], |k| {
                    one.push(k);
                    one.len() == stop
                });
                assert_eq!(one, want);
            }
            want.len()
        }
        let alphabet = b"abcxyz\x00\xff";
        let mut next = crate::test_rng::xorshift(0x3c6e_f372_fe94_f82bu64);
        let mut seen = 0;
        for _ in 0..30_000 {
            let hay: Vec<u8> = (0..next(71))
                .map(|_| alphabet[next(alphabet.len())])
                .collect();
            let stop = 1 + next(12);
            seen += check(&hay, [b'a'], stop);
            seen += check(&hay, [b'a', 0xff], stop);
            seen += check(&hay, [b'a', b'b', b'c'], stop);
        }
        assert!(seen > 300_000, "{seen}");
    }

    /// The nibble tables name exactly their set's bytes, for every byte value and sets of
    /// one to all 128 ASCII bytes (`in_set` itself is held to a byte loop inside Wasm by
    /// `assign`'s tests).
    #[test]
    fn nibble_tables_are_the_sets() {
        let all: Vec<u8> = (0..128).collect();
        let sets: [&[u8]; 5] = [
            b"<",
            b"\"\\\r\n",
            b" \t\n\r\x0b\x0c\"'`,;&<>(){}[]\\",
            b"\x00\x7f",
            &all,
        ];
        for set in sets {
            let t = nibble_table(set);
            for c in 0..=255u8 {
                let member = t[usize::from(c & 15)] & HIGH_NIBBLE[usize::from(c >> 4)] != 0;
                assert_eq!(member, set.contains(&c), "{set:?} {c}");
            }
        }
    }

    /// [`find`] is the first match of a plain search, for hays of every length up to 70
    /// (either side of the 16-byte blocks) made of the needles' bytes and their neighbours.
    #[test]
    fn find_is_the_first_match() {
        let needles: [&[u8]; 5] = [b"-----END", b"-----", b"\"", b"--", b""];
        let alphabet = b"-----ENDxE\",.";
        let mut next = crate::test_rng::xorshift(0x2545_f491_4f6c_dd1du64);
        let (mut hits, mut misses) = (0, 0);
        for _ in 0..40_000 {
            let hay: Vec<u8> = (0..next(71))
                .map(|_| alphabet[next(alphabet.len())])
                .collect();
            let needle = needles[next(needles.len())];
            let want = if needle.is_empty() {
                Some(0)
            } else {
                hay.windows(needle.len()).position(|w| w == needle)
            };
            assert_eq!(
                find(&hay, needle),
                want,
                "{:?} {needle:?}",
                hay.escape_ascii().to_string()
            );
            hits += usize::from(want.is_some_and(|k| k > 16));
            misses += usize::from(want.is_none());
        }
        assert!(hits > 1_000 && misses > 5_000, "{hits} {misses}");
    }
}
