//! What is not a secret although it sits where one would: placeholders (`<redacted>`,
//! `${API_KEY}`, `xxxx`), templates, code references (`os.environ[...]`, `settings.KEY`),
//! file paths and status words.

mod marks;

/// What a byte can start in [`placeholder_shape`]: 1 a filler run, 2 a marker word,
/// 4 a non-ASCII character, 8 (`([:`) a code reference's place (see [`REF_AT`]; the `.` of
/// one is a filler byte); 0 nothing (most bytes of a real secret).
const SHAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    t[b'(' as usize] = 8;
    t[b'[' as usize] = 8;
    t[b':' as usize] = 8;
    let fillers = b"xX#*.0";
    let mut k = 0;
    while k < fillers.len() {
        t[fillers[k] as usize] = 1;
        k += 1;
    }
    let words = b"epydsrEPYDSR";
    let mut k = 0;
    while k < words.len() {
        t[words[k] as usize] = 2;
        k += 1;
    }
    let mut c = 0x80;
    while c < 256 {
        t[c] = 4;
        c += 1;
    }
    t
};

/// For a byte that can start a marker word ([`SHAPE`] 2): the lower-case letter that must
/// follow it, so that one compare rejects most such bytes of a real secret.
const SECOND: [u8; 256] = {
    let mut t = [0u8; 256];
    let pairs = b"explyodusare";
    let mut k = 0;
    while k < pairs.len() {
        t[pairs[k] as usize] = pairs[k + 1];
        t[pairs[k].to_ascii_uppercase() as usize] = pairs[k + 1];
        k += 2;
    }
    t
};

/// Obvious filler: `xxxx`, `****`, `....`, `<...>`, or a doc/example marker.
pub fn placeholder_shape(v: &str) -> bool {
    shape_or_reference::<false>(v.as_bytes(), 0)
}

/// [`placeholder_shape`] of `b`, or (when `REFS`) [`code_reference`] of `b[..refs_end]`, in
/// one pass: [`value`] asks both of every value `password_assignment` finds, and reading the
/// value twice was most of what confirming it cost.
fn shape_or_reference<const REFS: bool>(b: &[u8], refs_end: usize) -> bool {
    // One loop that skips ordinary bytes a vector at a time; runs of a filler byte are
    // measured whole, marker words are compared where their first two letters are, and
    // references where their `.([:` is.
    let mut non_ascii = false;
    let mut i = 0;
    while i < b.len() {
        // Ordinary bytes (most of a secret) are stepped over sixteen at a time (`marks`):
        // only a position that can start something is read here.
        let m = marks::marks::<REFS>(b, i);
        if m == 0 {
            i += 16;
            continue;
        }
        i += m.trailing_zeros() as usize;
        let c = b[i];
        match SHAPE[usize::from(c)] {
            0 => i += 1,
            1 => {
                let mut j = i + 1;
                while j < b.len() && b[j] == c {
                    j += 1;
                }
                let need = match c {
                    b'x' | b'X' | b'#' => 4,
                    b'*' | b'.' => 3,
                    _ => 7,
                };
                if j - i >= need {
                    return true;
                }
                // A run of one or two dots: each may be a reference's.
                if REFS && c == b'.' && (i..j).any(|p| reference_at(&b[..refs_end], p, 0)) {
                    return true;
                }
                i = j;
            }
            2 if b.get(i + 1).map_or(0, |n| n | 0x20) != SECOND[usize::from(c)] => i += 1,
            2 => {
                let at =
                    |w: &[u8]| b.len() - i >= w.len() && b[i..i + w.len()].eq_ignore_ascii_case(w);
                let next = b.get(i + 1).map_or(0, |n| n | 0x20);
                let word = match (c | 0x20, next) {
                    (b'e', b'x') => at(b"example"),
                    (b'p', b'l') => at(b"placeholder"),
                    (b'y', b'o') => at(b"your_") || at(b"your-"),
                    (b'd', b'u') => at(b"dummy"),
                    (b's', b'a') => at(b"sample"),
                    (b'r', b'e') => at(b"redacted"),
                    _ => false,
                };
                if word {
                    return true;
                }
                i += 1;
            }
            8 => {
                if REFS
                    && reference_at(&b[..refs_end], i, usize::from(REF_BYTE[usize::from(c)] - 1))
                {
                    return true;
                }
                i += 1;
            }
            _ => {
                non_ascii = true;
                i += 1;
            }
        }
    }
    non_ascii && (contains(b, "…".as_bytes()) || contains(b, "••••".as_bytes()))
}

