//! The hand matchers (`matchers::Matcher`) find exactly what an anchored search of their
//! rule's regex finds, with the same secret span as its capture groups, at every position of
//! the corpus, the throughput samples and strings generated from each pattern's pieces and
//! their near misses; and the PEM body check read at every third byte (`check::pem`) answers
//! what the byte-by-byte one did.

use regex_automata::util::primitives::NonMaxUsize;
use regex_automata::{Anchored, Input};
use sluice_plugin_redact::check::{pem, pem_reference};
use sluice_plugin_redact::matchers::{Matcher, Unsure};
use sluice_plugin_redact::rules::{RuleDef, Start, builtin, compile_pattern};

mod support;

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

/// Base64 lines of every length up to 70, so that dashes and fillers land at every offset.
fn base64(rng: &mut Rng) -> String {
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    (0..rng.below(71))
        .map(|_| char::from(rng.pick(B64)))
        .collect()
}

const KEY_PIECES: &[&str] = &[
    "-----BEGIN RSA PRIVATE KEY-----",
    "-----BEGIN PRIVATE KEY-----",
    "-----BEGIN OPENSSH PRIVATE KEY-----",
    "-----BEGIN ENCRYPTED PRIVATE KEY BLOCK-----",
    "-----BEGIN EC2 PRIVATE KEY-----",
    "-----BEGIN rsa PRIVATE KEY-----",
    "-----BEGIN PUBLIC KEY-----",
    "-----BEGIN PRIVATE KEY----",
    "-----BEGIN PRIVATE KEY------",
    "-----BEGIN PRIVATE KEY BLOCK BLOCK-----",
    "-----BEGINPRIVATE KEY-----",
    "-----BEGIN PRIVATE KEYS-----",
    "-----END RSA PRIVATE KEY-----",
    "-----END PRIVATE KEY-----",
    "-----END PRIVATE KEY BLOCK-----",
    "-----END OPENSSH PRIVATE KEY-----",
    "-----END PUBLIC KEY-----",
    "-----END PRIVATE KEY----",
    "----END PRIVATE KEY-----",
    "------END PRIVATE KEY-----",
    "-----END  PRIVATE KEY-----x",
    "-----END private KEY-----",
    "-----END",
    "-----E",
    "-----",
    "--",
    "-",
    "\n",
    "\n",
    "\\n",
    "\\r\\n",
    "\\t",
    "\\",
    "\r\n",
    " ",
    "\t",
    "\x0b",
    "\x0c",
    "...",
    "..",
    "xxxx",
    "xxx",
    "XXXX",
    "xX",
    ":",
    ",",
    "=",
    "==",
    "\"",
    "'",
    "é",
    "\u{a0}",
    "\u{2028}",
    "\u{85}",
    "Proc-Type: 4,ENCRYPTED",
    "PuTTY-User-Key-File-2: ssh-rsa\n",
    "PuTTY-User-Key-File-3: ",
    "PuTTY-User-Key-File-x: ",
    "PuTTY-User-Key-File-2:",
    "Encryption: none\nPublic-Lines: 6\n",
    "Private-MAC: ",
    "Private-MAC: 0a1b2c3d",
    "Private-MAC: zz",
    "Private-MAC: A0",
    "Private-MAC:",
    "0f",
];

#[test]
fn private_key_is_the_regex() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let texts = corpus();
    let real = texts.len();
    let mut all = texts;
    for _ in 0..12_000 {
        let mut s = String::new();
        for _ in 0..1 + rng.below(10) {
            if rng.below(3) == 0 {
                s.push_str(&base64(&mut rng));
            } else {
                s.push_str(rng.pick(KEY_PIECES));
            }
        }
        all.push(s);
    }
    all.extend(generated(&mut rng, KEY_PIECES, 4_000, 8));
    let (matched, real_matched, unsure) = compare(Matcher::PrivateKey, &all, real);
    assert!(matched > 5_000, "only {matched} matches");
    assert!(
        unsure * 20 < real_matched,
        "{unsure} unsure, {real_matched} matches"
    );
}

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
const ESCAPES: &[&str] = &["", "", "", "\\", "\"", "'", "\\\"", "\\'", "\"'"];
const BLANKS: &[&str] = &["", "", " ", "\t", "  ", " \t ", "    ", "     ", "\n"];
const SEPS: &[&str] = &[":", ":", "=", ":=", "", "-", "::"];
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
const TAILS: &[&str] = &["", "\"", "'", "\\\"", ",", ";", "\n", " next", "\r", "é"];

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
    let texts = corpus();
    let real = texts.len();
    let all = [
        texts,
        generated(&mut rng, AUTH_PIECES, 10_000, 9),
        headers(
            &mut rng,
            &["Authorization", "authorization", "AUTHORIZATION"],
            40_000,
        ),
    ]
    .concat();
    let (matched, real_matched, unsure) = compare(Matcher::Authorization, &all, real);
    assert!(matched > 5_000, "only {matched} matches");
    assert!(
        unsure * 20 < real_matched,
        "{unsure} unsure, {real_matched} matches"
    );
}

