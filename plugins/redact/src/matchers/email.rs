//! `email`: `(?i)\b[a-z0-9][a-z0-9._%+-]{0,63}@<label>(?:\.<label>)*\.[a-z]{2,24}\b`, a label
//! being `[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?`.
//!
//! Why reading is exact: no class of the pattern holds `@` or `.` where it is not written, so
//! the local part ends at the `@` and each label is a whole dot-separated segment of the
//! domain (a shorter one would have to be followed by a dot). The greedy `(?:\.<label>)*`
//! takes every segment that is a label and gives them back, last first, until the segment
//! after them starts with the top-level domain: letters up to a byte that is no word byte
//! (shorter letter runs end before a letter, where `\b` fails). A non-ASCII byte where the
//! pattern reads may be the Kelvin sign or `ſ`, which `(?i)` puts in `[a-z]`: [`Unsure`].

use super::Unsure;

/// An ASCII word byte (`(?-u:\w)`), what the pattern's `\b` looks at.
fn word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Whether `s` is a label: 1 to 63 bytes of `[A-Za-z0-9-]`, a letter or digit at each end.
fn label(s: &[u8]) -> bool {
    let ends = |c: Option<&u8>| c.is_some_and(u8::is_ascii_alphanumeric);
    (1..=63).contains(&s.len())
        && ends(s.first())
        && ends(s.last())
        && s.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'-')
}

/// `email` at `at`: `[match start, match end, match start, match end]`.
pub fn email(b: &[u8], at: usize) -> Result<Option<[usize; 4]>, Unsure> {
    match b.get(at) {
        Some(c) if c.is_ascii_alphanumeric() => {}
        // `\b` then holds only after a word byte.
        Some(0x80..) if at > 0 && word(b[at - 1]) => return Err(Unsure),
        _ => return Ok(None),
    }
    if at > 0 && word(b[at - 1]) {
        return Ok(None);
    }
    // The local part, to the `@`.
    let mut q = at + 1;
    loop {
        match b.get(q) {
            Some(b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'_' | b'%' | b'+' | b'-') => {
                q += 1
            }
            Some(0x80..) => return Err(Unsure),
            _ => break,
        }
    }
    if b.get(q) != Some(&b'@') || q - at - 1 > 63 {
        return Ok(None);
    }
    // The domain: the run of `[A-Za-z0-9.-]` after the `@`, cut at its dots.
    let from = q + 1;
    let mut end = from;
    loop {
        match b.get(end) {
            Some(b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.') => end += 1,
            Some(0x80..) => return Err(Unsure),
            _ => break,
        }
    }
    // Its dot-separated segments: the first must be a label; then each segment that starts
    // with a top-level domain ends a match, the last such one (the greedy repetition gives
    // labels back last first) among those that only labels precede.
    let dot = |s: usize| b[s..end].iter().position(|&c| c == b'.').map(|k| s + k);
    let Some(first) = dot(from) else {
        return Ok(None);
    };
    if !label(&b[from..first]) {
        return Ok(None);
    }
    let mut best = None;
    let mut s = first + 1;
    loop {
        let e = dot(s).unwrap_or(end);
        let letters = b[s..e]
            .iter()
            .take_while(|c| c.is_ascii_alphabetic())
            .count();
        let t = s + letters;
        if (2..=24).contains(&letters) && !b.get(t).is_some_and(|&c| word(c)) {
            best = Some(t);
        }
        if e == end || !label(&b[s..e]) {
            break;
        }
        s = e + 1;
    }
    Ok(best.map(|t| [at, t, at, t]))
}
