//! Editing the string values of a JSON document in place: every other byte (key order,
//! whitespace, numbers) is kept, and each replaced value is re-escaped, so the document
//! stays valid JSON. Used for LLM content attributes, which are JSON message lists.

/// Whether `text` is a JSON object or array (checked by a real parser, not by its look).
pub fn is_json(text: &str) -> bool {
    looks_like_json(text) && parse(text, &mut Strings::default())
}

/// Whether `text` starts like a JSON object or array (after any leading whitespace); the
/// cheap half of [`is_json`].
pub fn looks_like_json(text: &str) -> bool {
    let t = text.trim_start();
    t.starts_with('{') || t.starts_with('[')
}

/// No key: a string outside any object.
pub const NO_KEY: usize = usize::MAX;

/// A string token: the byte range of its quoted form in the document, and whether it has an
/// escape (else its value is the bytes between the quotes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    /// The opening quote.
    pub start: usize,
    /// Just past the closing quote.
    pub end: usize,
    /// Whether a backslash occurs inside.
    pub escaped: bool,
}

impl Token {
    /// The string's value: borrowed when it has no escapes.
    pub fn value<'t>(&self, text: &'t str) -> std::borrow::Cow<'t, str> {
        unescape(&text[self.start..self.end], self.escaped)
    }
}

/// The string values of a JSON document, in order, each with the key it sits under, as
/// [`parse`] found them. Reused from document to document.
#[derive(Debug, Default)]
pub struct Strings {
    /// String values (not keys), in document order, each with its key: an index into
    /// `keys`, or [`NO_KEY`]. The key is the object key the value sits under; for values in
    /// arrays, the key of the nearest enclosing object member.
    pub values: Vec<(Token, usize)>,
    /// Object keys, in document order.
    pub keys: Vec<Token>,
    /// Open containers: whether an object, and its current key.
    stack: Vec<(bool, usize)>,
}

/// Tokenizes the JSON document `text` into `out`: `false` when it is not valid JSON, with
/// exactly the grammar `serde_json` accepts for `IgnoredAny` (RFC 8259: no trailing
/// commas, no control bytes in strings, `\u` with four hex digits whatever they encode,
/// numbers without leading zeros, any depth). One pass over the bytes replaces a
/// validation by `serde_json` plus a walk: both read every byte of every string, which is
/// most of a message list.
pub fn parse(text: &str, out: &mut Strings) -> bool {
    out.values.clear();
    out.keys.clear();
    out.stack.clear();
    let b = text.as_bytes();
    let mut i = 0;
    'value: loop {
        i = whitespace(b, i);
        let Some(&c) = b.get(i) else {
            return false;
        };
        match c {
            b'"' => {
                let Some(t) = string(b, i) else {
                    return false;
                };
                let key = out.stack.last().map_or(NO_KEY, |&(_, k)| k);
                out.values.push((t, key));
                i = t.end;
            }
            b'{' | b'[' => {
                let object = c == b'{';
                // An array's strings sit under the key of the member holding the array.
                let key = match out.stack.last() {
                    Some(&(_, k)) if !object => k,
                    _ => NO_KEY,
                };
                out.stack.push((object, key));
                i = whitespace(b, i + 1);
                let close = if object { b'}' } else { b']' };
                if b.get(i) == Some(&close) {
                    out.stack.pop();
                    i += 1;
                } else {
                    if object {
                        let Some(at) = member_key(b, i, out) else {
                            return false;
                        };
                        i = at;
                    }
                    continue 'value;
                }
            }
            b't' | b'f' | b'n' => {
                let word: &[u8] = match c {
                    b't' => b"true",
                    b'f' => b"false",
                    _ => b"null",
                };
                if !b[i..].starts_with(word) {
                    return false;
                }
                i += word.len();
            }
            b'-' | b'0'..=b'9' => {
                let Some(at) = number(b, i) else {
                    return false;
                };
                i = at;
            }
            _ => return false,
        }
        // After a value: a comma and the next member, or the end of containers.
        loop {
            let Some(&(object, _)) = out.stack.last() else {
                return whitespace(b, i) == b.len();
            };
            i = whitespace(b, i);
            match b.get(i) {
                Some(b',') => {
                    i += 1;
                    if object {
                        let Some(at) = member_key(b, whitespace(b, i), out) else {
                            return false;
                        };
                        i = at;
                    }
                    continue 'value;
                }
                Some(b'}') if object => {}
                Some(b']') if !object => {}
                _ => return false,
            }
            out.stack.pop();
            i += 1;
        }
    }
}