#[test]
fn cookie_is_the_regex() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let texts = corpus();
    let real = texts.len();
    let all = [
        texts,
        generated(&mut rng, AUTH_PIECES, 10_000, 9),
        headers(
            &mut rng,
            &["Cookie", "cookie", "COOKIE", "set-cookie"],
            40_000,
        ),
    ]
    .concat();
    let (matched, real_matched, unsure) = compare(Matcher::Cookie, &all, real);
    assert!(matched > 5_000, "only {matched} matches");
    assert!(
        unsure * 20 < real_matched,
        "{unsure} unsure, {real_matched} matches"
    );
}

/// Bodies with filler runs of every length at every offset, around the 64-byte threshold.
#[test]
fn pem_check_is_the_byte_by_byte_one() {
    const FILL: &[&str] = &[
        ".", "..", "...", "....", "x", "xx", "xxx", "xxxx", "xxxxx", "X", "XXX", "XXXX", "xX",
        "xXxX", "-----", "------", "-----\n", "-----\\n", "----- ", "\n", " ", "=", "é", "..x",
    ];
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    let mut texts = corpus();
    for _ in 0..40_000 {
        let mut s = String::new();
        if rng.below(2) == 0 {
            s.push_str(rng.pick(KEY_PIECES));
        }
        for _ in 0..1 + rng.below(6) {
            if rng.below(2) == 0 {
                s.push_str(&base64(&mut rng));
            } else {
                s.push_str(rng.pick(FILL));
            }
        }
        texts.push(s);
    }
    let (mut yes, mut no) = (0, 0);
    for text in &texts {
        let want = pem_reference(text);
        assert_eq!(pem(text), want, "{text:?}");
        yes += usize::from(want);
        no += usize::from(!want);
        // The blocks the rule finds in it, as the detector confirms them.
        for at in (0..text.len()).filter(|&at| text.as_bytes()[at..].starts_with(b"-----BEGIN")) {
            if let Ok(Some([s, e, ..])) = Matcher::PrivateKey.match_at(text, at) {
                assert_eq!(pem(&text[s..e]), pem_reference(&text[s..e]), "{text:?}");
            }
        }
    }
    assert!(yes > 5_000 && no > 5_000, "{yes} accepted, {no} rejected");
}

const AZURE_NAMES: &[&str] = &[
    "AccountKey",
    "accountkey",
    "account_key",
    "ACCOUNT-KEY",
    "storage_key",
    "StorageKey",
    "storage-key",
    "storage--key",
    "account__key",
    "accountke",
    "\u{17f}torage_key",
    "account_\u{212a}ey",
    "accounts_key",
];

/// Base64 of 84 to 88 bytes, sometimes with a Kelvin sign or a blank in it.
fn azure_value(rng: &mut Rng) -> String {
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let n = if rng.below(2) == 0 {
        86
    } else {
        84 + rng.below(5)
    };
    let mut v: String = (0..n).map(|_| char::from(rng.pick(B64))).collect();
    match rng.below(8) {
        0 => v.insert(rng.below(n), '\u{212a}'),
        1 => v.insert(rng.below(n), ' '),
        _ => {}
    }
    v.push_str(rng.pick(&["==", "==", "==", "==", "=", "", "===", "=x"]));
    v
}

#[test]
fn azure_storage_key_is_the_regex() {
    let mut rng = Rng(0x510e_527f_ade6_82d1);
    let texts = corpus();
    let real = texts.len();
    let mut all = texts;
    for _ in 0..40_000 {
        let mut s = String::new();
        for part in [
            rng.pick(&["", "", " ", "x", "_", ";", "\""]),
            rng.pick(AZURE_NAMES),
            rng.pick(ESCAPES),
            rng.pick(BLANKS),
            rng.pick(SEPS),
            rng.pick(BLANKS),
            rng.pick(ESCAPES),
        ] {
            s.push_str(part);
        }
        s.push_str(&azure_value(&mut rng));
        s.push_str(rng.pick(TAILS));
        all.push(s);
    }
    let (matched, real_matched, unsure) = compare(Matcher::AzureStorageKey, &all, real);
    assert!(matched > 1_000, "only {matched} matches");
    assert!(
        unsure * 20 <= real_matched,
        "{unsure} unsure, {real_matched} matches"
    );
}

