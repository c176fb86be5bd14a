//! What happens to one string leaf, independent of the batch it came from.

use sluice_plugin_sdk::TextOrigin;

use crate::config::{SENSITIVE_KEY_RULE, Settings};
use crate::detect::Scratch;
use crate::keys::{Mode, is_sensitive, mode_for};
use crate::marker::TenantKey;

/// The result for one leaf.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The new value, when it changed.
    pub text: Option<String>,
    /// Secrets redacted in it.
    pub count: u32,
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
    ) -> Option<(String, u32)> {
        let findings = self.detector.scan(text, scratch);
        if findings.is_empty() {
            return None;
        }
        let rules = self.detector.rules();
        let mut out = String::with_capacity(text.len() + 16 * findings.len());
        let (mut last, mut count) = (0, 0);
        for f in findings {
            if self.markers.inside_marker(text, f.start, f.end) {
                continue;
            }
            count += 1;
            out.push_str(&text[last..f.start]);
            let name = &rules[f.rule as usize].name;
            self.markers
                .write(&mut out, name, &text[f.start..f.end], tenant);
            last = f.end;
        }
        if count == 0 {
            return None;
        }
        out.push_str(&text[last..]);
        Some((out, count))
    }

    /// What a leaf's key means: its configured mode and whether it is sensitive. Depends on
    /// the key only, so a batch computes it once per distinct key.
    pub fn classify(&self, origin: TextOrigin, key: &str) -> KeyClass {
        let keyed = !key.is_empty()
            && !matches!(
                origin,
                TextOrigin::Name | TextOrigin::StatusMessage | TextOrigin::Body
            );
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
        // A whole top-level record attribute: only there can a sibling be added or the
        // attribute be removed.
        let whole =
            |k: &str| leaf.origin == TextOrigin::Attribute && leaf.top_level && k == leaf.key;
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
                    count: c.count,
                    sha256: (m == Mode::Preview && whole(k)).then_some(c.sha256),
                    remove: false,
                }
            }
            Some((_, Mode::Redact)) => match self.redact_content(leaf.text, tenant, scratch) {
                Some((text, count)) => Outcome {
                    text: Some(text),
                    count,
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
                Outcome {
                    text: Some(text),
                    count: 1,
                    ..Outcome::default()
                }
            }
            None => self.scanned(leaf.text, tenant, scratch),
        }
    }

    fn scanned(&self, text: &str, tenant: Option<&TenantKey>, scratch: &mut Scratch) -> Outcome {
        match self.redact_text(text, tenant, scratch) {
            Some((text, count)) => Outcome {
                text: Some(text),
                count,
                ..Outcome::default()
            },
            None => Outcome::default(),
        }
    }
}
