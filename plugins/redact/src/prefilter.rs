//! The pass over a string that decides which rules can match.
//!
//! - **Anchors**, one loop over every byte: each anchor literal (ASCII, any case; a `$`
//!   suffix means it must end a key name, see [`ends_name`]) is keyed by its rarest
//!   three-byte group; the hash of the last three (lower-cased) bytes indexes a 64 Ki-bit
//!   set (8 KiB, stays in L1), and only on a hit are the anchors with that key compared. That
//!   is a handful of instructions per byte; the Aho-Corasick automaton it replaced cost a
//!   dependent table walk per byte and was the largest cost on clean text (and Wasm has no
//!   SIMD to make up for it).
//! - **Shape**, for the rules without a literal (numbers, Discord and Twilio tokens, IBANs):
//!   a run of at least `n` bytes of a class contains one of every `n`-th byte, so only those
//!   are looked at, and a run is measured only when one of them falls in it.

use crate::detect::MAX_RULES;
use crate::rules::Gate;
use crate::shape::{DOT, NUM, Shape, TABLE, UPPER, WORD, longest};

/// Frequent groups in English text and code: never chosen as a key when the anchor has a
/// rarer one.
const COMMON: &[&str] = &[
    "the", "and", "ing", "ion", "tio", "ent", "ati", "for", "her", "ter", "hat", "tha", "ere",
    "ate", "his", "con", "res", "ver", "all", "ons", "nce", "men", "ith", "ted", "ers", "pro",
    "thi", "wit", "are", "ess", "not", "ive", "was", "ect", "rea", "com", "eve", "per", "int",
    "est", "sta", "cti", "ica", "ist", "ear", "ain", "one", "our", "iti", "rat", "ess", "sec",
    "ase", "ass", "ack", "cce", "acc", "ces", "str", "rin", "pri", "ice", "ici", "api", "put",
    "lic", "sto", "enc", "pas", "/ap", "ion", "ser", "use", "sig", "acc", "cli", "mas", "sub",
    "log", "coo", "bas", "bea", "aut", "sec",
];

/// Hash of three lower-case bytes (in the low 24 bits) to a 16-bit key.
fn key(group: u32) -> u16 {
    (group.wrapping_mul(0x9E37_79B1) >> 16) as u16
}

/// Bytes that may follow an anchor written with a `$` suffix: what ends a key name before
/// its value (`token=`, `token:`, `"token"`, `token>`, `token x`).
fn ends_name(c: u8) -> bool {
    matches!(c, b'"' | b'\'' | b'\\' | b' ' | b'\t' | b':' | b'=' | b'>')
}

#[derive(Debug, Clone)]
struct Anchor {
    /// Lower-case bytes.
    lit: Box<[u8]>,
    /// Must be followed by a byte that [`ends_name`] (`$` suffix).
    name: bool,
    /// Where the key group starts in `lit`.
    key_at: usize,
    rules: u128,
}

/// What the pass found: candidate rules, where each was first anchored, and the shape.
#[derive(Debug)]
pub struct Pass<'f> {
    /// Rules whose anchor occurs.
    pub anchored: u128,
    /// Per rule: the start of its first anchor occurrence; meaningful for `anchored` rules
    /// only (it is never cleared, so a pass costs nothing for the rules it does not see).
    pub first: &'f mut [u32; MAX_RULES],
    /// The shape.
    pub shape: Shape,
}

/// The anchor index and the shape thresholds.
#[derive(Debug, Clone)]
pub struct Prefilter {
    bits: Box<[u64; 1024]>,
    /// `(key, anchor)` sorted by key, and where each key's high byte starts in it.
    keys: Vec<(u16, u32)>,
    by_high: Box<[u16; 257]>,
    anchors: Vec<Anchor>,
    /// Rules anchored on a single byte (`@`), found with a `memchr` search of their own.
    single: Vec<(char, u128)>,
    /// Per class (word, dot, upper, num): the smallest threshold a gate uses, 0 if none.
    steps: [u32; 4],
}

