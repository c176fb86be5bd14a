//! `password_assignment` without the regex engine where it can be helped.
//!
//! The pattern is `NAME SEPARATOR VALUE` (or `NAME>VALUE</`), and its secret is whichever of
//! four groups took part. At an anchor, [`match_at`] reads the name, the separator and the
//! value the way the pattern does and gives the match and the group's span: the rule fires on
//! every `token:` and `password=`, and a regex call (input set-up, the lazy DFA, its cache)
//! cost more than reading those few bytes. It says [`Unsure`] where the pattern's Unicode
//! semantics decide (a non-ASCII byte in a name or a value), and the regex runs after all.
//!
//! There, and in the reference scan, asking the engine for the groups would run a
//! backtracker over the match, which costs ten times finding the match; but once the match
//! is known, the groups follow from reading it. [`assignment_value`] does that and says
//! `None` whenever it is not sure, and the caller then asks the engine after all. Tests hold
//! both to the regex's answer (`tests/assignment_matcher.rs`,
//! `tests/prefilter_equivalence.rs` and the unit tests below).

/// Bytes a bare value cannot contain (`[^\s"'`,;&<>(){}\[\]\\]`, ASCII part).
const BARE_STOP: &[u8] = b" \t\n\r\x0b\x0c\"'`,;&<>(){}[]\\";

/// The stop sets of [`assignment_value`] as bits of a byte table: a value is read byte by
/// byte, and a lookup costs less than searching a stop list (a `memchr`) for every byte.
const STOP_BARE: u8 = 1;
const STOP_TAG: u8 = 2;
const STOP_DQ: u8 = 4;
const STOP_SQ: u8 = 8;

const STOPS: [u8; 256] = {
    let sets: [(u8, &[u8]); 4] = [
        (STOP_BARE, BARE_STOP),
        (STOP_TAG, b"<\r\n"),
        (STOP_DQ, b"\"\\\r\n"),
        (STOP_SQ, b"'\r\n"),
    ];
    let mut t = [0u8; 256];
    let mut k = 0;
    while k < sets.len() {
        let (bit, set) = sets[k];
        let mut i = 0;
        while i < set.len() {
            t[set[i] as usize] |= bit;
            i += 1;
        }
        k += 1;
    }
    t
};

/// The value span of a `password_assignment` match `b[ms..me]`, as its first participating
/// capture group: a name (`[A-Za-z_-]+`), then `\"` or a quote and `=>`, `:=`, `:` or `=`, or
/// blanks and `:=`, `:` or `=`; blanks; then `"value"`, `'value'` or a bare value; or
/// `name>value</`. `None` when unsure (non-ASCII bytes, or a reading that does not fit).
pub fn assignment_value(b: &[u8], ms: usize, me: usize) -> Option<(usize, usize)> {
    let mut p = ms;
    while p < me && (b[p].is_ascii_alphabetic() || b[p] == b'_' || b[p] == b'-') {
        p += 1;
    }
    if p >= me || !b[p..me].is_ascii() {
        return None;
    }
    let plain =
        |v: &[u8], stop: u8| !v.is_empty() && v.iter().all(|&c| STOPS[usize::from(c)] & stop == 0);
    if b[p] == b'>' {
        let e = me.checked_sub(2)?;
        let s = p + 1;
        return (s <= e && &b[e..me] == b"</" && plain(&b[s..e], STOP_TAG)).then_some((s, e));
    }
    match b[me - 1] {
        b'"' => {
            let e = if me >= 2 && b[me - 2] == b'\\' {
                me - 2
            } else {
                me - 1
            };
            let s = b[p..e].iter().rposition(|&c| c == b'"')? + p + 1;
            plain(&b[s..e], STOP_DQ).then_some((s, e))
        }
        b'\'' => {
            let e = me - 1;
            let s = b[p..e].iter().rposition(|&c| c == b'\'')? + p + 1;
            plain(&b[s..e], STOP_SQ).then_some((s, e))
        }
        _ => {
            let blanks = |mut q: usize| {
                while q < me && (b[q] == b' ' || b[q] == b'\t') {
                    q += 1;
                }
                q
            };
            let q = p + usize::from(b[p] == b'\\');
            let quoted_name = q < me && (b[q] == b'"' || b[q] == b'\'');
            let q = if quoted_name {
                blanks(q + 1)
            } else {
                blanks(p)
            };
            let rest = &b[q..me];
            let sep = if quoted_name && rest.starts_with(b"=>") || rest.starts_with(b":=") {
                2
            } else if rest.first().is_some_and(|c| *c == b':' || *c == b'=') {
                1
            } else {
                return None;
            };
            let s = blanks(q + sep);
            plain(&b[s..me], STOP_BARE).then_some((s, me))
        }
    }
}