/// Whether `hay` contains `needle`.
fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// [`placeholder_shape`] as it was first written (its own loop): what the tests compare the
/// shared pass with.
#[doc(hidden)]
pub fn placeholder_shape_reference(v: &str) -> bool {
    // One loop that skips ordinary bytes by a table lookup; runs of a filler byte are
    // measured whole, marker words are compared where their first two letters are.
    let b = v.as_bytes();
    let mut non_ascii = false;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match SHAPE[usize::from(c)] {
            0 => i += 1,
            1 => {
                let mut j = i + 1;
                while j < b.len() && b[j] == c {
                    j += 1;
                }
                let need = match c {
                    b'x' | b'X' | b'#' => 4,
                    b'*' | b'.' => 3,
                    _ => 7,
                };
                if j - i >= need {
                    return true;
                }
                i = j;
            }
            2 if b.get(i + 1).map_or(0, |n| n | 0x20) != SECOND[usize::from(c)] => i += 1,
            2 => {
                let at =
                    |w: &[u8]| b.len() - i >= w.len() && b[i..i + w.len()].eq_ignore_ascii_case(w);
                let next = b.get(i + 1).map_or(0, |n| n | 0x20);
                let word = match (c | 0x20, next) {
                    (b'e', b'x') => at(b"example"),
                    (b'p', b'l') => at(b"placeholder"),
                    (b'y', b'o') => at(b"your_") || at(b"your-"),
                    (b'd', b'u') => at(b"dummy"),
                    (b's', b'a') => at(b"sample"),
                    (b'r', b'e') => at(b"redacted"),
                    _ => false,
                };
                if word {
                    return true;
                }
                i += 1;
            }
            // `([:`, nothing to this test.
            8 => i += 1,
            _ => {
                non_ascii = true;
                i += 1;
            }
        }
    }
    non_ascii && (v.contains('…') || v.contains("••••"))
}

/// References to where a secret is kept, not secrets: `os.environ[...]`, `settings.X`.
const REFS: &[&str] = &[
    "os.environ",
    "os.getenv",
    "process.env",
    "getenv(",
    "env[",
    "env(",
    "secrets.",
    "vault:",
    "import.meta.env",
    "system.getenv",
    "config[",
    "settings.",
];

/// Where the bytes `.([:` sit in [`REFS`]: per byte, each reference holding it and its
/// offset there, so that a `.` in a value is compared with the seven references that hold a
/// dot (at the right place) instead of searching all twelve for it. A unit test derives the
/// table from [`REFS`].
const REF_AT: [&[(&[u8], usize)]; 4] = [
    &[
        (b"os.environ", 2),
        (b"os.getenv", 2),
        (b"process.env", 7),
        (b"secrets.", 7),
        (b"import.meta.env", 6),
        (b"import.meta.env", 11),
        (b"system.getenv", 6),
        (b"settings.", 8),
    ],
    &[(b"getenv(", 6), (b"env(", 3)],
    &[(b"env[", 3), (b"config[", 6)],
    &[(b"vault:", 5)],
];

/// Per byte: 1 + its index in [`REF_AT`] for `.([:`, 0 for every other byte.
const REF_BYTE: [u8; 256] = {
    let mut t = [0u8; 256];
    t[b'.' as usize] = 1;
    t[b'(' as usize] = 2;
    t[b'[' as usize] = 3;
    t[b':' as usize] = 4;
    t
};

