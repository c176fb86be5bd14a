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

mod pairs;

use std::ops::Range;

use regex::RegexSet;
use regex_automata::util::primitives::NonMaxUsize;
use regex_automata::{Anchored, Input, meta};

use crate::assign::{self, assignment_value};
use crate::check::confirm;
use crate::matchers::Matcher;
use crate::prefilter::{Hits, Prefilter};
use crate::rules::{Capture, Check, Gate, Group, Shape, Start, shape};
use crate::vector;

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

/// Runs at least this long are searched for their needs with `memchr` (see
/// `Detector::holds_need`).
const LONG_RUN: usize = 32;

/// A run whose need bits are not read yet (a run that really holds all 32 is just read again).
const UNREAD: u32 = u32::MAX;

/// The rules' needs (`RuleDef::needs`) by their first byte, so that a run is read once for
/// all the rules gated on it instead of once per rule and need.
#[derive(Debug, Clone)]
struct Needs {
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
    fn new(rules: &[Rule]) -> Needs {
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
    fn holds_need(&self, i: usize, run: &[u8], present: &mut u32) -> bool {
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

    /// Rule `i` at an occurrence of one of its anchors starting at `at`.
    fn at_anchor(
        &self,
        i: usize,
        at: usize,
        hay: &mut Hay<'_>,
        scratch: &mut Scratch,
    ) -> Result<(), NotUtf8> {
        let b = hay.bytes;
        match self.rules[i].start {
            Start::Anchor => self.anchored(i, at, hay, scratch),
            Start::Window { back, fwd } => {
                let lo = at.saturating_sub(usize::from(back));
                let hi = (at + usize::from(fwd)).min(b.len());
                self.window(i, lo, hi, hay, scratch)
            }
            Start::Email => self.email_window(i, at, hay, scratch),
            Start::Url => {
                // The authority ends at the first of `\s / ? " ' < >`; it must hold an `@`.
                let mut hi = at + 3;
                let mut at_sign = false;
                while hi < b.len() && !b[hi].is_ascii_whitespace() && !b"/?\"'<>".contains(&b[hi]) {
                    at_sign |= b[hi] == b'@';
                    hi += 1;
                }
                if !at_sign {
                    return Ok(());
                }
                // Back over the scheme: its ASCII bytes, and the two letters outside ASCII
                // that `(?i)[a-z]` holds (the Kelvin sign, `ſ`), which only the regex reads.
                let scheme = |c: u8| c.is_ascii_alphanumeric() || b"+.-".contains(&c);
                let mut lo = at;
                let mut folded = false;
                loop {
                    if lo > 0 && scheme(b[lo - 1]) {
                        lo -= 1;
                    } else if b[..lo].ends_with("\u{212a}".as_bytes())
                        || b[..lo].ends_with("\u{17f}".as_bytes())
                    {
                        lo -= if b[lo - 1] == 0xaa { 3 } else { 2 };
                        folded = true;
                    } else {
                        break;
                    }
                }
                if folded || self.rules[i].matcher.is_none() {
                    return self.window(i, lo, hi, hay, scratch);
                }
                // The window holds one `://` (the scheme before it has no `:`, the authority
                // after it no `/`), so a match starts at the first letter of `lo..at` that
                // follows a non-word byte (`\b[a-z]`), or nowhere; it ends before `hi`, as
                // nothing it holds after the `://` ends the authority. One anchored search
                // there (the matcher) answers what the window's search does.
                match word_start(b, lo.max(scratch.done[i])..at, u8::is_ascii_alphabetic) {
                    Some(p) => self.anchored(i, p, hay, scratch),
                    None => Ok(()),
                }
            }
            Start::Flag => {
                // `(?:^|[\s"'])--?(?:[a-z0-9]+-)*<anchor>`: back over the flag's words to its
                // first dash, which must follow a blank, a quote or the string's start.
                let flag = |c: u8| c.is_ascii_alphanumeric() || c == b'-';
                let mut s = at;
                while s > 0 && flag(b[s - 1]) {
                    s -= 1;
                }
                if b[s] != b'-' {
                    return Ok(());
                }
                match s.checked_sub(1) {
                    None => self.anchored(i, 0, hay, scratch),
                    Some(p) if b[p].is_ascii_whitespace() || b[p] == b'"' || b[p] == b'\'' => {
                        self.anchored(i, p, hay, scratch)
                    }
                    Some(_) => Ok(()),
                }
            }
        }
    }

    /// The `email` rule around the `@` at `at`: `[a-z0-9][a-z0-9._%+-]{0,63}@` before it,
    /// `[a-z0-9.-]` after it. The window holds one `@` (neither side's class has one), so a
    /// match starts at the first letter or digit of it after a non-word byte (`\b`) and reads
    /// the same domain from any start: the hand matcher there answers what the window's
    /// search does, unless it is unsure or reads past the window.
    #[inline(never)]
    fn email_window(
        &self,
        i: usize,
        at: usize,
        hay: &mut Hay<'_>,
        scratch: &mut Scratch,
    ) -> Result<(), NotUtf8> {
        let b = hay.bytes;
        let local = |c: u8| c.is_ascii_alphanumeric() || b"._%+-".contains(&c);
        let mut lo = at;
        while lo > at.saturating_sub(64) && local(b[lo - 1]) {
            lo -= 1;
        }
        let mut hi = at + 1;
        while hi < b.len() && (b[hi].is_ascii_alphanumeric() || b"-.".contains(&b[hi])) {
            hi += 1;
        }
        let Some(matcher) = self.rules[i].matcher else {
            return self.window(i, lo, hi, hay, scratch);
        };
        let Some(p) = word_start(b, lo.max(scratch.done[i])..at, u8::is_ascii_alphanumeric) else {
            return Ok(());
        };
        match matcher.match_bytes(b, p) {
            Some(Ok(None)) => Ok(()),
            Some(Ok(Some(m))) if m[1] <= hi => self.found(i, m, hay, scratch),
            _ => self.window(i, lo, hi, hay, scratch),
        }
    }

    /// Rule `i` anchored at `at`: at most one match, starting there.
    fn anchored(
        &self,
        i: usize,
        at: usize,
        hay: &mut Hay<'_>,
        scratch: &mut Scratch,
    ) -> Result<(), NotUtf8> {
        if at < scratch.done[i] {
            return Ok(());
        }
        if let Some(alts) = self.rules[i].shape {
            if let Some(e) = shape::match_at(alts, hay.bytes, at) {
                self.found(i, [at, e, at, e], hay, scratch)?;
            }
            return Ok(());
        }
        // A matcher of an ASCII pattern reads the bytes, UTF-8 or not (a string is checked
        // only once something matched in it).
        if let Some(Ok(m)) = self.rules[i]
            .matcher
            .and_then(|m| m.match_bytes(hay.bytes, at))
        {
            if let Some(m) = m {
                self.found(i, m, hay, scratch)?;
            }
            return Ok(());
        }
        // A hand matcher reads UTF-8 (where the bytes are not, the regex stops and decides),
        // and leaves to the regex what it is unsure of.
        if let Some(matcher) = self.rules[i].matcher
            && let Some(text) = hay.text()
            && let Ok(m) = matcher.match_at(text, at)
        {
            if let Some(m) = m {
                self.found(i, m, hay, scratch)?;
            }
            return Ok(());
        }
        let input = Input::new(hay.bytes).range(at..).anchored(Anchored::Yes);
        if let Some(m) = self.search(i, &input, scratch) {
            self.found(i, m, hay, scratch)?;
        }
        Ok(())
    }

    /// Rule `i`, matched by its token shape, over the `[A-Za-z0-9_.-]` run `lo..hi`: what
    /// [`Detector::window`] finds there. A match starts with a prefix's first byte, and the
    /// run-gated shapes read only the run's bytes (`tests/token_shapes.rs` checks), so it lies
    /// in the run: the shape is tried at each such byte, leftmost first, which is the
    /// window's search without the regex engine.
    // Kept out of `run`, whose loops every string with a token run goes through.
    #[inline(never)]
    fn shaped_run(
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
    /// `\b[0-9]` or `\+` (`tests/rule_matchers.rs` checks), so a match starts at a digit
    /// after a non-word byte or at a `+`: the matcher is tried at each, leftmost first. A match reaching past the
    /// run (runs are whole, so none does), or a matcher that needs the text, leaves the rest
    /// of the run to the regex.
    #[inline(never)]
    fn matched_run(
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

    /// Rule `i` over `lo..hi` (look-around sees the bytes outside): every match, in order.
    fn window(
        &self,
        i: usize,
        lo: usize,
        hi: usize,
        hay: &mut Hay<'_>,
        scratch: &mut Scratch,
    ) -> Result<(), NotUtf8> {
        let mut pos = lo.max(scratch.done[i]);
        while pos <= hi {
            let input = Input::new(hay.bytes).range(pos..hi);
            let Some(m) = self.search(i, &input, scratch) else {
                break;
            };
            self.found(i, m, hay, scratch)?;
            let (ms, me) = (m[0], m[1]);
            pos = if me > ms {
                me
            } else {
                // An empty match: step over one character.
                me + utf8_len(hay.bytes.get(me).copied())
            };
        }
        Ok(())
    }

    /// One search; the whole match and the secret's span (its first participating group,
    /// else the whole match).
    fn search(&self, i: usize, input: &Input<'_>, scratch: &mut Scratch) -> Option<[usize; 4]> {
        let rule = &self.rules[i];
        if rule.capture == Capture::Assignment
            && !scratch.exact
            && input.get_anchored() == Anchored::Yes
            && input.end() == input.haystack().len()
        {
            // A search from an anchor (`anchored`): the matcher reads it, and the regex
            // engine runs only for what the matcher cannot judge.
            if let Ok(m) = assign::match_at(input.haystack(), input.start()) {
                return m;
            }
        }
        let cache = scratch.caches[i].get_or_insert_with(|| rule.regex.create_cache());
        let groups = rule
            .regex
            .group_info()
            .group_len(regex_automata::PatternID::ZERO);
        if groups <= 1 {
            let m = rule.regex.search_with(cache, input)?;
            return Some([m.start(), m.end(), m.start(), m.end()]);
        }
        if rule.capture == Capture::Assignment && !scratch.exact {
            let m = rule.regex.search_with(cache, input)?;
            let (ms, me) = (m.start(), m.end());
            if let Some((s, e)) = assignment_value(input.haystack(), ms, me) {
                return Some([ms, me, s, e]);
            }
            // Not sure: the capture engine, on the match only.
            let input = input.clone().range(ms..).anchored(Anchored::Yes);
            return self.slots(i, &input, groups, scratch);
        }
        self.slots(i, input, groups, scratch)
    }

    /// One search for the capture groups.
    fn slots(
        &self,
        i: usize,
        input: &Input<'_>,
        groups: usize,
        scratch: &mut Scratch,
    ) -> Option<[usize; 4]> {
        let rule = &self.rules[i];
        let cache = scratch.caches[i].get_or_insert_with(|| rule.regex.create_cache());
        scratch.slots.clear();
        scratch.slots.resize(2 * groups, None);
        rule.regex
            .search_slots_with(cache, input, &mut scratch.slots)?;
        let slot = |k: usize| scratch.slots[k].map(NonMaxUsize::get);
        let (ms, me) = (slot(0)?, slot(1)?);
        let (s, e) = (1..groups)
            .find_map(|g| Some((slot(2 * g)?, slot(2 * g + 1)?)))
            .unwrap_or((ms, me));
        Some([ms, me, s, e])
    }

    /// Confirms a match and records the finding.
    fn found(
        &self,
        i: usize,
        [ms, me, s, e]: [usize; 4],
        hay: &mut Hay<'_>,
        scratch: &mut Scratch,
    ) -> Result<(), NotUtf8> {
        scratch.done[i] = scratch.done[i].max(me);
        scratch.dirty |= rule_bit(i);
        let text = hay.text().ok_or(NotUtf8)?;
        let rule = &self.rules[i];
        if let Some((s, e)) = confirm(rule.check, text, ms, s, e)
            && s < e
            && !self.allow.as_ref().is_some_and(|a| a.is_match(&text[s..e]))
        {
            scratch.findings.push(Finding {
                start: s,
                end: e,
                rule: i as u16,
            });
        }
        Ok(())
    }
}

impl Detector {
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

/// The first position of `range` whose byte is `first` and follows a non-word byte or the
/// string's start: where `\b` (ASCII, see `rules::compile_pattern`) lets a match begin.
fn word_start(b: &[u8], mut range: Range<usize>, first: impl Fn(&u8) -> bool) -> Option<usize> {
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    range.find(|&p| first(&b[p]) && (p == 0 || !word(b[p - 1])))
}

/// Length of the UTF-8 sequence starting with `b` (1 past the end).
fn utf8_len(b: Option<u8>) -> usize {
    match b {
        Some(c) if c >= 0xf0 => 4,
        Some(c) if c >= 0xe0 => 3,
        Some(c) if c >= 0xc0 => 2,
        _ => 1,
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

    /// The two-halves bit is the `u128` shift for every rule index.
    #[test]
    fn rule_bit_is_a_shift() {
        for i in 0..MAX_RULES {
            assert_eq!(bit_in_halves(i), 1u128 << i, "{i}");
            assert_eq!(rule_bit(i), 1u128 << i, "{i}");
        }
    }
}
