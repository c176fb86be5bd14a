//! LLM content attributes: redaction inside JSON message lists, base64 blobs, hashes and
//! previews.
//!
//! The correlation hash is SHA-256 of the *redacted* text, never of the original: content
//! can hold a secret, and an unkeyed hash of a secret would give it back to anyone who can
//! guess it.

use sluice_plugin_sdk::digest::sha256;

use crate::config::{SENSITIVE_KEY_RULE, Settings};
use crate::detect::Scratch;
use crate::engine::Tally;
use crate::json::{self, NO_KEY, Strings, Token};
use crate::keys::{Mode, is_sensitive};
use crate::marker::TenantKey;

/// JSON string values this short (roles, types, ids) are never cut by a preview.
const SHORT: usize = 64;

/// A content value after its mode was applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    /// The value to write.
    pub text: String,
    /// Hex SHA-256 of the redacted value, for the sibling `<key>.sha256`.
    pub sha256: String,
    /// What was redacted.
    pub tally: Tally,
}

/// What one walk over a JSON content value made.
struct Walked {
    /// The document with its secrets redacted, when one was.
    redacted: Option<String>,
    /// Its preview, when asked for and different from the document.
    preview: Option<String>,
    tally: Tally,
}

impl Settings {
    /// A configured attribute's value with its secrets redacted: inside JSON (keeping it
    /// valid) when it is JSON, with base64 blobs replaced. `None` when nothing changed.
    pub fn redact_content(
        &self,
        text: &str,
        tenant: Option<&TenantKey>,
        scratch: &mut Scratch,
    ) -> Option<(String, Tally)> {
        let mut strings = std::mem::take(&mut scratch.json);
        let out = if json::looks_like_json(text) && json::parse(text, &mut strings) {
            let w = self.walk(text, &strings, false, tenant, scratch);
            w.redacted.map(|r| (r, w.tally))
        } else {
            self.content_part(text, false, tenant, scratch)
        };
        scratch.json = strings;
        out
    }

    /// Applies `Hash` or `Preview` (any other mode is treated as `Preview`) to a content value.
    pub fn content(
        &self,
        text: &str,
        mode: Mode,
        tenant: Option<&TenantKey>,
        scratch: &mut Scratch,
    ) -> Content {
        let mut strings = std::mem::take(&mut scratch.json);
        let is_json = json::looks_like_json(text) && json::parse(text, &mut strings);
        let walked = if is_json {
            self.walk(text, &strings, mode != Mode::Hash, tenant, scratch)
        } else {
            let (redacted, tally) = match self.content_part(text, false, tenant, scratch) {
                Some((r, t)) => (Some(r), t),
                None => (None, Tally::default()),
            };
            Walked {
                redacted,
                preview: None,
                tally,
            }
        };
        scratch.json = strings;
        let Walked {
            redacted,
            preview: cut,
            tally,
        } = walked;
        let digest = hex(&sha256(redacted.as_deref().unwrap_or(text).as_bytes()));
        let text = match mode {
            Mode::Hash => format!("sha256:{digest}"),
            // The walk wrote a preview whenever it differs from the redacted document.
            _ if is_json => cut.or(redacted).unwrap_or_else(|| text.to_string()),
            _ => match redacted {
                Some(r) => preview(&r, self.preview_chars).unwrap_or(r),
                None => preview(text, self.preview_chars).unwrap_or_else(|| text.to_string()),
            },
        };
        Content {
            text,
            sha256: digest,
            tally,
        }
    }

