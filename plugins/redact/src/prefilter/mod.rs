//! The one pass over a string that decides where rules can match.
//!
//! The string is read 64 bytes at a time by a vector kernel ([`kernel`]: SSSE3 natively,
//! `simd128` inside Wasm, plain Rust elsewhere) that yields four bit masks per block, for up
//! to [`kernel::BATCH`] blocks per call; the work below then runs over the batch's masks (and
//! reads a neighbouring block's masks where a run crosses blocks):
//!
//! - **anchor candidates**: each anchor literal (`ghp_`, `AKIA`, `password$`, `://`, ...) is
//!   represented by a three-byte *fingerprint* inside it, placed in one of 15 buckets
//!   (Teddy; the 16th is the single-byte anchor's): a byte's low and high nibble look up its
//!   bucket bits for each fingerprint position, so 12 table lookups per 16 bytes test every
//!   fingerprint at every position.
//!   Buckets over-approximate (a bucket matches the product of its members' nibble sets),
//!   so a candidate, about 1 % of positions in ordinary text, is verified exactly: its three
//!   bytes are hashed into a 64 Ki-bit set, and on a hit the anchors with that fingerprint
//!   are compared (case-insensitively unless the literal has an upper-case letter; a `$`
//!   suffix means the literal must end a key name, see [`ends_name`]). The single-byte
//!   anchor (`@`) has a bucket of its own that matches it alone; its candidates are checked
//!   by a plain byte compare.
//! - **digits**: numeric runs (`[0-9 ().+-]`) are measured only around digits, for the rules
//!   that need a number of digits in a row (cards, phones, SSNs).
//! - **`[A-Za-z0-9_.-]` runs**: a run of at least 31 bytes covers an aligned 16-byte chunk
//!   whole, so only such chunks start a measurement (Discord and Twilio tokens, which have no
//!   literal).
//! - **`[A-Z]{2}[0-9]{2}`**: where an IBAN can start: digit runs from the digit mask, and the
//!   two bytes before each read directly.
//!
//! Clean text therefore costs the kernel's few instructions per byte and nothing else.

pub mod kernel;
mod plan;

use kernel::{Kernel, Masks, Tables};

use crate::rules::Gate;
use crate::shape::{NUM, TABLE};

/// Frequent groups in English text and code: never chosen as a fingerprint when the
/// anchor has a rarer one (for anchors the generated plan does not know).
const COMMON: &[&str] = &[
    "the", "and", "ing", "ion", "tio", "ent", "ati", "for", "her", "ter", "hat", "tha", "ere",
    "ate", "his", "con", "res", "ver", "all", "ons", "nce", "men", "ith", "ted", "ers", "pro",
    "thi", "wit", "are", "ess", "not", "ive", "was", "ect", "rea", "com", "eve", "per", "int",
    "est", "sta", "cti", "ica", "ist", "ear", "ain", "one", "our", "iti", "rat", "sec", "ase",
    "ass", "ack", "cce", "acc", "ces", "str", "rin", "pri", "ice", "ici", "api", "put", "lic",
    "sto", "enc", "pas", "ser", "use", "sig", "cli", "mas", "sub", "log", "coo", "bas", "bea",
    "aut", "key", "ken", "tok", "ord", "wor", "ret", "cre",
];

/// Hash of three lower-case bytes (in the low 24 bits) to a 16-bit key.
fn key(group: u32) -> u16 {
    (group.wrapping_mul(0x9E37_79B1) >> 16) as u16
}

/// The folded (lower-case) group of the three bytes ending at `i`.
fn group_at(b: &[u8], i: usize) -> u32 {
    let f = |c: u8| u32::from(TABLE[usize::from(c)] & 0xff);
    f(b[i - 2]) << 16 | f(b[i - 1]) << 8 | f(b[i])
}

/// Bytes that may follow an anchor written with a `$` suffix: what ends a key name before
/// its value (`token=`, `token:`, `"token"`, `token>`, `token x`).
pub fn ends_name(c: u8) -> bool {
    matches!(c, b'"' | b'\'' | b'\\' | b' ' | b'\t' | b':' | b'=' | b'>')
}

/// One anchor literal.
#[derive(Debug, Clone)]
struct Anchor {
    /// The literal (lower-case when matched case-insensitively).
    lit: Box<[u8]>,
    /// Matched case-insensitively.
    fold: bool,
    /// Must be followed by a byte that [`ends_name`] (`$` suffix).
    name: bool,
    /// Where its fingerprint starts in `lit`.
    fp: usize,
    /// The rules it gates.
    rules: u128,
    /// `lit` eight bytes at a time: `(bytes, fold, mask)`, `fold` with bit 5 of each letter
    /// matched case-insensitively, `mask` over the literal's bytes (see [`Anchor::at`]).
    words: Box<[(u64, u64, u64)]>,
}