/// A member's key at `i` and its colon: where its value may start.
fn member_key(b: &[u8], i: usize, out: &mut Strings) -> Option<usize> {
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let t = string(b, i)?;
    let i = whitespace(b, t.end);
    if b.get(i) != Some(&b':') {
        return None;
    }
    if let Some(top) = out.stack.last_mut() {
        top.1 = out.keys.len();
    }
    out.keys.push(t);
    Some(i + 1)
}

fn whitespace(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\n' | b'\t' | b'\r') {
        i += 1;
    }
    i
}

/// The string token starting at the quote at `start`, or `None` when it is not valid JSON.
fn string(b: &[u8], start: usize) -> Option<Token> {
    let mut i = start + 1;
    let mut escaped = false;
    loop {
        i = special(b, i)?;
        match b[i] {
            b'"' => {
                return Some(Token {
                    start,
                    end: i + 1,
                    escaped,
                });
            }
            b'\\' => {
                escaped = true;
                i += match b.get(i + 1)? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => 2,
                    b'u' if b.get(i + 2..i + 6)?.iter().all(u8::is_ascii_hexdigit) => 6,
                    _ => return None,
                };
            }
            // A control byte: not allowed in a JSON string.
            _ => return None,
        }
    }
}

/// The end of the number starting at `i` (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`).
fn number(b: &[u8], mut i: usize) -> Option<usize> {
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let digits = |mut i: usize| {
        while digit(i) {
            i += 1;
        }
        i
    };
    if b[i] == b'-' {
        i += 1;
    }
    match b.get(i)? {
        b'0' if digit(i + 1) => return None,
        b'0' => i += 1,
        b'1'..=b'9' => i = digits(i),
        _ => return None,
    }
    if b.get(i) == Some(&b'.') {
        if !digit(i + 1) {
            return None;
        }
        i = digits(i + 1);
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !digit(i) {
            return None;
        }
        i = digits(i);
    }
    Some(i)
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// The first byte at or after `i` that a JSON string cannot hold as it is (`"`, `\` or a
/// control byte): sixteen bytes at a time inside Wasm, eight elsewhere. This loop reads most
/// of a message list's bytes, and Wasm has no `memchr` with SIMD unless the whole build
/// enables `simd128`.
pub fn special(b: &[u8], i: usize) -> Option<usize> {
    #[cfg(target_arch = "wasm32")]
    let i = match simd::special(b, i) {
        Ok(at) => return Some(at),
        Err(rest) => rest,
    };
    special_words(b, i)
}

/// [`special`] eight bytes at a time.
fn special_words(b: &[u8], mut i: usize) -> Option<usize> {
    while i + 8 <= b.len() {
        let w = u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
        let (q, s) = (w ^ (LO * u64::from(b'"')), w ^ (LO * u64::from(b'\\')));
        // Per mask the lowest flagged byte is exact (a borrow only flags bytes above a true
        // hit), so the lowest of the three is the first special byte.
        let m =
            (q.wrapping_sub(LO) & !q | s.wrapping_sub(LO) & !s | w.wrapping_sub(LO * 0x20) & !w)
                & HI;
        if m != 0 {
            return Some(i + (m.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    b.get(i..)?
        .iter()
        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
        .map(|k| i + k)
}

#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod simd {
    use core::arch::wasm32::*;

    /// The first special byte at or after `i` (`Ok`), or where fewer than 16 bytes are left
    /// to look at (`Err`).
    #[target_feature(enable = "simd128")]
    pub fn special(b: &[u8], mut i: usize) -> Result<usize, usize> {
        let (quote, backslash, space) = (u8x16_splat(b'"'), u8x16_splat(b'\\'), u8x16_splat(0x20));
        while i + 16 <= b.len() {
            // SAFETY: `i + 16 <= b.len()`, so 16 bytes from `i` are readable; `v128.load`
            // has no alignment requirement.
            let v = unsafe { v128_load(b.as_ptr().add(i).cast()) };
            let m = v128_or(
                v128_or(u8x16_eq(v, quote), u8x16_eq(v, backslash)),
                u8x16_lt(v, space),
            );
            if v128_any_true(m) {
                return Ok(i + u8x16_bitmask(m).trailing_zeros() as usize);
            }
            i += 16;
        }
        Err(i)
    }
}

/// Appends `s` as a JSON string, escaped exactly as `serde_json::to_string` escapes it.
pub fn push_quoted(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(s.len() + 2);
    out.push('"');
    let b = s.as_bytes();
    let mut copied = 0;
    while let Some(i) = special(b, copied) {
        out.push_str(&s[copied..i]);
        match b[i] {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            b'\r' => out.push_str("\\r"),
            0x08 => out.push_str("\\b"),
            0x0c => out.push_str("\\f"),
            c => {
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(c >> 4)]));
                out.push(char::from(HEX[usize::from(c & 15)]));
            }
        }
        copied = i + 1;
    }
    out.push_str(&s[copied..]);
    out.push('"');
}

/// Frames of [`map_strings`]'s walk.
#[cfg(test)]
enum Frame {
    Object { key: Option<String>, want_key: bool },
    Array,
}

/// Calls `f(value, key)` for every string value of the JSON document `text` (which must be
/// valid JSON; see [`is_json`]), where `key` is the object key the value sits under (for
/// values in arrays, the key of the nearest enclosing object member). Values for which `f`
/// returns a new string are replaced. Returns `None` when nothing was replaced. The walk the
/// content path made before [`parse`]: kept as the tests' reference for it.
#[cfg(test)]
pub fn map_strings(
    text: &str,
    mut f: impl FnMut(&str, Option<&str>) -> Option<String>,
) -> Option<String> {
    let b = text.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'{' => stack.push(Frame::Object {
                key: None,
                want_key: true,
            }),
            b'[' => stack.push(Frame::Array),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => {
                if let Some(Frame::Object { want_key, .. }) = stack.last_mut() {
                    *want_key = true;
                }
            }
            b'"' => {
                let (end, escaped) = string_end(b, i);
                let raw = &text[i..end];
                let value = unescape(raw, escaped);
                if let Some(Frame::Object { key, want_key }) = stack.last_mut()
                    && *want_key
                {
                    *key = Some(value.into_owned());
                    *want_key = false;
                } else {
                    let key = stack.iter().rev().find_map(|fr| match fr {
                        Frame::Object { key, .. } => Some(key.as_deref()),
                        Frame::Array => None,
                    });
                    if let Some(new) = f(&value, key.flatten()) {
                        let o = out.get_or_insert_with(|| String::with_capacity(text.len()));
                        o.push_str(&text[copied..i]);
                        o.push_str(&serde_json::to_string(&new).unwrap_or_default());
                        copied = end;
                    }
                }
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    let mut o = out?;
    o.push_str(&text[copied..]);
    Some(o)
}

/// The index just past the closing quote of the string starting at `start`, and whether the
/// string has an escape (for [`map_strings`]).
#[cfg(test)]
fn string_end(b: &[u8], start: usize) -> (usize, bool) {
    let mut i = start + 1;
    let mut escaped = false;
    while let Some(at) = memchr::memchr2(b'"', b'\\', &b[i.min(b.len())..]) {
        i += at;
        if b[i] == b'"' {
            return (i + 1, escaped);
        }
        escaped = true;
        i += 2;
    }
    (b.len(), escaped)
}

/// A JSON string token's value; borrowed when it has no escapes.
fn unescape(raw: &str, escaped: bool) -> std::borrow::Cow<'_, str> {
    let inner = &raw[1..raw.len().saturating_sub(1).max(1)];
    if !escaped {
        return std::borrow::Cow::Borrowed(inner);
    }
    std::borrow::Cow::Owned(
        serde_json::from_str::<String>(raw).unwrap_or_else(|_| inner.to_string()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A xorshift generator: the tests are deterministic.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
    }

    fn serde_accepts(text: &str) -> bool {
        serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
    }

    /// A random JSON value: message-list-like objects, arrays, scalars and strings with
    /// escapes, control characters and non-ASCII text.
    fn value(r: &mut Rng, depth: usize) -> serde_json::Value {
        use serde_json::Value;
        let strings = [
            "user",
            "content",
            "",
            "a \"quoted\" \\ word",
            "tab\there\nnew",
            "é ü 日本",
            "\u{1}\u{1f}\u{7f}",
            "password",
            "x/y",
            "AKIAQN7HVA5NKFPGHUSJ",
        ];
        match r.next(if depth > 3 { 4 } else { 7 }) {
            0 => Value::String(strings[r.next(strings.len())].repeat(1 + r.next(3))),
            1 => [
                serde_json::json!(1),
                serde_json::json!(-0.5),
                serde_json::json!(2e10),
                serde_json::json!(-3),
            ][r.next(4)]
            .clone(),
            2 => [Value::Null, Value::Bool(true), Value::Bool(false)][r.next(3)].clone(),
            3 => Value::String(String::new()),
            4 | 5 => Value::Array((0..r.next(4)).map(|_| value(r, depth + 1)).collect()),
            _ => Value::Object(
                (0..r.next(4))
                    .map(|_| {
                        (
                            strings[r.next(strings.len())].to_string(),
                            value(r, depth + 1),
                        )
                    })
                    .collect(),
            ),
        }
    }

    /// Documents to check `parse` on: valid ones (compact and pretty), and each with one
    /// random edit, most of which make it invalid.
    fn documents() -> Vec<String> {
        let pieces = [
            "{", "}", "[", "]", ",", ":", "\"", "\\", "\\u", "\\u12", "\\uZZZZ", "\\q", "\u{1}",
            "\t", " ", "\n", "\r", "\u{a0}", "0", "01", "-", "-0", "1.", ".5", "1e", "1e+", "1E-2",
            "tru", "true", "nul", "null", "falsey", "é", "x", "\"k\":", "[]", "{}", ",]", ",}",
        ];
        let mut r = Rng(0x2545_f491_4f6c_dd1d);
        let mut out = Vec::new();
        for _ in 0..3_000 {
            let v = value(&mut r, 0);
            let doc = if r.next(2) == 0 {
                v.to_string()
            } else {
                serde_json::to_string_pretty(&v).expect("serializes")
            };
            let mut edited = doc.clone();
            let at = (0..=r.next(edited.len() + 1))
                .rev()
                .find(|&i| edited.is_char_boundary(i))
                .unwrap_or(0);
            match r.next(3) {
                0 => edited.insert_str(at, pieces[r.next(pieces.len())]),
                1 if at < edited.len() => {
                    edited.remove(at);
                }
                _ => edited.truncate(at),
            }
            out.push(doc);
            out.push(edited);
        }
        for p in pieces {
            out.push(p.to_string());
            out.push(format!("[{p}]"));
            out.push(format!("{{\"k\":{p}}}"));
            out.push(format!("[\"{p}\"]"));
        }
        out
    }

    #[test]
    fn parse_accepts_exactly_what_serde_json_accepts() {
        let mut strings = Strings::default();
        let (mut valid, mut invalid) = (0, 0);
        for doc in documents() {
            let want = serde_accepts(&doc);
            assert_eq!(parse(&doc, &mut strings), want, "{doc:?}");
            assert_eq!(is_json(&doc), want && looks_like_json(&doc), "{doc:?}");
            if want { valid += 1 } else { invalid += 1 }
        }
        assert!(
            valid > 2_000 && invalid > 1_000,
            "{valid} valid, {invalid} invalid"
        );
    }

    #[test]
    fn parse_finds_the_values_and_keys_map_strings_sees() {
        let mut strings = Strings::default();
        for doc in documents().into_iter().filter(|d| is_json(d)) {
            let mut want: Vec<(String, Option<String>)> = Vec::new();
            map_strings(&doc, |v, k| {
                want.push((v.to_string(), k.map(str::to_string)));
                None
            });
            assert!(parse(&doc, &mut strings));
            let got: Vec<(String, Option<String>)> = strings
                .values
                .iter()
                .map(|&(t, k)| {
                    let key = (k != NO_KEY).then(|| strings.keys[k].value(&doc).into_owned());
                    (t.value(&doc).into_owned(), key)
                })
                .collect();
            assert_eq!(got, want, "{doc}");
        }
    }

    #[test]
    fn push_quoted_escapes_as_serde_json_does() {
        let mut r = Rng(0x9e37_79b9_7f4a_7c15);
        let mut texts: Vec<String> = (0..=0x80u32)
            .filter_map(char::from_u32)
            .map(String::from)
            .collect();
        let alphabet = [
            "a", "\"", "\\", "\n", "\u{0}", "\u{1f}", "\u{7f}", "é", "/", " ",
        ];
        for _ in 0..2_000 {
            texts.push(
                (0..r.next(40))
                    .map(|_| alphabet[r.next(alphabet.len())])
                    .collect(),
            );
        }
        for t in texts {
            let mut out = String::from("x");
            push_quoted(&mut out, &t);
            assert_eq!(
                out[1..],
                serde_json::to_string(&t).expect("a string"),
                "{t:?}"
            );
        }
    }

    #[test]
    fn special_finds_the_first_special_byte() {
        for len in 0..48 {
            for at in 0..=len {
                for c in [b'"', b'\\', 0u8, 0x1f] {
                    let mut b = vec![b'a'; len];
                    b.iter_mut().skip(at + 1).step_by(3).for_each(|x| *x = 0x80);
                    if at < len {
                        b[at] = c;
                    }
                    for from in 0..=len {
                        let want = b[from..]
                            .iter()
                            .position(|&x| x == b'"' || x == b'\\' || x < 0x20)
                            .map(|k| from + k);
                        assert_eq!(special(&b, from), want, "{len} {at} {c} {from}");
                    }
                }
            }
        }
    }
}