#[test]
fn bearer_token_is_the_regex() {
    const NAMES: &[&str] = &["Bearer", "bearer", "BEARER", "bearers", "beare", "xbearer"];
    const TOKEN: &[u8] = b"ABCxyz0189._~+/-";
    let mut rng = Rng(0x9b05_688c_2b3e_6c1f);
    let texts = corpus();
    let real = texts.len();
    let mut all = texts;
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
        all.push(s);
    }
    let (matched, real_matched, unsure) = compare(Matcher::Bearer, &all, real);
    assert!(matched > 3_000, "only {matched} matches");
    assert!(
        unsure * 20 <= real_matched,
        "{unsure} unsure, {real_matched} matches"
    );
}

#[test]
fn aws_secret_key_by_name_is_the_regex() {
    const NAMES: &[&str] = &[
        "aws_secret_access_key",
        "AWS_SECRET_ACCESS_KEY",
        "aws-secret-key",
        "awssecretkey",
        "aws_secret_key",
        "aws_secretaccess_key",
        "aws__secret_key",
        "aws_secret_acces_key",
        "aws_secret_access",
        "secret_access_key",
        "SecretAccessKey",
        "secret-access-key",
        "secret_key",
        "aws_\u{17f}ecret_key",
        "aws_secret_\u{212a}ey",
        "secret_acce\u{17f}s_key",
    ];
    const KEY: &[u8] = b"ABCxyz0189/+";
    let mut rng = Rng(0x1f83_d9ab_fb41_bd6b);
    let texts = corpus();
    let real = texts.len();
    let mut all = texts;
    for _ in 0..40_000 {
        let mut s = String::new();
        for part in [
            rng.pick(&["", "", " ", "x", "_", "\""]),
            rng.pick(NAMES),
            rng.pick(ESCAPES),
            rng.pick(BLANKS),
            rng.pick(&[":", "=", "=>", ":=", "=>", "", ">"]),
            rng.pick(BLANKS),
            rng.pick(ESCAPES),
        ] {
            s.push_str(part);
        }
        let n = if rng.below(2) == 0 {
            40
        } else {
            38 + rng.below(5)
        };
        let mut key: String = (0..n).map(|_| char::from(rng.pick(KEY))).collect();
        if rng.below(10) == 0 {
            key.insert(rng.below(n), rng.pick(&['\u{212a}', '\u{17f}', 'é', ' ']));
        }
        s.push_str(&key);
        s.push_str(rng.pick(&["", "", "\"", " ", "\n", "=", "x", "/", "é", "\u{212a}", ","]));
        all.push(s);
    }
    let (matched, real_matched, unsure) = compare(Matcher::AwsSecretKey, &all, real);
    assert!(matched > 3_000, "only {matched} matches");
    assert!(
        unsure * 20 <= real_matched,
        "{unsure} unsure, {real_matched} matches"
    );
}

#[test]
fn datadog_key_is_the_regex() {
    const NAMES: &[&str] = &[
        "DD_API_KEY",
        "dd_app_key",
        "DD-APPLICATION-KEY",
        "datadog_api_key",
        "DatadogApiKey",
        "ddapplicationkey",
        "dd_appkey",
        "dd_api",
        "datadog__api_key",
        "d_api_key",
        "dd_api_\u{212a}ey",
        "dd_applicatio_key",
    ];
    const HEX: &[u8] = b"0123456789abcdefABCDEF";
    let mut rng = Rng(0x5be0_cd19_137e_2179);
    let texts = corpus();
    let real = texts.len();
    let mut all = texts;
    for _ in 0..40_000 {
        let mut s = String::new();
        for part in [
            rng.pick(&["", "", " ", "x", "_", "\""]),
            rng.pick(NAMES),
            rng.pick(ESCAPES),
            rng.pick(BLANKS),
            rng.pick(&[":", "=", "=", ":=", "", "=>"]),
            rng.pick(BLANKS),
            rng.pick(ESCAPES),
        ] {
            s.push_str(part);
        }
        let n = rng.pick(&[32, 32, 40, 40, 31, 33, 39, 41, 36]);
        let key: String = (0..n).map(|_| char::from(rng.pick(HEX))).collect();
        s.push_str(&key);
        s.push_str(rng.pick(&["", "", "\"", " ", "g", "_", "-", "é", "\u{212a}", ","]));
        all.push(s);
    }
    let (matched, real_matched, unsure) = compare(Matcher::DatadogKey, &all, real);
    assert!(matched > 2_000, "only {matched} matches");
    assert!(
        unsure * 20 <= real_matched,
        "{unsure} unsure, {real_matched} matches"
    );
}