/// The key names of `password_assignment`'s first branch, in the pattern's order of
/// preference: `pass(?:word|wd|phrase)|pwd|secret|token|api[_-]?key|apikey|(?:secret|...)[_-]?key`.
const NAMES: &[&[u8]] = &[
    b"password",
    b"passwd",
    b"passphrase",
    b"pwd",
    b"secret",
    b"token",
    b"api_key",
    b"api-key",
    b"apikey",
    b"secret_key",
    b"secret-key",
    b"secretkey",
    b"access_key",
    b"access-key",
    b"accesskey",
    b"private_key",
    b"private-key",
    b"privatekey",
    b"signing_key",
    b"signing-key",
    b"signingkey",
    b"encryption_key",
    b"encryption-key",
    b"encryptionkey",
    b"master_key",
    b"master-key",
    b"masterkey",
    b"account_key",
    b"account-key",
    b"accountkey",
    b"subscription_key",
    b"subscription-key",
    b"subscriptionkey",
    b"license_key",
    b"license-key",
    b"licensekey",
    b"client_key",
    b"client-key",
    b"clientkey",
];

/// How many of [`NAMES`] the `name>value</` branch accepts (`pass...|pwd|secret|token|
/// api[_-]?key`).
const TAG_NAMES: usize = 9;

/// A byte [`match_at`] cannot judge without the regex engine: a non-ASCII byte where the
/// pattern's Unicode semantics decide (`(?i)` folds `k` with the Kelvin sign and `s` with `ſ`;
/// `\s` and the negated classes read whole characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsure;

/// `password_assignment`'s built-in pattern searched anchored at `at`, without the regex
/// engine: the match and its secret as `[match start, match end, secret start, secret end]`
/// (the first participating capture group), exactly what the regex's anchored search and
/// capture groups give, or [`Unsure`] when a non-ASCII byte is on the way.
///
/// Every anchor costs one of these (several per KB of secret-dense text), and the regex
/// engine's set-up alone costs more than reading the few bytes of a name and a value. The
/// pattern's quantifiers never need to give back what they took (each is followed by a byte
/// its class excludes), so following its alternatives in order of preference, each piece
/// greedy and a shorter separator tried when the value after a longer one fails, is the
/// regex's leftmost-first answer. `tests/assignment_matcher.rs` holds the
/// two equal on the corpus and on generated strings.
pub fn match_at(b: &[u8], at: usize) -> Result<Option<[usize; 4]>, Unsure> {
    // Every name is made of `[a-z_-]`, and no separator can follow a letter, `_` or `-`: of
    // all the names only one spelled by the whole run of those bytes can lead to a match.
    // Most anchors in prose (`password reset`) are settled by the byte after the run.
    let mut q = at;
    while q < b.len() && (b[q].is_ascii_alphabetic() || b[q] == b'_' || b[q] == b'-') {
        q += 1;
    }
    match b.get(q) {
        // `ſ` (`C5 BF`) and the Kelvin sign (`E2 84 AA`) are `s` and `k` to `(?i)`.
        Some(0xc5 | 0xe2) => return Err(Unsure),
        Some(b'\\' | b'"' | b'\'' | b' ' | b'\t' | b':' | b'=' | b'>') => {}
        _ => return Ok(None),
    }
    let name = &b[at..q];
    let Some(k) = NAMES.iter().position(|n| n.eq_ignore_ascii_case(name)) else {
        return Ok(None);
    };
    if let Some([me, s, e]) = separated_value(b, q)? {
        return Ok(Some([at, me, s, e]));
    }
    if k < TAG_NAMES && b[q] == b'>' {
        let s = q + 1;
        let e = run::<STOP_TAG>(b, s)?;
        if e > s && b[e..].starts_with(b"</") {
            return Ok(Some([at, e + 2, s, e]));
        }
    }
    Ok(None)
}

/// The end of the run of bytes from `s` outside the stop set `STOP` ([`Unsure`] at a
/// non-ASCII byte before it). Sixteen bytes at a time while the string has them
/// ([`vector::stops`]): a value read a byte at a time cost a loop turn, and inside Wasm an
/// interruption check, per byte.
fn run<const STOP: u8>(b: &[u8], s: usize) -> Result<usize, Unsure> {
    let mut e = s;
    #[cfg(any(target_arch = "x86_64", target_arch = "wasm32"))]
    while e + 16 <= b.len() {
        let m = vector::stops::<STOP>(b, e);
        if m != 0 {
            e += m.trailing_zeros() as usize;
            return if b[e].is_ascii() { Ok(e) } else { Err(Unsure) };
        }
        e += 16;
    }
    run_bytes(b, e, STOP)
}

