//! The pieces the matchers share: blanks, an optional `\` and quote, `[_-]?`, and names
//! compared the way `(?i)` compares them.

use super::Unsure;

/// Whether `c` is one of the ASCII bytes `\s` matches (`\x0b` too, unlike
/// `u8::is_ascii_whitespace`).
pub(super) fn space(c: u8) -> bool {
    matches!(c, b'\t'..=b'\r' | b' ')
}

/// `[ \t]*` from `p`: its end.
pub(super) fn blanks(b: &[u8], mut p: usize) -> usize {
    while matches!(b.get(p), Some(b' ' | b'\t')) {
        p += 1;
    }
    p
}

/// `\\?["']?` from `p`, each taken when present: its end.
pub(super) fn escape_and_quote(b: &[u8], mut p: usize) -> usize {
    if b.get(p) == Some(&b'\\') {
        p += 1;
    }
    if matches!(b.get(p), Some(b'"' | b'\'')) {
        p += 1;
    }
    p
}

/// `["']?` at `p`, taken when present: its end.
pub(super) fn quote(b: &[u8], p: usize) -> usize {
    p + usize::from(matches!(b.get(p), Some(b'"' | b'\'')))
}

/// `[_-]?` at `p`: its end.
pub(super) fn dash(b: &[u8], p: usize) -> usize {
    p + usize::from(matches!(b.get(p), Some(b'_' | b'-')))
}

/// Whether `b[at..]` starts with the ASCII `name` in any case; [`Unsure`] when the first
/// byte that differs starts the Kelvin sign `K` where `name` has a `k`, or the long `ſ` where
/// it has an `s` (the only characters `(?i)` folds with ASCII letters).
pub(super) fn name_at(b: &[u8], at: usize, name: &[u8]) -> Result<bool, Unsure> {
    let rest = &b[at..];
    match name
        .iter()
        .zip(rest)
        .position(|(n, c)| !n.eq_ignore_ascii_case(c))
    {
        None => Ok(rest.len() >= name.len()),
        Some(j) if name[j] == b'k' && rest[j..].starts_with("\u{212a}".as_bytes()) => Err(Unsure),
        Some(j) if name[j] == b's' && rest[j..].starts_with("\u{17f}".as_bytes()) => Err(Unsure),
        Some(_) => Ok(false),
    }
}