impl Anchor {
    fn new(lit: Vec<u8>, fold: bool, name: bool, fp: usize, rules: u128) -> Anchor {
        let words = lit
            .chunks(8)
            .map(|chunk| {
                let (mut bytes, mut bits, mut mask) = (0u64, 0u64, 0u64);
                for (k, &c) in chunk.iter().enumerate() {
                    bytes |= u64::from(c) << (8 * k);
                    mask |= 0xff << (8 * k);
                    if fold && c.is_ascii_alphabetic() {
                        bits |= 0x20 << (8 * k);
                    }
                }
                (bytes, bits, mask)
            })
            .collect();
        Anchor {
            lit: lit.into_boxed_slice(),
            fold,
            name,
            fp,
            rules,
            words,
        }
    }

    /// Whether the anchor occurs at `start` of `b`. Eight bytes are compared at a time where
    /// the string has them: setting bit 5 of a byte where the literal has a (lower-case)
    /// letter folds exactly that letter's upper case onto it, and other bytes compare as they
    /// are, which is `eq_ignore_ascii_case` (a byte at a time, it was a fifth of what
    /// verifying a candidate cost).
    fn at(&self, b: &[u8], start: usize) -> bool {
        let end = start + self.lit.len();
        let word = |k: usize| {
            let (bytes, fold, mask) = self.words[k];
            let p = start + 8 * k;
            let w = u64::from_le_bytes(b[p..p + 8].try_into().expect("8 bytes"));
            ((w | fold) ^ bytes) & mask == 0
        };
        let same = if b.len() >= start + 8 * self.words.len() {
            // The first word straight-line (most literals have only it, and most candidates
            // that get here fail it), the rest in a loop.
            word(0) && (1..self.words.len()).all(word)
        } else {
            self.at_bytewise(b, start)
        };
        same && (!self.name || b.get(end).copied().is_some_and(ends_name))
    }

    /// The literal's comparison at `start` a byte at a time (near the string's end, and
    /// what the tests compare [`Anchor::at`] with).
    fn at_bytewise(&self, b: &[u8], start: usize) -> bool {
        let Some(w) = b.get(start..start + self.lit.len()) else {
            return false;
        };
        if self.fold {
            w.eq_ignore_ascii_case(&self.lit)
        } else {
            *w == *self.lit
        }
    }
}

/// Everything the pass found in one string. Positions are byte offsets.
#[derive(Debug, Default)]
pub struct Hits {
    /// `(start, anchor)` of every anchor occurrence, by start.
    pub anchors: Vec<(u32, u16)>,
    /// The rules some anchor occurrence names.
    pub anchored: u128,
    /// Numeric runs `(start, end, digits)` with at least the smallest number gate's digits.
    pub runs: Vec<(u32, u32, u32)>,
    /// `[A-Za-z0-9_.-]` runs `(start, end)` at least as long as the smallest run gate.
    pub dots: Vec<(u32, u32)>,
    /// Where `[A-Z]{2}[0-9]{2}` starts.
    pub caps: Vec<u32>,
    /// The kernel's masks of the blocks being read ([`kernel::BATCH`] once used; kept here so
    /// that they are not zeroed for every string, and empty by default so that `Hits` is
    /// free to make).
    batch: Vec<Masks>,
}

impl Hits {
    fn clear(&mut self) {
        self.anchors.clear();
        self.anchored = 0;
        self.runs.clear();
        self.dots.clear();
        self.caps.clear();
    }
}

/// The anchor index and the thresholds of the shape gates.
#[derive(Debug, Clone)]
pub struct Prefilter {
    kernel: Kernel,
    tables: Tables,
    bits: Box<[u64; 1024]>,
    /// `(key, anchor)` sorted by key, and where each key's high byte starts in it.
    keys: Vec<(u16, u32)>,
    by_high: Box<[u16; 257]>,
    anchors: Vec<Anchor>,
    /// Single-byte anchors and their rules.
    single: Vec<(u8, u128)>,
    /// Smallest digit count of a number gate (0: none).
    num_min: u32,
    /// [`run_steps`] of `num_min`.
    num_steps: [u32; 7],
    /// Smallest length of a run gate (0: none).
    dot_min: u32,
    /// Whether a rule starts at `[A-Z]{2}[0-9]{2}`.
    caps: bool,
}