/// [`run`] a byte at a time: the end of a string, other targets, and what the tests compare
/// the vector code with.
fn run_bytes(b: &[u8], s: usize, stop: u8) -> Result<usize, Unsure> {
    let mut e = s;
    while let Some(&c) = b.get(e) {
        if !c.is_ascii() {
            return Err(Unsure);
        }
        if STOPS[usize::from(c)] & stop != 0 {
            break;
        }
        e += 1;
    }
    Ok(e)
}

#[cfg(any(target_arch = "x86_64", target_arch = "wasm32"))]
mod vector {
    use super::{STOP_BARE, STOP_DQ, STOP_SQ, STOP_TAG};
    use crate::vector::*;

    /// The stop sets' bytes.
    const SETS: [(u8, &[u8]); 4] = [
        (STOP_TAG, b"<\r\n"),
        (STOP_DQ, b"\"\\\r\n"),
        (STOP_SQ, b"'\r\n"),
        (STOP_BARE, super::BARE_STOP),
    ];

    /// The bytes of the stop set `stop`.
    const fn set(stop: u8) -> &'static [u8] {
        let mut k = 0;
        while SETS[k].0 != stop {
            k += 1;
        }
        SETS[k].1
    }

    /// Bit `k` set when `b[at + k]` is in the stop set `STOP` or not ASCII, for
    /// `at + 16 <= b.len()`. Natively a compare per byte of the set (SSE2 has no byte
    /// shuffle); inside Wasm two lookups by nibble (`in_set`), which cost the same for the
    /// 21 bytes of a bare value's set as for the 3 of a quoted one's.
    #[cfg_attr(target_arch = "wasm32", target_feature(enable = "simd128"))]
    pub fn stops<const STOP: u8>(b: &[u8], at: usize) -> u32 {
        let x = load16(b, at);
        #[cfg(target_arch = "wasm32")]
        let m = in_set(x, from_array(const { nibble_table(set(STOP)) }));
        #[cfg(target_arch = "x86_64")]
        let m = set(STOP).iter().fold(splat(0), |m, &c| or(m, eq(x, c)));
        // Non-ASCII bytes: their own top bit.
        bits(or(m, x))
    }
}

/// Blanks (`[ \t]*`) from `q`.
fn blanks(b: &[u8], mut q: usize) -> usize {
    while q < b.len() && (b[q] == b' ' || b[q] == b'\t') {
        q += 1;
    }
    q
}

/// After a name ending at `q`: `\\?["'][ \t]*(?:=>|:=|[:=])` or `[ \t]*(?::=|[:=])`, blanks,
/// then a value; `[match end, secret start, secret end]`.
fn separated_value(b: &[u8], q: usize) -> Result<Option<[usize; 3]>, Unsure> {
    let quote = q + usize::from(b.get(q) == Some(&b'\\'));
    let quoted = matches!(b.get(quote), Some(b'"' | b'\''));
    if !quoted && quote != q {
        // A backslash not before a quote: neither separator can start here.
        return Ok(None);
    }
    let p = blanks(b, if quoted { quote + 1 } else { q });
    let rest = &b[p..];
    // The separators in the pattern's order (`=>` only after a quoted name); a shorter one
    // is tried when the value after a longer one fails (`:=`, then `:` with the value `=...`).
    for (sep, len) in [
        (quoted && rest.starts_with(b"=>"), 2),
        (rest.starts_with(b":="), 2),
    ] {
        if sep && let Some(v) = value(b, blanks(b, p + len))? {
            return Ok(Some(v));
        }
    }
    if matches!(rest.first(), Some(b':' | b'=')) {
        return value(b, blanks(b, p + 1));
    }
    Ok(None)
}

/// A value at `p`: `\\?"([^"\\\r\n]+)\\?"`, `'([^'\r\n]+)'` or `([^\s"'`,;&<>(){}\[\]\\]+)`;
/// `[match end, secret start, secret end]`.
fn value(b: &[u8], p: usize) -> Result<Option<[usize; 3]>, Unsure> {
    let dq = p + usize::from(b.get(p) == Some(&b'\\'));
    if b.get(dq) == Some(&b'"') {
        let s = dq + 1;
        let e = run::<STOP_DQ>(b, s)?;
        // The run stops at a quote, a backslash or a line end: only `"` or `\\"` closes it.
        let me = match (b.get(e), b.get(e + 1)) {
            (Some(b'"'), _) => e + 1,
            (Some(b'\\'), Some(b'"')) => e + 2,
            _ => return Ok(None),
        };
        return Ok((e > s).then_some([me, s, e]));
    }
    if b.get(p) == Some(&b'\'') {
        let s = p + 1;
        let e = run::<STOP_SQ>(b, s)?;
        return Ok((e > s && b.get(e) == Some(&b'\'')).then_some([e + 1, s, e]));
    }
    let e = run::<STOP_BARE>(b, p)?;
    Ok((e > p).then_some([e, p, e]))
}

