//! `password_prose` (`password is hunter2`) without the regex engine.

use super::Unsure;
use super::read::{blanks, name_at, quote};

/// `[^\s"']{0,64}` from `p`: its end; [`Unsure`] at a non-ASCII byte (Unicode `\s`).
fn prose_word(b: &[u8], mut p: usize) -> Result<usize, Unsure> {
    let end = (p + 64).min(b.len());
    while p < end {
        match b[p] {
            b'\t'..=b'\r' | b' ' | b'"' | b'\'' => break,
            0x80.. => return Err(Unsure),
            _ => p += 1,
        }
    }
    Ok(p)
}

/// `password_prose` at `at`: `(?i)\b(?:password|passwd|passphrase|passcode|pwd)[ \t]+`
/// `(?:is|was)[ \t]*[:=]?[ \t]*["']?([^\s"']{4,64})`.
///
/// The blanks and the quote are taken whole (the value holds neither), but the value may
/// start with `:` or `=`: when the value after a `:` is too short, the regex leaves the `:`
/// to the value (`password is :abc` gives `:abc`).
pub fn password_prose(b: &[u8], at: usize) -> Result<Option<[usize; 4]>, Unsure> {
    if at > 0 && (b[at - 1].is_ascii_alphanumeric() || b[at - 1] == b'_') {
        return Ok(None);
    }
    let mut name = None;
    for n in [
        &b"password"[..],
        b"passwd",
        b"passphrase",
        b"passcode",
        b"pwd",
    ] {
        if name_at(b, at, n)? {
            name = Some(at + n.len());
            break;
        }
    }
    let Some(p) = name else {
        return Ok(None);
    };
    if !matches!(b.get(p), Some(b' ' | b'\t')) {
        return Ok(None);
    }
    let p = blanks(b, p);
    let p = if name_at(b, p, b"is")? {
        p + 2
    } else if name_at(b, p, b"was")? {
        p + 3
    } else {
        return Ok(None);
    };
    let q = blanks(b, p);
    // The value after `:` or `=`, then (when that is too short) from the `:` itself.
    let starts = match b.get(q) {
        Some(b':' | b'=') => [Some(quote(b, blanks(b, q + 1))), Some(q)],
        _ => [Some(quote(b, q)), None],
    };
    for s in starts.into_iter().flatten() {
        let e = prose_word(b, s)?;
        if e - s >= 4 {
            return Ok(Some([at, e, s, e]));
        }
    }
    Ok(None)
}