/// A `[A-Za-z0-9_.-]` run this long covers an aligned 16-byte chunk, which the kernel
/// reports; shorter run gates are not supported.
const DOT_MIN: u32 = 31;

impl Prefilter {
    /// Indexes `(literal, rules)` pairs and takes the shape thresholds from `gates`.
    pub fn new(literals: &[(&str, u128)], gates: impl Iterator<Item = Gate>) -> Prefilter {
        Prefilter::with_kernel(literals, gates, Kernel::best())
    }

    /// [`Prefilter::new`] with a given kernel (tests compare them).
    pub fn with_kernel(
        literals: &[(&str, u128)],
        gates: impl Iterator<Item = Gate>,
        kernel: Kernel,
    ) -> Prefilter {
        let mut bits = Box::new([0u64; 1024]);
        let mut single: Vec<(u8, u128)> = Vec::new();
        let (mut anchors, mut keys, mut fingerprints) = (Vec::new(), Vec::new(), Vec::new());
        for &(text, rules) in literals {
            let name = text.len() > 1 && text.ends_with('$');
            let raw = text.trim_end_matches('$');
            let fold = !raw.bytes().any(|c| c.is_ascii_uppercase());
            let lit: Vec<u8> = raw.bytes().collect();
            if lit.len() < 3 {
                assert!(
                    lit.len() == 1 && !name,
                    "anchors are one byte or at least three"
                );
                match single.iter_mut().find(|(b, _)| *b == lit[0]) {
                    Some((_, r)) => *r |= rules,
                    None => single.push((lit[0], rules)),
                }
                continue;
            }
            let (fp, bucket) = plan::PLAN
                .iter()
                .find(|(l, _, _)| *l == text)
                .map_or_else(|| guess(&lit), |&(_, fp, b)| (usize::from(fp), b));
            let set = |c: u8| {
                if fold && c.is_ascii_alphabetic() {
                    vec![c.to_ascii_lowercase(), c.to_ascii_uppercase()]
                } else {
                    vec![c]
                }
            };
            fingerprints.push((bucket, [set(lit[fp]), set(lit[fp + 1]), set(lit[fp + 2])]));
            let group = lit[fp..fp + 3]
                .iter()
                .fold(0u32, |g, &c| g << 8 | u32::from(c.to_ascii_lowercase()));
            let k = key(group);
            bits[usize::from(k >> 6)] |= 1 << (k & 63);
            keys.push((k, anchors.len() as u32));
            anchors.push(Anchor::new(lit, fold, name, fp, rules));
        }
        keys.sort_unstable();
        let mut by_high = Box::new([0u16; 257]);
        for (h, slot) in by_high.iter_mut().enumerate() {
            *slot = keys.partition_point(|&(k, _)| usize::from(k >> 8) < h) as u16;
        }
        let (mut num_min, mut dot_min, mut caps) = (0u32, 0u32, false);
        let least = |cur: u32, n: u32| if cur == 0 { n } else { cur.min(n) };
        for gate in gates {
            match gate {
                Gate::NumRun(n) => num_min = least(num_min, n.max(1)),
                Gate::Run(n) | Gate::DotRun(n) => {
                    assert!(n >= DOT_MIN, "run gates need at least {DOT_MIN} bytes");
                    dot_min = least(dot_min, n);
                }
                Gate::Caps => caps = true,
                Gate::Anchors(_) | Gate::Always => {}
            }
        }
        let tables = Tables::new(
            &fingerprints,
            &single.iter().map(|(b, _)| *b).collect::<Vec<_>>(),
        );
        Prefilter {
            kernel,
            tables,
            bits,
            keys,
            by_high,
            anchors,
            single,
            num_min,
            num_steps: run_steps(num_min),
            dot_min,
            caps,
        }
    }

    /// The rules anchor `a` gates.
    pub fn anchor_rules(&self, a: u16) -> u128 {
        if usize::from(a) < self.anchors.len() {
            self.anchors[usize::from(a)].rules
        } else {
            self.single[usize::from(a) - self.anchors.len()].1
        }
    }