    /// One pass over a JSON document's string values (`strings`, from [`json::parse`]):
    /// each is redacted, and with `preview` cut to what is left of the preview's budget, so
    /// the redacted document and its preview come out of one walk. The preview is what a
    /// preview of the redacted document would be: its strings are the redacted ones.
    fn walk(
        &self,
        text: &str,
        strings: &Strings,
        preview: bool,
        tenant: Option<&TenantKey>,
        scratch: &mut Scratch,
    ) -> Walked {
        let mut tally = Tally::default();
        let (mut red, mut red_copied): (Option<String>, usize) = (None, 0);
        let (mut pre, mut pre_copied): (Option<String>, usize) = (None, 0);
        let mut budget = self.preview_chars;
        let mut keys = KeyMemo::default();
        for &(tok, key) in &strings.values {
            let value = tok.value(text);
            let sensitive = key != NO_KEY && keys.sensitive(self, text, strings.keys[key]);
            let new = self
                .content_part(&value, sensitive, tenant, scratch)
                .map(|(n, t)| {
                    tally.add(t);
                    n
                });
            if let Some(n) = &new {
                let o = red.get_or_insert_with(|| String::with_capacity(text.len() + 64));
                o.push_str(&text[red_copied..tok.start]);
                json::push_quoted(o, n);
                red_copied = tok.end;
            }
            if !preview {
                continue;
            }
            let s = new.as_deref().unwrap_or(&value);
            let cut = if s.len() > SHORT {
                let chars = count_chars(s);
                let cut = preview_cut(s, chars, budget);
                budget = budget.saturating_sub(chars);
                cut
            } else {
                None
            };
            if cut.is_none() && new.is_none() {
                continue;
            }
            let o = pre.get_or_insert_with(|| String::with_capacity(text.len().min(4096)));
            o.push_str(&text[pre_copied..tok.start]);
            match cut {
                Some((at, dropped)) => {
                    json::push_quoted(o, &s[..at]);
                    o.pop();
                    push_truncated(o, dropped);
                    o.push('"');
                }
                None => json::push_quoted(o, s),
            }
            pre_copied = tok.end;
        }
        for (o, copied) in [(&mut red, red_copied), (&mut pre, pre_copied)] {
            if let Some(o) = o {
                o.push_str(&text[copied..]);
            }
        }
        Walked {
            redacted: red,
            preview: pre,
            tally,
        }
    }

    /// One text part: a sensitive JSON key's value whole, else secrets, then blobs.
    fn content_part(
        &self,
        s: &str,
        sensitive_key: bool,
        tenant: Option<&TenantKey>,
        scratch: &mut Scratch,
    ) -> Option<(String, Tally)> {
        if sensitive_key && !s.is_empty() {
            let mut out = String::new();
            self.markers.write(&mut out, SENSITIVE_KEY_RULE, s, tenant);
            self.fire(self.detector.rules().len());
            return Some((out, Tally::key()));
        }
        let (text, n) = match self.redact_text(s, tenant, scratch) {
            Some((t, n)) => (Some(t), n),
            None => (None, Tally::default()),
        };
        let blobbed = self.blobs(text.as_deref().unwrap_or(s));
        match (blobbed, text) {
            (Some(b), _) => Some((b, n)),
            (None, Some(t)) => Some((t, n)),
            (None, None) => None,
        }
    }

    /// Replaces base64 runs of at least `blob_min_chars` (images, files; e.g. the payload of
    /// a `data:` URL) with `[BLOB sha256:<16 hex> size:<bytes>]`.
    pub fn blobs(&self, text: &str) -> Option<String> {
        let b = text.as_bytes();
        let b64 = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'-' | b'_');
        let min = self.blob_min_chars.max(1);
        let mut out: Option<String> = None;
        let (mut copied, mut i) = (0, 0);
        // A run of `min` base64 bytes starting at `i` or later covers byte `i + min - 1`, so
        // only that byte is looked at, and a run is measured only when it is base64: prose
        // costs one byte in `min`.
        while i + min <= b.len() {
            let p = i + min - 1;
            if !b64(b[p]) {
                i = p + 1;
                continue;
            }
            let mut start = p;
            while start > i && b64(b[start - 1]) {
                start -= 1;
            }
            let mut run_end = p + 1;
            while run_end < b.len() && b64(b[run_end]) {
                run_end += 1;
            }
            let mut end = run_end;
            while end < b.len() && end - run_end < 2 && b[end] == b'=' {
                end += 1;
            }
            let run = &b[start..run_end];
            // Length first: most runs are words, and the three class scans cost more.
            if run.len() >= min
                && run.iter().any(u8::is_ascii_uppercase)
                && run.iter().any(u8::is_ascii_lowercase)
                && run.iter().any(u8::is_ascii_digit)
            {
                let raw = crate::validate::b64_decode(&b[start..end]);
                let bytes = raw.as_deref().unwrap_or(&b[start..end]);
                let digest = sha256(bytes);
                let o = out.get_or_insert_with(|| String::with_capacity(text.len()));
                o.push_str(&text[copied..start]);
                o.push_str(&format!(
                    "[BLOB sha256:{} size:{}]",
                    hex(&digest[..8]),
                    bytes.len()
                ));
                copied = end;
            }
            i = end;
        }
        let mut o = out?;
        o.push_str(&text[copied..]);
        Some(o)
    }
}

