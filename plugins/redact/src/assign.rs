//! `password_assignment`'s value span without a capture engine.
//!
//! The pattern is `NAME SEPARATOR VALUE` (or `NAME>VALUE</`), and its secret is whichever of
//! four groups took part. Asking the regex engine for the groups runs a backtracker over the
//! match, which costs ten times finding the match; but once the match is known, the groups
//! follow from reading it the way the pattern does. [`assignment_value`] does that and says
//! `None` whenever it is not sure, and the caller then asks the engine after all. Tests hold
//! the two to the same answer (`tests/prefilter_equivalence.rs` and the unit tests below).

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
