//! Passwords in prose and on command lines: `password is ...`, secret flags and `-u
//! user:password`.

use sluice_plugin_redact::matchers::Matcher;

use super::support::Rng;
use super::{Tolerance, assert_is_the_regex};

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
    let mut strings = Vec::new();
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
        strings.push(s);
    }
    assert_is_the_regex(
        Matcher::PasswordProse,
        strings,
        1_500,
        Tolerance::AtMostOneIn20,
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
    let mut strings = Vec::new();
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
        strings.push(s);
    }
    assert_is_the_regex(Matcher::CliFlag, strings, 3_000, Tolerance::AtMostOneIn20);
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
    let mut strings = Vec::new();
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
        strings.push(s);
    }
    assert_is_the_regex(Matcher::UserFlag, strings, 3_000, Tolerance::AtMostOneIn20);
}
