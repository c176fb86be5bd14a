//! Confirmations run after a rule's regex matched: checksums, numbering plans, decodings,
//! and the placeholder tests (see [`crate::placeholder`]).

mod filler;

use crate::placeholder::{placeholder_shape, prose, value};
use crate::rules::Check;
use crate::validate::{b64_decode, card, iban, luhn, ssn};
use crate::vector::find;

/// Confirms a candidate secret `hay[s..e]` (the whole match began at `m`), returning the
/// span to redact, which a check may narrow (trailing punctuation, an IBAN's exact length).
pub fn confirm(check: Check, hay: &str, m: usize, s: usize, e: usize) -> Option<(usize, usize)> {
    let v = &hay[s..e];
    let ok = match check {
        Check::None => true,
        Check::Token => !placeholder_shape(v),
        Check::Value => return value(hay, m, s, e, true, 3),
        Check::Literal => return value(hay, m, s, e, false, 3),
        Check::Prose => return prose(hay, m, s, e),
        Check::Bearer => bearer(v),
        Check::Basic => basic(v),
        Check::Pem => pem(v),
        Check::PemAfter => return pem_after(hay, e),
        Check::Discord => discord(v),
        Check::Mixed => mixed(v) && !placeholder_shape(v),
        Check::Email => !v.starts_with("git@") && !url_password(hay, s),
        Check::Card => card(hay, s, e),
        Check::Luhn => luhn(v.bytes().filter(u8::is_ascii_digit)),
        Check::Ssn => ssn(v),
        Check::PhoneIntl => phone(hay, s, e, 8..=15),
        Check::PhoneNational => phone(hay, s, e, 9..=12) && nanp(v),
        Check::Iban => return iban(hay, s, e),
        Check::Ip => ip(v),
    };
    ok.then_some((s, e))
}

/// Whether a match at `s` is the password of a URL's credentials (`scheme://user:pw@host`
/// reads like an address `pw@host`): `url_credentials` names it, and the host stays.
fn url_password(hay: &str, s: usize) -> bool {
    let b = hay.as_bytes();
    if s == 0 || b[s - 1] != b':' {
        return false;
    }
    let word = b[..s - 1]
        .iter()
        .rposition(|c| c.is_ascii_whitespace() || matches!(c, b'"' | b'\'' | b'<' | b'>'))
        .map_or(0, |p| p + 1);
    b[word..s].windows(3).any(|w| w == b"://")
}

fn bearer(v: &str) -> bool {
    let has = |f: fn(&u8) -> bool| v.as_bytes().iter().any(f);
    has(u8::is_ascii_digit) && has(u8::is_ascii_alphabetic) && !placeholder_shape(v)
}

/// `Basic dXNlcjpwYXNz` decodes to `user:pass`; `basic authentication` does not decode.
fn basic(v: &str) -> bool {
    let Some(raw) = b64_decode(v.as_bytes()) else {
        return false;
    };
    let Ok(text) = std::str::from_utf8(&raw) else {
        return false;
    };
    text.len() >= 3 && text.contains(':') && !text.chars().any(char::is_control)
}

/// 1 for the bytes of base64 that count as body (`[A-Za-z0-9+/]`).
const B64: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        if b.is_ascii_alphanumeric() || b == b'+' || b == b'/' {
            t[c] = 1;
        }
        c += 1;
    }
    t
};

/// Where a key block's body starts: at the first `-----` followed by a newline (or an
/// escaped one in JSON, or a blank); the whole value when there is none. `-----` runs are
/// taken left to right without overlapping (`------\n` has none followed by a newline).
fn pem_body(b: &[u8]) -> usize {
    let mut i = 0;
    // `memchr` for the dash: a `memmem` searcher would be built for every block.
    while let Some(k) = memchr::memchr(b'-', &b[i..]) {
        let p = i + k;
        if !b[p..].starts_with(b"-----") {
            i = p + 1;
            continue;
        }
        let end = p + 5;
        if b[end..].starts_with(br"\n") || matches!(b.get(end), Some(b'\n' | b' ')) {
            return p;
        }
        i = end;
    }
    0
}