    /// The pass over `text`.
    pub fn scan(&self, text: &[u8], hits: &mut Hits) {
        hits.clear();
        let mut dot_done = 0usize;
        // The numeric run reaching the end of the previous block: (start, digits).
        let mut open: Option<(usize, u32)> = None;
        // The masks of the block before the current batch (zero before the string).
        let mut carried = Masks::default();
        let mut sorted = true;
        hits.batch.resize(kernel::BATCH, Masks::default());
        let batch: &mut [Masks; kernel::BATCH] =
            (&mut hits.batch[..]).try_into().expect("BATCH masks");
        let mut first = 0;
        while first < text.len() {
            let n = kernel::fill(self.kernel, &self.tables, text, first, batch);
            let batch = &batch[..n];
            for (k, &m) in batch.iter().enumerate() {
                let at = first + 64 * k;
                // 16-byte chunks that are all `[A-Za-z0-9_.-]`: bit 15 of each such lane.
                let full = if self.dot_min > 0 {
                    (m.dot & 0x7fff_7fff_7fff_7fff).wrapping_add(0x0001_0001_0001_0001)
                        & m.dot
                        & 0x8000_8000_8000_8000
                } else {
                    0
                };
                if m.cand | m.digit | full == 0 && open.is_none() {
                    // Nothing here (most blocks of prose): no anchor, number or token run.
                    continue;
                }
                // Token runs first: the class mask is not needed past them.
                let mut full = full;
                while full != 0 {
                    let i = at + full.trailing_zeros() as usize - 15;
                    full &= full - 1;
                    if i >= dot_done {
                        dot_done = self.dotted(text, first, batch, k, i, &mut hits.dots);
                    }
                }
                let mut c = m.cand;
                while c != 0 {
                    let i = at + c.trailing_zeros() as usize;
                    c &= c - 1;
                    sorted &= self.verify(text, i, &mut hits.anchors, &mut hits.anchored);
                }
                if m.digit == 0 && open.is_none() {
                    continue;
                }
                if self.num_min > 0 {
                    self.numbers(text, at, m.num, m.digit, &mut open, &mut hits.runs);
                }
                if self.caps {
                    // Two capitals then two digits, ending at bit `e`: digits at e and e-1 and
                    // not at e-2 (the start of a digit run; bits below 0 come from the
                    // previous block), after two bytes of `[A-Za-z_]` (`[A-Za-z0-9_.-]` but
                    // not `[0-9 ().+-]`), which are then read: log text has a digit run
                    // every few bytes, but few follow two letters.
                    let prev = if k > 0 { batch[k - 1] } else { carried };
                    let back = |x: u64, px: u64, k: u32| x << k | px >> (64 - k);
                    let (letters, prev_letters) = (m.dot & !m.num, prev.dot & !prev.num);
                    let mut e = m.digit
                        & back(m.digit, prev.digit, 1)
                        & !back(m.digit, prev.digit, 2)
                        & back(letters, prev_letters, 2)
                        & back(letters, prev_letters, 3);
                    while e != 0 {
                        let end = at + e.trailing_zeros() as usize;
                        e &= e - 1;
                        if end >= 3
                            && text[end - 3].is_ascii_uppercase()
                            && text[end - 2].is_ascii_uppercase()
                        {
                            hits.caps.push((end - 3) as u32);
                        }
                    }
                }
            }
            carried = batch[n - 1];
            first += 64 * n;
        }
        if let Some((start, digits)) = open
            && self.num_min > 0
            && digits >= self.num_min
        {
            hits.runs.push((start as u32, text.len() as u32, digits));
        }
        if !sorted {
            hits.anchors.sort_unstable();
        }
    }

