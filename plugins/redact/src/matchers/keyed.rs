//! Keys named by their context without the regex engine: `azure_storage_key`,
//! `aws_secret_key` (by name) and `datadog_key`.
//!
//! Each is a name in any case, optional `\` and quote, a separator between blanks, optional
//! `\` and quote, then a key of a fixed length: nothing is given back once read (see
//! [`super::header`] for why the optional pieces are taken when present), and a non-ASCII
//! byte where `(?i)` decides is [`Unsure`].

use super::Unsure;
use super::read::{blanks, dash, escape_and_quote, name_at};

/// `azure_storage_key` at `at`:
/// `(?i)(?:account|storage)[_-]?key\\?["']?[ \t]*[:=][ \t]*\\?["']?([A-Za-z0-9+/]{86}==)`.
///
/// The same name, separator and quotes as `authorization_header`; the value is exactly 86 bytes
/// of base64 and `==`, so there is nothing to give back.
pub fn azure_storage_key(b: &[u8], at: usize) -> Result<Option<[usize; 4]>, Unsure> {
    let mut p = at;
    if name_at(b, p, b"account")? || name_at(b, p, b"storage")? {
        p += 7;
    } else {
        return Ok(None);
    }
    if matches!(b.get(p), Some(b'_' | b'-')) {
        p += 1;
    }
    if !name_at(b, p, b"key")? {
        return Ok(None);
    }
    let p = blanks(b, escape_and_quote(b, p + 3));
    if !matches!(b.get(p), Some(b':' | b'=')) {
        return Ok(None);
    }
    let s = escape_and_quote(b, blanks(b, p + 1));
    let mut e = s;
    while e < s + 86 {
        match b.get(e) {
            Some(c) if c.is_ascii_alphanumeric() || *c == b'+' || *c == b'/' => e += 1,
            // `(?i)` puts the Kelvin sign and `ſ` in `[A-Za-z]`.
            Some(0x80..) => return Err(Unsure),
            _ => return Ok(None),
        }
    }
    Ok(b[e..].starts_with(b"==").then_some([at, e + 2, s, e + 2]))
}

/// The end of `aws[_-]?secret[_-]?(?:access[_-]?)?key|secret[_-]?access[_-]?key` at `at`
/// (any case), `None` when neither spelling is there.
fn aws_secret_name(b: &[u8], at: usize) -> Result<Option<usize>, Unsure> {
    if name_at(b, at, b"aws")? {
        let p = dash(b, at + 3);
        if !name_at(b, p, b"secret")? {
            return Ok(None);
        }
        let mut p = dash(b, p + 6);
        // `(?:access[_-]?)?` is taken when present: `key` cannot start where `access` does.
        if name_at(b, p, b"access")? {
            p = dash(b, p + 6);
        }
        return Ok(name_at(b, p, b"key")?.then_some(p + 3));
    }
    if !name_at(b, at, b"secret")? {
        return Ok(None);
    }
    let p = dash(b, at + 6);
    if !name_at(b, p, b"access")? {
        return Ok(None);
    }
    let p = dash(b, p + 6);
    Ok(name_at(b, p, b"key")?.then_some(p + 3))
}

/// `aws_secret_key` (by name) at `at`:
/// `(?i)(?:aws[_-]?secret[_-]?(?:access[_-]?)?key|secret[_-]?access[_-]?key)\\?["']?[ \t]*`
/// `(?:[:=]|=>)[ \t]*\\?["']?([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)`.
///
/// The separator is `=>` when a `>` follows the `=` (a value cannot start with `>`); the
/// key is exactly 40 bytes, and the byte after it (when there is one) ends the match.
pub fn aws_secret_key(b: &[u8], at: usize) -> Result<Option<[usize; 4]>, Unsure> {
    let Some(p) = aws_secret_name(b, at)? else {
        return Ok(None);
    };
    let p = blanks(b, escape_and_quote(b, p));
    let p = match b.get(p..p + 2) {
        Some(b"=>") => p + 2,
        _ if matches!(b.get(p), Some(b':' | b'=')) => p + 1,
        _ => return Ok(None),
    };
    let s = escape_and_quote(b, blanks(b, p));
    let key = |c: u8| c.is_ascii_alphanumeric() || c == b'/' || c == b'+';
    let mut e = s;
    while e < s + 40 {
        match b.get(e) {
            Some(&c) if key(c) => e += 1,
            // `(?i)` puts the Kelvin sign and `ſ` in `[A-Za-z]`.
            Some(0x80..) => return Err(Unsure),
            _ => return Ok(None),
        }
    }
    match b.get(e) {
        None => Ok(Some([at, e, s, e])),
        Some(&c) if key(c) || c == b'=' => Ok(None),
        // A non-ASCII character is one byte more than this, and may be `K` or `ſ`.
        Some(0x80..) => Err(Unsure),
        Some(_) => Ok(Some([at, e + 1, s, e])),
    }
}