impl Prefilter {
    /// Indexes `(literal, rules)` pairs (ASCII, matched case-insensitively), and takes the
    /// shape thresholds from `gates`.
    pub fn new(literals: &[(&str, u128)], gates: impl Iterator<Item = Gate>) -> Prefilter {
        let mut bits = Box::new([0u64; 1024]);
        let mut single: Vec<(char, u128)> = Vec::new();
        let (mut anchors, mut keys) = (Vec::new(), Vec::new());
        for &(lit, rules) in literals {
            let name = lit.len() > 1 && lit.ends_with('$');
            let lit = lit.trim_end_matches('$').to_ascii_lowercase().into_bytes();
            if lit.len() < 3 {
                // Only `@` is this short; a two-byte anchor would need its own loop.
                assert_eq!(lit.len(), 1, "anchors are one byte or at least three");
                for c in [lit[0], lit[0].to_ascii_uppercase()] {
                    match single.iter_mut().find(|(b, _)| *b == char::from(c)) {
                        Some((_, r)) => *r |= rules,
                        None => single.push((char::from(c), rules)),
                    }
                }
                continue;
            }
            let commonness = |g: &[u8]| COMMON.iter().any(|c| c.as_bytes() == g);
            let key_at = (0..lit.len() - 2)
                .find(|&k| !commonness(&lit[k..k + 3]))
                .unwrap_or(0);
            let group = lit[key_at..key_at + 3]
                .iter()
                .fold(0u32, |g, &c| g << 8 | u32::from(c));
            let k = key(group);
            bits[usize::from(k >> 6)] |= 1 << (k & 63);
            keys.push((k, anchors.len() as u32));
            anchors.push(Anchor {
                lit: lit.into_boxed_slice(),
                name,
                key_at,
                rules,
            });
        }
        keys.sort_unstable();
        let mut by_high = Box::new([0u16; 257]);
        for (h, slot) in by_high.iter_mut().enumerate() {
            *slot = keys.partition_point(|&(k, _)| usize::from(k >> 8) < h) as u16;
        }
        let mut steps = [0u32; 4];
        for gate in gates {
            let (i, n) = match gate {
                Gate::Run(n) => (0, n),
                Gate::DotRun(n) => (1, n),
                Gate::UpperRun(n) => (2, n),
                Gate::NumRun(n) => (3, n),
                _ => continue,
            };
            let n = n.max(1);
            steps[i] = if steps[i] == 0 { n } else { steps[i].min(n) };
        }
        Prefilter {
            bits,
            keys,
            by_high,
            anchors,
            single,
            steps,
        }
    }

    /// The pass over `text`; numeric runs with enough digits for a number rule go into `runs`
    /// as `(start, end, digits)`.
    pub fn scan<'f>(
        &self,
        text: &str,
        first: &'f mut [u32; MAX_RULES],
        runs: &mut Vec<(usize, usize, u32)>,
    ) -> Pass<'f> {
        let mut pass = Pass {
            anchored: 0,
            first,
            shape: Shape::default(),
        };
        let b = text.as_bytes();
        let mut group = 0u32;
        for (i, &c) in b.iter().enumerate() {
            group = (group << 8 | u32::from(TABLE[c as usize] & 0xff)) & 0xff_ffff;
            let k = key(group);
            if self.bits[usize::from(k >> 6)] >> (k & 63) & 1 != 0 {
                self.verify(k, b, i, &mut pass);
            }
        }
        for &(c, rules) in &self.single {
            if let Some(i) = text.find(c) {
                add(&mut pass, rules, i);
            }
        }
        let [word, dot, upper, num] = self.steps;
        pass.shape.word_run = longest(b, WORD, word, |_, r| r.len() as u32);
        pass.shape.dot_run = longest(b, DOT, dot, |_, r| r.len() as u32);
        pass.shape.upper_run = longest(b, UPPER, upper, |s, r| {
            s[r].iter().filter(|&&c| c != b' ').count() as u32
        });
        pass.shape.num_digits = longest(b, NUM, num, |s, r| {
            let digits = s[r.clone()].iter().filter(|c| c.is_ascii_digit()).count() as u32;
            if digits >= num {
                runs.push((r.start, r.end, digits));
            }
            digits
        });
        pass
    }

    /// A key group ended at `i`: checks every anchor with that key.
    #[cold]
    fn verify(&self, k: u16, b: &[u8], i: usize, pass: &mut Pass<'_>) {
        let h = usize::from(k >> 8);
        let bucket = usize::from(self.by_high[h])..usize::from(self.by_high[h + 1]);
        for &(x, a) in &self.keys[bucket] {
            if x != k {
                continue;
            }
            let a = &self.anchors[a as usize];
            let Some(start) = (i + 1).checked_sub(a.key_at + 3) else {
                continue;
            };
            let end = start + a.lit.len();
            if b.get(start..end)
                .is_some_and(|w| w.eq_ignore_ascii_case(&a.lit))
                && (!a.name || b.get(end).copied().is_some_and(ends_name))
            {
                add(pass, a.rules, start);
            }
        }
    }
}

/// Marks `rules` as anchored, recording `pos` for those seen for the first time.
fn add(pass: &mut Pass<'_>, rules: u128, pos: usize) {
    let mut new = rules & !pass.anchored;
    pass.anchored |= new;
    while new != 0 {
        pass.first[new.trailing_zeros() as usize] = pos as u32;
        new &= new - 1;
    }
}