    /// The numeric runs (`[0-9 ().+-]`, mask `num`) of the block at `at` with enough digits
    /// (mask `digit`), found from the masks alone; `open` carries the run that reaches the
    /// block's end into the next block.
    // Inlined into the block loop, where nearly every block of log text calls it: clean
    // text -2 % instructions, prose (which seldom gets here) +0.4 %.
    #[inline]
    fn numbers(
        &self,
        text: &[u8],
        at: usize,
        num: u64,
        digit: u64,
        open: &mut Option<(usize, u32)>,
        runs: &mut Vec<(u32, u32, u32)>,
    ) {
        let mut record = |start: usize, end: usize, digits: u32| {
            if digits >= self.num_min {
                runs.push((start as u32, end as u32, digits));
            }
        };
        // The run continuing from the previous block.
        let mut from = 0;
        if let Some((start, digits)) = open.take() {
            if num == u64::MAX {
                *open = Some((start, digits + digit.count_ones()));
                return;
            }
            let e = (!num).trailing_zeros() as usize;
            record(start, at + e, digits + (digit & below(e)).count_ones());
            from = e;
        }
        // A run that starts at the block's first byte may have begun earlier with blanks,
        // parentheses or signs (only runs with digits are carried): walk back to its start.
        let start = |s: usize| {
            let mut s = at + s;
            if s == at && from == 0 {
                while s > 0 && TABLE[usize::from(text[s - 1])] & NUM != 0 {
                    s -= 1;
                }
            }
            s
        };
        let d = digit & !below(from);
        if d.count_ones() < self.num_min {
            // No run starting here has enough digits yet; only the one reaching the end
            // (which may gain digits in the next block) is kept, if it has digits.
            if num >> 63 == 1 {
                let s = 64 - (!num).leading_zeros() as usize;
                let digits = if s < 64 { (digit >> s).count_ones() } else { 0 };
                if s >= from && digits > 0 {
                    *open = Some((start(s), digits));
                }
            }
            return;
        }
        // A run needs as many bytes as digits, so only runs of `num_min` bytes or more are
        // measured (bit `k` of `long`: bytes `k..k + num_min` are all numeric); the one
        // reaching the block's end is carried instead, when it has digits.
        let gaps = !num;
        let mut long = at_least(num & !below(from), &self.num_steps);
        while long != 0 {
            let k = long.trailing_zeros() as usize;
            let s = 64 - (gaps & below(k)).leading_zeros() as usize;
            let after = gaps >> k;
            if after == 0 {
                break;
            }
            let e = k + after.trailing_zeros() as usize;
            record(
                start(s),
                at + e,
                (digit & below(e) & !below(s)).count_ones(),
            );
            long &= !below(e);
        }
        if num >> 63 == 1 {
            let s = 64 - gaps.leading_zeros() as usize;
            let digits = (digit & !below(s)).count_ones();
            if digits > 0 {
                *open = Some((start(s), digits));
            }
        }
    }

    /// A candidate at `i` (a fingerprint may end there, or a single-byte anchor is there):
    /// records the anchors that really occur. Returns false when a hit starts before the
    /// previous one (the list then needs sorting).
    // Inlined into the block loop natively: the call itself (saving and restoring
    // registers) was about a tenth of what verifying a candidate cost. Not inside Wasm,
    // where the larger loop made Cranelift spill and prose text 1 % slower.
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn verify(&self, b: &[u8], i: usize, found: &mut Vec<(u32, u16)>, anchored: &mut u128) -> bool {
        let mut sorted = true;
        let mut push = |found: &mut Vec<(u32, u16)>, start: usize, a: usize, rules: u128| {
            if found.last().is_some_and(|&(s, _)| s as usize > start) {
                sorted = false;
            }
            found.push((start as u32, a as u16));
            *anchored |= rules;
        };
        // The kernel takes at most one single-byte anchor (`Tables::new`): one compare, not a
        // loop (each loop costs an interruption check per turn inside Wasm).
        if let Some(&(byte, rules)) = self.single.first()
            && b[i] == byte
        {
            push(found, i, self.anchors.len(), rules);
        }
        if i < 2 {
            return sorted;
        }
        let k = key(group_at(b, i));
        if self.bits[usize::from(k >> 6)] >> (k & 63) & 1 == 0 {
            return sorted;
        }
        let h = usize::from(k >> 8);
        let bucket = usize::from(self.by_high[h])..usize::from(self.by_high[h + 1]);
        for &(x, a) in &self.keys[bucket] {
            if x != k {
                continue;
            }
            let anchor = &self.anchors[a as usize];
            let Some(start) = (i + 1).checked_sub(anchor.fp + 3) else {
                continue;
            };
            if anchor.at(b, start) {
                push(found, start, a as usize, anchor.rules);
            }
        }
        sorted
    }

    /// Measures the `[A-Za-z0-9_.-]` run covering the chunk at `i` (in block `k` of the
    /// batch of blocks starting at byte `first`), records it when long enough and returns its
    /// end. Its ends are read from the batch's class masks (long base64 runs, PEM bodies and
    /// tokens made a byte-by-byte walk 3 % of secret-dense text), and byte by byte only past
    /// the batch.
    fn dotted(
        &self,
        text: &[u8],
        first: usize,
        batch: &[Masks],
        k: usize,
        i: usize,
        dots: &mut Vec<(u32, u32)>,
    ) -> usize {
        let at = first + 64 * k;
        let after = i - at + 16;
        let mut e = if after < 64 {
            at + after + (batch[k].dot >> after).trailing_ones() as usize
        } else {
            at + 64
        };
        // The run reaches the end of block `k'` - 1: on into the next block.
        let mut next = k + 1;
        while e == first + 64 * next && next < batch.len() {
            e += batch[next].dot.trailing_ones() as usize;
            next += 1;
        }
        if next == batch.len() {
            while e < text.len() && kernel::class(text[e]) & kernel::DOT != 0 {
                e += 1;
            }
        }
        let e = e.min(text.len());
        let s = Self::dot_start(text, first, batch, k, i);
        if (e - s) as u32 >= self.dot_min {
            dots.push((s as u32, e as u32));
        }
        e
    }

