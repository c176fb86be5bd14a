//! The email address matcher.

use sluice_plugin_redact::matchers::Matcher;

use super::support::Rng;
use super::{Tolerance, assert_is_the_regex};

/// Addresses and near misses: local parts of every class byte and length around 64, labels
/// around 63 and with dashes at their ends, top-level domains around 2 and 24 letters, and
/// what may follow them (digits, `_`, `-`, the Kelvin sign).
fn addresses(rng: &mut Rng, n: usize) -> Vec<String> {
    const LOCAL: &[u8] = b"ab09._%+-";
    const LABEL: &[u8] = b"ab09-";
    let run = |rng: &mut Rng, alphabet: &[u8], len: usize| -> String {
        (0..len).map(|_| char::from(rng.pick(alphabet))).collect()
    };
    (0..n)
        .map(|_| {
            let mut s = String::from(rng.pick(&["", " ", "<", "x", "_", ".", "é", "\u{212a}"]));
            let local = rng.pick(&[1, 5, 10, 63, 64, 65]);
            s.push_str(&run(rng, LOCAL, local));
            s.push_str(rng.pick(&["@", "@", "@", "@@", ""]));
            for _ in 0..rng.below(3) {
                let len = rng.pick(&[1, 2, 5, 62, 63, 64]);
                s.push_str(&run(rng, LABEL, len));
                s.push_str(rng.pick(&[".", ".", ".", "..", "-."]));
            }
            let tld = rng.pick(&[1, 2, 3, 24, 25]);
            s.push_str(&run(rng, b"comKZ", tld));
            s.push_str(rng.pick(&[
                "", "", " ", ".", "-", "1", "_", "é", "\u{212a}", ".uk", ">", "-x",
            ]));
            s
        })
        .collect()
}

#[test]
fn email_is_the_regex() {
    let mut rng = Rng(0x71374491_b5c0fbcf);
    let strings = addresses(&mut rng, 30_000);
    assert_is_the_regex(Matcher::Email, strings, 5_000, Tolerance::AtMostOneIn20);
}