/// A key block must have a real base64 body (64 bytes of `[A-Za-z0-9+/]`), not `...`,
/// `xxxx` or `XXXX` (a run of three dots or four of either x anywhere in the body rejects it).
///
/// Blocks are 1–3 KB and a filler run is rare in a real one, so the body is read sixteen
/// bytes at a time for two of a filler byte in a row (`filler`), and only a run starting
/// there is measured. `tests/rule_matchers/` holds this to [`pem_reference`].
pub fn pem(v: &str) -> bool {
    let b = &v.as_bytes()[pem_body(v.as_bytes())..];
    let mut i = 0;
    while i < b.len() {
        let pairs = filler::pairs(b, i);
        if pairs == 0 {
            i += 16;
            continue;
        }
        // A run's first pair: the pair before it would have been found first (each window
        // reads the byte after its last position).
        let p = i + pairs.trailing_zeros() as usize;
        let c = b[p];
        let end = b[p..]
            .iter()
            .position(|&x| x != c)
            .map_or(b.len(), |k| p + k);
        if end - p >= 3 + usize::from(c != b'.') {
            return false;
        }
        i = end;
    }
    let mut b64 = 0;
    b.iter().any(|&c| {
        b64 += usize::from(B64[usize::from(c)]);
        b64 >= 64
    })
}

/// [`pem`] as it was written first, byte by byte: what the tests compare it with.
#[doc(hidden)]
pub fn pem_reference(v: &str) -> bool {
    let b = v.as_bytes();
    let mut from = 0;
    let mut i = 0;
    while let Some(k) = b[i..]
        .windows(5)
        .position(|w| w[0] == b'-' && w == b"-----")
    {
        let end = i + k + 5;
        if b[end..].starts_with(br"\n") || matches!(b.get(end), Some(b'\n' | b' ')) {
            from = i + k;
            break;
        }
        i = end;
    }
    let (mut b64, mut run, mut prev) = (0usize, 0usize, 0u8);
    for &c in &b[from..] {
        b64 += usize::from(B64[usize::from(c)]);
        // `...`, `xxxx`, `XXXX`: runs of those bytes only.
        if c == b'.' || c | 0x20 == b'x' {
            run = if c == prev { run + 1 } else { 1 };
            prev = c;
            if run >= 3 + usize::from(c != b'.') {
                return false;
            }
        } else {
            prev = 0;
        }
    }
    b64 >= 64
}

/// The PEM block starting at `at` (inside a JSON string, so it ends at the `END` line or at
/// the closing quote).
fn pem_after(hay: &str, at: usize) -> Option<(usize, usize)> {
    let rest = hay.get(at..)?;
    if !rest.starts_with("-----BEGIN") {
        return None;
    }
    // The block is 1-3 KB with dashes only at its edges: its first byte is looked for
    // sixteen bytes at a time (`str::find` set up a two-way search and read it byte by byte).
    let r = rest.as_bytes();
    let end = match find(r, b"-----END") {
        Some(i) => {
            let tail = &r[i + 8..];
            i + 8 + find(tail, b"-----").map_or(tail.len(), |j| j + 5)
        }
        None => find(r, b"\"").unwrap_or(r.len()),
    };
    pem(&rest[..end]).then_some((at, at + end))
}

/// The first part of a Discord token is the bot's numeric id in base64.
fn discord(v: &str) -> bool {
    let id = v.split('.').next().unwrap_or_default();
    b64_decode(id.as_bytes())
        .is_some_and(|raw| (17..=20).contains(&raw.len()) && raw.iter().all(u8::is_ascii_digit))
}

fn mixed(v: &str) -> bool {
    let has = |f: fn(&u8) -> bool| v.as_bytes().iter().any(f);
    has(u8::is_ascii_uppercase) && has(u8::is_ascii_lowercase) && has(u8::is_ascii_digit)
}

/// Digit count in range and not part of a dotted or colon-separated number (versions, IPs,
/// times), no two blanks in a row, and parentheses balanced in number.
fn phone(hay: &str, s: usize, e: usize, digits: std::ops::RangeInclusive<usize>) -> bool {
    let v = &hay.as_bytes()[s..e];
    // One pass over the few bytes for all the counts (`str::contains("  ")` set up a two-way
    // search per match, and each count was a search of its own).
    let (mut n, mut open, mut close, mut blanks) = (0usize, 0usize, 0usize, false);
    let mut prev = 0u8;
    for &c in v {
        n += usize::from(c.is_ascii_digit());
        open += usize::from(c == b'(');
        close += usize::from(c == b')');
        blanks |= c == b' ' && prev == b' ';
        prev = c;
    }
    digits.contains(&n) && !blanks && open == close && !glued_around(hay.as_bytes(), s, e)
}

