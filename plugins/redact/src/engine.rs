//! What happens to one string leaf, independent of the batch it came from.

use sluice_plugin_sdk::TextOrigin;

use crate::config::{SENSITIVE_KEY_RULE, Settings};
use crate::detect::{Finding, NotUtf8, Scratch, rule_bit};
use crate::keys::{Mode, is_sensitive, mode_for};
use crate::marker::TenantKey;

/// What was redacted: how many secrets, and which rules found them (never what they were).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Secrets redacted.
    pub count: u32,
    /// The rules that found them, by index in `Detector::rules`.
    pub rules: u128,
    /// Whether a value was redacted whole because of its (attribute or JSON) key.
    pub by_key: bool,
}

impl Tally {
    /// Adds another tally to this one.
    pub fn add(&mut self, other: Tally) {
        self.count += other.count;
        self.rules |= other.rules;
        self.by_key |= other.by_key;
    }

    /// One value redacted whole because of its key.
    pub fn key() -> Tally {
        Tally {
            count: 1,
            rules: 0,
            by_key: true,
        }
    }
}

/// The result for one leaf.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The new value, when it changed.
    pub text: Option<String>,
    /// What was redacted in it.
    pub tally: Tally,
    /// For a top-level content attribute: the hash for its sibling `<key>.sha256`.
    pub sha256: Option<String>,
    /// Remove the (top-level record) attribute named by the leaf's key.
    pub remove: bool,
}

/// What a key path means to the plugin.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeyClass {
    /// The configured mode (index into the settings' modes) covering the key.
    pub mode: Option<(usize, Mode)>,
    /// Whether the key's value is a secret whole.
    pub sensitive: bool,
}

/// One string leaf and what is known about where it sits.
#[derive(Debug, Clone, Copy)]
pub struct Leaf<'a> {
    /// Where in the row it sits.
    pub origin: TextOrigin,
    /// Its attribute key path (empty for names, bodies, status messages).
    pub key: &'a str,
    /// The string.
    pub text: &'a str,
    /// Whether `key` is a top-level attribute of the row's own attributes.
    pub top_level: bool,
}

impl Settings {
    /// Replaces every secret in `text` with its marker; `None` when there is none, in which
    /// case nothing was allocated.
    pub fn redact_text(
        &self,
        text: &str,
        tenant: Option<&TenantKey>,
        scratch: &mut Scratch,
    ) -> Option<(String, Tally)> {
        let findings = self.detector.scan(text, scratch);
        self.write_markers(text, findings, tenant)
    }

    /// [`Settings::redact_text`] on bytes: clean bytes are never checked for UTF-8 (only a
    /// string in which something matched is), so a clean leaf costs the prefilter alone.
    pub fn redact_bytes(
        &self,
        bytes: &[u8],
        tenant: Option<&TenantKey>,
        scratch: &mut Scratch,
    ) -> Result<Option<(String, Tally)>, NotUtf8> {
        let findings = self.detector.scan_bytes(bytes, scratch)?;
        if findings.is_empty() {
            return Ok(None);
        }
        let text = std::str::from_utf8(bytes).map_err(|_| NotUtf8)?;
        Ok(self.write_markers(text, findings, tenant))
    }

    /// `text` with each finding replaced by its marker; `None` when every finding was inside
    /// a marker already.
    pub fn write_markers(
        &self,
        text: &str,
        findings: &[Finding],
        tenant: Option<&TenantKey>,
    ) -> Option<(String, Tally)> {
        if findings.is_empty() {
            return None;
        }
        let mut out = String::with_capacity(text.len() + 16 * findings.len());
        let tally = self.write_markers_into(text, findings, tenant, &mut out)?;
        Some((out, tally))
    }