/// Whether `v` contains one of [`REFS`] (ASCII case ignored). Each holds one of `.([:`, so
/// only those bytes are looked at, and each only against the references holding it there:
/// one pass over `v`, whatever its length.
fn code_reference(v: &[u8]) -> bool {
    v.iter().enumerate().any(|(p, &c)| {
        let k = REF_BYTE[usize::from(c)];
        k != 0 && reference_at(v, p, usize::from(k - 1))
    })
}

/// Whether one of the references holding `.([:` number `k` ([`REF_AT`]) has it at `v[p]`.
fn reference_at(v: &[u8], p: usize, k: usize) -> bool {
    // Every reference has a letter right before its `.([:` (offsets are at least 2): one
    // compare of that byte settles most candidates before the whole reference is compared.
    if p < 2 || p >= v.len() {
        return false;
    }
    let before = v[p - 1] | 0x20;
    REF_AT[k].iter().any(|&(r, o)| {
        before == r[o - 1]
            && p >= o
            && v.get(p - o..p - o + r.len())
                .is_some_and(|w| w.eq_ignore_ascii_case(r))
    })
}

/// [`code_reference`] as it was first written (every reference tried at every `.([:`): what
/// the tests compare it with.
#[doc(hidden)]
pub fn code_reference_reference(v: &[u8]) -> bool {
    v.iter().enumerate().any(|(p, &c)| {
        matches!(c, b'.' | b'(' | b'[' | b':')
            && REFS.iter().any(|r| {
                let r = r.as_bytes();
                r.iter().enumerate().any(|(o, &rc)| {
                    rc == c
                        && p >= o
                        && v.get(p - o..p - o + r.len())
                            .is_some_and(|w| w.eq_ignore_ascii_case(r))
                })
            })
    })
}

/// [`code_reference`], for the tests.
#[doc(hidden)]
pub fn is_code_reference(v: &[u8]) -> bool {
    code_reference(v)
}

/// The one-pass [`placeholder_shape`] or [`code_reference`] of `v[..refs_end]`, for the
/// tests.
#[doc(hidden)]
pub fn is_placeholder_or_reference(v: &str, refs_end: usize) -> bool {
    shape_or_reference::<true>(v.as_bytes(), refs_end)
}

/// Whether `hay` ends with `tail`, ignoring ASCII case.
fn ends_with_ci(hay: &[u8], tail: &[u8]) -> bool {
    hay.len() >= tail.len() && hay[hay.len() - tail.len()..].eq_ignore_ascii_case(tail)
}

/// Words that follow `password:`/`token=` in code and logs without being a secret.
const NOT_SECRETS: &[&str] = &[
    "null",
    "none",
    "nil",
    "undefined",
    "true",
    "false",
    "redacted",
    "masked",
    "hidden",
    "filtered",
    "removed",
    "omitted",
    "scrubbed",
    "sanitized",
    "string",
    "str",
    "bool",
    "int",
    "optional",
    "required",
    "empty",
    "n/a",
    "tbd",
    "todo",
    "expired",
    "invalid",
    "missing",
    "revoked",
    "rotated",
    "provided",
    "set",
    "unset",
    "not",
    "the",
    "your",
    "stdin",
    "env",
    "default",
    "bearer",
    "basic",
    "yes",
    "no",
    "on",
    "off",
    // Type names: `password: str`, `token: f64`, `api_key: SecretStr`.
    "f64",
    "f32",
    "i64",
    "i32",
    "u64",
    "u32",
    "u8",
    "usize",
    "float",
    "double",
    "number",
    "integer",
    "boolean",
    "bytes",
    "any",
    "object",
    "char",
    "secretstr",
    "text",
    "varchar",
];