/// `datadog_key` at `at`: `(?i)(?:datadog|dd)[_-]?(?:api|app|application)[_-]?key\\?["']?`
/// `[ \t]*[:=][ \t]*\\?["']?([a-f0-9]{40}|[a-f0-9]{32})\b`.
///
/// `app` is tried before `application` (the pattern's order): the name is `app` only when
/// `key` follows it. The key is 40 hex digits, else 32, each then a word boundary.
pub fn datadog_key(b: &[u8], at: usize) -> Result<Option<[usize; 4]>, Unsure> {
    let p = if name_at(b, at, b"datadog")? {
        at + 7
    } else if name_at(b, at, b"dd")? {
        at + 2
    } else {
        return Ok(None);
    };
    let p = dash(b, p);
    let mut name_end = None;
    for part in [&b"api"[..], b"app", b"application"] {
        if name_at(b, p, part)? {
            let q = dash(b, p + part.len());
            if name_at(b, q, b"key")? {
                name_end = Some(q + 3);
                break;
            }
        }
    }
    let Some(p) = name_end else {
        return Ok(None);
    };
    let p = blanks(b, escape_and_quote(b, p));
    if !matches!(b.get(p), Some(b':' | b'=')) {
        return Ok(None);
    }
    let s = escape_and_quote(b, blanks(b, p + 1));
    // `(?i)[a-f0-9]`; a non-ASCII byte is not a word byte to the ASCII `\b`.
    let hex = b[s..].iter().take_while(|c| c.is_ascii_hexdigit()).count();
    let word = |e: usize| {
        b.get(e)
            .is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'_')
    };
    Ok([40, 32]
        .into_iter()
        .find(|&n| hex >= n && !word(s + n))
        .map(|n| [at, s + n, s, s + n]))
}

/// Length of the UTF-8 character starting with `lead`.
fn char_len(lead: u8) -> usize {
    match lead {
        0xf0.. => 4,
        0xe0.. => 3,
        0xc0.. => 2,
        _ => 1,
    }
}

/// `aws_secret_key` next to its key id, at `at`: `\b(?:AKIA|ASIA)[A-Z2-7]{16}[^\n]{0,40}?`
/// `[^A-Za-z0-9/+]([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)`.
///
/// The lazy gap is grown one character at a time (the string is UTF-8, so a character is
/// its lead byte's length), and at each length the separator, the 40-byte key and the
/// character after it are read; the first length that fits is the match. Nothing here
/// depends on Unicode classes: `[^\n]` and the negated classes take any character.
pub fn aws_key_pair(b: &[u8], at: usize) -> Option<[usize; 4]> {
    let b64 = |c: u8| c.is_ascii_alphanumeric() || c == b'/' || c == b'+';
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let rest = b.get(at..)?;
    let id = rest
        .strip_prefix(b"AKIA")
        .or_else(|| rest.strip_prefix(b"ASIA"))?;
    let id_class = |c: &u8| c.is_ascii_uppercase() || (b'2'..=b'7').contains(c);
    if at > 0 && word(b[at - 1]) || id.len() < 16 || !id[..16].iter().all(id_class) {
        return None;
    }
    let mut q = at + 20;
    for gap in 0..=40 {
        let &c = b.get(q)?;
        if !b64(c) {
            let s = q + char_len(c);
            if let Some(key) = b.get(s..s + 40)
                && key.iter().all(|&k| b64(k))
            {
                match b.get(s + 40) {
                    None => return Some([at, s + 40, s, s + 40]),
                    Some(&t) if !b64(t) && t != b'=' => {
                        return Some([at, s + 40 + char_len(t), s, s + 40]);
                    }
                    _ => {}
                }
            }
        }
        if gap == 40 || c == b'\n' {
            return None;
        }
        q += char_len(c);
    }
    None
}