#[cfg(test)]
mod run_tests {
    use super::*;

    /// The vector run ends where the byte-by-byte one does (or is [`Unsure`] where it is),
    /// for each stop set, from every start of generated strings of every stop byte, its
    /// neighbours, letters and non-ASCII bytes.
    #[test]
    fn runs_are_byte_by_byte() {
        let mut alphabet: Vec<u8> = BARE_STOP.to_vec();
        alphabet.extend(b"\x08\x0e\x1f!#$%*+-./:=?@^_|~\x7f");
        alphabet.extend([0x80, 0xc3, 0xff]);
        let mut next = crate::test_rng::xorshift(0x9b05_688c_2b3e_6c1fu64);
        let mut long = 0;
        for _ in 0..20_000 {
            let len = next(70);
            let b = crate::test_rng::mostly(&mut next, len, b"aZ9-", &alphabet, 12);
            for s in 0..=b.len() {
                let check = |got: Result<usize, Unsure>, stop: u8| {
                    assert_eq!(got, run_bytes(&b, s, stop), "{b:?} {s} {stop}");
                };
                check(run::<STOP_BARE>(&b, s), STOP_BARE);
                check(run::<STOP_TAG>(&b, s), STOP_TAG);
                check(run::<STOP_DQ>(&b, s), STOP_DQ);
                check(run::<STOP_SQ>(&b, s), STOP_SQ);
                long += usize::from(run_bytes(&b, s, STOP_BARE).is_ok_and(|e| e >= s + 16));
            }
        }
        assert!(long > 10_000, "{long}");
    }
}

#[cfg(test)]
mod tests {
    use super::assignment_value;
    use crate::Redact;
    use crate::rules::Capture;
    use regex_automata::util::primitives::NonMaxUsize;
    use regex_automata::{Anchored, Input};

    /// Every combination of name, quoting, separator, blanks and value: the parse agrees
    /// with the capture groups whenever it answers, and answers for the usual shapes.
    #[test]
    fn agrees_with_the_capture_groups() {
        let r = Redact::from_config("").unwrap();
        let rule = r
            .settings()
            .detector
            .rules()
            .iter()
            .find(|r| r.capture == Capture::Assignment)
            .expect("the assignment rule");
        let mut cache = rule.regex.create_cache();
        let mut slots = vec![None; 10];
        let names = [
            "password",
            "DB_PASSWORD",
            "api-key",
            "client_secret",
            "token",
        ];
        let quotes = ["", "\"", "'", "\\\""];
        let seps = ["=", ":", ":=", "=>", " = ", ": ", "\t:", " :="];
        let values = [
            "hunter2",
            "\"Winter 2024!\"",
            "'s3cr3t'",
            "\\\"esc4ped\\\"",
            "=x9",
            "\"",
            "'",
            "",
            " spaced",
            "a;b",
            "v\"x",
            "é€",
        ];
        let tails = ["", " next", "\n", ",", "\"", "</"];
        let (mut answered, mut total) = (0, 0);
        for n in names {
            for q in quotes {
                for sep in seps {
                    for v in values {
                        for t in tails {
                            let text = format!("x {n}{q}{sep}{v}{t}");
                            let b = text.as_bytes();
                            let input = Input::new(b).range(2..).anchored(Anchored::Yes);
                            let Some(_) =
                                rule.regex.search_slots_with(&mut cache, &input, &mut slots)
                            else {
                                continue;
                            };
                            let slot = |k: usize| slots[k].map(NonMaxUsize::get);
                            let (ms, me) = (slot(0).unwrap(), slot(1).unwrap());
                            let want = (1..5).find_map(|g| Some((slot(2 * g)?, slot(2 * g + 1)?)));
                            total += 1;
                            if let Some(got) = assignment_value(b, ms, me) {
                                answered += 1;
                                assert_eq!(Some(got), want, "{text:?}");
                            }
                        }
                    }
                }
            }
        }
        for xml in ["<password>hunter2</password>", "<token>a b</token>"] {
            let b = xml.as_bytes();
            let input = Input::new(b).range(1..).anchored(Anchored::Yes);
            rule.regex
                .search_slots_with(&mut cache, &input, &mut slots)
                .unwrap();
            let slot = |k: usize| slots[k].map(NonMaxUsize::get);
            let want = (1..5).find_map(|g| Some((slot(2 * g)?, slot(2 * g + 1)?)));
            assert_eq!(
                assignment_value(b, slot(0).unwrap(), slot(1).unwrap()),
                want
            );
        }
        assert!(total > 2_000, "{total}");
        // The rest are non-ASCII values and `:=` with nothing usable after it (the pattern
        // then takes `=` as the value), which are left to the capture engine.
        assert!(answered * 4 > total * 3, "{answered} of {total}");
    }
}