    /// Where the `[A-Za-z0-9_.-]` run covering the chunk at `i` (see [`Prefilter::dotted`])
    /// starts: from the masks back to the batch's first block, then byte by byte (a run's
    /// first full chunk starts at most 15 bytes after it does, so this reads few bytes).
    fn dot_start(b: &[u8], first: usize, batch: &[Masks], k: usize, i: usize) -> usize {
        let at = first + 64 * k;
        let outside = !batch[k].dot & below(i - at);
        if outside != 0 {
            return at + 64 - outside.leading_zeros() as usize;
        }
        for j in (0..k).rev() {
            let outside = !batch[j].dot;
            if outside != 0 {
                return first + 64 * j + 64 - outside.leading_zeros() as usize;
            }
        }
        let mut s = first;
        while s > 0 && kernel::class(b[s - 1]) & kernel::DOT != 0 {
            s -= 1;
        }
        s
    }
}

/// The shifts that take a mask to [`at_least`] `n` of its bits in a row: 1, 2, 4, ... then
/// the rest (zeros, which change nothing, fill the array), so that the loop has a fixed
/// count and unrolls.
fn run_steps(n: u32) -> [u32; 7] {
    let mut steps = [0; 7];
    let (mut len, mut k) = (1, 0);
    while len < n.min(64) {
        let step = len.min(n - len);
        steps[k] = step;
        len += step;
        k += 1;
    }
    steps
}

/// Bit `i` set when bits `i..i + n` of `x` are all set (runs of `n`, within the word), with
/// `steps` = [`run_steps`]`(n)`.
fn at_least(x: u64, steps: &[u32; 7]) -> u64 {
    steps.iter().fold(x, |r, &s| r & r >> s)
}

/// The bits below `n` (all of them for 64).
fn below(n: usize) -> u64 {
    if n >= 64 { u64::MAX } else { (1u64 << n) - 1 }
}