#[test]
fn password_prose_is_the_regex() {
    const NAMES: &[&str] = &[
        "password",
        "Password",
        "PASSWD",
        "passphrase",
        "passcode",
        "pwd",
        "pass",
        "passwords",
        "xpassword",
        "pa\u{17f}sword",
        "passco",
    ];
    const VERBS: &[&str] = &[
        "is", "was", "IS", "Was", "i\u{17f}", "isn't", "wa", "are", "i",
    ];
    const WORD: &[u8] = b"abcXYZ019:=!@#.-_";
    let mut rng = Rng(0xcbbb_9d5d_c105_9ed8);
    let texts = corpus();
    let real = texts.len();
    let mut all = texts;
    for _ in 0..40_000 {
        let mut s = String::new();
        for part in [
            rng.pick(&["", "", " ", "my ", "x", "_", "\"", "-"]),
            rng.pick(NAMES),
            rng.pick(&[" ", " ", "\t", "  ", "", "\n", ":"]),
            rng.pick(VERBS),
            rng.pick(&["", " ", "", "  ", "\t"]),
            rng.pick(&["", "", ":", "=", "::", ":=", "= "]),
            rng.pick(&["", " ", "", "\t"]),
            rng.pick(&["", "", "\"", "'"]),
        ] {
            s.push_str(part);
        }
        let n = rng.pick(&[1, 2, 3, 4, 5, 8, 20, 63, 64, 65, 70]);
        let mut word: String = (0..n).map(|_| char::from(rng.pick(WORD))).collect();
        if rng.below(10) == 0 {
            word.insert(rng.below(n), rng.pick(&['é', ' ', '"', '\u{a0}']));
        }
        s.push_str(&word);
        s.push_str(rng.pick(&["", "", "\"", " next", ".", "é", "'"]));
        all.push(s);
    }
    let (matched, real_matched, unsure) = compare(Matcher::PasswordProse, &all, real);
    assert!(matched > 1_500, "only {matched} matches");
    assert!(
        unsure * 20 <= real_matched,
        "{unsure} unsure, {real_matched} matches"
    );
}

#[test]
fn cli_secret_flag_is_the_regex() {
    const FLAGS: &[&str] = &[
        "--password",
        "-p",
        "--db-password",
        "--pass",
        "--passwd",
        "--passphrase",
        "-pwd",
        "--secret",
        "--client-secret",
        "--token",
        "--api-key",
        "--apikey",
        "--API-KEY",
        "--access-key",
        "--accesskey",
        "--private-key",
        "--auth",
        "--x--token",
        "---token",
        "--a1-b2-token",
        "--token-file",
        "--tokens",
        "--per-token",
        "-token",
        "--pa\u{17f}s",
        "--api-\u{212a}ey",
        "--tok\u{e9}n",
        "--my_token",
        "--",
        "-",
        "--key",
    ];
    const VALUES: &[&str] = &[
        "hunter2",
        "\"s3cret value\"",
        "'it is'",
        "\"\"",
        "''",
        "\"unterminated",
        "'open",
        "\"a\nb\"",
        "-dash",
        "x",
        "v\u{e9}rt",
        "a\"b",
        "=x",
        "${TOKEN}",
        "\"caf\u{e9}\"",
        "a\u{a0}b",
    ];
    let mut rng = Rng(0x6a09_e667_bb67_ae85);
    let texts = corpus();
    let real = texts.len();
    let mut all = texts;
    for _ in 0..40_000 {
        let mut s = String::new();
        for _ in 0..1 + rng.below(2) {
            for part in [
                rng.pick(&["", " ", " ", "\t", "\"", "'", "x", "\n", "é", "cmd "]),
                rng.pick(FLAGS),
                rng.pick(&["=", " ", " ", "\t", "  ", "", ":", "=="]),
                rng.pick(VALUES),
                rng.pick(&["", " ", "\"", "'", "\n"]),
            ] {
                s.push_str(part);
            }
        }
        all.push(s);
    }
    let (matched, real_matched, unsure) = compare(Matcher::CliFlag, &all, real);
    assert!(matched > 3_000, "only {matched} matches");
    assert!(
        unsure * 20 <= real_matched,
        "{unsure} unsure, {real_matched} matches"
    );
}

