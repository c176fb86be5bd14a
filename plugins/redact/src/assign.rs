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
        let e = run(b, s, STOP_TAG)?;
        if e > s && b[e..].starts_with(b"</") {
            return Ok(Some([at, e + 2, s, e]));
        }
    }
    Ok(None)
}

/// The end of the run of bytes from `s` outside the stop set `stop`.
fn run(b: &[u8], s: usize, stop: u8) -> Result<usize, Unsure> {
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
        let e = run(b, s, STOP_DQ)?;
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
        let e = run(b, s, STOP_SQ)?;
        return Ok((e > s && b.get(e) == Some(&b'\'')).then_some([e + 1, s, e]));
    }
    let e = run(b, p, STOP_BARE)?;
    Ok((e > p).then_some([e, p, e]))
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
