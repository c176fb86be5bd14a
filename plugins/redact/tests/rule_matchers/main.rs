//! The hand matchers (`matchers::Matcher`) find exactly what an anchored search of their
//! rule's regex finds, with the same secret span as its capture groups, at every position of
//! the corpus, the throughput samples and strings generated from each pattern's pieces and
//! their near misses; and the PEM body check read at every third byte (`check::pem`) answers
//! what the byte-by-byte one did.
//!
//! The tests stand in one module a family of matchers, with the generators only that family
//! uses; what several families build from stays here.

use regex_automata::util::primitives::NonMaxUsize;
use regex_automata::{Anchored, Input};
use sluice_plugin_redact::matchers::{Matcher, Unsure};
use sluice_plugin_redact::rules::{RuleDef, Start, builtin, compile_pattern};

#[path = "../support/mod.rs"]
mod support;

mod cloud_keys;
mod email;
mod flags;
mod headers;
mod numbers;
mod pem;
mod urls;

use support::Rng;

fn rule(matcher: Matcher) -> RuleDef {
    let mut found = builtin().into_iter().filter(|r| r.matcher == Some(matcher));
    let r = found.next().expect("a rule with this matcher");
    assert!(found.next().is_none(), "one rule per matcher");
    // `Start::Url`, `Start::Email`: the detector asks the matcher at the one place in the
    // window where the regex can start (`tests/prefilter_equivalence.rs` holds that to the
    // window's search).
    assert!(
        matches!(
            r.start,
            Start::Anchor | Start::Flag | Start::Url | Start::Email
        ),
        "matchers stand for anchored searches"
    );
    r
}

fn corpus() -> Vec<String> {
    let mut out = support::corpus_and_clean();
    out.extend(sluice_plugin_redact::samples::dense(64 << 10));
    out.extend(sluice_plugin_redact::samples::prose(64 << 10));
    out
}

/// Strings of 1 to `max` pieces picked from `pieces`.
fn generated(rng: &mut Rng, pieces: &[&str], n: usize, max: usize) -> Vec<String> {
    (0..n)
        .map(|_| (0..1 + rng.below(max)).map(|_| rng.pick(pieces)).collect())
        .collect()
}

/// Compares the matcher with the regex at every character boundary of `texts` (the first
/// `real` of which are real text); gives the matches compared, and the matches and unsure
/// answers on real text.
fn compare(matcher: Matcher, texts: &[String], real: usize) -> (usize, usize, usize) {
    let r = rule(matcher);
    let re = compile_pattern(r.pattern).expect("compiles");
    let groups = re.group_info().group_len(regex_automata::PatternID::ZERO);
    let mut cache = re.create_cache();
    let mut slots = vec![None; 2 * groups];
    let (mut matched, mut real_matched, mut unsure) = (0, 0, 0);
    for (k, text) in texts.iter().enumerate() {
        let b = text.as_bytes();
        for at in (0..=b.len()).filter(|&at| text.is_char_boundary(at)) {
            let got = match matcher.match_at(text, at) {
                Ok(got) => got,
                Err(Unsure) => {
                    unsure += usize::from(k < real);
                    continue;
                }
            };
            let input = Input::new(b).range(at..).anchored(Anchored::Yes);
            let want = re
                .search_slots_with(&mut cache, &input, &mut slots)
                .map(|_| {
                    let slot = |k: usize| slots[k].map(NonMaxUsize::get);
                    let (ms, me) = (slot(0).unwrap(), slot(1).unwrap());
                    let (s, e) = (1..groups)
                        .find_map(|g| Some((slot(2 * g)?, slot(2 * g + 1)?)))
                        .unwrap_or((ms, me));
                    [ms, me, s, e]
                });
            assert_eq!(got, want, "{matcher:?} at {at} of {text:?}");
            matched += usize::from(want.is_some());
            real_matched += usize::from(want.is_some() && k < real);
        }
    }
    (matched, real_matched, unsure)
}

/// How often a matcher may hand a position of real text back to the regex (`Err(Unsure)`).
/// Each such answer costs the detector the regex search the matcher is there to save: a
/// matcher whose pattern leaves Unicode semantics to settle may do it now and then, the
/// others never. Where none is allowed, most tests also want a match on real text, so that
/// the zero says something. The strict and the non-strict bound are kept apart on purpose:
/// each variant is exactly the condition of the tests that name it, and none may weaken.
#[derive(Debug, Clone, Copy)]
enum Tolerance {
    /// No unsure answer (`unsure == 0`), matches on real text or not.
    Never,
    /// No unsure answer, and at least one match on real text.
    NeverWithRealMatches,
    /// One unsure answer to 20 matches on real text at the most (`unsure * 20 <=
    /// real_matched`).
    AtMostOneIn20,
    /// Fewer than one unsure answer to 20 matches on real text (`unsure * 20 <
    /// real_matched`): at least one match, too.
    FewerThanOneIn20,
}

/// Holds `matcher` to its regex on the corpus followed by `generated` (see [`compare`]),
/// then asserts that more than `more_than` matches were compared, so that the generators
/// still reach the pattern, and that the unsure answers on the corpus keep to `tolerance`.
/// The tests differ in their inputs and bounds alone; this is the one place they are judged.
fn assert_is_the_regex(
    matcher: Matcher,
    generated: Vec<String>,
    more_than: usize,
    tolerance: Tolerance,
) {
    let mut all = corpus();
    let real = all.len();
    all.extend(generated);
    let (matched, real_matched, unsure) = compare(matcher, &all, real);
    assert!(matched > more_than, "{matcher:?}: only {matched} matches");
    let within = match tolerance {
        Tolerance::Never => unsure == 0,
        Tolerance::NeverWithRealMatches => real_matched > 0 && unsure == 0,
        Tolerance::AtMostOneIn20 => unsure * 20 <= real_matched,
        Tolerance::FewerThanOneIn20 => unsure * 20 < real_matched,
    };
    assert!(
        within,
        "{matcher:?}: {unsure} unsure, {real_matched} matches on real text, {tolerance:?}"
    );
}

// Pieces of a `name: value` assignment around its name and value (quotes and escapes,
// blanks, separators, what follows), for the header and keyed-secret generators.
const ESCAPES: &[&str] = &["", "", "", "\\", "\"", "'", "\\\"", "\\'", "\"'"];
const BLANKS: &[&str] = &["", "", " ", "\t", "  ", " \t ", "    ", "     ", "\n"];
const SEPS: &[&str] = &[":", ":", "=", ":=", "", "-", "::"];
const TAILS: &[&str] = &["", "\"", "'", "\\\"", ",", ";", "\n", " next", "\r", "é"];
