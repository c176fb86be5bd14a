//! Numbers read in the numeric runs the prefilter measured: `credit_card`, and `us_ssn` in
//! its dashed form. Both patterns are ASCII and case-sensitive, so the bytes decide alone
//! (UTF-8 or not), and neither gives anything back that a plain reading would not.

/// An ASCII word byte (`(?-u:\w)`), what the patterns' `\b` looks at.
fn word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// `\b` (ASCII) at `p`.
fn boundary(b: &[u8], p: usize) -> bool {
    (p > 0 && word(b[p - 1])) != b.get(p).is_some_and(|&c| word(c))
}

/// `credit_card` at `at`: `\b[0-9](?:[ -]?[0-9]){12,18}\b`.
///
/// Each repetition is decided by its own bytes (a blank or dash is taken only before a
/// digit, else the digit alone), so the repetitions are read once, and the greedy count is
/// then given back one at a time until the boundary holds.
pub fn credit_card(b: &[u8], at: usize) -> Option<[usize; 4]> {
    if !b.get(at)?.is_ascii_digit() || !boundary(b, at) {
        return None;
    }
    let mut ends = [0usize; 18];
    let (mut q, mut k) = (at + 1, 0);
    while k < ends.len() {
        q += match (b.get(q), b.get(q + 1)) {
            (Some(b' ' | b'-'), Some(d)) if d.is_ascii_digit() => 2,
            (Some(d), _) if d.is_ascii_digit() => 1,
            _ => break,
        };
        ends[k] = q;
        k += 1;
    }
    (12..=k)
        .rev()
        .map(|n| ends[n - 1])
        .find(|&e| boundary(b, e))
        .map(|e| [at, e, at, e])
}

/// `us_ssn` (the dashed form) at `at`: `\b[0-9]{3}-[0-9]{2}-[0-9]{4}\b`.
pub fn us_ssn(b: &[u8], at: usize) -> Option<[usize; 4]> {
    let w = b.get(at..at + 11)?;
    let digits = |r: std::ops::Range<usize>| w[r].iter().all(u8::is_ascii_digit);
    let shape = digits(0..3) && w[3] == b'-' && digits(4..6) && w[6] == b'-' && digits(7..11);
    (shape && boundary(b, at) && boundary(b, at + 11)).then_some([at, at + 11, at, at + 11])
}
