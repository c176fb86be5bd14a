//! Every built-in rule matched by a token shape instead of its regex (`rules::shape`) finds
//! exactly what an anchored search of its regex finds, at every position of the corpus, the
//! throughput samples and strings generated around each shape's edges (run lengths at and
//! beyond their bounds, bytes just outside the classes, every kind of neighbour). A shape of
//! a rule gated on `[A-Za-z0-9_.-]` runs reads only such bytes, so that its matches lie in the
//! runs (the detector tries it there instead of searching the run with the regex).

use regex_automata::{Anchored, Input};
use sluice_plugin_redact::rules::shape::{self, Alt, Part};
use sluice_plugin_redact::rules::{RuleDef, Start, builtin, compile_pattern};

mod support;

use support::{Rng, corpus_and_clean as corpus};

fn shaped() -> Vec<RuleDef> {
    builtin()
        .into_iter()
        .filter(|r| r.shape.is_some())
        .collect()
}

/// Bytes a generated token is made of: every class's members and the bytes next to them.
const BYTES: &[u8] = b"aAzZfFgG09275_-.=+/ \n\"'@:T3BlbkFJ";
/// What can stand before or after a token.
const EDGES: &[&str] = &[
    "", " ", "x", "_", "-", ".", "0", "=", "\"", "é", "\n", "/", "Z",
];

/// Strings built from one alternative: a neighbour, a prefix, each part at a length around
/// its bounds (sometimes with a byte from outside its class), a neighbour.
fn generated(alt: &Alt, rng: &mut Rng, n: usize) -> Vec<String> {
    (0..n)
        .map(|_| {
            let mut s: Vec<u8> = rng.pick(EDGES).as_bytes().to_vec();
            s.extend_from_slice(rng.pick(alt.prefixes).as_bytes());
            for part in alt.parts {
                match *part {
                    Part::Lit(l) => {
                        if rng.below(8) > 0 {
                            s.extend_from_slice(l.as_bytes());
                        }
                    }
                    Part::Run(class, min, max) => {
                        let min = min as usize;
                        let max = if max == shape::ANY {
                            min + 40
                        } else {
                            max as usize
                        };
                        let lens = [
                            min.saturating_sub(1),
                            min,
                            min + 1,
                            max.saturating_sub(1),
                            max,
                            max + 1,
                            max + 2,
                            min + rng.below(max - min + 1),
                        ];
                        let len = rng.pick(&lens);
                        let members: Vec<u8> =
                            BYTES.iter().copied().filter(|&c| class.has(c)).collect();
                        for _ in 0..len {
                            let c = if rng.below(60) == 0 {
                                rng.pick(BYTES)
                            } else {
                                rng.pick(&members)
                            };
                            s.push(c);
                        }
                    }
                }
            }
            s.extend_from_slice(rng.pick(EDGES).as_bytes());
            if rng.below(4) == 0 {
                s.extend_from_slice(rng.pick(alt.prefixes).as_bytes());
            }
            String::from_utf8(s).expect("UTF-8 pieces")
        })
        .collect()
}

#[test]
fn shaped_rules_are_anchored_token_patterns() {
    let rules = shaped();
    assert!(rules.len() >= 25, "only {} shaped rules", rules.len());
    for r in &rules {
        assert_eq!(r.start, Start::Anchor, "{}", r.name);
        let re = compile_pattern(r.pattern).expect("compiles");
        assert_eq!(
            re.group_info().group_len(regex_automata::PatternID::ZERO),
            1,
            "{}: a shaped pattern has no capture group",
            r.name
        );
        for alt in r.shape.unwrap() {
            for p in alt.prefixes {
                let c = p.as_bytes()[0];
                assert!(c.is_ascii_alphanumeric(), "{}: prefix {p:?}", r.name);
            }
        }
    }
}

#[test]
fn run_gated_shapes_read_only_run_bytes() {
    use sluice_plugin_redact::prefilter::kernel::{DOT, class};
    use sluice_plugin_redact::rules::Gate;
    let run = |c: u8| class(c) & DOT != 0;
    let mut checked = 0;
    for r in shaped() {
        if !matches!(r.gate, Gate::Run(_) | Gate::DotRun(_)) {
            continue;
        }
        for alt in r.shape.unwrap() {
            assert!(
                alt.prefixes.iter().all(|p| p.bytes().all(run)),
                "{}",
                r.name
            );
            for part in alt.parts {
                match *part {
                    Part::Lit(lit) => assert!(lit.bytes().all(run), "{}", r.name),
                    Part::Run(c, _, _) => {
                        assert!((0..=255u8).all(|b| !c.has(b) || run(b)), "{}", r.name)
                    }
                }
            }
        }
        checked += 1;
    }
    assert!(checked >= 2, "{checked}");
}

#[test]
fn each_shape_matches_what_its_regex_matches() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let base = corpus();
    let mut compared = 0usize;
    let mut matched = 0usize;
    for r in shaped() {
        let re = compile_pattern(r.pattern).expect("compiles");
        let mut cache = re.create_cache();
        let shape = r.shape.unwrap();
        let mut texts = base.clone();
        for alt in shape {
            texts.extend(generated(alt, &mut rng, 3_000));
        }
        for text in &texts {
            let b = text.as_bytes();
            for at in 0..=b.len() {
                let input = Input::new(b).range(at..).anchored(Anchored::Yes);
                let want = re.search_with(&mut cache, &input).map(|m| m.end());
                let got = shape::match_at(shape, b, at);
                assert_eq!(got, want, "{} at {at} of {text:?}", r.name);
                compared += 1;
                matched += usize::from(want.is_some());
            }
        }
    }
    assert!(matched > 20_000, "only {matched} matches of {compared}");
}
