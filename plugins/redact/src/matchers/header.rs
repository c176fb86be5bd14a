//! `authorization_header`, `cookie` and `bearer_token` without the regex engine.
//!
//! Both patterns are a name, optional `\` and quote, a separator between blanks, optional `\`
//! and quote, and the value as the one capture group. Asking the engine for that group ran a
//! backtracker over the match (1,600–2,000 ns a call on secret-dense text); reading the bytes
//! in the pattern's order of preference gives the same match and group:
//!
//! - every optional `\` or quote is taken when present: not taking it leaves a byte that
//!   nothing after it can start with;
//! - `authorization`'s blanks are taken whole (its value excludes blanks), its scheme
//!   (`Bearer `) is taken when a value of six follows it, else the value starts at the scheme;
//! - `cookie`'s value may hold blanks, so when the value after the blanks is too short the
//!   regex gives blanks back one by one: the value then starts at the last blank that makes
//!   it long enough (see [`cookie`]).
//!
//! A non-ASCII byte where `(?i)` or `\s` decide (a folded name, an `authorization` value) is
//! [`Unsure`]; `cookie`'s value class takes every non-ASCII character, counted as one.

use super::Unsure;
use super::read::{blanks, escape_and_quote, name_at};

/// The schemes of `authorization_header`, in the pattern's order (none is a prefix of
/// another, so at most one fits a position).
const SCHEMES: &[&[u8]] = &[
    b"bearer",
    b"basic",
    b"token",
    b"digest",
    b"negotiate",
    b"ntlm",
    b"apikey",
    b"api-key",
    b"sso-key",
    b"aws4-hmac-sha256",
    b"hmac",
];

/// `[^\s"'\\,;]*` from `p`: its end; [`Unsure`] at a non-ASCII byte (Unicode `\s`).
fn token(b: &[u8], mut p: usize) -> Result<usize, Unsure> {
    while let Some(&c) = b.get(p) {
        match c {
            b'\t'..=b'\r' | b' ' | b'"' | b'\'' | b'\\' | b',' | b';' => break,
            0x80.. => return Err(Unsure),
            _ => p += 1,
        }
    }
    Ok(p)
}

/// `authorization_header` at `at`:
/// `(?i)authorization\\?["']?[ \t]*[:=][ \t]*\\?["']?(?:(?:bearer|...|hmac)[ \t]+)?([^\s"'\\,;]{6,})`.
pub fn authorization(b: &[u8], at: usize) -> Result<Option<[usize; 4]>, Unsure> {
    const NAME: &[u8] = b"authorization";
    if !name_at(b, at, NAME)? {
        return Ok(None);
    }
    let p = blanks(b, escape_and_quote(b, at + NAME.len()));
    if !matches!(b.get(p), Some(b':' | b'=')) {
        return Ok(None);
    }
    let v = escape_and_quote(b, blanks(b, p + 1));
    // The scheme, when one is there and a long enough value follows its blanks.
    let rest = &b[v..];
    if let Some(scheme) = SCHEMES.iter().find(|s| {
        rest.get(..s.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(s))
    }) && matches!(rest.get(scheme.len()), Some(b' ' | b'\t'))
    {
        let s = blanks(b, v + scheme.len());
        let e = token(b, s)?;
        if e - s >= 6 {
            return Ok(Some([at, e, s, e]));
        }
    }
    let e = token(b, v)?;
    Ok((e - v >= 6).then_some([at, e, v, e]))
}

/// `[^"'\\\r\n]*` from `p`: its end and its length in characters (the haystack is UTF-8: a
/// character is a byte that does not continue one).
fn cookie_value(b: &[u8], mut p: usize) -> (usize, usize) {
    let mut chars = 0;
    while let Some(&c) = b.get(p) {
        if matches!(c, b'"' | b'\'' | b'\\' | b'\r' | b'\n') {
            break;
        }
        chars += usize::from(c & 0xc0 != 0x80);
        p += 1;
    }
    (p, chars)
}

/// `cookie` at `at`: `(?i)\bcookie\\?["']?[ \t]*:[ \t]*\\?["']?([^"'\\\r\n]{4,})`.
///
/// After the colon, blanks `[ \t]*` are followed by the value, whose class holds blanks too.
/// The regex takes every blank, then a `\` and a quote when present, then the value; when that
/// is under four characters it gives blanks back, and the value then starts at a blank and
/// runs over the rest of the blanks to the same end (a `\` or quote after the blanks ends it
/// there): its start is the last blank that makes it four characters long.
pub fn cookie(b: &[u8], at: usize) -> Result<Option<[usize; 4]>, Unsure> {
    const NAME: &[u8] = b"cookie";
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    if at > 0 && word(b[at - 1]) {
        // `\b`: `c` is a word byte, so the byte before must not be one.
        return Ok(None);
    }
    if !name_at(b, at, NAME)? {
        return Ok(None);
    }
    let p = blanks(b, escape_and_quote(b, at + NAME.len()));
    if b.get(p) != Some(&b':') {
        return Ok(None);
    }
    let first = p + 1;
    let last = blanks(b, first);
    let v = escape_and_quote(b, last);
    let (e, chars) = cookie_value(b, v);
    if chars >= 4 {
        return Ok(Some([at, e, v, e]));
    }
    // Blanks given back: the value starts at a blank and ends where the one from `last`
    // ends, or at `last` when a `\` or quote is there.
    let (e, chars) = if v == last { (e, chars) } else { (last, 0) };
    let need = 4 - chars;
    Ok((last >= first + need).then(|| [at, e, last - need, e]))
}

/// `bearer_token` at `at`: `(?i)\bbearer[ \t]+([A-Za-z0-9._~+/-]{16,}=*)`.
///
/// Blanks, token and padding are each taken whole: the token's class holds neither a blank
/// nor `=`, so nothing is given back, and a token under 16 bytes is no match.
pub fn bearer(b: &[u8], at: usize) -> Result<Option<[usize; 4]>, Unsure> {
    if at > 0 && (b[at - 1].is_ascii_alphanumeric() || b[at - 1] == b'_') {
        // `\b`: `b` is a word byte, so the byte before must not be one.
        return Ok(None);
    }
    if !name_at(b, at, b"bearer")? || !matches!(b.get(at + 6), Some(b' ' | b'\t')) {
        return Ok(None);
    }
    let s = blanks(b, at + 6);
    let mut e = s;
    while let Some(&c) = b.get(e) {
        match c {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'_' | b'~' | b'+' | b'/' | b'-' => {
                e += 1;
            }
            // `(?i)` puts the Kelvin sign and `ſ` in `[A-Za-z]`.
            0x80.. => return Err(Unsure),
            _ => break,
        }
    }
    if e - s < 16 {
        return Ok(None);
    }
    while b.get(e) == Some(&b'=') {
        e += 1;
    }
    Ok(Some([at, e, s, e]))
}
