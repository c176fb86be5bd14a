//! Cloud keys: the Azure storage key, the AWS secret key by its name and next to its key
//! id, and the Datadog key.

use sluice_plugin_redact::matchers::Matcher;

use super::support::Rng;
use super::{BLANKS, ESCAPES, SEPS, TAILS, Tolerance, assert_is_the_regex};

/// A secret's name with what may stand around it up to the value: a byte before it, quotes
/// or escapes, blanks around the separator. The order of the draws is part of each seed's
/// strings: change it and the tests check other inputs.
fn keyed(rng: &mut Rng, before: &[&str], names: &[&str], seps: &[&str]) -> String {
    let mut s = String::new();
    for part in [
        rng.pick(before),
        rng.pick(names),
        rng.pick(ESCAPES),
        rng.pick(BLANKS),
        rng.pick(seps),
        rng.pick(BLANKS),
        rng.pick(ESCAPES),
    ] {
        s.push_str(part);
    }
    s
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
    let mut strings = Vec::new();
    for _ in 0..40_000 {
        let mut s = keyed(
            &mut rng,
            &["", "", " ", "x", "_", ";", "\""],
            AZURE_NAMES,
            SEPS,
        );
        s.push_str(&azure_value(&mut rng));
        s.push_str(rng.pick(TAILS));
        strings.push(s);
    }
    assert_is_the_regex(
        Matcher::AzureStorageKey,
        strings,
        1_000,
        Tolerance::AtMostOneIn20,
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
    let mut strings = Vec::new();
    for _ in 0..40_000 {
        let mut s = keyed(
            &mut rng,
            &["", "", " ", "x", "_", "\""],
            NAMES,
            &[":", "=", "=>", ":=", "=>", "", ">"],
        );
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
        strings.push(s);
    }
    assert_is_the_regex(
        Matcher::AwsSecretKey,
        strings,
        3_000,
        Tolerance::AtMostOneIn20,
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
    let mut strings = Vec::new();
    for _ in 0..40_000 {
        let mut s = keyed(
            &mut rng,
            &["", "", " ", "x", "_", "\""],
            NAMES,
            &[":", "=", "=", ":=", "", "=>"],
        );
        let n = rng.pick(&[32, 32, 40, 40, 31, 33, 39, 41, 36]);
        let key: String = (0..n).map(|_| char::from(rng.pick(HEX))).collect();
        s.push_str(&key);
        s.push_str(rng.pick(&["", "", "\"", " ", "g", "_", "-", "é", "\u{212a}", ","]));
        strings.push(s);
    }
    assert_is_the_regex(
        Matcher::DatadogKey,
        strings,
        2_000,
        Tolerance::AtMostOneIn20,
    );
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
    let mut strings = Vec::new();
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
        strings.push(s);
    }
    assert_is_the_regex(
        Matcher::AwsKeyPair,
        strings,
        2_000,
        Tolerance::NeverWithRealMatches,
    );
}
