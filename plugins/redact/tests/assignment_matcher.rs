//! `password_assignment`'s hand matcher (`assign::match_at`) finds exactly what an anchored
//! search of the rule's regex finds, with the same secret span as its capture groups, at
//! every position of the corpus, the throughput samples and strings generated from the
//! pattern's pieces and their near misses (names in any case and cut short, every quoting,
//! separator and value form, unterminated quotes, line ends, non-ASCII bytes).

use regex_automata::util::primitives::NonMaxUsize;
use regex_automata::{Anchored, Input};
use sluice_plugin_redact::assign::{Unsure, match_at};
use sluice_plugin_redact::rules::{Capture, RuleDef, Start, builtin, compile_pattern};

mod support;

use support::Rng;

fn rule() -> RuleDef {
    let mut found = builtin()
        .into_iter()
        .filter(|r| r.capture == Capture::Assignment);
    let r = found.next().expect("the assignment rule");
    assert!(found.next().is_none(), "one rule is matched by `match_at`");
    assert_eq!(r.start, Start::Anchor);
    r
}

fn corpus() -> Vec<String> {
    let mut out = support::corpus_and_clean();
    out.extend(sluice_plugin_redact::samples::dense(64 << 10));
    out.extend(sluice_plugin_redact::samples::prose(64 << 10));
    out
}

const NAMES: &[&str] = &[
    "password",
    "PASSWORD",
    "Passwd",
    "passphrase",
    "pass",
    "passwor",
    "pwd",
    "secret",
    "SECRET_KEY",
    "secret-key",
    "secretkey",
    "secret_",
    "token",
    "Token",
    "api_key",
    "api-key",
    "apikey",
    "api__key",
    "API_KEY",
    "access_key",
    "accessKey",
    "private-key",
    "signing_key",
    "encryption-key",
    "masterkey",
    "account_key",
    "subscription-key",
    "license_key",
    "client_key",
    "clientkey",
    "client",
    // Unicode case folding: `ſ` is `s`, `K` (Kelvin) is `k` to the regex.
    "ſecret",
    "api_\u{212a}ey",
    "tokén",
];
const PREFIXES: &[&str] = &["", "", "DB_", "x-", "my", " ", "\"", "<", "--"];
const QUOTES: &[&str] = &["", "", "\"", "'", "\\\"", "\\", "\\'"];
const BLANKS: &[&str] = &["", "", " ", "\t", "  ", " \t", "\n"];
const SEPS: &[&str] = &[
    "=", ":", ":=", "=>", ">", "=:", "::", "", "==", "->", "= >", "<",
];
const VALUES: &[&str] = &[
    "hunter2",
    "s3cr3t-Value_9",
    "\"Winter 2024!\"",
    "\"x\"",
    "\"\"",
    "''",
    "'a b'",
    "'it''s'",
    "\\\"esc4ped\\\"",
    "\\\"half\"",
    "\"half\\\"",
    "\"a\\b\"",
    "\"unterminated",
    "'unterminated",
    "\"",
    "'",
    "",
    "=x9",
    ":=y",
    "a;b",
    "v\"x",
    "x\\y",
    "é€",
    "caf\u{e9}",
    "\"caf\u{e9}\"",
    "\u{a0}nbsp",
    "x\u{85}y",
    "\"line\nbreak\"",
    "'cr\rx'",
    "val</",
    "a b</x",
    "<",
    "${SECRET}",
    "`code`",
    "(x)",
    "[1]",
    "{y}",
    "a&b",
    "a,b",
];
const TAILS: &[&str] = &[
    "",
    " next",
    "\n",
    ",",
    "\"",
    "'",
    "</",
    "</password>",
    "\\\"",
    "é",
    ";",
];

/// Strings of one to three assignments built from the pattern's pieces and near misses.
fn generated(rng: &mut Rng, n: usize) -> Vec<String> {
    (0..n)
        .map(|_| {
            let mut s = String::new();
            for _ in 0..1 + rng.below(3) {
                s.push_str(rng.pick(PREFIXES));
                s.push_str(rng.pick(NAMES));
                s.push_str(rng.pick(QUOTES));
                s.push_str(rng.pick(BLANKS));
                s.push_str(rng.pick(SEPS));
                s.push_str(rng.pick(BLANKS));
                s.push_str(rng.pick(VALUES));
                s.push_str(rng.pick(TAILS));
            }
            s
        })
        .collect()
}

#[test]
fn match_at_is_the_regex_with_its_groups() {
    let r = rule();
    let re = compile_pattern(r.pattern).expect("compiles");
    let groups = re.group_info().group_len(regex_automata::PatternID::ZERO);
    assert_eq!(groups, 5, "the matcher knows four value groups");
    let mut cache = re.create_cache();
    let mut slots = vec![None; 2 * groups];
    let texts = corpus();
    let real = texts.len();
    let texts = [texts, generated(&mut Rng(0x2545_f491_4f6c_dd1d), 40_000)].concat();
    let (mut compared, mut matched, mut unsure) = (0usize, 0usize, 0usize);
    for (k, text) in texts.iter().enumerate() {
        let b = text.as_bytes();
        for at in 0..=b.len() {
            let got = match match_at(b, at) {
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
                        .expect("every branch has a group");
                    [ms, me, s, e]
                });
            assert_eq!(got, want, "at {at} of {text:?}");
            compared += 1;
            matched += usize::from(want.is_some());
        }
    }
    assert!(matched > 15_000, "only {matched} matches of {compared}");
    // Real text rarely has a non-ASCII byte in a name or a value: the regex is the exception.
    assert!(unsure * 100 < matched, "{unsure} unsure, {matched} matches");
}