/// A value found by context: a placeholder, template, code reference or path is not one.
pub fn value(
    hay: &str,
    m: usize,
    s: usize,
    e: usize,
    code_refs: bool,
    min_chars: usize,
) -> Option<(usize, usize)> {
    // Every test below only rejects, so their order does not matter: the placeholder shape
    // of the whole value and the code references of the trimmed one are one pass.
    let v = hay[s..e].trim_end_matches(['.', ',', ';', ')']);
    if shape_or_reference::<true>(&hay.as_bytes()[s..e], v.len()) {
        return None;
    }
    let e = s + v.len();
    if v.is_empty()
        || v.len() < min_chars
        || v.len() < 4 * min_chars && v.chars().count() < min_chars
    {
        return None;
    }
    // The longest is 9 bytes.
    if v.len() <= 9 && NOT_SECRETS.iter().any(|w| w.eq_ignore_ascii_case(v)) {
        return None;
    }
    let b = v.as_bytes();
    let wrapped = |o: u8, c: u8| b[0] == o && b[b.len() - 1] == c;
    if wrapped(b'<', b'>') || wrapped(b'[', b']') || wrapped(b'{', b'}') || wrapped(b'(', b')') {
        return None;
    }
    // Templates and format strings: `${X}`, `$X`, `$(cmd)`, `{{ x }}`, `%s`, `%(x)s`.
    if b[0] == b'%' || v.starts_with("{{") || v.starts_with("${") || v.starts_with("$(") {
        return None;
    }
    if b[0] == b'$'
        && b[1..]
            .iter()
            .all(|c| c.is_ascii_uppercase() || *c == b'_' || c.is_ascii_digit())
    {
        return None;
    }
    // Paths: `password_file=/run/secrets/db`, `PWD=/home/app`.
    if b[0] == b'/' || v.starts_with("~/") || v.starts_with("./") {
        return None;
    }
    let quoted = s > 0 && matches!(hay.as_bytes()[s - 1], b'"' | b'\'');
    // `2.5e-06`: a float is a setting, not a secret (`123456` may well be a password). The
    // parser has the last word, asked only of values shaped like a decimal with a point or
    // an exponent (a real secret's first letter settles it).
    if decimal_with_point_or_exponent(b) && v.parse::<f64>().is_ok() {
        return None;
    }
    if code_refs && !quoted {
        // `password = get_password()`, `token = self.tokens[0]`, `key = settings.API_KEY`.
        // `secret = br#"..."#`: a string prefix.
        if matches!(hay.as_bytes().get(e), Some(b'(' | b'[' | b'"' | b'\'')) {
            return None;
        }
        // Identifiers as people write them (`settings`, `DB_PASSWORD`, `Config`), not the
        // mixed-case noise of a dotted token.
        let ident = |p: &str| {
            let word = p.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && p.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_');
            let tail = p.get(1..).unwrap_or_default();
            word && (p == p.to_ascii_lowercase()
                || p == p.to_ascii_uppercase()
                || tail == tail.to_ascii_lowercase())
        };
        // The dot is looked for sixteen bytes at a time (`str::contains(char)` was a call
        // that read a word at a time inside Wasm).
        let dotted = crate::vector::positions(b, b'.', |_| true);
        if dotted && v.split('.').all(ident) && v.split('.').count() > 1 {
            return None;
        }
        // `max_token: 512`: a bare number after a `..token` name is a count, not a token;
        // `self.token = token`: a value named like its key is a variable.
        let name = hay[m..s]
            .trim_end_matches(|c: char| !c.is_ascii_alphanumeric())
            .as_bytes();
        if ends_with_ci(name, b"token") && v.parse::<f64>().is_ok() {
            return None;
        }
        if ends_with_ci(name, b) {
            return None;
        }
    }
    Some((s, e))
}

/// Whether `v.parse::<f64>()` can accept `b` when `b` holds a `.`, `e` or `E`: only its
/// decimal forms can (`inf`, `infinity` and `nan` hold none of them), and those are made of
/// `[0-9+.eE-]` alone. So this is `b` made of those bytes with one of `.eE` among them: a
/// loop that stops at a value's first other byte, where a search for `.eE` (a call that
/// read a word at a time inside Wasm) sent every value with an `e` to the parser.
fn decimal_with_point_or_exponent(b: &[u8]) -> bool {
    let mut point_or_exponent = false;
    for &c in b {
        match c {
            b'0'..=b'9' | b'+' | b'-' => {}
            b'.' | b'e' | b'E' => point_or_exponent = true,
            _ => return false,
        }
    }
    point_or_exponent
}

