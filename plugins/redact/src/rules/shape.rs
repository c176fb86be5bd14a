//! Matchers without a regex for tokens of a fixed shape: a vendor prefix, then runs of a
//! byte class and literals, then (usually) a word boundary (`\bghp_[A-Za-z0-9]{36,251}\b`).
//!
//! Most built-in token rules are exactly such a pattern. At an anchor a regex search costs a
//! call into `regex-automata` (input set-up, the lazy DFA's loop, its cache), several hundred
//! cycles even when the token is 40 bytes; reading the shape directly costs a loop over the
//! token's bytes. A rule's [`Shape`] is written next to its pattern and must mean the same:
//! `tests/token_shapes.rs` compares the two at every position of the corpus and of generated
//! strings, and the detector's equivalence test compares whole scans.
//!
//! The matcher follows the regex's own preference (leftmost-first, greedy): alternatives and
//! prefixes in the pattern's order, each run as long as it can be, then shorter, until the
//! rest of the pattern fits. Runs are bounded by what follows them (a class never holds the
//! literal after it in these patterns), so this costs a pass over the token, not a search.

/// The most ranges (`a-z` or single bytes) a [`Class`] is written with.
const MAX_RANGES: usize = 6;

/// A set of ASCII bytes, as two 64-bit words (a `u128` shift is a library call in Wasm),
/// and as the ranges it was written with (for [`run_len`], sixteen bytes at a time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Class {
    bits: [u64; 2],
    /// `(first, last - first)` of each range, the last one repeated up to [`MAX_RANGES`].
    ranges: [(u8, u8); MAX_RANGES],
}

impl Class {
    /// The bytes a bracket expression's body names: ranges `a-z` and single bytes; a `-`
    /// first or last is literal (`A-Za-z0-9_-`).
    pub const fn of(spec: &str) -> Class {
        let s = spec.as_bytes();
        let mut bits = [0u64; 2];
        let mut ranges = [(0u8, 0u8); MAX_RANGES];
        let mut n = 0;
        let mut i = 0;
        while i < s.len() {
            let lo = s[i];
            let (lo, hi, step) = if i + 2 < s.len() && s[i + 1] == b'-' {
                (lo, s[i + 2], 3)
            } else {
                (lo, lo, 1)
            };
            assert!(lo <= hi && hi < 128, "ASCII ranges only");
            assert!(n < MAX_RANGES, "at most MAX_RANGES ranges");
            ranges[n] = (lo, hi - lo);
            n += 1;
            let mut c = lo;
            while c <= hi {
                bits[(c >> 6) as usize] |= 1 << (c & 63);
                c += 1;
            }
            i += step;
        }
        assert!(n > 0, "an empty class");
        while n < MAX_RANGES {
            ranges[n] = ranges[n - 1];
            n += 1;
        }
        Class { bits, ranges }
    }

    /// Whether `c` is in the set.
    #[inline]
    pub fn has(self, c: u8) -> bool {
        c < 128 && self.bits[usize::from(c >> 6)] >> (c & 63) & 1 == 1
    }
}

/// How many bytes from `pos` are in `class`, at most `limit`: sixteen at a time where the
/// string has them (each range is two compares), then byte by byte. Reading token runs a
/// byte at a time through [`Class::has`] was most of what matching a token shape cost.
pub fn run_len(class: Class, b: &[u8], pos: usize, limit: usize) -> usize {
    let mut n = 0;
    #[cfg(any(target_arch = "x86_64", target_arch = "wasm32"))]
    while n < limit && pos + n + 16 <= b.len() {
        let ones = vector::in_class(class, b, pos + n).trailing_ones() as usize;
        n += ones;
        if ones < 16 {
            return n.min(limit);
        }
    }
    while n < limit && class.has(b[pos + n]) {
        n += 1;
    }
    n.min(limit)
}

#[cfg(any(target_arch = "x86_64", target_arch = "wasm32"))]
mod vector {
    use super::{Class, MAX_RANGES};
    use crate::vector::*;