#[test]
fn user_flag_is_the_regex() {
    const FLAGS: &[&str] = &[
        "-u", "-u", "--user", "--user", "-user", "--u", "-U", "--users", "---user", "-",
    ];
    const USERS: &[&str] = &[
        "admin", "bob", "", "a\\b", "x\"y", "\\", "\"", "'", "\\\"", "\\'", "é", "ad min",
    ];
    const PASSWORDS: &[&str] = &[
        "hunter2",
        "p@ss:w",
        "",
        "x",
        "a\"b",
        "it's",
        "a\\b",
        "p\u{a0}w",
        "caf\u{e9}",
        "s3 x",
    ];
    let mut rng = Rng(0x3c6e_f372_a54f_f53a);
    let texts = corpus();
    let real = texts.len();
    let mut all = texts;
    // Mostly well-formed, with a near miss from the rest of each list now and then.
    let pick = |rng: &mut Rng, list: &[&'static str], good: usize| {
        if rng.below(5) == 0 {
            rng.pick(list)
        } else {
            rng.pick(&list[..good])
        }
    };
    for _ in 0..40_000 {
        let mut s = String::new();
        for _ in 0..1 + rng.below(2) {
            const BEFORE: &[&str] = &[
                " ", "curl ", "", "\t", "\n", "\x0b", "\"", "x", "\u{a0}", "\u{2003}",
            ];
            const SEPS: &[&str] = &[" ", "=", "", "  ", "\t", ":"];
            const QUOTES: &[&str] = &["", "\\", "\"", "'", "\\\""];
            const COLONS: &[&str] = &[":", "", "::", "@"];
            const AFTER: &[&str] = &["", " ", "\"", "'", "\n", " -v"];
            for part in [
                pick(&mut rng, BEFORE, 3),
                pick(&mut rng, FLAGS, 4),
                pick(&mut rng, SEPS, 2),
                pick(&mut rng, QUOTES, 4),
                pick(&mut rng, USERS, 2),
                pick(&mut rng, COLONS, 1),
                pick(&mut rng, PASSWORDS, 4),
                rng.pick(AFTER),
            ] {
                s.push_str(part);
            }
        }
        all.push(s);
    }
    let (matched, real_matched, unsure) = compare(Matcher::UserFlag, &all, real);
    assert!(matched > 3_000, "only {matched} matches");
    assert!(
        unsure * 20 <= real_matched,
        "{unsure} unsure, {real_matched} matches"
    );
}

/// A run of 0 to `max` bytes of `alphabet`, sometimes with a stray byte in it (a Kelvin
/// sign, a long s, `é`, a blank, a dot).
fn token(rng: &mut Rng, alphabet: &[u8], max: usize) -> String {
    let n = rng.below(max + 1);
    let mut t: String = (0..n).map(|_| char::from(rng.pick(alphabet))).collect();
    if n > 0 && rng.below(6) == 0 {
        let stray = rng.pick(&["\u{212a}", "\u{17f}", "é", " ", ".", "=", "%"]);
        t.insert_str(rng.below(n), stray);
    }
    t
}

/// Lengths around each bound: a run of `len - 2 ..= len + 2` bytes, or any up to `max`.
fn near(rng: &mut Rng, alphabet: &[u8], bounds: &[usize], max: usize) -> String {
    if rng.below(3) == 0 {
        return token(rng, alphabet, max);
    }
    let n = rng.pick(bounds) + rng.below(5) - 2;
    (0..n).map(|_| char::from(rng.pick(alphabet))).collect()
}

const WEBHOOK_TOKEN: &[u8] = b"ABCxyz0189_-";