/// Fingerprint and bucket of an anchor the plan does not know: its first group that is not
/// common English, in a bucket chosen by the group's hash: one below [`kernel::SINGLE_BUCKET`],
/// which is the single-byte anchor's.
fn guess(lit: &[u8]) -> (usize, u8) {
    let common = |g: &[u8]| COMMON.iter().any(|c| g.eq_ignore_ascii_case(c.as_bytes()));
    let fp = (0..lit.len() - 2)
        .find(|&k| !common(&lit[k..k + 3]))
        .unwrap_or(0);
    let group = lit[fp..fp + 3]
        .iter()
        .fold(0u32, |g, &c| g << 8 | u32::from(c.to_ascii_lowercase()));
    (fp, (key(group) % u16::from(kernel::SINGLE_BUCKET)) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The maximal `[A-Za-z0-9_.-]` runs of at least `min` bytes, by their byte-by-byte
    /// definition: what the mask-based run finding is held to.
    fn dot_runs(text: &[u8], min: usize) -> Vec<(u32, u32)> {
        let dot = |c: u8| kernel::class(c) & kernel::DOT != 0;
        let mut runs = Vec::new();
        let mut s = 0;
        while s < text.len() {
            let e = (s..text.len())
                .find(|&e| !dot(text[e]))
                .unwrap_or(text.len());
            if e - s >= min {
                runs.push((s as u32, e as u32));
            }
            s = e + 1;
        }
        runs
    }

    fn hits(p: &Prefilter, text: &str) -> Vec<(u32, String)> {
        let mut h = Hits::default();
        p.scan(text.as_bytes(), &mut h);
        h.anchors
            .iter()
            .map(|&(s, a)| {
                let lit = if usize::from(a) < p.anchors.len() {
                    String::from_utf8_lossy(&p.anchors[usize::from(a)].lit).into_owned()
                } else {
                    char::from(p.single[usize::from(a) - p.anchors.len()].0).to_string()
                };
                (s, lit)
            })
            .collect()
    }

    #[test]
    fn plan_covers_every_builtin_anchor() {
        let missing: Vec<&str> = crate::rules::builtin()
            .iter()
            .filter_map(|r| match r.gate {
                Gate::Anchors(list) => Some(list.iter().copied()),
                _ => None,
            })
            .flatten()
            .filter(|l| l.trim_end_matches('$').len() >= 3)
            .filter(|l| !plan::PLAN.iter().any(|(p, _, _)| p == l))
            .collect();
        assert!(
            missing.is_empty(),
            "anchors without a plan entry (run the prefilter_plan example): {missing:?}"
        );
    }

    #[test]
    fn anchors_are_found_with_their_case_and_name_rules() {
        let p = Prefilter::new(
            &[
                ("ghp_", 1),
                ("AKIA", 2),
                ("password$", 4),
                ("@", 8),
                ("://", 16),
            ],
            std::iter::empty(),
        );
        let got = hits(
            &p,
            "x ghp_abc akia AKIA1 PASSWORD=1 passwords mail a@b https://x GHP_",
        );
        let want: Vec<(u32, String)> = vec![
            (2, "ghp_".into()),
            (15, "AKIA".into()),
            (21, "password".into()),
            (48, "@".into()),
            (56, "://".into()),
            (61, "ghp_".into()),
        ];
        assert_eq!(got, want);
    }

    /// The `[A-Za-z0-9_.-]` runs are every maximal run at least as long as the gate, read
    /// from the masks across blocks as the byte-by-byte definition has them: runs of every
    /// length ending and starting at every offset of a block, up to the string's end.
    #[test]
    fn dot_runs_are_the_maximal_runs() {
        let mut next = crate::test_rng::xorshift(0x2545_f491_4f6c_dd1du64);
        let mut found = 0;
        for kernel in [Kernel::best(), Kernel::Scalar] {
            let p = Prefilter::with_kernel(&[("ghp_", 1)], [Gate::DotRun(31)].into_iter(), kernel);
            for _ in 0..20_000 {
                let mut text = Vec::new();
                while text.len() < 40 + next(300) {
                    let run =
                        [1, 15, 16, 17, 30, 31, 32, 33, 47, 48, 63, 64, 65, 100, 130][next(15)];
                    let run = run + next(3) - 1;
                    text.extend((0..run).map(|_| b"aZ09_.-"[next(7)]));
                    text.extend_from_slice([&b" "[..], b"+", b"/", "é".as_bytes(), b""][next(5)]);
                }
                let want = dot_runs(&text, 31);
                let mut h = Hits::default();
                p.scan(&text, &mut h);
                assert_eq!(h.dots, want, "{:?}", text.escape_ascii().to_string());
                found += want.len();
            }
        }
        assert!(found > 50_000, "{found}");
    }

    /// The eight-bytes-at-a-time literal compare is the byte-by-byte one: literals of every
    /// length up to 20 with and without case folding, against their own bytes in every case
    /// mix, near misses (one byte changed, including by bit 5) and any bytes.
    #[test]
    fn anchors_compare_as_byte_by_byte() {
        let mut next = crate::test_rng::xorshift(0x3c6e_f372_fe94_f82bu64);
        let alphabet = b"aZkK_-@`.:/09{[\x7f\xc3";
        let (mut yes, mut no) = (0, 0);
        for _ in 0..20_000 {
            let len = 3 + next(18);
            let mut lit: Vec<u8> = (0..len).map(|_| alphabet[next(alphabet.len())]).collect();
            let fold = next(2) == 0;
            if fold {
                lit.make_ascii_lowercase();
            }
            let a = Anchor::new(lit.clone(), fold, false, 0, 1);
            for _ in 0..8 {
                let mut text: Vec<u8> = (0..next(4)).map(|_| b'x').collect();
                let start = text.len();
                let mode = next(4);
                text.extend(lit.iter().map(|&c| match (mode, next(2)) {
                    (1, _) => c.to_ascii_uppercase(),
                    (2, 0) => c.to_ascii_uppercase(),
                    (3, 0) => c ^ 0x20,
                    _ => c,
                }));
                if next(3) == 0 {
                    let k = start + next(len);
                    text[k] = alphabet[next(alphabet.len())];
                }
                let keep = start + next(len + 12);
                text.resize(keep.max(start), b'y');
                let want = a.at_bytewise(&text, start);
                assert_eq!(a.at(&text, start), want, "{lit:?} {fold} in {text:?}");
                yes += usize::from(want);
                no += usize::from(!want);
            }
        }
        assert!(yes > 10_000 && no > 10_000, "{yes} {no}");
    }

    /// Strings of several kernel batches (`kernel::BATCH` blocks): token runs, IBAN starts
    /// and numeric runs across the batches' edges are found as within a batch, by their
    /// byte-by-byte definitions.
    #[test]
    fn runs_and_caps_cross_batches() {
        let edge = 64 * kernel::BATCH;
        let mut next = crate::test_rng::xorshift(0x6a09_e667_f3bc_c908u64);
        for kernel in [Kernel::best(), Kernel::Scalar] {
            let gates = [Gate::DotRun(31), Gate::NumRun(8), Gate::Caps];
            let p = Prefilter::with_kernel(&[("ghp_", 1)], gates.into_iter(), kernel);
            for round in 0..600 {
                // Filler up to near an edge, then a piece across it.
                let pieces: [&[u8]; 6] = [
                    b"GB82",
                    b"AB12 3456 7890",
                    b"1234 5678 9012",
                    b"x GB12",
                    b"Z9",
                    b" ",
                ];
                let mut text: Vec<u8> = Vec::new();
                let edges = 1 + round % 3;
                for k in 1..=edges {
                    let to = (k * edge).saturating_sub(next(40));
                    while text.len() < to {
                        match next(4) {
                            0 => text.extend_from_slice(pieces[next(pieces.len())]),
                            1 => text.extend((0..next(90)).map(|_| b"aZ09_.-"[next(7)])),
                            _ => text.push(b" +/(x"[next(5)]),
                        }
                    }
                    if round % 2 == 0 {
                        // A token run through the edge, of any length around it.
                        text.extend((0..next(200)).map(|_| b"aZ09_.-"[next(7)]));
                    }
                }
                let mut h = Hits::default();
                p.scan(&text, &mut h);
                let up = |i: usize| text[i].is_ascii_uppercase();
                let digit = |i: usize| text[i].is_ascii_digit();
                let caps: Vec<u32> = (0..text.len().saturating_sub(3))
                    .filter(|&i| up(i) && up(i + 1) && digit(i + 2) && digit(i + 3))
                    .map(|i| i as u32)
                    .collect();
                assert_eq!(h.caps, caps, "{round}");
                assert_eq!(h.dots, dot_runs(&text, 31), "{round}");
                // Numeric runs: the maximal runs of `[0-9 ().+-]` with at least 8 digits.
                let num = |c: u8| kernel::class(c) & kernel::NUM != 0;
                let mut runs = Vec::new();
                let mut s = 0;
                while s < text.len() {
                    let e = (s..text.len())
                        .find(|&e| !num(text[e]))
                        .unwrap_or(text.len());
                    let d = text[s..e].iter().filter(|c| c.is_ascii_digit()).count() as u32;
                    if d >= 8 {
                        runs.push((s as u32, e as u32, d));
                    }
                    s = e + 1;
                }
                assert_eq!(h.runs, runs, "{round}");
            }
        }
    }

    #[test]
    fn every_kernel_finds_the_same() {
        let lits = [("sk-ant-", 1), ("token$", 2), ("-----BEGIN", 4), ("@", 8)];
        let gates = [Gate::NumRun(8), Gate::DotRun(34), Gate::Caps];
        let fast = Prefilter::with_kernel(&lits, gates.into_iter(), Kernel::best());
        let slow = Prefilter::with_kernel(&lits, gates.into_iter(), Kernel::Scalar);
        let text = format!(
            "{}token: x sk-ant-api03 a@b -----BEGIN KEY call +1 415 555 0132 GB82WEST1234 {} end",
            "lorem ipsum ".repeat(7),
            "Ab1_".repeat(12)
        );
        for cut in 0..text.len() {
            let t = &text.as_bytes()[..cut];
            let (mut a, mut b) = (Hits::default(), Hits::default());
            fast.scan(t, &mut a);
            slow.scan(t, &mut b);
            assert_eq!(
                (a.anchors, a.runs, a.dots, a.caps),
                (b.anchors, b.runs, b.dots, b.caps),
                "{cut}"
            );
        }
        let mut h = Hits::default();
        fast.scan(text.as_bytes(), &mut h);
        assert_eq!(h.runs.len(), 1, "{:?}", h.runs);
        assert_eq!(h.dots.len(), 1, "{:?}", h.dots);
        let gb = text.find("GB82").unwrap() as u32;
        assert_eq!(h.caps, [gb, gb + 6], "GB82 and (WE)ST12");
        assert_eq!(h.anchors.len(), 4, "{:?}", h.anchors);
    }
}
