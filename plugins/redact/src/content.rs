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
use crate::json;
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

impl Settings {
    /// A configured attribute's value with its secrets redacted: inside JSON (keeping it
    /// valid) when it is JSON, with base64 blobs replaced. `None` when nothing changed.
    pub fn redact_content(
        &self,
        text: &str,
        tenant: Option<&TenantKey>,
        scratch: &mut Scratch,
    ) -> Option<(String, Tally)> {
        self.redact_parsed(text, json::is_json(text), tenant, scratch)
    }

    /// [`Self::redact_content`] for a value already known to be JSON or not.
    fn redact_parsed(
        &self,
        text: &str,
        is_json: bool,
        tenant: Option<&TenantKey>,
        scratch: &mut Scratch,
    ) -> Option<(String, Tally)> {
        let mut tally = Tally::default();
        let out = if is_json {
            json::map_strings(text, |s, key| {
                let (new, t) = self.content_part(s, key, tenant, scratch)?;
                tally.add(t);
                Some(new)
            })
        } else {
            self.content_part(text, None, tenant, scratch)
                .map(|(s, t)| {
                    tally.add(t);
                    s
                })
        };
        out.map(|o| (o, tally))
    }

    /// Applies `Hash` or `Preview` (any other mode is treated as `Preview`) to a content value.
    pub fn content(
        &self,
        text: &str,
        mode: Mode,
        tenant: Option<&TenantKey>,
        scratch: &mut Scratch,
    ) -> Content {
        let is_json = json::is_json(text);
        let (redacted, tally) = match self.redact_parsed(text, is_json, tenant, scratch) {
            Some((r, t)) => (Some(r), t),
            None => (None, Tally::default()),
        };
        let redacted = redacted.as_deref().unwrap_or(text);
        let digest = hex::encode(sha256(redacted.as_bytes()));
        let text = match mode {
            Mode::Hash => format!("sha256:{digest}"),
            _ if is_json => {
                let mut budget = self.preview_chars;
                json::map_strings(redacted, |s, _| {
                    if s.len() <= SHORT {
                        return None;
                    }
                    let chars = s.chars().count();
                    let cut = preview_counted(s, chars, budget);
                    budget = budget.saturating_sub(chars);
                    cut
                })
                .unwrap_or_else(|| redacted.to_string())
            }
            _ => preview(redacted, self.preview_chars).unwrap_or_else(|| redacted.to_string()),
        };
        Content {
            text,
            sha256: digest,
            tally,
        }
    }

    /// One text part: a sensitive JSON key's value whole, else secrets, then blobs.
    fn content_part(
        &self,
        s: &str,
        key: Option<&str>,
        tenant: Option<&TenantKey>,
        scratch: &mut Scratch,
    ) -> Option<(String, Tally)> {
        if key.is_some_and(|k| is_sensitive(k, &self.sensitive_keys)) && !s.is_empty() {
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
            let mixed = run.iter().any(u8::is_ascii_uppercase)
                && run.iter().any(u8::is_ascii_lowercase)
                && run.iter().any(u8::is_ascii_digit);
            if run.len() >= min && mixed {
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
    preview_counted(text, text.chars().count(), max)
}

/// [`preview`] of a text of `total` characters.
fn preview_counted(text: &str, total: usize, max: usize) -> Option<String> {
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

#[cfg(test)]
mod tests {
    use crate::Redact;
    use sluice_plugin_sdk::digest::sha256;

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