#[test]
fn discord_webhook_is_the_regex() {
    const HOSTS: &[&str] = &[
        "discord.com/api/webhooks/",
        "discord.com/api/webhooks/",
        "discordapp.com/api/webhooks/",
        "discordapp.com/api/webhooks/",
        "discordap.com/api/webhooks/",
        "discordappapp.com/api/webhooks/",
        "Discord.com/api/webhooks/",
        "discord.com/api/webhook/",
        "discord.co/api/webhooks/",
        "discord",
        "discordapp",
    ];
    let mut rng = Rng(0x1f83_d9ab_fb41_bd6b);
    let texts = corpus();
    let real = texts.len();
    let mut all = texts;
    for _ in 0..60_000 {
        let mut s = String::new();
        s.push_str(rng.pick(&["", "https://", "x", "/", "\"", "é"]));
        s.push_str(rng.pick(HOSTS));
        s.push_str(rng.pick(&[
            "1",
            "123456789012345678",
            "123456789012345678",
            "",
            "12a3",
            "/",
        ]));
        s.push_str(rng.pick(&["/", "/", "/", "/", "", "//", "x/"]));
        s.push_str(&near(&mut rng, WEBHOOK_TOKEN, &[60, 70], 80));
        s.push_str(rng.pick(&["", "", "/", "?wait=true", "+", ".", " x", "é", "\u{212a}"]));
        all.push(s);
    }
    let (matched, real_matched, unsure) = compare(Matcher::DiscordWebhook, &all, real);
    assert!(matched > 3_000, "only {matched} matches");
    assert!(real_matched > 0 && unsure == 0, "{unsure} unsure");
}

#[test]
fn slack_webhook_is_the_regex() {
    const HOSTS: &[&str] = &[
        "hooks.slack.com/services/",
        "hooks.slack.com/workflows/",
        "hooks.slack.com/triggers/",
        "hooks.slack.com/service/",
        "hooks.slack.com/servicess/",
        "hooks.slack.com/trigger/",
        "Hooks.slack.com/services/",
        "hooks.slack.co/services/",
        "hooks.slack.com//",
        "hooks.slack.com/",
        "hooks.slack.com/services",
    ];
    const TOKEN: &[u8] = b"ABCxyz0189_-/+";
    let mut rng = Rng(0x5be0_cd19_137e_2179);
    let texts = corpus();
    let real = texts.len();
    let mut all = texts;
    for _ in 0..30_000 {
        let mut s = String::new();
        s.push_str(rng.pick(&["", "https://", "x", "/", "\"", "é"]));
        s.push_str(rng.pick(HOSTS));
        s.push_str(&near(&mut rng, TOKEN, &[20], 60));
        s.push_str(rng.pick(&["", "", "?x=1", ".", " x", "\"", "é", "\u{212a}", "=", "%2F"]));
        all.push(s);
    }
    let (matched, real_matched, unsure) = compare(Matcher::SlackWebhook, &all, real);
    assert!(matched > 3_000, "only {matched} matches");
    assert!(real_matched > 0 && unsure == 0, "{unsure} unsure");
}

#[test]
fn azure_connection_string_is_the_regex() {
    const NAMES: &[&str] = &[
        "SharedAccessKey=",
        "sharedaccesskey=",
        "SHAREDACCESSKEY=",
        "SharedAccessKey",
        "SharedAccessKey==",
        "SharedAccessKeyName=",
        "SharedAccess\u{212a}ey=",
        "\u{17f}haredAccessKey=",
        "SharedAcce\u{17f}\u{17f}Key=",
        "SharedAccesKey=",
        "?sig=",
        "&sig=",
        "?SIG=",
        "&Sig=",
        "&\u{17f}ig=",
        "?sig",
        "sig=",
        "?sig==",
        "&&sig=",
    ];
    const KEY: &[u8] = b"ABCKSxyzks0189+/";
    const SIG: &[u8] = b"ABCKSxyzks0189+/%";
    let mut rng = Rng(0xcbbb_9d5d_c105_9ed8);
    let texts = corpus();
    let real = texts.len();
    let mut all = texts;
    for _ in 0..40_000 {
        let mut s = String::new();
        s.push_str(rng.pick(&[
            "",
            "Endpoint=sb://x.servicebus.windows.net/;",
            "https://a.blob.core.windows.net/c/b?sv=2021&",
            ";",
            "x",
            "é",
        ]));
        let name = rng.pick(NAMES);
        s.push_str(name);
        if name.contains("ig") {
            s.push_str(&near(&mut rng, SIG, &[30], 80));
            for _ in 0..rng.below(3) {
                s.push_str(rng.pick(&["%3D", "%3d", "=", "%3", "%2B", "%"]));
            }
        } else {
            s.push_str(&near(&mut rng, KEY, &[40, 90], 100));
            s.push_str(rng.pick(&["", "=", "==", "===", "=x"]));
        }
        s.push_str(rng.pick(&[
            "",
            "",
            ";EntityPath=q",
            "&se=2030",
            " x",
            "\"",
            "é",
            "\u{212a}",
            "-",
        ]));
        all.push(s);
    }
    let (matched, real_matched, unsure) = compare(Matcher::AzureConnectionString, &all, real);
    assert!(matched > 5_000, "only {matched} matches");
    assert!(
        unsure * 20 <= real_matched,
        "{unsure} unsure, {real_matched} matches"
    );
}

