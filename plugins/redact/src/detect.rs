//! The detector: one pass per string ([`Prefilter`]) finds where rules can match, and only
//! there do their regexes run: anchored at each anchor occurrence (or in a small window
//! around it, see [`Start`]), over the numeric or token-shaped runs the pass measured, or
//! from each `[A-Z]{2}[0-9]{2}`. Clean text costs that pass and nothing else: no regex runs,
//! nothing is allocated, and its bytes are not even checked for UTF-8 (only a string in which
//! a pattern matched is).
//!
//! The result is the same as running every rule's regex over the whole string, one match
//! after another (`tests/prefilter_equivalence.rs` checks this on the corpus and on random
//! text), because every match of an anchored rule starts where the rule's [`Start`] says.
//! Where a rule has a token shape or a hand matcher, it stands for the regex: at an anchor,
//! at the one place of a window where the regex can start (`url_credentials`, `email`), and
//! in a run at each byte where a match can start (`Detector::shaped_run`,
//! `Detector::matched_run`).
//!
//! This module holds the rules, the scan and its per-string walk over the prefilter's hits;
//! the work per hit is in `anchor` (anchored rules), `runs` (rules gated on runs), `needs`
//! (whether a run can hold a rule's match) and `search` (a rule's regex, and recording
//! what it found).

mod anchor;
mod needs;
mod pairs;
mod runs;
mod search;

use regex::RegexSet;
use regex_automata::meta;
use regex_automata::util::primitives::NonMaxUsize;

use crate::matchers::Matcher;
use crate::prefilter::{Hits, Prefilter};
use crate::rules::{Capture, Check, Gate, Group, Shape, Start};
use needs::{Needs, UNREAD};

/// Rules are indexed by bit in a `u128`; the config refuses more.
pub const MAX_RULES: usize = 128;

/// Rule `i`'s bit in a `u128` of rules (`i <` [`MAX_RULES`]): `1 << i`. Inside Wasm it is
/// shifted in the 64-bit half that holds it (`bit_in_halves`), because a variable `u128`
/// shift is a library call there (`__ashlti3`), and one ran for every finding and every
/// marker written; x86_64 shifts a `u128` in a few instructions, fewer than the branch.
#[inline]
pub fn rule_bit(i: usize) -> u128 {
    if cfg!(target_arch = "wasm32") {
        bit_in_halves(i)
    } else {
        1u128 << i
    }
}

/// `1u128 << i` as a shift of the 64-bit half that holds the bit.
#[inline]
fn bit_in_halves(i: usize) -> u128 {
    let bit = u128::from(1u64 << (i & 63));
    if i < 64 { bit } else { bit << 64 }
}

/// One compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The name markers carry.
    pub name: String,
    /// The group the rule belongs to.
    pub group: Group,
    /// The prefilter gate.
    pub gate: Gate,
    /// Where a match starts relative to an anchor.
    pub start: Start,
    /// A run must hold one of these before the regex runs over it (see `RuleDef::needs`).
    pub needs: &'static [&'static str],
    /// The compiled pattern.
    pub regex: meta::Regex,
    /// The confirmation of a candidate.
    pub check: Check,
    /// How the secret's span is taken from a match.
    pub capture: Capture,
    /// The pattern as a token shape, matched without the regex (see [`crate::rules::shape`]).
    pub shape: Option<Shape>,
    /// The pattern read by hand at an anchor (see [`crate::matchers`]).
    pub matcher: Option<Matcher>,
}

/// One secret found: a byte span of the scanned string and the rule that found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finding {
    /// Start byte.
    pub start: usize,
    /// End byte (exclusive).
    pub end: usize,
    /// Index of the rule in [`Detector::rules`].
    pub rule: u16,
}

/// Per-thread buffers the detector reuses from string to string.
#[derive(Debug, Default)]
pub struct Scratch {
    findings: Vec<Finding>,
    hits: Hits,
    /// Per rule: its regex cache, made on first use.
    caches: Vec<Option<meta::Cache>>,
    slots: Vec<Option<NonMaxUsize>>,
    /// Per rule: where its last match in the current string ended (matches of one rule
    /// never overlap, as in a left-to-right search).
    done: Vec<usize>,
    /// The rules whose `done` is set (cleared before the next string): most strings match
    /// nothing, and clearing every candidate rule's entry per string was a loop per rule.
    dirty: u128,
    /// Take every secret span from the capture groups (the reference scan of the tests).
    exact: bool,
    /// Per numeric run and per `[A-Za-z0-9_.-]` run of the current string: the need bytes it
    /// holds (see [`Needs`]).
    run_needs: Vec<u32>,
    dot_needs: Vec<u32>,
    /// The string tokens of the current JSON content value (see [`crate::json::parse`]).
    pub(crate) json: crate::json::Strings,
}

/// The string being scanned: bytes, and as text once a pattern matched in it.
struct Hay<'t> {
    bytes: &'t [u8],
    text: Option<&'t str>,
    invalid: bool,
}

