//! The header matchers (`Authorization`, `Cookie`) and the bare `Bearer` token.

use sluice_plugin_redact::matchers::Matcher;

use super::support::Rng;
use super::{BLANKS, ESCAPES, SEPS, TAILS, Tolerance, assert_is_the_regex, generated};

const AUTH_PIECES: &[&str] = &[
    "Authorization",
    "authorization",
    "AUTHORIZATION",
    "x-authorization",
    "authorizatio",
    "Cookie",
    "cookie",
    "set-cookie",
    "Set-Cookie",
    "xcookie",
    "_cookie",
    "-cookie",
    "coo\u{212a}ie",
    "COOKIE",
    "cookies",
    "\\",
    "\"",
    "'",
    "\\\"",
    "\\'",
    ":",
    "=",
    ": ",
    ":=",
    " ",
    "  ",
    "\t",
    "    ",
    "\n",
    "\r\n",
    "Bearer ",
    "bearer",
    "Basic ",
    "token\t",
    "Digest ",
    "negotiate ",
    "NTLM ",
    "ntlm",
    "apikey ",
    "api-key ",
    "sso-key ",
    "aws4-hmac-sha256 ",
    "AWS4-HMAC-SHA256 ",
    "hmac ",
    "HMAC",
    "ba\u{17f}ic ",
    "to\u{212a}en ",
    "abc",
    "abcdef",
    "eyJhbGciOiJIUzI1NiJ9.e30.sig",
    "sessionid=abc123; csrftoken=xyz",
    "a=b",
    "x",
    "xyz",
    "12345",
    ",",
    ";",
    "é",
    "\u{a0}",
    "\u{2003}",
    "caf\u{e9}",
    "ab\u{85}cd",
];

const HEADER_NAMES: &[&str] = &[
    "Authorization",
    "authorization",
    "AUTHORIZATION",
    "authorizatio",
    "Cookie",
    "cookie",
    "COOKIE",
    "set-cookie",
    "xcookie",
    "coo\u{212a}ie",
    "cookies",
];

const SCHEMES: &[&str] = &[
    "",
    "",
    "",
    "Bearer ",
    "bearer",
    "Basic  ",
    "token\t",
    "Digest ",
    "NTLM ",
    "ntlm",
    "hmac ",
    "sso-key ",
    "aws4-hmac-sha256 ",
    "api-key ",
    "apikey ",
    "negotiate ",
    "ba\u{17f}ic ",
    "to\u{212a}en ",
];
const VALUES: &[&str] = &[
    "",
    "a",
    "ab",
    "abc",
    "abcd",
    "abcde",
    "abcdef",
    "abcdefg",
    "dXNlcjpwYXNz",
    "a b",
    "ab cd",
    "x y z",
    "sessionid=abc123; csrftoken=xyz",
    "eyJhbGciOiJIUzI1NiJ9.e30.sig",
    "caf\u{e9}",
    "\u{e9}\u{e9}\u{e9}",
    "\u{e9}\u{e9}\u{e9}\u{e9}",
    "ab\u{85}cdef",
    "abc\u{a0}def",
    "12,34",
    "1234;5",
    "\"quoted\"",
    "'q'",
    "a\\b",
    "\r\n",
];

/// Headers built from the patterns' pieces and near misses.
fn headers(rng: &mut Rng, names: &[&str], n: usize) -> Vec<String> {
    (0..n)
        .map(|_| {
            let mut s = String::new();
            for _ in 0..1 + rng.below(2) {
                for part in [
                    rng.pick(&["", "", " ", "x", "_", "-", "\"", "é"]),
                    if rng.below(4) == 0 {
                        rng.pick(HEADER_NAMES)
                    } else {
                        rng.pick(names)
                    },
                    rng.pick(ESCAPES),
                    rng.pick(BLANKS),
                    rng.pick(SEPS),
                    rng.pick(BLANKS),
                    rng.pick(ESCAPES),
                    rng.pick(SCHEMES),
                    rng.pick(BLANKS),
                    rng.pick(VALUES),
                    rng.pick(TAILS),
                ] {
                    s.push_str(part);
                }
            }
            s
        })
        .collect()
}

#[test]
fn authorization_header_is_the_regex() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let strings = [
        generated(&mut rng, AUTH_PIECES, 10_000, 9),
        headers(
            &mut rng,
            &["Authorization", "authorization", "AUTHORIZATION"],
            40_000,
        ),
    ]
    .concat();
    assert_is_the_regex(
        Matcher::Authorization,
        strings,
        5_000,
        Tolerance::FewerThanOneIn20,
    );
}

#[test]
fn cookie_is_the_regex() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let strings = [
        generated(&mut rng, AUTH_PIECES, 10_000, 9),
        headers(
            &mut rng,
            &["Cookie", "cookie", "COOKIE", "set-cookie"],
            40_000,
        ),
    ]
    .concat();
    assert_is_the_regex(Matcher::Cookie, strings, 5_000, Tolerance::FewerThanOneIn20);
}

#[test]
fn bearer_token_is_the_regex() {
    const NAMES: &[&str] = &["Bearer", "bearer", "BEARER", "bearers", "beare", "xbearer"];
    const TOKEN: &[u8] = b"ABCxyz0189._~+/-";
    let mut rng = Rng(0x9b05_688c_2b3e_6c1f);
    let mut strings = Vec::new();
    for _ in 0..40_000 {
        let mut s = String::new();
        s.push_str(rng.pick(&["", "", " ", "\"", "x", "_", "-", "é", ":"]));
        s.push_str(rng.pick(NAMES));
        s.push_str(rng.pick(&[" ", " ", "\t", "  ", " \t", "", "\n", "="]));
        let n = 13 + rng.below(8);
        let mut token: String = (0..n).map(|_| char::from(rng.pick(TOKEN))).collect();
        match rng.below(10) {
            0 => token.insert(rng.below(n), '\u{212a}'),
            1 => token.insert(rng.below(n), 'é'),
            2 => token.insert(rng.below(n), ' '),
            _ => {}
        }
        s.push_str(&token);
        s.push_str(rng.pick(&["", "", "=", "==", "=x", "\"", ",", " next", "é"]));
        strings.push(s);
    }
    assert_is_the_regex(Matcher::Bearer, strings, 3_000, Tolerance::AtMostOneIn20);
}