/// Pieces of URLs with credentials, and their near misses.
const URL_PIECES: &[&str] = &[
    "https://",
    "postgres://",
    "mongodb+srv://",
    "git+ssh://",
    "s3.x-y://",
    "a://",
    "1http://",
    "_ftp://",
    "x-redis://",
    "HTTPS://",
    "\u{17f}ftp://",
    "ftp\u{212a}://",
    "http:/",
    "http:",
    "://",
    "//",
    "user",
    "admin",
    "u\u{17f}er",
    "",
    ":",
    ":",
    "::",
    "p4ss",
    "s3cr3t!",
    "pa#ss",
    "p@ss",
    "x@y",
    "@",
    "@",
    "@@",
    "@[",
    "@_",
    "@-",
    "@.",
    "@é",
    "@\u{212a}",
    "db.example.com",
    "[::1]",
    "_host",
    "h",
    "H",
    ":5432",
    "/",
    "/db",
    "?x=1",
    "#frag",
    " ",
    "\t",
    "\x0b",
    "\n",
    "\"",
    "'",
    "<",
    ">",
    "é",
    "\u{a0}",
    "\u{2003}",
    "%40",
    "+",
    ".",
    "-",
];

#[test]
fn url_credentials_is_the_regex() {
    let mut rng = Rng(0x428a_2f98_d728_ae22);
    let texts = corpus();
    let real = texts.len();
    let mut all = texts;
    const SCHEMES: &[&str] = &[
        "https://",
        "postgres://",
        "mongodb+srv://",
        "s3.x-y://",
        "HTTPS://",
        "1http://",
        "_ftp://",
        "x-redis://",
        "\u{17f}ftp://",
        "ftp\u{212a}://",
        "http:/",
        "://",
    ];
    const USERS: &[&str] = &[
        "user",
        "admin",
        "",
        "u\u{17f}er",
        "a b",
        "x#y",
        "é",
        "u?",
        "u/",
    ];
    const PASSWORD: &[&str] = &[
        "p4ss", "s3cr3t!", "#", "@", "@", ":", "x", "\u{212a}", "é", " ", "/", "'", "\x0b", "%40",
    ];
    const HOSTS: &[&str] = &[
        "db.example.com",
        "[::1]",
        "_h",
        "H",
        "-x",
        ".x",
        "é",
        "\u{212a}",
        "",
        "@h",
    ];
    // Mostly well-formed, with one piece at a time from the near misses.
    let pick = |rng: &mut Rng, good: &[&'static str], bad: &[&'static str]| {
        if rng.below(4) == 0 {
            rng.pick(bad)
        } else {
            rng.pick(good)
        }
    };
    for _ in 0..40_000 {
        let mut s = String::new();
        s.push_str(rng.pick(&["", "", " ", "x", "_", "é", "\"", "1", "-", "+"]));
        s.push_str(pick(&mut rng, &SCHEMES[..4], SCHEMES));
        s.push_str(pick(&mut rng, &USERS[..3], USERS));
        s.push_str(pick(&mut rng, &[":"], &["", "::", "@"]));
        for _ in 0..1 + rng.below(4) {
            s.push_str(pick(&mut rng, &PASSWORD[..5], PASSWORD));
        }
        s.push_str(pick(&mut rng, &["@"], &["", "@@"]));
        s.push_str(pick(&mut rng, &HOSTS[..4], HOSTS));
        s.push_str(rng.pick(&["", ":5432/db", "/x?y=1", " next", "\"", "#f", "@z"]));
        all.push(s);
    }
    all.extend(generated(&mut rng, URL_PIECES, 20_000, 9));
    let (matched, real_matched, unsure) = compare(Matcher::UrlCredentials, &all, real);
    assert!(matched > 5_000, "only {matched} matches");
    assert!(
        unsure * 20 <= real_matched,
        "{unsure} unsure, {real_matched} matches"
    );
}

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
    let texts = corpus();
    let real = texts.len();
    let mut all = texts;
    all.extend(numbers(&mut rng, 40_000));
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
        all.push(s);
    }
    let (matched, real_matched, unsure) = compare(Matcher::CreditCard, &all, real);
    assert!(matched > 5_000, "only {matched} matches");
    assert!(real_matched > 0 && unsure == 0, "{unsure} unsure");
}