    /// [`Settings::write_markers`], appended to `out`: a caller redacting many strings reuses
    /// one buffer instead of allocating (and freeing) a string per redacted one. `out` is left
    /// as it was when the result is `None`.
    pub fn write_markers_into(
        &self,
        text: &str,
        findings: &[Finding],
        tenant: Option<&TenantKey>,
        out: &mut String,
    ) -> Option<Tally> {
        let rules = self.detector.rules();
        let mut last = 0;
        let mut tally = Tally::default();
        // Only a marker opening before a finding can hold it, so the text after the last
        // finding's start need not be read.
        let last_start = findings.iter().map(|f| f.start).max().unwrap_or(0);
        let marked = self.markers.may_hold_marker(&text[..last_start]);
        for f in findings {
            if marked && self.markers.inside_marker(text, f.start, f.end) {
                continue;
            }
            tally.count += 1;
            tally.rules |= rule_bit(usize::from(f.rule));
            self.fire(usize::from(f.rule));
            out.push_str(&text[last..f.start]);
            match tenant {
                None => out.push_str(&self.plain_markers[usize::from(f.rule)]),
                Some(_) => {
                    let name = &rules[usize::from(f.rule)].name;
                    self.markers.write(out, name, &text[f.start..f.end], tenant);
                }
            }
            last = f.end;
        }
        if tally.count == 0 {
            // Nothing was written: every finding was skipped.
            return None;
        }
        out.push_str(&text[last..]);
        Some(tally)
    }

    /// Counts one secret redacted by rule `i` (`rules().len()`: by its key).
    pub fn fire(&self, i: usize) {
        if let Some(c) = self.fired.get(i) {
            c.set(c.get() + 1);
        }
    }

    /// Secrets redacted per rule name since the last call (`sensitive_key` for values
    /// redacted because of their key), and the counts reset: for the plugin's counters.
    pub fn take_fired(&self) -> Vec<(&str, u64)> {
        let rules = self.detector.rules();
        let mut out: Vec<(&str, u64)> = Vec::new();
        for (i, c) in self.fired.iter().enumerate() {
            let n = u64::from(c.replace(0));
            if n == 0 {
                continue;
            }
            let name = rules.get(i).map_or(SENSITIVE_KEY_RULE, |r| r.name.as_str());
            match out.iter_mut().find(|(k, _)| *k == name) {
                Some((_, v)) => *v += n,
                None => out.push((name, n)),
            }
        }
        out
    }

    /// The names of the rules in `tally`, sorted and comma-separated (what
    /// `sluice.redaction.rules` holds): rule names only, never a value or a key.
    pub fn rule_names(&self, tally: Tally) -> String {
        let rules = self.detector.rules();
        let mut names: Vec<&str> = (0..rules.len())
            .filter(|&i| tally.rules >> i & 1 == 1)
            .map(|i| rules[i].name.as_str())
            .collect();
        if tally.by_key {
            names.push(SENSITIVE_KEY_RULE);
        }
        names.sort_unstable();
        names.dedup();
        names.join(",")
    }

    /// What a leaf's key means: its configured mode and whether it is sensitive. Depends on
    /// the key only, so a batch computes it once per distinct key.
    pub fn classify(&self, origin: TextOrigin, key: &str) -> KeyClass {
        // A map body's leaves have key paths (`content`, `message.content`) like attributes.
        let keyed =
            !key.is_empty() && !matches!(origin, TextOrigin::Name | TextOrigin::StatusMessage);
        if !keyed {
            return KeyClass::default();
        }
        let mode = mode_for(key, &self.modes).map(|(k, m)| {
            let i = self.modes.iter().position(|(x, _)| x == k).unwrap_or(0);
            (i, m)
        });
        KeyClass {
            mode,
            sensitive: mode.is_none() && is_sensitive(key, &self.sensitive_keys),
        }
    }

    /// Decides and computes what happens to one leaf: its attribute's configured mode first,
    /// then a sensitive key (whole value), then a scan for secrets.
    pub fn leaf(
        &self,
        leaf: Leaf<'_>,
        tenant: Option<&TenantKey>,
        scratch: &mut Scratch,
    ) -> Outcome {
        let class = self.classify(leaf.origin, leaf.key);
        self.classified_leaf(leaf, class, tenant, scratch)
    }