/// `text` cut to `max` characters with `…[truncated N chars]`, or `None` when it fits. A cut
/// that would split a marker moves back to the marker's start, so no marker is mangled.
pub fn preview(text: &str, max: usize) -> Option<String> {
    let (cut, dropped) = preview_cut(text, count_chars(text), max)?;
    let mut out = String::with_capacity(cut + 32);
    out.push_str(&text[..cut]);
    push_truncated(&mut out, dropped);
    Some(out)
}

/// Where [`preview`] cuts a text of `total` characters, and how many characters it drops;
/// `None` when it fits.
fn preview_cut(text: &str, total: usize, max: usize) -> Option<(usize, usize)> {
    if total <= max {
        return None;
    }
    // One byte per character: the cut is at byte `max`, and no character needs counting.
    let ascii = total == text.len();
    let mut cut = if ascii {
        max
    } else {
        text.char_indices().nth(max).map_or(text.len(), |(i, _)| i)
    };
    // The last `[` before the cut opens a marker the cut would split unless a `]` follows
    // it; the nearer of the two settles it, so the search stops at either.
    if let Some(open) = memchr::memrchr2(b'[', b']', &text.as_bytes()[..cut])
        && text.as_bytes()[open] == b'['
        && (text[open..].starts_with("[REDACTED") || text[open..].starts_with("[BLOB"))
    {
        cut = open;
    }
    let kept = if ascii {
        cut
    } else {
        count_chars(&text[..cut])
    };
    Some((cut, total - kept))
}

fn push_truncated(out: &mut String, dropped: usize) {
    use std::fmt::Write;
    let _ = write!(out, "…[truncated {dropped} chars]");
}

/// `s.chars().count()`, eight bytes at a time: the standard library's count goes a
/// pointer's width at a time, four bytes inside Wasm.
fn count_chars(s: &str) -> usize {
    const HI: u64 = 0x8080_8080_8080_8080;
    let mut chunks = s.as_bytes().chunks_exact(8);
    // Continuation bytes are `10xxxxxx`: the high bit set, the next one clear.
    let mut continuation = 0;
    for c in &mut chunks {
        let w = u64::from_le_bytes(c.try_into().expect("8 bytes"));
        continuation += (w & !(w << 1) & HI).count_ones() as usize;
    }
    let rest = chunks.remainder();
    continuation += rest.iter().filter(|&&c| c & 0xc0 == 0x80).count();
    s.len() - continuation
}

/// Lower-case hex, a byte at a time: `hex::encode` collects through a `char` iterator,
/// which showed in Wasm profiles at one digest per content value.
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(2 * bytes.len());
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

