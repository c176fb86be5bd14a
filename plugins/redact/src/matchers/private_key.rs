//! `private_key` without the regex engine:
//!
//! ```text
//! -----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----
//! | -----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----(?:[A-Za-z0-9+/=\s:,-]|\\[nr])+
//! | PuTTY-User-Key-File-[0-9]: [\s\S]*?Private-MAC: [0-9a-f]+
//! ```
//!
//! The lazy DFA read a whole key block (1–3 KB) byte by byte to find its `END` line, which is
//! what made the rule the costliest per call; here the line is looked for at the dashes, which
//! are found sixteen bytes at a time.
//!
//! Why reading is exact: `[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?` is followed by a `-`, which the
//! class excludes and `PRIVATE KEY BLOCK` is made of, so it is the whole run of that class;
//! the lazy `[\s\S]*?` ends at the first line that completes the match (the haystack is UTF-8,
//! so `[\s\S]` is every byte); the second branch is tried only when no such line follows, and
//! its greedy run gives nothing back. A non-ASCII byte in that run may be Unicode white space
//! (`\s`): [`Unsure`].

use super::Unsure;

/// `[ A-Z0-9]`, the class of a PEM label.
fn label(c: u8) -> bool {
    c == b' ' || c.is_ascii_uppercase() || c.is_ascii_digit()
}

/// The end of `-----BEGIN label-----` / `-----END label-----` whose label starts at `from`:
/// the label must end with `PRIVATE KEY` or `PRIVATE KEY BLOCK` and be followed by `-----`.
fn label_end(b: &[u8], from: usize) -> Option<usize> {
    let mut q = from;
    while q < b.len() && label(b[q]) {
        q += 1;
    }
    let name = &b[from..q];
    let private = name.ends_with(b"PRIVATE KEY") || name.ends_with(b"PRIVATE KEY BLOCK");
    (private && b[q..].starts_with(b"-----")).then_some(q + 5)
}

/// The end of the first `-----END ... PRIVATE KEY-----` line starting at or after `from`.
fn end_line(b: &[u8], mut from: usize) -> Option<usize> {
    loop {
        let p = dashes_end(b, from)?;
        if let Some(e) = label_end(b, p + 8) {
            return Some(e);
        }
        from = p + 1;
    }
}

/// The first `p >= from` where `-----END` starts: each dash from `from` on is found sixteen
/// bytes at a time ([`crate::vector::positions`]; a key's body has none) and compared there.
fn dashes_end(b: &[u8], from: usize) -> Option<usize> {
    let rest = b.get(from..)?;
    let mut found = None;
    crate::vector::positions(rest, b'-', |k| {
        let hit = rest[k..].starts_with(b"-----END");
        if hit {
            found = Some(from + k);
        }
        hit
    });
    found
}

/// The second branch's body `(?:[A-Za-z0-9+/=\s:,-]|\\[nr])+` from `from`: its end (`from`
/// when empty).
fn body(b: &[u8], from: usize) -> Result<usize, Unsure> {
    let mut e = from;
    while let Some(&c) = b.get(e) {
        match c {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' | b'=' | b':' | b',' | b'-' => {
                e += 1;
            }
            // `\s` in ASCII: `\t \n \v \f \r` and the space.
            b'\t'..=b'\r' | b' ' => e += 1,
            b'\\' if matches!(b.get(e + 1), Some(b'n' | b'r')) => e += 2,
            0x80.. => return Err(Unsure),
            _ => break,
        }
    }
    Ok(e)
}

/// The end of the `PuTTY-User-Key-File-N: ... Private-MAC: <hex>` match at `at`.
fn putty(b: &[u8], at: usize) -> Option<usize> {
    const HEAD: &[u8] = b"PuTTY-User-Key-File-";
    const MAC: &[u8] = b"Private-MAC: ";
    let rest = b.get(at..)?;
    if !rest.starts_with(HEAD) || !rest.get(HEAD.len())?.is_ascii_digit() {
        return None;
    }
    if !rest[HEAD.len() + 1..].starts_with(b": ") {
        return None;
    }
    let hex = |c: &u8| c.is_ascii_digit() || (b'a'..=b'f').contains(c);
    let mut from = at + HEAD.len() + 3;
    loop {
        let p = from + memchr::memmem::find(&b[from..], MAC)?;
        let s = p + MAC.len();
        let n = b[s..].iter().take_while(|c| hex(c)).count();
        if n > 0 {
            return Some(s + n);
        }
        from = p + 1;
    }
}

/// The end of the `private_key` match at `at` (the match starts there), `None` when there is
/// none, [`Unsure`] when a non-ASCII byte is on the way of a block cut short.
pub fn match_at(b: &[u8], at: usize) -> Result<Option<usize>, Unsure> {
    if !b[at..].starts_with(b"-----BEGIN") {
        return Ok(putty(b, at));
    }
    // Both PEM branches start with the same header.
    let Some(h) = label_end(b, at + 10) else {
        return Ok(None);
    };
    if let Some(e) = end_line(b, h) {
        return Ok(Some(e));
    }
    let e = body(b, h)?;
    Ok((e > h).then_some(e))
}
