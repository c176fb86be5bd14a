//! Numbers: `credit_card`, `us_ssn` in its dashed form and international `phone_number`s
//! (read in the numeric runs the prefilter measured), and `iban` (read where
//! `[A-Z]{2}[0-9]{2}` starts). The patterns are
//! ASCII and case-sensitive, so the bytes decide alone (UTF-8 or not), and none gives
//! anything back that a plain reading would not.

/// An ASCII word byte (`(?-u:\w)`), what the patterns' `\b` looks at.
fn word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// `\b` (ASCII) at `p`.
fn boundary(b: &[u8], p: usize) -> bool {
    (p > 0 && word(b[p - 1])) != b.get(p).is_some_and(|&c| word(c))
}

/// The end of `(?:[SEP]?[ITEM]){min,MAX}\b` from `q` (`MAX` the array's length), `sep` and
/// `item` the classes: each repetition is decided by its own bytes (a separator is taken
/// only before an item byte, else the item byte alone), so the repetitions are read once,
/// and the greedy count is then given back one at a time until the boundary holds.
fn groups<const MAX: usize>(
    b: &[u8],
    mut q: usize,
    min: usize,
    sep: impl Fn(u8) -> bool,
    item: impl Fn(u8) -> bool,
) -> Option<usize> {
    let mut ends = [0usize; MAX];
    let mut k = 0;
    while k < MAX {
        q += match (b.get(q), b.get(q + 1)) {
            (Some(&s), Some(&c)) if sep(s) && item(c) => 2,
            (Some(&c), _) if item(c) => 1,
            _ => break,
        };
        ends[k] = q;
        k += 1;
    }
    (min..=k)
        .rev()
        .map(|n| ends[n - 1])
        .find(|&e| boundary(b, e))
}

/// `credit_card` at `at`: `\b[0-9](?:[ -]?[0-9]){12,18}\b`.
pub fn credit_card(b: &[u8], at: usize) -> Option<[usize; 4]> {
    if !b.get(at)?.is_ascii_digit() || !boundary(b, at) {
        return None;
    }
    let e = groups::<18>(
        b,
        at + 1,
        12,
        |c| c == b' ' || c == b'-',
        |c| c.is_ascii_digit(),
    )?;
    Some([at, e, at, e])
}

/// `iban` at `at`: `\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,32}\b`.
pub fn iban(b: &[u8], at: usize) -> Option<[usize; 4]> {
    let w = b.get(at..at + 4)?;
    let head = w[..2].iter().all(u8::is_ascii_uppercase) && w[2..].iter().all(u8::is_ascii_digit);
    if !head || !boundary(b, at) {
        return None;
    }
    let e = groups::<32>(
        b,
        at + 4,
        11,
        |c| c == b' ',
        |c| c.is_ascii_uppercase() || c.is_ascii_digit(),
    )?;
    Some([at, e, at, e])
}

/// `us_ssn` (the dashed form) at `at`: `\b[0-9]{3}-[0-9]{2}-[0-9]{4}\b`.
pub fn us_ssn(b: &[u8], at: usize) -> Option<[usize; 4]> {
    let w = b.get(at..at + 11)?;
    let digits = |r: std::ops::Range<usize>| w[r].iter().all(u8::is_ascii_digit);
    let shape = digits(0..3) && w[3] == b'-' && digits(4..6) && w[6] == b'-' && digits(7..11);
    (shape && boundary(b, at) && boundary(b, at + 11)).then_some([at, at + 11, at, at + 11])
}

/// `phone_number` (international) at `at`: `\+[1-9][0-9 ().-]{6,20}[0-9]\b`.
///
/// The class run after the first digit holds the last digit too, so the greedy run is
/// given back one byte at a time until a digit with a boundary after it ends it.
pub fn phone_intl(b: &[u8], at: usize) -> Option<[usize; 4]> {
    if b.get(at) != Some(&b'+') || !matches!(b.get(at + 1), Some(b'1'..=b'9')) {
        return None;
    }
    let from = at + 2;
    let class = |c: &u8| c.is_ascii_digit() || matches!(c, b' ' | b'(' | b')' | b'.' | b'-');
    let run = b[from..].iter().take(21).take_while(|c| class(c)).count();
    (6..=run.saturating_sub(1).min(20))
        .rev()
        .map(|n| from + n)
        .find(|&q| b[q].is_ascii_digit() && boundary(b, q + 1))
        .map(|q| [at, q + 1, at, q + 1])
}