/// Whether each object key of one document is sensitive, for the few distinct keys a
/// message list has (`role`, `parts`, `type`, `content`, ...): one [`is_sensitive`] per
/// distinct key rather than one per string value.
#[derive(Default)]
struct KeyMemo<'t> {
    known: [(&'t str, bool); 8],
    len: usize,
}

impl<'t> KeyMemo<'t> {
    fn sensitive(&mut self, s: &Settings, text: &'t str, key: Token) -> bool {
        let raw = &text[key.start..key.end];
        if let Some(&(_, v)) = self.known[..self.len].iter().find(|(k, _)| *k == raw) {
            return v;
        }
        let v = is_sensitive(&key.value(text), &s.sensitive_keys);
        if self.len < self.known.len() {
            self.known[self.len] = (raw, v);
            self.len += 1;
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::{Content, SHORT, count_chars, preview};
    use crate::Redact;
    use crate::config::Settings;
    use crate::detect::Scratch;
    use crate::engine::Tally;
    use crate::json;
    use crate::keys::{Mode, is_sensitive};
    use sluice_plugin_sdk::digest::sha256;

    /// The preview as it was before `preview_cut`: counting and cutting by characters.
    fn preview_reference(text: &str, max: usize) -> Option<String> {
        let total = text.chars().count();
        if total <= max {
            return None;
        }
        let mut cut = text.char_indices().nth(max).map_or(text.len(), |(i, _)| i);
        if let Some(open) = text[..cut].rfind('[')
            && !text[open..cut].contains(']')
            && (text[open..].starts_with("[REDACTED") || text[open..].starts_with("[BLOB"))
        {
            cut = open;
        }
        let kept = &text[..cut];
        let dropped = total - kept.chars().count();
        Some(format!("{kept}…[truncated {dropped} chars]"))
    }

    /// The content path as it was before the one-walk version: `serde_json` validation, a
    /// redacting walk, then a second walk over the redacted document for the preview.
    fn content_reference(
        s: &Settings,
        text: &str,
        mode: Mode,
        scratch: &mut Scratch,
    ) -> (Option<(String, Tally)>, Content) {
        let is_json = text.trim_start().starts_with(['{', '['])
            && serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok();
        let mut tally = Tally::default();
        let redacted = if is_json {
            json::map_strings(text, |v, key| {
                let sensitive = key.is_some_and(|k| is_sensitive(k, &s.sensitive_keys));
                let (new, t) = s.content_part(v, sensitive, None, scratch)?;
                tally.add(t);
                Some(new)
            })
        } else {
            s.content_part(text, false, None, scratch).map(|(r, t)| {
                tally.add(t);
                r
            })
        };
        let red = redacted.as_deref().unwrap_or(text);
        let digest = hex::encode(sha256(red.as_bytes()));
        let out = match mode {
            Mode::Hash => format!("sha256:{digest}"),
            _ if is_json => {
                let mut budget = s.preview_chars;
                json::map_strings(red, |v, _| {
                    if v.len() <= SHORT {
                        return None;
                    }
                    let cut = preview_reference(v, budget);
                    budget = budget.saturating_sub(v.chars().count());
                    cut
                })
                .unwrap_or_else(|| red.to_string())
            }
            _ => preview_reference(red, s.preview_chars).unwrap_or_else(|| red.to_string()),
        };
        let content = Content {
            text: out,
            sha256: digest,
            tally,
        };
        (redacted.map(|r| (r, tally)), content)
    }

    /// Message lists with secrets, markers, blobs, escapes and non-ASCII text around the
    /// preview's cut, and values that are not JSON.
    fn contents(n: usize) -> Vec<String> {
        let parts = [
            "plain words and more words ",
            "AKIAQN7HVA5NKFPGHUSJ ",
            "mail jane.roe@example.com now ",
            "[REDACTED:email] ",
            "[BLOB sha256:0011223344556677 size:9] ",
            "[not a marker ",
            "] ",
            "quote \" back\\slash\n ",
            "é日本ü ",
            "\u{1} ",
            "aGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVs\
             bG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8g\
             d29ybGQgaGVsbG8gd29ybGQ0123 ",
        ];
        let keys = [
            "content",
            "role",
            "password",
            "arguments",
            "type",
            "api_key",
        ];
        let mut next = crate::samples::picker(0x1234_5678_9abc_def1);
        let text = |next: &mut dyn FnMut(usize) -> usize| -> String {
            (0..next(40)).map(|_| parts[next(parts.len())]).collect()
        };
        let mut out = Vec::new();
        for _ in 0..n {
            let mut msgs = Vec::new();
            for _ in 0..next(5) {
                let mut part = serde_json::Map::new();
                for _ in 0..1 + next(3) {
                    let k = keys[next(keys.len())].to_string();
                    part.insert(k, text(&mut next).into());
                }
                msgs.push(serde_json::json!({"role": "user", "parts": [part, text(&mut next)]}));
            }
            let doc = serde_json::Value::Array(msgs);
            let t = text(&mut next);
            out.push(match next(4) {
                0 => serde_json::to_string_pretty(&doc).expect("serializes"),
                1 => t,
                2 => format!("[\"{}\"]", t.replace('\\', "\\\\").replace('"', "\\\"")),
                _ => doc.to_string(),
            });
        }
        out
    }

    #[test]
    fn one_walk_gives_what_two_walks_gave() {
        for config in ["preview_chars = 60", "preview_chars = 500", ""] {
            let r = Redact::from_config(config).expect("config");
            let s = r.settings();
            let mut scratch = Scratch::default();
            for text in contents(400) {
                for mode in [Mode::Preview, Mode::Hash] {
                    let (redacted, want) = content_reference(s, &text, mode, &mut scratch);
                    assert_eq!(s.content(&text, mode, None, &mut scratch), want, "{text}");
                    assert_eq!(s.redact_content(&text, None, &mut scratch), redacted);
                }
            }
        }
    }

    #[test]
    fn previews_are_the_reference_ones() {
        for text in contents(300) {
            for max in [0, 1, 5, 17, 60, 500] {
                assert_eq!(preview(&text, max), preview_reference(&text, max), "{text}");
            }
            assert_eq!(count_chars(&text), text.chars().count());
        }
    }

    /// The byte-by-byte scan `blobs` replaced.
    fn blobs_reference(text: &str, min: usize) -> Option<String> {
        let b = text.as_bytes();
        let b64 = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'-' | b'_');
        let mut out: Option<String> = None;
        let (mut copied, mut i) = (0, 0);
        while i < b.len() {
            if !b64(b[i]) {
                i += 1;
                continue;
            }
            let start = i;
            while i < b.len() && b64(b[i]) {
                i += 1;
            }
            let mut end = i;
            while end < b.len() && end - i < 2 && b[end] == b'=' {
                end += 1;
            }
            let run = &b[start..i];
            let mixed = run.iter().any(u8::is_ascii_uppercase)
                && run.iter().any(u8::is_ascii_lowercase)
                && run.iter().any(u8::is_ascii_digit);
            if i - start >= min && mixed {
                let raw = crate::validate::b64_decode(&b[start..end]);
                let bytes = raw.as_deref().unwrap_or(&b[start..end]);
                let digest = sha256(bytes);
                let o = out.get_or_insert_with(|| String::with_capacity(text.len()));
                o.push_str(&text[copied..start]);
                o.push_str(&format!(
                    "[BLOB sha256:{} size:{}]",
                    hex::encode(&digest[..8]),
                    bytes.len()
                ));
                copied = end;
            }
            i = end.max(i);
        }
        let mut o = out?;
        o.push_str(&text[copied..]);
        Some(o)
    }

    #[test]
    fn blobs_finds_what_a_byte_by_byte_scan_finds() {
        let r = Redact::from_config("blob_min_chars = 16").unwrap();
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let pieces = [
            "aB3", "xyz", "Q9", " ", "=", "==", "+/", "-_", ".", "\n", "data:", "é",
        ];
        for _ in 0..3_000 {
            let mut s = String::new();
            for _ in 0..seed % 40 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                s.push_str(pieces[(seed % pieces.len() as u64) as usize]);
            }
            assert_eq!(r.settings().blobs(&s), blobs_reference(&s, 16), "{s:?}");
        }
    }
}