    /// Bit `k` set when `b[at + k]` is in `class`, for `at + 16 <= b.len()`: a byte `c` is
    /// in `first..=first + span` when `c - first` (wrapping) is at most `span`.
    #[cfg_attr(target_arch = "wasm32", target_feature(enable = "simd128"))]
    pub fn in_class(class: Class, b: &[u8], at: usize) -> u32 {
        let x = load16(b, at);
        let mut m = splat(0);
        for k in 0..MAX_RANGES {
            let (first, span) = class.ranges[k];
            let d = sub(x, splat(first));
            m = or(m, same(min(d, splat(span)), d));
        }
        bits(m) & 0xffff
    }
}

/// `[A-Za-z0-9]`.
pub const ALNUM: Class = Class::of("A-Za-z0-9");
/// `[A-Za-z0-9_]`.
pub const ALNUM_US: Class = Class::of("A-Za-z0-9_");
/// `[A-Za-z0-9-]`.
pub const ALNUM_DASH: Class = Class::of("A-Za-z0-9-");
/// `[A-Za-z0-9_-]`.
pub const WORD_DASH: Class = Class::of("A-Za-z0-9_-");
/// `[0-9]`.
pub const DIGIT: Class = Class::of("0-9");
/// `[a-f0-9]` (lower-case hex).
pub const HEX: Class = Class::of("a-f0-9");

/// No upper bound on a run (`{m,}`).
pub const ANY: u32 = u32::MAX;

/// One piece of an alternative after its prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Exactly these bytes.
    Lit(&'static str),
    /// `class{min,max}`, greedy ([`ANY`]: unbounded).
    Run(Class, u32, u32),
}

/// One alternative of a pattern: `\b`, one of `prefixes` (in the pattern's order), the
/// parts, and a final `\b` when `end`. Every prefix starts with a word byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alt {
    /// The literal starts; each begins with an ASCII letter or digit.
    pub prefixes: &'static [&'static str],
    /// What follows the prefix.
    pub parts: &'static [Part],
    /// Whether the pattern ends with `\b`.
    pub end: bool,
}

/// A whole pattern: its alternatives, in order.
pub type Shape = &'static [Alt];

/// An ASCII word byte (`(?-u:\w)`), what the patterns' ASCII `\b` looks at.
#[inline]
fn word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Where the match of `shape` starting exactly at `at` ends, as an anchored search of the
/// pattern from `at` would say (`None`: no match starts there).
pub fn match_at(shape: &[Alt], b: &[u8], at: usize) -> Option<usize> {
    // The leading `\b`: every prefix starts with a word byte, so the byte before must not be one.
    if at > 0 && word(b[at - 1]) {
        return None;
    }
    let rest = b.get(at..)?;
    for alt in shape {
        for p in alt.prefixes {
            if starts_with(rest, p.as_bytes())
                && let Some(e) = parts(alt, 0, b, at + p.len())
            {
                return Some(e);
            }
        }
    }
    None
}

/// The end of a match of `alt.parts[k..]` (and the final boundary) from `pos`.
fn parts(alt: &Alt, k: usize, b: &[u8], pos: usize) -> Option<usize> {
    let Some(part) = alt.parts.get(k) else {
        return (!alt.end || boundary(b, pos)).then_some(pos);
    };
    match *part {
        Part::Lit(lit) => {
            if starts_with(&b[pos..], lit.as_bytes()) {
                parts(alt, k + 1, b, pos + lit.len())
            } else {
                None
            }
        }
        Part::Run(class, min, max) => {
            let limit = (b.len() - pos).min(max as usize);
            let n = run_len(class, b, pos, limit);
            // Longest first, as the greedy repetition prefers.
            (min as usize..=n)
                .rev()
                .find_map(|len| parts(alt, k + 1, b, pos + len))
        }
    }
}

/// Whether `rest` starts with `lit` (a prefix or a literal part). Inside Wasm the bytes are
/// compared in place ([`compare_in_place`]): `<[u8]>::starts_with` calls `memcmp` for a
/// length known only at run time, and wasi-libc's `memcmp` is a byte loop behind a call,
/// dearer than the few bytes compared (most prefixes fail at their first or second).
/// Natively `memcmp` is the cheaper.
#[inline]
fn starts_with(rest: &[u8], lit: &[u8]) -> bool {
    if cfg!(target_arch = "wasm32") {
        compare_in_place(rest, lit)
    } else {
        rest.starts_with(lit)
    }
}

