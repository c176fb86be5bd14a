//! The private key matcher (PEM, OpenSSH and PuTTY blocks) and the PEM body check.

use sluice_plugin_redact::check::{pem, pem_reference};
use sluice_plugin_redact::matchers::Matcher;

use super::support::Rng;
use super::{Tolerance, assert_is_the_regex, corpus, generated};

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
    let mut strings = Vec::new();
    for _ in 0..12_000 {
        let mut s = String::new();
        for _ in 0..1 + rng.below(10) {
            if rng.below(3) == 0 {
                s.push_str(&base64(&mut rng));
            } else {
                s.push_str(rng.pick(KEY_PIECES));
            }
        }
        strings.push(s);
    }
    strings.extend(generated(&mut rng, KEY_PIECES, 4_000, 8));
    assert_is_the_regex(
        Matcher::PrivateKey,
        strings,
        5_000,
        Tolerance::FewerThanOneIn20,
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
