//! Deterministic pseudo-random input for the unit tests that hold a vector routine to its
//! byte-by-byte definition.

/// `next(n)` in `0..n` from a xorshift64 generator: fixed sequences, so a failure replays.
pub fn xorshift(seed: u64) -> impl FnMut(usize) -> usize {
    let mut state = seed;
    move |n| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    }
}

/// A 17-byte window (what the 16-byte routines read): every byte value on every fourth
/// round, otherwise bytes drawn from `alphabet`, the bytes that matter to the routine.
pub fn window(next: &mut impl FnMut(usize) -> usize, alphabet: &[u8], round: usize) -> [u8; 17] {
    let mut w = [0u8; 17];
    for c in &mut w {
        *c = if round.is_multiple_of(4) {
            next(256) as u8
        } else {
            alphabet[next(alphabet.len())]
        };
    }
    w
}

/// `len` bytes drawn from `common`, but one in `one_in` (on average) from `rare`: runs of a
/// routine's ordinary bytes broken now and then by the ones that stop or change it.
pub fn mostly(
    next: &mut impl FnMut(usize) -> usize,
    len: usize,
    common: &[u8],
    rare: &[u8],
    one_in: usize,
) -> Vec<u8> {
    (0..len)
        .map(|_| {
            if next(one_in) == 0 {
                rare[next(rare.len())]
            } else {
                common[next(common.len())]
            }
        })
        .collect()
}
