//! Where a PEM body may hold a filler run (`...`, `xxxx`, `XXXX`): the places where two dots,
//! or two of the same x, stand in a row, sixteen positions at a time (SSE2 natively,
//! `simd128` inside Wasm). A real body has almost none, so [`super::pem`] reads it a vector
//! at a time and measures a run only where one starts.

/// Whether `c` and the byte after it, `n` (0 past the end), are two of a filler byte.
#[cfg(any(test, not(any(target_arch = "x86_64", target_arch = "wasm32"))))]
fn paired(c: u8, n: u8) -> bool {
    c == n && (c == b'.' || c | 0x20 == b'x')
}

/// Bit `k` set when position `i + k` of `b` and the byte after it are two of a filler byte,
/// for the (up to) sixteen positions from `i`; `i < b.len()`.
pub(super) fn pairs(b: &[u8], i: usize) -> u32 {
    crate::vector::windowed(b, i, window)
}

/// The pairs of positions 0..16 of `w` (17 bytes: each position with the byte after it).
fn window(w: &[u8; 17]) -> u32 {
    #[cfg(any(target_arch = "x86_64", target_arch = "wasm32"))]
    {
        vector::window(w)
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "wasm32")))]
    {
        scalar(w)
    }
}

/// [`window`] a position at a time: the fallback, and what the tests compare with.
#[cfg(any(test, not(any(target_arch = "x86_64", target_arch = "wasm32"))))]
fn scalar(w: &[u8; 17]) -> u32 {
    (0..16)
        .filter(|&k| paired(w[k], w[k + 1]))
        .fold(0, |m, k| m | 1 << k)
}

#[cfg(any(target_arch = "x86_64", target_arch = "wasm32"))]
mod vector {
    use crate::vector::*;

    /// [`super::window`] sixteen positions at once: a byte equal to the next that is a dot
    /// or, with bit 5 set (which folds only `X` onto `x`), an x.
    #[cfg_attr(target_arch = "wasm32", target_feature(enable = "simd128"))]
    pub fn window(w: &[u8; 17]) -> u32 {
        let (a, b) = (load(w, 0), load(w, 1));
        let filler = or(eq(a, b'.'), eq(or(a, splat(0x20)), b'x'));
        bits(and(filler, same(a, b)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vector pairs are the definition's at every position, for windows of dots, both
    /// x, their neighbours in the byte order and under bit 5 (`8`, `Y`, `y`, `\x18`, `\x0e`),
    /// and of every byte value.
    #[test]
    fn vector_pairs_are_the_definition() {
        let alphabet = b"..xxXX8Yy\x18\x0e\x58\x78A/+=";
        let mut next = crate::test_rng::xorshift(0x6a09_e667_f3bc_c908u64);
        let mut seen = 0;
        for round in 0..100_000 {
            let w = crate::test_rng::window(&mut next, alphabet, round);
            assert_eq!(window(&w), scalar(&w), "{w:?}");
            seen += scalar(&w).count_ones();
        }
        assert!(seen > 50_000, "{seen}");
    }
}
