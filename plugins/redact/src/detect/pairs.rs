//! Whether a token run holds a two-byte need (`SK` or `AC`, where a Twilio key starts),
//! sixteen positions at a time (SSE2 natively, `simd128` inside Wasm). Looking for either
//! first byte with `memchr` stopped at every `S` and `A` of a base64 run: a fifth of a PEM
//! body's bytes are one of the pair.

/// Whether `run` holds `needs[0]` or `needs[1]`.
pub(super) fn holds(run: &[u8], needs: &[[u8; 2]; 2]) -> bool {
    let at = |i: usize| window(run[i..i + 17].try_into().expect("17 bytes"), needs) != 0;
    if run.len() < 17 {
        return run.windows(2).any(|p| needs.iter().any(|n| p == n));
    }
    // Windows of 17 bytes from the start, then the last 17 (overlapping the one before):
    // the last byte starts no pair, so every pair is in one of them, and nothing is copied.
    (0..run.len() - 16).step_by(16).any(at) || at(run.len() - 17)
}

/// Bit `k` set when position `k` of `w` starts one of `needs` (17 bytes: each position with
/// the byte after it).
fn window(w: &[u8; 17], needs: &[[u8; 2]; 2]) -> u32 {
    #[cfg(any(target_arch = "x86_64", target_arch = "wasm32"))]
    {
        vector::window(w, needs)
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "wasm32")))]
    {
        scalar(w, needs)
    }
}

/// [`window`] a position at a time: the fallback, and what the tests compare with.
#[cfg(any(test, not(any(target_arch = "x86_64", target_arch = "wasm32"))))]
fn scalar(w: &[u8; 17], needs: &[[u8; 2]; 2]) -> u32 {
    (0..16)
        .filter(|&k| needs.contains(&[w[k], w[k + 1]]))
        .fold(0, |m, k| m | 1 << k)
}

#[cfg(any(target_arch = "x86_64", target_arch = "wasm32"))]
mod vector {
    use crate::vector::*;

    /// [`super::window`] sixteen positions at once.
    #[cfg_attr(target_arch = "wasm32", target_feature(enable = "simd128"))]
    pub fn window(w: &[u8; 17], needs: &[[u8; 2]; 2]) -> u32 {
        let (a, b) = (load(w, 0), load(w, 1));
        let pair = |[x, y]: [u8; 2]| and(eq(a, x), eq(b, y));
        bits(or(pair(needs[0]), pair(needs[1])))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs of every length up to 80 from an alphabet of the needs' bytes and their
    /// neighbours: the vector windows and the scan agree with a plain search.
    #[test]
    fn holds_is_a_search() {
        let needs = [*b"SK", *b"AC"];
        let alphabet = b"SKACskacRLBDx0+/-";
        let mut next = crate::test_rng::xorshift(0xa54f_f53a_5f1d_36f1u64);
        let (mut yes, mut no) = (0, 0);
        for _ in 0..50_000 {
            let run: Vec<u8> = (0..next(81))
                .map(|_| alphabet[next(alphabet.len())])
                .collect();
            let want = run.windows(2).any(|p| needs.iter().any(|n| p == n));
            assert_eq!(
                holds(&run, &needs),
                want,
                "{:?}",
                run.escape_ascii().to_string()
            );
            yes += usize::from(want);
            no += usize::from(!want);
            let mut w = [0u8; 17];
            for (k, c) in w.iter_mut().enumerate() {
                *c = run.get(k).copied().unwrap_or_else(|| next(256) as u8);
            }
            assert_eq!(window(&w, &needs), scalar(&w, &needs));
        }
        assert!(yes > 10_000 && no > 10_000, "{yes} {no}");
    }
}
