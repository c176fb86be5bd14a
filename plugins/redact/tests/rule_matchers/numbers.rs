//! The matchers gated on numeric runs (card numbers, US social security numbers,
//! international phone numbers) and the IBAN.

use sluice_plugin_redact::matchers::Matcher;
use sluice_plugin_redact::rules::{RuleDef, builtin};

use super::support::Rng;
use super::{Tolerance, assert_is_the_regex};

/// Digits in groups with the separators a number has or nearly has, at lengths around the
/// patterns' bounds, with what can stand before and after a number.
fn numbers(rng: &mut Rng, n: usize) -> Vec<String> {
    const SEPS: &[&str] = &["", "", " ", "-", "  ", "--", ".", " -", "_", "/"];
    const EDGES: &[&str] = &[
        "", " ", "x", "_", "(", ")", "+", "-", ".", "é", "0", "\n", ":",
    ];
    (0..n)
        .map(|_| {
            let mut s = String::from(rng.pick(EDGES));
            let groups = 1 + rng.below(6);
            for g in 0..groups {
                if g > 0 {
                    s.push_str(rng.pick(SEPS));
                }
                for _ in 0..1 + rng.below(6) {
                    s.push(char::from(b'0' + rng.below(10) as u8));
                }
            }
            s.push_str(rng.pick(EDGES));
            s
        })
        .collect()
}

#[test]
fn run_gated_matchers_start_at_a_digit_after_a_boundary() {
    use sluice_plugin_redact::rules::Gate;
    let gated: Vec<RuleDef> = builtin()
        .into_iter()
        .filter(|r| r.matcher.is_some() && matches!(r.gate, Gate::NumRun(_)))
        .collect();
    assert_eq!(gated.len(), 3);
    for r in gated {
        let p = r.pattern;
        assert!(
            p.starts_with(r"\b[0-9]") || p.starts_with(r"\+"),
            "{}",
            r.name
        );
    }
}

#[test]
fn credit_card_is_the_regex() {
    let mut rng = Rng(0x8f1b_bcdc_ca62_c1d6);
    let mut strings = numbers(&mut rng, 40_000);
    for _ in 0..10_000 {
        let g = rng.pick(&["4111", "5500", "3782", "6011", "12"]);
        let sep = rng.pick(&[" ", "-", "", " -"]);
        let mut s = String::from(rng.pick(&["", " ", "card ", "x", "_"]));
        for k in 0..2 + rng.below(4) {
            if k > 0 {
                s.push_str(sep);
            }
            s.push_str(g);
        }
        s.push_str(rng.pick(&["", " ", "1", "x", "-", "_"]));
        strings.push(s);
    }
    assert_is_the_regex(
        Matcher::CreditCard,
        strings,
        5_000,
        Tolerance::NeverWithRealMatches,
    );
}

#[test]
fn us_ssn_is_the_regex() {
    let mut rng = Rng(0xca27_3ece_ea26_619c);
    let mut strings = numbers(&mut rng, 40_000);
    for _ in 0..50_000 {
        let mut s = String::from(rng.pick(&["", " ", "ssn ", "x", "_", "1", "-"]));
        for (k, n) in [3, 2, 4].into_iter().enumerate() {
            if k > 0 {
                s.push_str(rng.pick(&["-", "-", "-", "-", "-", " ", ""]));
            }
            let n = match rng.below(8) {
                0 => n - 1,
                1 => n + 1,
                _ => n,
            };
            for _ in 0..n {
                s.push(char::from(b'0' + rng.below(10) as u8));
            }
        }
        s.push_str(rng.pick(&["", " ", "1", "x", "-", "_"]));
        strings.push(s);
    }
    assert_is_the_regex(Matcher::UsSsn, strings, 2_000, Tolerance::Never);
}

#[test]
fn iban_is_the_regex() {
    const ITEMS: &[u8] = b"ABWZ0189";
    let mut rng = Rng(0x1b87_3593_4c1f_7c33);
    let mut strings = Vec::new();
    for _ in 0..40_000 {
        let mut s = String::from(rng.pick(&["", " ", "IBAN ", "x", "_", "1", "é", "-"]));
        s.push_str(rng.pick(&["GB", "DE", "FR", "GB", "Gb", "G", "gb", "GBR"]));
        s.push_str(rng.pick(&["82", "29", "82", "8", "823", "8x"]));
        let n = rng.pick(&[9, 10, 11, 12, 20, 30, 31, 32, 33, 34]) + rng.below(2);
        for k in 0..n {
            if k > 0 && rng.below(4) == 0 {
                s.push_str(rng.pick(&[" ", " ", "  ", "-"]));
            }
            s.push(char::from(rng.pick(ITEMS)));
        }
        s.push_str(rng.pick(&["", " ", "x", "_", "-", " A", "é", "a"]));
        strings.push(s);
    }
    assert_is_the_regex(
        Matcher::Iban,
        strings,
        2_000,
        Tolerance::NeverWithRealMatches,
    );
}

#[test]
fn phone_intl_is_the_regex() {
    let mut rng = Rng(0x0e0e_2d2b_7a3c_94f1);
    let mut strings: Vec<String> = numbers(&mut rng, 20_000)
        .into_iter()
        .map(|n| format!("+{n}"))
        .collect();
    for _ in 0..30_000 {
        let mut s = String::from(rng.pick(&["", " ", "tel ", "x", "++", "1"]));
        s.push('+');
        s.push_str(rng.pick(&["1", "44", "33", "0", "49", "x"]));
        let n = rng.pick(&[4, 5, 6, 7, 18, 19, 20, 21, 22]);
        for _ in 0..n {
            let c = rng.pick(b"0123456789  ().-");
            s.push(char::from(c));
        }
        s.push_str(rng.pick(&["", "", "5", " ", "x", "_", ")", "-", "é"]));
        strings.push(s);
    }
    assert_is_the_regex(
        Matcher::PhoneIntl,
        strings,
        5_000,
        Tolerance::NeverWithRealMatches,
    );
}
