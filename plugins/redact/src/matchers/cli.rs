//! `cli_secret_flag`'s keyword flags (`--db-password=...`, `--token x`) without the regex
//! engine. Its capture groups ran a backtracker on every flag the detector found.

use super::Unsure;
use super::read::{blanks, space};

/// The keywords a `cli_secret_flag` flag may end with (ASCII, lower case).
const FLAG_WORDS: &[&[u8]] = &[
    b"pass",
    b"password",
    b"passwd",
    b"passphrase",
    b"pwd",
    b"secret",
    b"token",
    b"apikey",
    b"api-key",
    b"accesskey",
    b"access-key",
    b"privatekey",
    b"private-key",
    b"auth",
];

/// Whether a flag's name (what follows its dashes up to `=` or a blank) is
/// `(?:[a-z0-9]+-)*KEYWORD`: a keyword at its end, before it nothing or words each ending
/// with one `-`.
fn flag_name(name: &[u8]) -> bool {
    FLAG_WORDS.iter().any(|k| {
        name.len() >= k.len() && name[name.len() - k.len()..].eq_ignore_ascii_case(k) && {
            let words = &name[..name.len() - k.len()];
            words.is_empty()
                || (words.ends_with(b"-")
                    && !words.starts_with(b"-")
                    && !words.windows(2).any(|w| w == b"--"))
        }
    })
}

/// The value of a `cli_secret_flag` flag at `v`: `"([^"\r\n]+)"`, `'([^'\r\n]+)'` or
/// `([^\s"'-][^\s"']*)`, as match end and secret span.
fn flag_value(b: &[u8], v: usize) -> Result<Option<[usize; 3]>, Unsure> {
    match b.get(v) {
        Some(&q @ (b'"' | b'\'')) => {
            let s = v + 1;
            let e = s + b[s..]
                .iter()
                .position(|&c| c == q || c == b'\r' || c == b'\n')
                .unwrap_or(b.len() - s);
            Ok((e > s && b.get(e) == Some(&q)).then_some([e + 1, s, e]))
        }
        Some(b'-') | None => Ok(None),
        Some(_) => {
            let e = run_until(b, v, b"\"'")?;
            Ok((e > v).then_some([e, v, e]))
        }
    }
}

/// Where a flag's dashes may start for a match at `at`: the string's start (`^`) first, then
/// after a blank or one of `also` at `at`. [`Unsure`] when `at` starts a non-ASCII character
/// followed by a dash (Unicode white space may start a flag too).
fn flag_starts(b: &[u8], at: usize, also: &[u8]) -> Result<[Option<usize>; 2], Unsure> {
    let mut starts = [None, None];
    if at == 0 {
        starts[0] = Some(0);
    }
    match b.get(at) {
        Some(&c) if space(c) || also.contains(&c) => starts[1] = Some(at + 1),
        // Unicode white space may start a flag too, when a dash follows it.
        Some(&c @ 0x80..) => {
            let len = if c >= 0xf0 {
                4
            } else if c >= 0xe0 {
                3
            } else {
                2
            };
            if b.get(at + len) == Some(&b'-') {
                return Err(Unsure);
            }
        }
        _ => {}
    }
    Ok(starts)
}

/// `cli_secret_flag` (the keyword flags) at `at`, the blank or quote before a flag's dashes
/// (or the string's start): `(?i)(?:^|[\s"'])--?(?:[a-z0-9]+-)*(?:pass(?:word|wd|phrase)?|`
/// `pwd|secret|token|api-?key|access-?key|private-?key|auth)(?:=|[ \t]+)(?:"([^"\r\n]+)"|`
/// `'([^'\r\n]+)'|([^\s"'-][^\s"']*))`.
///
/// Two dashes are taken when there are two (a name cannot start with a dash); the name is
/// the whole `[A-Za-z0-9-]` run, since what follows it (`=` or a blank) is outside that class;
/// then the separator, and the value in the pattern's order.
pub fn cli_flag(b: &[u8], at: usize) -> Result<Option<[usize; 4]>, Unsure> {
    let starts = flag_starts(b, at, b"\"'")?;
    for d in starts.into_iter().flatten() {
        if b.get(d) != Some(&b'-') {
            continue;
        }
        let n = d + 1 + usize::from(b.get(d + 1) == Some(&b'-'));
        let mut e = n;
        while let Some(&c) = b.get(e) {
            match c {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' => e += 1,
                // `(?i)` puts the Kelvin sign and `ſ` in `[a-z]`.
                0x80.. => return Err(Unsure),
                _ => break,
            }
        }
        if !flag_name(&b[n..e]) {
            continue;
        }
        let v = match b.get(e) {
            Some(b'=') => e + 1,
            Some(b' ' | b'\t') => blanks(b, e),
            _ => continue,
        };
        if let Some([me, s, se]) = flag_value(b, v)? {
            return Ok(Some([at, me, s, se]));
        }
    }
    Ok(None)
}

/// The end of the run from `p` of bytes that are neither `\s` nor in `stop`; [`Unsure`] at
/// a non-ASCII byte (Unicode `\s`).
fn run_until(b: &[u8], mut p: usize, stop: &[u8]) -> Result<usize, Unsure> {
    while let Some(&c) = b.get(p) {
        match c {
            0x80.. => return Err(Unsure),
            _ if space(c) || stop.contains(&c) => break,
            _ => p += 1,
        }
    }
    Ok(p)
}

/// `cli_secret_flag` (`-u` / `--user`) at `at`, the blank before the flag (or the string's
/// start): `(?:^|\s)(?:-u|--user)[ =]\\?["']?[^\s:"'\\]+:([^\s"'\\]+)`.
///
/// The optional `\` and quote are taken when present (the user's class holds neither, so
/// leaving one out cannot help); the user ends at the first byte it cannot hold, which must
/// be the `:`; the password is its whole run.
pub fn user_flag(b: &[u8], at: usize) -> Result<Option<[usize; 4]>, Unsure> {
    let starts = flag_starts(b, at, b"")?;
    for d in starts.into_iter().flatten() {
        let rest = &b[d..];
        let mut p = if rest.starts_with(b"-u") {
            d + 2
        } else if rest.starts_with(b"--user") {
            d + 6
        } else {
            continue;
        };
        if !matches!(b.get(p), Some(b' ' | b'=')) {
            continue;
        }
        p += 1;
        if b.get(p) == Some(&b'\\') {
            p += 1;
        }
        if matches!(b.get(p), Some(b'"' | b'\'')) {
            p += 1;
        }
        let user = run_until(b, p, b":\"'\\")?;
        if user == p || b.get(user) != Some(&b':') {
            continue;
        }
        let s = user + 1;
        let e = run_until(b, s, b"\"'\\")?;
        if e > s {
            return Ok(Some([at, e, s, e]));
        }
    }
    Ok(None)
}
