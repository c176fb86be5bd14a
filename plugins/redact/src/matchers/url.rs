//! `url_credentials`: the password of `scheme://user:password@host`.

use super::Unsure;
use super::read::space;

/// `url_credentials` at `at`:
/// `(?i)\b[a-z][a-z0-9+.-]*://[^\s:/?#@"'<>]*:([^\s/?"'<>]+)@[a-z0-9\[_]` (`\b` is ASCII: see
/// `rules::compile_pattern`).
///
/// The scheme and the user end at the first byte they cannot hold, which must be `://` and
/// `:`. The password is the longest that is followed by `@` and a host's first byte: its
/// class holds `@` and the host's bytes, so that is the last such `@` in its run. A non-ASCII
/// byte where the pattern reads is [`Unsure`]: `\s` is Unicode, and `(?i)` puts the Kelvin
/// sign and `ſ` in `[a-z]`.
pub fn url_credentials(b: &[u8], at: usize) -> Result<Option<[usize; 4]>, Unsure> {
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    match b.get(at) {
        Some(c) if c.is_ascii_alphabetic() => {}
        // `\b` then holds only after a word byte.
        Some(0x80..) if at > 0 && word(b[at - 1]) => return Err(Unsure),
        _ => return Ok(None),
    }
    if at > 0 && word(b[at - 1]) {
        return Ok(None);
    }
    let mut p = at + 1;
    loop {
        match b.get(p) {
            Some(c) if c.is_ascii_alphanumeric() || matches!(c, b'+' | b'.' | b'-') => p += 1,
            Some(0x80..) => return Err(Unsure),
            _ => break,
        }
    }
    if !b[p..].starts_with(b"://") {
        return Ok(None);
    }
    // The user: up to the first byte it cannot hold, which must be the `:`.
    p += 3;
    loop {
        match b.get(p) {
            Some(0x80..) => return Err(Unsure),
            Some(&c) if !space(c) && !b":/?#@\"'<>".contains(&c) => p += 1,
            _ => break,
        }
    }
    if b.get(p) != Some(&b':') {
        return Ok(None);
    }
    let s = p + 1;
    // The password's run, and the last `@` in it followed by a host's first byte.
    let mut e = s;
    let mut last = None;
    loop {
        match b.get(e) {
            Some(0x80..) => return Err(Unsure),
            Some(&c) if !space(c) && !b"/?\"'<>".contains(&c) => {
                let host = |h: u8| h.is_ascii_alphanumeric() || h == b'[' || h == b'_';
                if c == b'@' && e > s && b.get(e + 1).copied().is_some_and(host) {
                    last = Some(e);
                }
                e += 1;
            }
            _ => break,
        }
    }
    Ok(last.map(|q| [at, q + 2, s, q]))
}