/// `password is hunter2`: prose needs a digit or a symbol, so `password is required` is not
/// one; trailing sentence punctuation is not part of it.
pub fn prose(hay: &str, m: usize, s: usize, e: usize) -> Option<(usize, usize)> {
    let v = hay[s..e].trim_end_matches(['.', ',', ';', ':', '!', '?', ')']);
    let e = s + v.len();
    let symbolic = v
        .bytes()
        .any(|c| c.is_ascii_digit() || c.is_ascii_punctuation());
    if !symbolic {
        return None;
    }
    value(hay, m, s, e, true, 3)
}

/// Whether a whole attribute value is a placeholder (`${API_KEY}`, `<redacted>`, `****`,
/// `os.environ["KEY"]`, `none`) rather than a secret.
pub fn placeholder_value(v: &str) -> bool {
    let t = v.trim();
    t.is_empty() || value(t, 0, 0, t.len(), false, 1).is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape test in front of the float parser rejects only what the parser rejects
    /// among values with a `.`, `e` or `E`, and those without one, as the search did: over
    /// generated strings of float bytes, `inf`/`nan` letters and others.
    #[test]
    fn float_shape_keeps_every_float() {
        let alphabet = b"0123456789+-.eEeinfINFatyx_ ,";
        let mut next = crate::test_rng::xorshift(0xbb67_ae85_84ca_a73bu64);
        let (mut floats, mut shaped) = (0, 0);
        for _ in 0..200_000 {
            let v: String = (0..1 + next(10))
                .map(|_| char::from(alphabet[next(alphabet.len())]))
                .collect();
            let b = v.as_bytes();
            let want = memchr::memchr3(b'.', b'e', b'E', b).is_some() && v.parse::<f64>().is_ok();
            let got = decimal_with_point_or_exponent(b) && v.parse::<f64>().is_ok();
            assert_eq!(got, want, "{v:?}");
            floats += usize::from(want);
            shaped += usize::from(decimal_with_point_or_exponent(b) && !want);
        }
        for v in [
            "inf",
            "-infinity",
            "NaN",
            "+inf",
            "1e5",
            ".5",
            "5.",
            "1E-3",
            "e",
            ".",
        ] {
            let want = v.contains(['.', 'e', 'E']) && v.parse::<f64>().is_ok();
            assert_eq!(
                decimal_with_point_or_exponent(v.as_bytes()) && v.parse::<f64>().is_ok(),
                want,
                "{v}"
            );
        }
        assert!(floats > 1_000 && shaped > 1_000, "{floats} {shaped}");
    }

    /// [`REF_AT`] lists every place of `.([:` in every reference, and nothing else.
    #[test]
    fn ref_at_is_derived_from_refs() {
        let mut want: Vec<(u8, &[u8], usize)> = Vec::new();
        for r in REFS {
            for (o, c) in r.bytes().enumerate() {
                if matches!(c, b'.' | b'(' | b'[' | b':') {
                    want.push((c, r.as_bytes(), o));
                }
            }
        }
        let mut got: Vec<(u8, &[u8], usize)> = Vec::new();
        for (k, list) in REF_AT.iter().enumerate() {
            let c = [b'.', b'(', b'[', b':'][k];
            assert_eq!(usize::from(REF_BYTE[usize::from(c)]), k + 1);
            got.extend(list.iter().map(|&(r, o)| (c, r, o)));
        }
        want.sort();
        got.sort();
        assert_eq!(got, want);
        assert_eq!(REF_BYTE.iter().filter(|&&k| k != 0).count(), 4);
        assert!(
            REFS.iter()
                .all(|r| r.bytes().any(|c| REF_BYTE[usize::from(c)] != 0))
        );
        // `code_reference` compares the lower-case letter before each place first.
        assert!(
            got.iter()
                .all(|&(_, r, o)| o >= 2 && r[o - 1].is_ascii_lowercase())
        );
    }
}
