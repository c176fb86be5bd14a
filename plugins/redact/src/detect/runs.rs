//! Rules gated on runs (numeric, `[A-Za-z0-9_.-]`): tried at each byte of a run where a
//! match can start, by the rule's token shape or hand matcher instead of its regex.

use super::{Detector, Hay, NotUtf8, Scratch};
use crate::matchers::Matcher;
use crate::rules::{Shape, shape};
use crate::vector;

impl Detector {
    /// Rule `i`, matched by its token shape, over the `[A-Za-z0-9_.-]` run `lo..hi`: what
    /// [`Detector::window`] finds there. A match starts with a prefix's first byte, and the
    /// run-gated shapes read only the run's bytes (`tests/token_shapes.rs` checks), so it lies
    /// in the run: the shape is tried at each such byte, leftmost first, which is the
    /// window's search without the regex engine.
    // Kept out of `run`, whose loops every string with a token run goes through.
    #[inline(never)]
    pub(super) fn shaped_run(
        &self,
        i: usize,
        shape: Shape,
        lo: usize,
        hi: usize,
        hay: &mut Hay<'_>,
        scratch: &mut Scratch,
    ) -> Result<(), NotUtf8> {
        let b = hay.bytes;
        let firsts = &self.shape_firsts[i];
        let mut p = lo.max(scratch.done[i]);
        while p < hi {
            let Some(k) = first_of(&b[p..hi], firsts) else {
                break;
            };
            p += k;
            match shape::match_at(shape, b, p) {
                Some(e) => {
                    self.found(i, [p, e, p, e], hay, scratch)?;
                    p = e;
                }
                None => p += 1,
            }
        }
        Ok(())
    }

    /// Rule `i`, read by its hand matcher, over the numeric run `lo..hi`: what
    /// [`Detector::window`] finds there. The run-gated matchers' patterns start with
    /// `\b[0-9]` or `\+` (`tests/rule_matchers/` checks), so a match starts at a digit
    /// after a non-word byte or at a `+`: the matcher is tried at each, leftmost first. A
    /// match reaching past the run (runs are whole, so none does), or a matcher that needs
    /// the text, leaves the rest of the run to the regex.
    #[inline(never)]
    pub(super) fn matched_run(
        &self,
        i: usize,
        matcher: Matcher,
        lo: usize,
        hi: usize,
        hay: &mut Hay<'_>,
        scratch: &mut Scratch,
    ) -> Result<(), NotUtf8> {
        let b = hay.bytes;
        let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
        let mut p = lo.max(scratch.done[i]);
        while p < hi {
            if b[p].is_ascii_digit() && (p == 0 || !word(b[p - 1])) || b[p] == b'+' {
                match matcher.match_bytes(b, p) {
                    Some(Ok(None)) => {}
                    Some(Ok(Some(m))) if m[1] <= hi => {
                        self.found(i, m, hay, scratch)?;
                        p = m[1];
                        continue;
                    }
                    _ => return self.window(i, p, hi, hay, scratch),
                }
            }
            p += 1;
        }
        Ok(())
    }
}

/// The first position in `hay` of one of `firsts`. Inside Wasm the bytes are looked for
/// sixteen at a time ([`vector::positions_of`]): `memchr3` reads a word at a time there,
/// and searching the token runs of secret-dense text with it was 1 % of the scan. Natively
/// `memchr` (AVX2) is the faster.
fn first_of(hay: &[u8], firsts: &[u8]) -> Option<usize> {
    if cfg!(target_arch = "wasm32") {
        return first_of_vector(hay, firsts);
    }
    match *firsts {
        [x] => memchr::memchr(x, hay),
        [x, y] => memchr::memchr2(x, y, hay),
        [x, y, z] => memchr::memchr3(x, y, z, hay),
        _ => hay.iter().position(|c| firsts.contains(c)),
    }
}

/// [`first_of`] inside Wasm: [`vector::positions_of`] up to the first position.
fn first_of_vector(hay: &[u8], firsts: &[u8]) -> Option<usize> {
    let mut first = None;
    let mut at = |k: usize| {
        first = Some(k);
        true
    };
    match *firsts {
        [x] => vector::positions_of(hay, [x], &mut at),
        [x, y] => vector::positions_of(hay, [x, y], &mut at),
        [x, y, z] => vector::positions_of(hay, [x, y, z], &mut at),
        _ => return hay.iter().position(|c| firsts.contains(c)),
    };
    first
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vector search for a shape's first bytes finds what `memchr` finds, for one to
    /// four bytes over hays of every length up to 70.
    #[test]
    fn first_of_vector_is_memchr() {
        let alphabet = b"abcdxyz-_";
        let mut next = crate::test_rng::xorshift(0xa54f_f53a_5f1d_36f1u64);
        let (mut some, mut late) = (0, 0);
        for _ in 0..50_000 {
            let hay: Vec<u8> = (0..next(71))
                .map(|_| alphabet[next(alphabet.len())])
                .collect();
            let firsts = &b"abcd"[..1 + next(4)];
            let want = hay.iter().position(|c| firsts.contains(c));
            assert_eq!(first_of_vector(&hay, firsts), want, "{hay:?} {firsts:?}");
            assert_eq!(first_of(&hay, firsts), want, "{hay:?} {firsts:?}");
            some += usize::from(want.is_some());
            late += usize::from(want.is_some_and(|k| k >= 16));
        }
        assert!(some > 20_000 && late > 1_000, "{some} {late}");
    }
}