    /// [`Settings::leaf`] with the key already classified.
    pub fn classified_leaf(
        &self,
        leaf: Leaf<'_>,
        class: KeyClass,
        tenant: Option<&TenantKey>,
        scratch: &mut Scratch,
    ) -> Outcome {
        let mode = class.mode.map(|(i, m)| (self.modes[i].0.as_str(), m));
        // A whole top-level record attribute: only it can be removed (the contract removes
        // record attributes only).
        let whole =
            |k: &str| leaf.origin == TextOrigin::Attribute && leaf.top_level && k == leaf.key;
        // A whole content value gets its hash as a record attribute `<key>.sha256`: a
        // top-level attribute's, or a span event's (GenAI content events carry
        // `gen_ai.input.messages` and friends on the event), which cannot get an attribute of
        // its own, so the hash goes on the span (see `process` for several of them).
        let sibling = |k: &str| whole(k) || leaf.origin == TextOrigin::Event && k == leaf.key;
        match mode {
            Some((_, Mode::Keep)) => Outcome::default(),
            Some((k, Mode::Drop)) => Outcome {
                text: (!whole(k) && !leaf.text.is_empty()).then(String::new),
                remove: whole(k),
                ..Outcome::default()
            },
            Some((k, m @ (Mode::Hash | Mode::Preview))) => {
                let c = self.content(leaf.text, m, tenant, scratch);
                Outcome {
                    text: (c.text != leaf.text).then_some(c.text),
                    tally: c.tally,
                    sha256: (m == Mode::Preview && sibling(k)).then_some(c.sha256),
                    remove: false,
                }
            }
            Some((_, Mode::Redact)) => match self.redact_content(leaf.text, tenant, scratch) {
                Some((text, tally)) => Outcome {
                    text: Some(text),
                    tally,
                    ..Outcome::default()
                },
                None => Outcome::default(),
            },
            None if class.sensitive => {
                if leaf.text.is_empty() || crate::placeholder::placeholder_value(leaf.text) {
                    return Outcome::default();
                }
                let mut text = String::new();
                self.markers
                    .write(&mut text, SENSITIVE_KEY_RULE, leaf.text, tenant);
                self.fire(self.detector.rules().len());
                Outcome {
                    text: Some(text),
                    tally: Tally::key(),
                    ..Outcome::default()
                }
            }
            None => self.scanned(leaf.text, tenant, scratch),
        }
    }

    fn scanned(&self, text: &str, tenant: Option<&TenantKey>, scratch: &mut Scratch) -> Outcome {
        match self.redact_text(text, tenant, scratch) {
            Some((text, tally)) => Outcome {
                text: Some(text),
                tally,
                ..Outcome::default()
            },
            None => Outcome::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::detect::Scratch;

    /// Writing into a reused buffer appends what `write_markers` returns, leaf after leaf,
    /// and a clean leaf's `None` leaves the buffer as it was.
    #[test]
    fn markers_are_appended_to_a_reused_buffer() {
        let s = crate::config::parse("").expect("the defaults");
        let mut scratch = Scratch::default();
        let mut out = String::from("kept|");
        for text in [
            "key AKIAQN7HVA5NKFPGHUSJ and mail jane@corp.example.org",
            "password=hunter2-fake-Secret",
        ] {
            let findings = s.detector.scan(text, &mut scratch).to_vec();
            let (want, want_tally) = s.write_markers(text, &findings, None).expect("secrets");
            let before = out.len();
            let tally = s.write_markers_into(text, &findings, None, &mut out);
            assert_eq!(tally.map(|t| t.count), Some(want_tally.count));
            assert_eq!(&out[before..], want);
            assert!(
                !want.contains("AKIA") && !want.contains("hunter2"),
                "{want}"
            );
        }
        assert!(
            out.starts_with("kept|key [REDACTED:aws_access_key] and mail "),
            "{out}"
        );
        let len = out.len();
        assert_eq!(s.write_markers_into("clean", &[], None, &mut out), None);
        assert_eq!(out.len(), len);
    }
}
