//! Byte classes for the prefilter's numeric runs.

/// Byte class bit (bits 8-15 of a [`TABLE`] entry; bits 0-7 are the lower-case byte):
/// `[0-9 ().+-]`, what a number rule's match consists of.
pub const NUM: u16 = 1 << 10;

const fn table() -> [u16; 256] {
    let mut t = [0u16; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        let mut f = b.to_ascii_lowercase() as u16;
        if b.is_ascii_digit() || matches!(b, b' ' | b'(' | b')' | b'.' | b'+' | b'-') {
            f |= NUM;
        }
        t[c] = f;
        c += 1;
    }
    t
}

/// Per byte: its lower-case form and classes.
pub const TABLE: [u16; 256] = table();