/// Whether the match `s..e` is glued to a number by `.:/-_` before it, or by one of those
/// and a digit after it.
fn glued_around(b: &[u8], s: usize, e: usize) -> bool {
    let glued = |c: Option<u8>| matches!(c, Some(b'.' | b':' | b'/' | b'-' | b'_'));
    let before = s.checked_sub(1).map(|i| b[i]);
    glued(before) || glued(b.get(e).copied()) && b.get(e + 1).is_some_and(u8::is_ascii_digit)
}

/// [`phone`] as it was first written (a search per test): what the tests compare it with.
#[cfg(test)]
fn phone_reference(hay: &str, s: usize, e: usize, digits: std::ops::RangeInclusive<usize>) -> bool {
    let v = &hay[s..e];
    let n = v.bytes().filter(u8::is_ascii_digit).count();
    let b = hay.as_bytes();
    let before = s.checked_sub(1).map(|i| b[i]);
    let after = b.get(e).copied();
    let glued = |c: Option<u8>| matches!(c, Some(b'.' | b':' | b'/' | b'-' | b'_'));
    let glued_after = glued(after) && b.get(e + 1).is_some_and(u8::is_ascii_digit);
    digits.contains(&n)
        && !glued(before)
        && !glued_after
        && !v.contains("  ")
        && v.matches('(').count() == v.matches(')').count()
}

/// North-American forms (optionally with a leading `1`) need area and exchange codes
/// starting 2-9 and, without parentheses, one separator throughout (`415 555 0132`).
fn nanp(v: &str) -> bool {
    if v.starts_with('0') {
        return true;
    }
    // The first five digits and the count, in place of collecting them (an allocation per
    // match): with a leading `1` of eleven, the codes are the 2nd and 5th digits.
    let (mut d, mut n) = ([0u8; 5], 0usize);
    for c in v.bytes().filter(u8::is_ascii_digit) {
        if let Some(slot) = d.get_mut(n) {
            *slot = c;
        }
        n += 1;
    }
    let skip = usize::from(n == 11 && d[0] == b'1');
    let mut seps = v.bytes().filter(|c| !c.is_ascii_digit());
    let first = seps.next();
    let consistent = v.as_bytes().contains(&b'(') || seps.all(|c| Some(c) == first);
    consistent && n - skip == 10 && d[skip] >= b'2' && d[skip + 3] >= b'2'
}

/// [`nanp`] as it was first written (the digits collected): what the tests compare it with.
#[cfg(test)]
fn nanp_reference(v: &str) -> bool {
    if v.starts_with('0') {
        return true;
    }
    let mut d: Vec<u8> = v.bytes().filter(u8::is_ascii_digit).collect();
    if d.len() == 11 && d[0] == b'1' {
        d.remove(0);
    }
    let mut seps = v.bytes().filter(|c| !c.is_ascii_digit());
    let first = seps.next();
    let consistent = v.contains('(') || seps.all(|c| Some(c) == first);
    consistent && d.len() == 10 && d[0] >= b'2' && d[3] >= b'2'
}

fn ip(v: &str) -> bool {
    v.parse::<std::net::IpAddr>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one-pass phone tests and the allocation-free NANP test answer what the first
    /// versions did, for every span of generated strings of digits, separators, parentheses
    /// and glue bytes.
    #[test]
    fn phone_and_nanp_are_the_first_versions() {
        let alphabet = b"0123456789 ().-:/_+x";
        let mut next = crate::test_rng::xorshift(0x6a09_e667_f3bc_c908u64);
        let (mut yes, mut nanp_yes) = (0, 0);
        for _ in 0..4_000 {
            let text: String = (0..next(24))
                .map(|_| {
                    let c = if next(3) == 0 {
                        alphabet[next(alphabet.len())]
                    } else {
                        b"0123456789 1"[next(12)]
                    };
                    char::from(c)
                })
                .collect();
            for s in 0..=text.len() {
                for e in s..=text.len() {
                    for digits in [8..=15, 9..=12] {
                        let want = phone_reference(&text, s, e, digits.clone());
                        assert_eq!(phone(&text, s, e, digits), want, "{text:?} {s} {e}");
                        yes += usize::from(want);
                    }
                    let v = &text[s..e];
                    let want = nanp_reference(v);
                    assert_eq!(nanp(v), want, "{v:?}");
                    nanp_yes += usize::from(want && !v.starts_with('0') && v.len() >= 10);
                }
            }
        }
        assert!(yes > 10_000 && nanp_yes > 1_000, "{yes} {nanp_yes}");
    }
}