#[test]
fn us_ssn_is_the_regex() {
    let mut rng = Rng(0xca27_3ece_ea26_619c);
    let texts = corpus();
    let real = texts.len();
    let mut all = texts;
    all.extend(numbers(&mut rng, 40_000));
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
        all.push(s);
    }
    let (matched, real_matched, unsure) = compare(Matcher::UsSsn, &all, real);
    assert!(matched > 2_000, "only {matched} matches");
    assert!(unsure == 0, "{unsure} unsure, {real_matched} matches");
}

#[test]
fn iban_is_the_regex() {
    const ITEMS: &[u8] = b"ABWZ0189";
    let mut rng = Rng(0x1b87_3593_4c1f_7c33);
    let texts = corpus();
    let real = texts.len();
    let mut all = texts;
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
        all.push(s);
    }
    let (matched, real_matched, unsure) = compare(Matcher::Iban, &all, real);
    assert!(matched > 2_000, "only {matched} matches");
    assert!(real_matched > 0 && unsure == 0, "{unsure} unsure");
}

#[test]
fn aws_key_pair_is_the_regex() {
    const KEY: &[u8] = b"ABCxyz0189/+";
    const GAPS: &[&str] = &[
        "",
        " ",
        "\n",
        "\t",
        ",",
        "=",
        "\"",
        " aws_secret_access_key=",
        ":secret:",
        "é",
        "\u{2003}",
        "x",
        "0123456789abcdefghijklmnopqrstuvwxyz0123",
        "0123456789abcdefghijklmnopqrstuvwxyz01234",
        "key\nsecret ",
    ];
    let mut rng = Rng(0x5f1d_36f1_a54f_f53a);
    let texts = corpus();
    let real = texts.len();
    let mut all = texts;
    for _ in 0..40_000 {
        let mut s = String::from(rng.pick(&["", " ", "key ", "x", "_", "é"]));
        s.push_str(rng.pick(&["AKIA", "ASIA", "AKIA", "AKIB", "akia"]));
        let id = rng.pick(&[16, 16, 16, 15, 17]);
        for _ in 0..id {
            s.push(char::from(rng.pick(b"ABQZ2367")));
        }
        for _ in 0..rng.below(3) {
            s.push_str(rng.pick(GAPS));
        }
        s.push_str(rng.pick(&[" ", " ", "=", "\n", "é", "", "A"]));
        let n = rng.pick(&[40, 40, 40, 39, 41, 80]);
        for _ in 0..n {
            s.push(char::from(rng.pick(KEY)));
        }
        s.push_str(rng.pick(&["", " ", "=", "\n", "é", "x", "\"", "/"]));
        all.push(s);
    }
    let (matched, real_matched, unsure) = compare(Matcher::AwsKeyPair, &all, real);
    assert!(matched > 2_000, "only {matched} matches");
    assert!(real_matched > 0 && unsure == 0, "{unsure} unsure");
}

#[test]
fn phone_intl_is_the_regex() {
    let mut rng = Rng(0x0e0e_2d2b_7a3c_94f1);
    let texts = corpus();
    let real = texts.len();
    let mut all = texts;
    all.extend(
        numbers(&mut rng, 20_000)
            .into_iter()
            .map(|n| format!("+{n}")),
    );
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
        all.push(s);
    }
    let (matched, real_matched, unsure) = compare(Matcher::PhoneIntl, &all, real);
    assert!(matched > 5_000, "only {matched} matches");
    assert!(real_matched > 0 && unsure == 0, "{unsure} unsure");
}

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
    let texts = corpus();
    let real = texts.len();
    let mut all = texts;
    all.extend(addresses(&mut rng, 30_000));
    let (matched, real_matched, unsure) = compare(Matcher::Email, &all, real);
    assert!(matched > 5_000, "only {matched} matches");
    assert!(
        unsure * 20 <= real_matched,
        "{unsure} unsure, {real_matched} matches"
    );
}
