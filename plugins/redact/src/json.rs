//! Editing the string values of a JSON document in place: every other byte (key order,
//! whitespace, numbers) is kept, and each replaced value is re-escaped, so the document
//! stays valid JSON. Used for LLM content attributes, which are JSON message lists.

/// Whether `text` is a JSON object or array (checked by a real parser, not by its look).
pub fn is_json(text: &str) -> bool {
    let t = text.trim_start();
    (t.starts_with('{') || t.starts_with('['))
        && serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
}

enum Frame {
    Object { key: Option<String>, want_key: bool },
    Array,
}

/// Calls `f(value, key)` for every string value of the JSON document `text` (which must be
/// valid JSON; see [`is_json`]), where `key` is the object key the value sits under (for
/// values in arrays, the key of the nearest enclosing object member). Values for which `f`
/// returns a new string are replaced. Returns `None` when nothing was replaced.
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
/// string has an escape. Jumps from quote or backslash to the next: message lists are mostly
/// string content, so this loop is where a document's bytes go by.
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
