//! Byte classes and the shape of a string: the longest runs of a class, found by looking
//! at every `n`-th byte only (a run of at least `n` bytes contains one of them), for the
//! rules that have no literal to anchor on.

/// Byte classes (bits 8-15 of a [`TABLE`] entry; bits 0-7 are the lower-case byte).
/// `[A-Za-z0-9_-]`.
pub const WORD: u16 = 1 << 8;
/// `[A-Za-z0-9_.-]`.
pub const DOT: u16 = 1 << 9;
/// `[0-9 ().+-]`.
pub const NUM: u16 = 1 << 10;
/// `[A-Z0-9 ]`.
pub const UPPER: u16 = 1 << 11;

const fn table() -> [u16; 256] {
    let mut t = [0u16; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        let mut f = b.to_ascii_lowercase() as u16;
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
            f |= WORD | DOT;
        }
        if b == b'.' {
            f |= DOT;
        }
        if b.is_ascii_digit() {
            f |= NUM | UPPER;
        }
        if matches!(b, b' ' | b'(' | b')' | b'.' | b'+' | b'-') {
            f |= NUM;
        }
        if b.is_ascii_uppercase() || b == b' ' {
            f |= UPPER;
        }
        t[c] = f;
        c += 1;
    }
    t
}

/// Per byte: its lower-case form and classes.
pub const TABLE: [u16; 256] = table();

/// Longest runs and the largest digit count of a numeric run, for the shape gates.
#[derive(Debug, Default, Clone, Copy)]
pub struct Shape {
    /// Longest `[A-Za-z0-9_-]` run.
    pub word_run: u32,
    /// Longest `[A-Za-z0-9_.-]` run.
    pub dot_run: u32,
    /// Most letters and digits in a `[A-Z0-9 ]` run.
    pub upper_run: u32,
    /// Most digits in a `[0-9 ().+-]` run.
    pub num_digits: u32,
}

/// The largest `measure` of a run of `class` bytes among runs at least `step` long (0: not
/// needed). Looks at every `step`-th byte and measures only the runs those fall in.
pub fn longest(
    b: &[u8],
    class: u16,
    step: u32,
    mut measure: impl FnMut(&[u8], std::ops::Range<usize>) -> u32,
) -> u32 {
    if step == 0 {
        return 0;
    }
    let step = step as usize;
    let is = |c: u8| TABLE[c as usize] & class != 0;
    let (mut best, mut p, mut done) = (0, step - 1, 0);
    while p < b.len() {
        if !is(b[p]) {
            p += step;
            continue;
        }
        let mut start = p;
        while start > done && is(b[start - 1]) {
            start -= 1;
        }
        let mut end = p + 1;
        while end < b.len() && is(b[end]) {
            end += 1;
        }
        if end - start >= step {
            best = best.max(measure(b, start..end));
        }
        done = end;
        // Every run of `step` bytes after `end` holds one of these positions.
        p = end + step;
    }
    best
}
