//! Where in a value a placeholder sign may start, sixteen positions at a time: the byte pairs
//! [`super::shape_or_reference`] would look at further (a marker word's first two letters,
//! two bytes of a filler run), the bytes a code reference is found by, and non-ASCII bytes.
//!
//! A real secret has almost none of them, so the scan reads a value a vector at a time
//! (SSE2 natively, `simd128` inside Wasm) instead of a byte at a time through a table: that
//! loop was most of what confirming a token or a `password=` value cost. A position marked
//! here is then judged by the same code as before; an unmarked one is one that code would
//! have stepped over, which `tests` hold the vector code to, pair by pair.

/// Whether the pair `c`, `n` (`n` the next byte, 0 past the end) is worth a look at `c`:
/// the definition the vector code implements.
#[cfg(any(test, not(any(target_arch = "x86_64", target_arch = "wasm32"))))]
fn marked(c: u8, n: u8, refs: bool) -> bool {
    use super::{SECOND, SHAPE};
    match SHAPE[usize::from(c)] {
        // A filler run of one byte is never long enough; a dot may be a reference's.
        1 => n == c || refs && c == b'.',
        2 => n | 0x20 == SECOND[usize::from(c)],
        8 => refs,
        4 => true,
        _ => false,
    }
}

/// Bit `k` set when position `i + k` of `b` is `marked`, for the (up to) sixteen positions
/// from `i`; `i < b.len()`.
pub(super) fn marks<const REFS: bool>(b: &[u8], i: usize) -> u32 {
    // Past the end the bytes read as 0, as [`marked`] has them.
    crate::vector::windowed(b, i, window::<REFS>)
}

/// The marks of positions 0..16 of `w` (17 bytes: each position with the byte after it).
fn window<const REFS: bool>(w: &[u8; 17]) -> u32 {
    #[cfg(any(target_arch = "x86_64", target_arch = "wasm32"))]
    {
        vector::window::<REFS>(w)
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "wasm32")))]
    {
        scalar::<REFS>(w)
    }
}

/// [`window`] a position at a time: the fallback, and what the tests compare with.
#[cfg(any(test, not(any(target_arch = "x86_64", target_arch = "wasm32"))))]
fn scalar<const REFS: bool>(w: &[u8; 17]) -> u32 {
    (0..16)
        .filter(|&k| marked(w[k], w[k + 1], REFS))
        .fold(0, |m, k| m | 1 << k)
}

/// The vector [`window`]: `a` is each position's byte, `b` the byte after it, `la` and `lb`
/// the same with bit 5 set (which folds exactly the ASCII letters' case, and so compares
/// letters case-insensitively; non-letters are compared in `a` as they are).
#[cfg(any(target_arch = "x86_64", target_arch = "wasm32"))]
mod vector {
    use crate::vector::*;

    /// [`super::window`] sixteen positions at once.
    #[cfg_attr(target_arch = "wasm32", target_feature(enable = "simd128"))]
    pub fn window<const REFS: bool>(w: &[u8; 17]) -> u32 {
        let (a, b) = (load(w, 0), load(w, 1));
        let (la, lb) = (or(a, splat(0x20)), or(b, splat(0x20)));
        // `SECOND`'s pairs: example, placeholder, your_, dummy, sample, redacted.
        let pair = |x: u8, y: u8| and(eq(la, x), eq(lb, y));
        let words = or(
            or(pair(b'e', b'x'), pair(b'p', b'l')),
            or(
                or(pair(b'y', b'o'), pair(b'd', b'u')),
                or(pair(b's', b'a'), pair(b'r', b'e')),
            ),
        );
        // Two bytes of a filler run: `x` or `X`, `#`, `*`, `.`, `0`.
        let filler = or(
            or(eq(la, b'x'), eq(a, b'#')),
            or(eq(a, b'*'), or(eq(a, b'.'), eq(a, b'0'))),
        );
        let mut m = or(words, and(filler, same(a, b)));
        if REFS {
            m = or(
                m,
                or(or(eq(a, b'.'), eq(a, b'(')), or(eq(a, b'['), eq(a, b':'))),
            );
        }
        // Non-ASCII bytes: their own top bit.
        bits(or(m, a))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vector marks are the pair definition's at every position, for windows of the bytes
    /// that matter (both cases of every marker letter, the fillers, `.([:`, their neighbours
    /// in the byte order and under bit 5, non-ASCII) and of every byte value.
    #[test]
    fn vector_marks_are_the_pairs() {
        let mut alphabet: Vec<u8> =
            b"exXplLyYoOdDuUsSaArReE#*.0([:]@`\x03\x0e\x05\x18\x10\x1a \x7f".to_vec();
        alphabet.extend([0x80, 0xc3, 0xe2, 0xff, 0x00]);
        let mut next = crate::test_rng::xorshift(0x9e37_79b9_7f4a_7c15u64);
        let mut seen = 0;
        for round in 0..200_000 {
            let w = crate::test_rng::window(&mut next, &alphabet, round);
            assert_eq!(window::<false>(&w), scalar::<false>(&w), "{w:?}");
            assert_eq!(window::<true>(&w), scalar::<true>(&w), "{w:?}");
            seen += scalar::<false>(&w).count_ones();
        }
        assert!(seen > 100_000, "{seen}");
    }

    /// Near the end, the bytes past it read as 0 and their positions are not marked.
    #[test]
    fn marks_near_the_end() {
        let b = b"xx..ex(:\xc3\xa9abcdefghijklmnopqrstuvwxyz.xx";
        for i in 0..b.len() {
            let want = (i..b.len().min(i + 16))
                .filter(|&p| marked(b[p], b.get(p + 1).copied().unwrap_or(0), true))
                .fold(0u32, |m, p| m | 1 << (p - i));
            assert_eq!(marks::<true>(b, i), want, "{i}");
        }
    }
}