impl<'t> Hay<'t> {
    fn text(&mut self) -> Option<&'t str> {
        if self.text.is_none() && !self.invalid {
            match std::str::from_utf8(self.bytes) {
                Ok(t) => self.text = Some(t),
                Err(_) => self.invalid = true,
            }
        }
        self.text
    }
}

/// The compiled rule set with its prefilter.
#[derive(Debug, Clone)]
pub struct Detector {
    rules: Vec<Rule>,
    prefilter: Prefilter,
    /// Rules run over the whole of every string.
    always: Vec<usize>,
    /// Rules gated on numeric runs, on `[A-Za-z0-9_.-]` runs, and on `[A-Z]{2}[0-9]{2}`:
    /// each list is walked only when the string has such a run or place (a walk over every
    /// rule with a `match` on its gate cost a mispredicted jump per rule in Wasm).
    numeric: Vec<usize>,
    dotted: Vec<usize>,
    caps: Vec<usize>,
    needs: Needs,
    /// Per rule: the distinct first bytes of its shape's prefixes (see
    /// [`Detector::shaped_run`]).
    shape_firsts: Vec<Vec<u8>>,
    allow: Option<RegexSet>,
}

/// A string that is not UTF-8 (the contract promises UTF-8, so this is a host bug).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotUtf8;

impl Detector {
    /// Builds the detector from enabled rules (at most [`MAX_RULES`]) and allow-list patterns.
    pub fn new(rules: Vec<Rule>, allow: Option<RegexSet>) -> Detector {
        assert!(rules.len() <= MAX_RULES, "at most {MAX_RULES} rules");
        let mut literals: Vec<&'static str> = Vec::new();
        let mut anchor_rules: Vec<u128> = Vec::new();
        let (mut always, mut numeric, mut dotted, mut caps) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (i, rule) in rules.iter().enumerate() {
            match rule.gate {
                Gate::NumRun(_) => numeric.push(i),
                Gate::Run(_) | Gate::DotRun(_) => dotted.push(i),
                Gate::Caps => caps.push(i),
                Gate::Anchors(list) => {
                    for lit in list {
                        match literals.iter().position(|l| l == lit) {
                            Some(p) => anchor_rules[p] |= 1u128 << i,
                            None => {
                                literals.push(lit);
                                anchor_rules.push(1u128 << i);
                            }
                        }
                    }
                }
                Gate::Always => always.push(i),
            }
        }
        let pairs: Vec<(&str, u128)> = literals.iter().copied().zip(anchor_rules).collect();
        let prefilter = Prefilter::new(&pairs, rules.iter().map(|r| r.gate));
        let needs = Needs::new(&rules);
        let shape_firsts = rules
            .iter()
            .map(|r| {
                let mut f: Vec<u8> = (r.shape.iter().flat_map(|alts| alts.iter()))
                    .flat_map(|alt| alt.prefixes.iter().map(|p| p.as_bytes()[0]))
                    .collect();
                f.sort_unstable();
                f.dedup();
                f
            })
            .collect();
        Detector {
            needs,
            shape_firsts,
            rules,
            prefilter,
            always,
            numeric,
            dotted,
            caps,
            allow,
        }
    }

