//! The detector: one pass per string ([`Prefilter`]) decides which rules can match at all,
//! and only those rules' regexes run, each from the word holding its first anchor; number
//! rules run only over the numeric runs the pass recorded. Clean text costs that pass and
//! nothing else: no regex runs and nothing is allocated (findings and runs go into a reused
//! [`Scratch`]).

use regex::{CaptureLocations, Regex, RegexSet};

use crate::check::confirm;
use crate::prefilter::Prefilter;
use crate::rules::{Check, Gate, Group};
use crate::shape::Shape;

/// Rules are indexed by bit in a `u128`; the config refuses more.
pub const MAX_RULES: usize = 128;

/// One compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The name markers carry.
    pub name: String,
    /// The group the rule belongs to.
    pub group: Group,
    /// The prefilter gate.
    pub gate: Gate,
    /// The compiled pattern.
    pub regex: Regex,
    /// The confirmation of a candidate.
    pub check: Check,
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
    locs: Vec<Option<CaptureLocations>>,
    /// Numeric runs of the current string: (start, end, digits).
    runs: Vec<(usize, usize, u32)>,
    /// Per rule: where its first anchor starts (see [`crate::prefilter::Pass::first`]).
    first: Option<Box<[u32; MAX_RULES]>>,
}

/// The compiled rule set with its prefilter.
#[derive(Debug, Clone)]
pub struct Detector {
    rules: Vec<Rule>,
    prefilter: Prefilter,
    /// Rules run on every string.
    always: u128,
    /// Rules gated on the shape of the string.
    shaped: u128,
    allow: Option<RegexSet>,
}

impl Detector {
    /// Builds the detector from enabled rules (at most [`MAX_RULES`]) and allow-list patterns.
    pub fn new(rules: Vec<Rule>, allow: Option<RegexSet>) -> Detector {
        assert!(rules.len() <= MAX_RULES, "at most {MAX_RULES} rules");
        let mut literals: Vec<&'static str> = Vec::new();
        let mut anchor_rules: Vec<u128> = Vec::new();
        let (mut always, mut shaped) = (0u128, 0u128);
        for (i, rule) in rules.iter().enumerate() {
            let bit = 1u128 << i;
            match rule.gate {
                Gate::Anchors(list) => {
                    for lit in list {
                        match literals.iter().position(|l| l == lit) {
                            Some(p) => anchor_rules[p] |= bit,
                            None => {
                                literals.push(lit);
                                anchor_rules.push(bit);
                            }
                        }
                    }
                }
                Gate::Always => always |= bit,
                _ => shaped |= bit,
            }
        }
        let pairs: Vec<(&str, u128)> = literals.iter().copied().zip(anchor_rules).collect();
        let prefilter = Prefilter::new(&pairs, rules.iter().map(|r| r.gate));
        Detector {
            rules,
            prefilter,
            always,
            shaped,
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
        scratch.findings.clear();
        scratch.runs.clear();
        if text.is_empty() {
            return &scratch.findings;
        }
        let mut first = scratch
            .first
            .take()
            .unwrap_or_else(|| Box::new([0; MAX_RULES]));
        let pass = self.prefilter.scan(text, &mut first, &mut scratch.runs);
        let cand = self.always | pass.anchored | (self.open_gates(pass.shape) & self.shaped);
        scratch.first = Some(first);
        if cand == 0 {
            return &scratch.findings;
        }
        if scratch.locs.len() < self.rules.len() {
            scratch.locs.resize(self.rules.len(), None);
        }
        let mut bits = cand;
        while bits != 0 {
            let i = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            if let Gate::NumRun(n) = self.rules[i].gate {
                for k in 0..scratch.runs.len() {
                    let (start, end, digits) = scratch.runs[k];
                    if digits >= n {
                        // One character past the run, so `\b` at its end sees what follows.
                        let end = end + text[end..].chars().next().map_or(0, char::len_utf8);
                        self.run_rule(i, text, start, end, scratch);
                    }
                }
            } else if let Gate::Anchors(_) = self.rules[i].gate {
                // The regex can start no earlier than the whitespace-delimited word holding
                // the rule's first anchor, so the search starts there.
                let first = scratch.first.as_ref().map_or(0, |f| f[i]);
                let from = word_start(text, first as usize);
                self.run_rule(i, text, from, text.len(), scratch);
            } else {
                self.run_rule(i, text, 0, text.len(), scratch);
            }
        }
        merge(&mut scratch.findings);
        &scratch.findings
    }

    fn open_gates(&self, shape: Shape) -> u128 {
        let mut mask = 0u128;
        let mut bits = self.shaped;
        while bits != 0 {
            let i = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            let open = match self.rules[i].gate {
                Gate::NumRun(n) => shape.num_digits >= n,
                Gate::Run(n) => shape.word_run >= n,
                Gate::DotRun(n) => shape.dot_run >= n,
                Gate::UpperRun(n) => shape.upper_run >= n,
                _ => true,
            };
            if open {
                mask |= 1u128 << i;
            }
        }
        mask
    }

    /// Runs rule `i` over `text[from..to]` (searching the prefix `text[..to]` from `from`,
    /// so `\b` at `from` sees the byte before it).
    fn run_rule(&self, i: usize, text: &str, from: usize, to: usize, scratch: &mut Scratch) {
        let rule = &self.rules[i];
        let hay = &text[..to];
        let locs = scratch.locs[i].get_or_insert_with(|| rule.regex.capture_locations());
        // Without capture groups a plain search does: no capture engine runs.
        let groups = locs.len() > 1;
        let mut pos = from;
        while pos <= hay.len() {
            let m = if groups {
                rule.regex.captures_read_at(locs, hay, pos)
            } else {
                rule.regex.find_at(hay, pos)
            };
            let Some(m) = m else {
                break;
            };
            let (ms, me) = (m.start(), m.end());
            let (s, e) = (1..locs.len())
                .find_map(|g| locs.get(g))
                .unwrap_or((ms, me));
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
            pos = if me > ms {
                me
            } else {
                // An empty match: step over one character.
                me + hay[me..].chars().next().map_or(1, char::len_utf8)
            };
        }
    }
}

/// The start of the whitespace-delimited word around `pos`, minus one byte (rules may
/// begin with the whitespace before a flag: `(?:^|\s)-u`), looking back at most 512 bytes.
fn word_start(text: &str, pos: usize) -> usize {
    let b = text.as_bytes();
    let floor = pos.saturating_sub(512);
    let mut p = pos;
    while p > floor && !b[p - 1].is_ascii_whitespace() {
        p -= 1;
    }
    p = p.saturating_sub(1);
    while !text.is_char_boundary(p) {
        p -= 1;
    }
    p
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