/// [`starts_with`] a byte at a time, without a call.
#[inline]
fn compare_in_place(rest: &[u8], lit: &[u8]) -> bool {
    rest.len() >= lit.len() && lit.iter().zip(rest).all(|(x, y)| x == y)
}

/// `\b` at `pos` (`pos > 0`: a prefix precedes it).
#[inline]
fn boundary(b: &[u8], pos: usize) -> bool {
    word(b[pos - 1]) != b.get(pos).copied().is_some_and(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_read_ranges_and_literal_dashes() {
        let c = Class::of("A-Za-z0-9_-");
        assert!(c.has(b'A') && c.has(b'z') && c.has(b'5') && c.has(b'_') && c.has(b'-'));
        assert!(!c.has(b'.') && !c.has(b' ') && !c.has(0xc3));
        assert!(HEX.has(b'f') && !HEX.has(b'g') && !HEX.has(b'A'));
    }

    /// The vector run length is the byte-by-byte one, for classes of one to six ranges
    /// (their edges and the bytes next to them, non-ASCII) at every start and limit.
    #[test]
    fn run_lengths_are_byte_by_byte() {
        let classes = [
            ALNUM,
            ALNUM_US,
            WORD_DASH,
            DIGIT,
            HEX,
            Class::of("A-Za-z0-9_=-"),
            Class::of("A-Za-z0-9+/="),
            Class::of("A-Z2-7"),
            Class::of("a-z"),
        ];
        let alphabet = b"@AZ[`az{/09:_-=+.27 \x7f\x80\xc3\xff";
        let mut next = crate::test_rng::xorshift(0x1f83_d9ab_fb41_bd6bu64);
        let mut long = 0;
        for _ in 0..20_000 {
            let class = classes[next(classes.len())];
            let len = next(70);
            let b = crate::test_rng::mostly(&mut next, len, b"Ab9", alphabet, 5);
            for pos in 0..=len {
                let limit = (len - pos).min([5, 16, 36, 251][next(4)]);
                let mut want = 0;
                while want < limit && class.has(b[pos + want]) {
                    want += 1;
                }
                assert_eq!(
                    run_len(class, &b, pos, limit),
                    want,
                    "{class:?} {b:?} {pos}"
                );
                long += usize::from(want >= 16);
            }
        }
        assert!(long > 10_000, "{long}");
    }

    /// The in-place compare is `<[u8]>::starts_with`, at every position of generated
    /// strings, for literals of zero to eleven bytes.
    #[test]
    fn compare_in_place_is_starts_with() {
        let lits: [&[u8]; 6] = [b"", b"g", b"gh", b"ghp_", b"github_pat_", b"xoxb-"];
        let mut next = crate::test_rng::xorshift(0x510e_527f_ade6_82d1u64);
        let mut yes = 0;
        for _ in 0..5_000 {
            let b: Vec<u8> = (0..next(30)).map(|_| b"ghp_ithubxo-a"[next(13)]).collect();
            for at in 0..=b.len() {
                for lit in lits {
                    let want = b[at..].starts_with(lit);
                    assert_eq!(compare_in_place(&b[at..], lit), want, "{b:?} {at} {lit:?}");
                    assert_eq!(starts_with(&b[at..], lit), want, "{b:?} {at} {lit:?}");
                    yes += usize::from(want && !lit.is_empty());
                }
            }
        }
        assert!(yes > 5_000, "{yes}");
    }

    #[test]
    fn greedy_runs_give_back_for_the_boundary() {
        // `\bx_[a-f0-9]{2,4}-?\b` has no `-?`, but `[a-f0-9-]{2,4}\b` gives back a dash.
        const S: &[Alt] = &[Alt {
            prefixes: &["x_"],
            parts: &[Part::Run(Class::of("a-f0-9-"), 2, 4)],
            end: true,
        }];
        assert_eq!(match_at(S, b"x_ab- ", 0), Some(4));
        assert_eq!(match_at(S, b"x_abcd", 0), Some(6));
        assert_eq!(match_at(S, b"x_abcde", 0), None);
        assert_eq!(match_at(S, b"ax_abcd", 1), None);
        assert_eq!(match_at(S, b"-x_abcd", 1), Some(7));
    }
}
