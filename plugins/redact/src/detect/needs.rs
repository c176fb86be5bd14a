//! Whether a run can hold a rule's match at all: the rules' `needs` (literals every match
//! holds), read once per run for all the rules gated on it.

use super::{Detector, Rule, pairs};

/// Runs at least this long are searched for their needs with `memchr` (see
/// `Detector::holds_need`).
const LONG_RUN: usize = 32;

/// A run whose need bits are not read yet (a run that really holds all 32 is just read again).
pub(super) const UNREAD: u32 = u32::MAX;

/// The rules' needs (`RuleDef::needs`) by their first byte, so that a run is read once for
/// all the rules gated on it instead of once per rule and need.
#[derive(Debug, Clone)]
pub(super) struct Needs {
    /// Per byte: the bit of the needs starting with it (the 32nd bit is shared by the rest).
    table: Box<[u32; 256]>,
    /// Per rule: the bits of its needs' first bytes (0: no needs), and whether holding one of
    /// those bytes is enough (every need one byte long, none on the shared bit).
    rules: Vec<(u32, bool)>,
    /// Per rule: the distinct first bytes of its needs (see `Detector::holds_need`).
    firsts: Vec<Vec<u8>>,
    /// Per rule: its needs when they are one or two of two bytes each (see [`pairs`]).
    pairs: Vec<Option<[[u8; 2]; 2]>>,
}

impl Needs {
    pub(super) fn new(rules: &[Rule]) -> Needs {
        let mut table = Box::new([0u32; 256]);
        let mut next = 0;
        let per_rule = rules
            .iter()
            .map(|r| {
                let (mut bits, mut exact) = (0u32, true);
                for need in r.needs {
                    let first = usize::from(need.as_bytes()[0]);
                    if table[first] == 0 {
                        // From the 32nd distinct first byte on, bit 31 is shared (not exact).
                        table[first] = 1 << next.min(31);
                        next += 1;
                    }
                    bits |= table[first];
                    exact &= need.len() == 1 && table[first] != 1 << 31;
                }
                (bits, exact)
            })
            .collect();
        let firsts = rules
            .iter()
            .map(|r| {
                let mut f: Vec<u8> = r.needs.iter().map(|n| n.as_bytes()[0]).collect();
                f.sort_unstable();
                f.dedup();
                f
            })
            .collect();
        let pairs = rules
            .iter()
            .map(|r| match r.needs {
                [a] => Some([a.as_bytes().try_into().ok()?; 2]),
                [a, b] => Some([a.as_bytes().try_into().ok()?, b.as_bytes().try_into().ok()?]),
                _ => None,
            })
            .collect();
        Needs {
            table,
            rules: per_rule,
            firsts,
            pairs,
        }
    }

    /// The need bits of the bytes in `run`.
    fn of(&self, run: &[u8]) -> u32 {
        run.iter().fold(0, |m, &c| m | self.table[usize::from(c)])
    }
}

impl Detector {
    /// Whether `run` holds one of rule `i`'s needs, or it has none.
    ///
    /// In a long run (a token), two-byte needs (`SK`, `AC`) are looked for as pairs a
    /// vector at a time ([`pairs`]), and needs starting with at most three distinct bytes
    /// (every other built-in rule but the national phone numbers') with `memchr`, which reads
    /// a vector (natively) or a word (in Wasm) at a time: reading long token runs byte by
    /// byte was 5 % of secret-dense text. Otherwise (and in the short numeric runs of log
    /// text, where setting up `memchr` costs more than reading) `present` caches the run's
    /// need bits ([`Needs::of`], [`UNREAD`] until read), which settle it unless a need is
    /// longer than a byte.
    pub(super) fn holds_need(&self, i: usize, run: &[u8], present: &mut u32) -> bool {
        let (bits, exact) = self.needs.rules[i];
        if bits == 0 {
            return true;
        }
        let needs = self.rules[i].needs;
        let here = |p: usize| exact || needs.iter().any(|n| run[p..].starts_with(n.as_bytes()));
        match self.needs.firsts[i][..] {
            _ if run.len() < LONG_RUN => {}
            _ if let Some(pairs) = &self.needs.pairs[i] => return pairs::holds(run, pairs),
            [a] => return memchr::memchr_iter(a, run).any(here),
            [a, b] => return memchr::memchr2_iter(a, b, run).any(here),
            [a, b, c] => return memchr::memchr3_iter(a, b, c, run).any(here),
            _ => {}
        }
        if *present == UNREAD {
            *present = self.needs.of(run);
        }
        if *present & bits == 0 {
            return false;
        }
        exact || (0..run.len()).any(here)
    }
}
