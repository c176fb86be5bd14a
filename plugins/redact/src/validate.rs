//! Checksums and numbering rules for number-shaped PII, and a small base64 decoder.

/// Luhn checksum over ASCII digits (at most 32; longer input fails).
pub fn luhn(digits: impl Iterator<Item = u8>) -> bool {
    let mut buf = [0u8; 32];
    let mut n = 0;
    for d in digits {
        if n == buf.len() {
            return false;
        }
        buf[n] = d - b'0';
        n += 1;
    }
    if n < 2 {
        return false;
    }
    let sum: u32 = buf[..n]
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// A payment card number at `hay[s..e]`: 13-19 digits, a consistent grouping, a known
/// issuer prefix for its length, not part of a decimal number, and a valid Luhn digit.
pub fn card(hay: &str, s: usize, e: usize) -> bool {
    let v = &hay[s..e];
    let mut d = [0u8; 19];
    let mut n = 0;
    for c in v.bytes().filter(u8::is_ascii_digit) {
        if n == d.len() {
            return false;
        }
        d[n] = c;
        n += 1;
    }
    let d = &d[..n];
    if !(13..=19).contains(&n) || !issuer(d) {
        return false;
    }
    let seps: Vec<u8> = v.bytes().filter(|c| !c.is_ascii_digit()).collect();
    if let Some(&sep) = seps.first() {
        if seps.iter().any(|&c| c != sep) {
            return false;
        }
        let groups: Vec<usize> = v.split(sep as char).map(str::len).collect();
        const SHAPES: &[&[usize]] = &[&[4, 4, 4, 4], &[4, 6, 5], &[4, 6, 4], &[4, 4, 4, 4, 3]];
        if !SHAPES.contains(&groups.as_slice()) {
            return false;
        }
    }
    let b = hay.as_bytes();
    let decimal_before = s >= 2 && matches!(b[s - 1], b'.' | b',') && b[s - 2].is_ascii_digit();
    let decimal_after =
        matches!(b.get(e), Some(b'.' | b',')) && b.get(e + 1).is_some_and(u8::is_ascii_digit);
    !decimal_before && !decimal_after && luhn(d.iter().copied())
}

fn issuer(d: &[u8]) -> bool {
    let prefix = |k: usize| {
        d[..k]
            .iter()
            .fold(0u32, |acc, c| acc * 10 + u32::from(c - b'0'))
    };
    let n = d.len();
    match d[0] {
        b'4' => matches!(n, 13 | 16 | 19),
        b'5' => (51..=55).contains(&prefix(2)) && n == 16,
        b'2' => (2221..=2720).contains(&prefix(4)) && n == 16,
        b'3' => match prefix(2) {
            34 | 37 => n == 15,
            35 => (16..=19).contains(&n),
            30 => (300..=305).contains(&prefix(3)) && (14..=16).contains(&n),
            36 | 38 => (14..=16).contains(&n),
            _ => false,
        },
        b'6' => {
            (prefix(4) == 6011
                || prefix(2) == 65
                || (644..=649).contains(&prefix(3))
                || prefix(2) == 62)
                && (16..=19).contains(&n)
        }
        _ => false,
    }
}

/// A US social security number: area not 000, 666 or 9xx; group not 00; serial not 0000.
pub fn ssn(v: &str) -> bool {
    let d: Vec<u32> = v
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|c| u32::from(c - b'0'))
        .collect();
    if d.len() != 9 {
        return false;
    }
    let area = d[0] * 100 + d[1] * 10 + d[2];
    let group = d[3] * 10 + d[4];
    let serial = d[5] * 1000 + d[6] * 100 + d[7] * 10 + d[8];
    area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
}

/// IBAN lengths by country (ISO 13616 registry).
const IBAN_LEN: &[(&str, usize)] = &[
    ("AD", 24),
    ("AE", 23),
    ("AL", 28),
    ("AT", 20),
    ("AZ", 28),
    ("BA", 20),
    ("BE", 16),
    ("BG", 22),
    ("BH", 22),
    ("BR", 29),
    ("CH", 21),
    ("CR", 22),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DK", 18),
    ("DO", 28),
    ("EE", 20),
    ("EG", 29),
    ("ES", 24),
    ("FI", 18),
    ("FO", 18),
    ("FR", 27),
    ("GB", 22),
    ("GE", 22),
    ("GI", 23),
    ("GL", 18),
    ("GR", 27),
    ("GT", 28),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IL", 23),
    ("IS", 26),
    ("IT", 27),
    ("JO", 30),
    ("KW", 30),
    ("KZ", 20),
    ("LB", 28),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("MC", 27),
    ("MD", 24),
    ("ME", 22),
    ("MK", 19),
    ("MR", 27),
    ("MT", 31),
    ("MU", 30),
    ("NL", 18),
    ("NO", 15),
    ("PK", 24),
    ("PL", 28),
    ("PS", 29),
    ("PT", 25),
    ("QA", 29),
    ("RO", 24),
    ("RS", 22),
    ("SA", 24),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("SM", 27),
    ("TN", 24),
    ("TR", 26),
    ("UA", 29),
    ("VG", 24),
    ("XK", 20),
];

/// An IBAN starting at `s`: takes exactly its country's length of characters (spaces
/// skipped) and checks mod-97; returns the IBAN's span, which may be shorter than the match.
pub fn iban(hay: &str, s: usize, e: usize) -> Option<(usize, usize)> {
    let v = &hay.as_bytes()[s..e];
    let country = std::str::from_utf8(&v[..2]).ok()?;
    let len = IBAN_LEN.iter().find(|(c, _)| *c == country)?.1;
    let mut chars = [0u8; 34];
    let (mut n, mut end) = (0, s);
    for (i, &c) in v.iter().enumerate() {
        if n == len {
            break;
        }
        if c != b' ' {
            chars[n] = c;
            n += 1;
            end = s + i + 1;
        }
    }
    if n < len
        || hay
            .as_bytes()
            .get(end)
            .is_some_and(u8::is_ascii_alphanumeric)
    {
        return None;
    }
    let (head, tail) = chars[..len].split_at(4);
    let mut rem = 0u32;
    for &c in tail.iter().chain(head) {
        rem = match c {
            b'0'..=b'9' => (rem * 10 + u32::from(c - b'0')) % 97,
            b'A'..=b'Z' => (rem * 100 + u32::from(c - b'A' + 10)) % 97,
            _ => return None,
        };
    }
    (rem == 1).then_some((s, end))
}

/// Decodes standard or URL-safe base64, padded or not; `None` when it is not base64.
pub fn b64_decode(input: &[u8]) -> Option<Vec<u8>> {
    let body = input
        .strip_suffix(b"==")
        .or_else(|| input.strip_suffix(b"="))
        .unwrap_or(input);
    if body.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in body {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}