    /// The enabled rules, in priority order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Finds every secret in `text`: non-overlapping spans in order, overlapping matches
    /// merged into one span named by the earlier (or, at the same start, longer) match.
    pub fn scan<'s>(&self, text: &str, scratch: &'s mut Scratch) -> &'s [Finding] {
        match self.scan_hay(text.as_bytes(), Some(text), scratch) {
            Ok(f) => f,
            Err(NotUtf8) => unreachable!("a str is UTF-8"),
        }
    }

    /// [`Detector::scan`] on bytes; UTF-8 is checked only when a pattern matched.
    pub fn scan_bytes<'s>(
        &self,
        text: &[u8],
        scratch: &'s mut Scratch,
    ) -> Result<&'s [Finding], NotUtf8> {
        self.scan_hay(text, None, scratch)
    }

    /// [`Detector::scan_bytes`], with the bytes as text when the caller has them so (a `str`
    /// is not checked for UTF-8 again when something matches in it).
    fn scan_hay<'s>(
        &self,
        text: &[u8],
        known: Option<&str>,
        scratch: &'s mut Scratch,
    ) -> Result<&'s [Finding], NotUtf8> {
        scratch.findings.clear();
        if text.is_empty() {
            return Ok(&scratch.findings);
        }
        let mut hits = std::mem::take(&mut scratch.hits);
        self.prefilter.scan(text, &mut hits);
        let result = self.run(text, known, &hits, scratch);
        scratch.hits = hits;
        result?;
        merge(&mut scratch.findings);
        Ok(&scratch.findings)
    }

    fn run(
        &self,
        bytes: &[u8],
        known: Option<&str>,
        hits: &Hits,
        scratch: &mut Scratch,
    ) -> Result<(), NotUtf8> {
        let n = self.rules.len();
        if scratch.caches.len() < n {
            scratch.caches.resize_with(n, || None);
            scratch.done.resize(n, 0);
        }
        let mut hay = Hay {
            bytes,
            text: known,
            invalid: false,
        };
        if hits.anchored == 0
            && self.always.is_empty()
            && (hits.runs.is_empty() || self.numeric.is_empty())
            && (hits.dots.is_empty() || self.dotted.is_empty())
            && (hits.caps.is_empty() || self.caps.is_empty())
        {
            return Ok(());
        }
        let mut dirty = std::mem::take(&mut scratch.dirty);
        while dirty != 0 {
            scratch.done[dirty.trailing_zeros() as usize] = 0;
            dirty &= dirty - 1;
        }
        // Anchored rules, at each anchor occurrence in order.
        for &(at, a) in &hits.anchors {
            let mut rules = self.prefilter.anchor_rules(a);
            while rules != 0 {
                let i = rules.trailing_zeros() as usize;
                rules &= rules - 1;
                self.at_anchor(i, at as usize, &mut hay, scratch)?;
            }
        }
        // Shape-gated rules over the runs and places the pass measured (each rule has its own
        // `done`, so the order of the rules does not matter); custom rules over the whole
        // string.
        if !hits.runs.is_empty() {
            // Each run's need bits, read on first use.
            scratch.run_needs.clear();
            scratch.run_needs.resize(hits.runs.len(), UNREAD);
            for &i in &self.numeric {
                let Gate::NumRun(n) = self.rules[i].gate else {
                    unreachable!("a numeric rule")
                };
                for (k, &(s, e, digits)) in hits.runs.iter().enumerate() {
                    let (s, e) = (s as usize, e as usize);
                    if digits >= n && self.holds_need(i, &bytes[s..e], &mut scratch.run_needs[k]) {
                        match self.rules[i].matcher {
                            Some(m) => self.matched_run(i, m, s, e, &mut hay, scratch)?,
                            None => self.window(i, s, e, &mut hay, scratch)?,
                        }
                    }
                }
            }
        }
        if !hits.dots.is_empty() {
            scratch.dot_needs.clear();
            scratch.dot_needs.resize(hits.dots.len(), UNREAD);
            for &i in &self.dotted {
                let (Gate::Run(n) | Gate::DotRun(n)) = self.rules[i].gate else {
                    unreachable!("a run-gated rule")
                };
                for (k, &(s, e)) in hits.dots.iter().enumerate() {
                    let (s, e) = (s as usize, e as usize);
                    if e - s >= n as usize
                        && self.holds_need(i, &bytes[s..e], &mut scratch.dot_needs[k])
                    {
                        match self.rules[i].shape {
                            Some(shape) => self.shaped_run(i, shape, s, e, &mut hay, scratch)?,
                            None => self.window(i, s, e, &mut hay, scratch)?,
                        }
                    }
                }
            }
        }
        for &i in &self.caps {
            for &s in &hits.caps {
                self.anchored(i, s as usize, &mut hay, scratch)?;
            }
        }
        for &i in &self.always {
            self.window(i, 0, bytes.len(), &mut hay, scratch)?;
        }
        Ok(())
    }

    /// What [`Detector::scan`] must find, the slow way: every rule's regex over the whole
    /// string, one match after another, with no prefilter. For tests.
    #[doc(hidden)]
    pub fn scan_reference(&self, text: &str) -> Vec<Finding> {
        let mut scratch = Scratch {
            exact: true,
            ..Scratch::default()
        };
        scratch.caches.resize_with(self.rules.len(), || None);
        scratch.done.resize(self.rules.len(), 0);
        let mut hay = Hay {
            bytes: text.as_bytes(),
            text: Some(text),
            invalid: false,
        };
        for i in 0..self.rules.len() {
            self.window(i, 0, text.len(), &mut hay, &mut scratch)
                .expect("a str is UTF-8");
        }
        merge(&mut scratch.findings);
        scratch.findings
    }
}

/// Sorts findings and merges overlapping ones, so every byte of every secret is covered
/// once. The merged span keeps the rule of the first finding (earliest, then longest, then
/// highest priority).
fn merge(f: &mut Vec<Finding>) {
    if f.len() < 2 {
        return;
    }
    f.sort_unstable_by(|a, b| {
        a.start
            .cmp(&b.start)
            .then(b.end.cmp(&a.end))
            .then(a.rule.cmp(&b.rule))
    });
    let mut w = 0;
    for r in 1..f.len() {
        if f[r].start < f[w].end {
            f[w].end = f[w].end.max(f[r].end);
        } else {
            w += 1;
            f[w] = f[r];
        }
    }
    f.truncate(w + 1);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The two-halves bit is the `u128` shift for every rule index.
    #[test]
    fn rule_bit_is_a_shift() {
        for i in 0..MAX_RULES {
            assert_eq!(bit_in_halves(i), 1u128 << i, "{i}");
            assert_eq!(rule_bit(i), 1u128 << i, "{i}");
        }
    }
}
