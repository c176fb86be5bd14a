//! The built-in redaction plugin: nothing sensitive leaves, and LLM prompts and answers
//! become hashes plus safe previews.
//!
//! **Where it looks**: every string leaf of every record (`texts`): resource, scope and
//! record attributes at any depth, span and metric names, log bodies, span event and link
//! attributes, status messages; inside LLM content attributes it parses JSON and redacts
//! the text parts, keeping the JSON valid.
//!
//! **What it finds**: credentials of a known shape (cloud, source control, chat, payment,
//! LLM-provider, registry and SaaS tokens, JWTs, private key blocks), credentials by context
//! (`password=...` in every common syntax, passwords in URLs, `Authorization` headers,
//! cookies), values of sensitive attribute keys, and PII (e-mail, Luhn-checked cards, US
//! SSNs, phone numbers, mod-97-checked IBANs, IP addresses when enabled). Placeholders
//! (`${API_KEY}`, `<redacted>`, `xxxx`) are left alone. The rule table is in [`rules`].
//!
//! **What it writes**: `[REDACTED:<rule>]`, or with a key for the row's tenant (resource
//! attribute `tenant.id`) `[REDACTED:<rule>:hmac:v<version>:<16 hex>]`; content attributes
//! (`gen_ai.input.messages`, ...), on the span or on its GenAI content events, by default
//! become a redacted preview of `preview_chars` characters with their SHA-256 in
//! `<key>.sha256` on the span; secrets per rule go to the host's metrics through the plugin
//! counters (`event="redacted"`, label `rule`); optionally `sluice.redaction.count` and
//! `sluice.redaction.rules` on each record.
//!
//! **How it is fast**: see [`prefilter`] (one vector pass per string) and [`detect`] (regexes
//! only where an anchor is).
//! The config is documented in `default.toml`; run it with `on_error = "fail_closed"` (the
//! host default), so a batch the plugin fails on is quarantined rather than sent unredacted.

pub mod assign;
pub mod check;
pub mod config;
pub mod content;
pub mod detect;
pub mod engine;
pub mod json;
pub mod keys;
pub mod marker;
pub mod matchers;
pub mod placeholder;
pub mod prefilter;
pub mod rules;
#[doc(hidden)]
pub mod samples;
pub mod shape;
#[cfg(test)]
mod test_rng;
pub mod validate;
mod vector;

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap, HashSet};

use sluice_plugin_sdk::{
    Batch, Info, Key, PackedStrings, Plugin, Scope, Signal, TextOrigin, export_plugin,
};

use config::Settings;
use detect::Scratch;
use engine::{KeyClass, Leaf, Outcome, Tally};

/// The record attribute holding the number of secrets redacted in a record.
pub const COUNT_ATTRIBUTE: &str = "sluice.redaction.count";

/// The record attribute naming the rules that redacted something in a record (sorted,
/// comma-separated; `sensitive_key` for values redacted because of their key).
pub const RULES_ATTRIBUTE: &str = "sluice.redaction.rules";

/// The plugin: validated settings and the detector's reusable buffers.
pub struct Redact {
    settings: Settings,
    scratch: Scratch,
}

impl Redact {
    /// Builds the plugin from its TOML config; the error names every bad field.
    pub fn from_config(config: &str) -> Result<Redact, String> {
        Ok(Redact {
            settings: config::parse(config)?,
            scratch: Scratch::default(),
        })
    }

    /// The validated settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Redacts one free-standing string as if it were a log body (no key, no tenant):
    /// the new text and the number of secrets, or `None` when it is clean.
    pub fn redact_str(&mut self, text: &str) -> Option<(String, u32)> {
        self.settings
            .redact_text(text, None, &mut self.scratch)
            .map(|(s, t)| (s, t.count))
    }
}

impl Plugin for Redact {
    fn init(config: &str) -> Result<Self, String> {
        Redact::from_config(config)
    }

    fn info(&self) -> Info {
        Info::new(
            "redact",
            env!("CARGO_PKG_VERSION"),
            &[Signal::Span, Signal::Log, Signal::MetricPoint],
        )
    }

    fn process(&mut self, batch: &mut Batch<'_>) -> Result<(), String> {
        if batch.is_empty() {
            return Ok(());
        }
        // Counts left by a call that failed half-way are not this batch's.
        self.settings.take_fired();
        let texts = batch.texts(&batch.all_rows())?;
        let n = texts.ids.len();
        if n == 0 {
            return Ok(());
        }
        let (keys, strings) = (packed(&texts.keys, n)?, packed(&texts.strings, n)?);
        if texts.rows.len() != n || texts.origins.len() != n {
            return Err("redact: texts lists of different lengths".into());
        }
        let s = &self.settings;
        let rows = batch.len() as usize;
        let tenants = (!s.tenants.is_empty())
            .then(|| batch.column(&Key::resource(s.tenant_attribute.as_str())));
        let tenant = |row: u32| {
            tenants
                .as_ref()
                .and_then(|c| c.str(row))
                .and_then(|t| s.tenants.get(t))
        };
        // The record's top-level attribute names, asked for only when a configured mode
        // needs to know whether a leaf is a whole attribute.
        let mut top: Option<HashSet<String>> = None;

        let mut ids = Vec::new();
        let mut replaced = PackedStrings::with_capacity(0, 0);
        // The redacted text of the leaf at hand, before it is copied into `replaced`.
        let mut written = String::new();
        let tally_rows = s.count_attribute || s.rules_attribute;
        let mut tallies = vec![Tally::default(); if tally_rows { rows } else { 0 }];
        // `<key>.sha256` per row: the hashes of the row's values of that content key, in the
        // order the host lists them (the record's own attribute, then its span events').
        let mut siblings: BTreeMap<String, Vec<(u32, String)>> = BTreeMap::new();
        let mut removes: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        // Rows share their attribute names: classify each (keyed, key) once.
        let mut classes: HashMap<(bool, &[u8]), KeyClass, Words> = HashMap::default();
        for i in 0..n {
            let (row, origin) = (texts.rows[i], texts.origins[i]);
            if row as usize >= rows {
                return Err(format!("redact: text {i} names row {row} of {rows}"));
            }
            let (key, bytes) = (keys.get(i), strings.get(i));
            // Names, status messages and string bodies have no key; a map body's leaves do.
            let keyed =
                !key.is_empty() && !matches!(origin, TextOrigin::Name | TextOrigin::StatusMessage);
            let class = match classes.entry((keyed, key)) {
                Entry::Occupied(e) => *e.get(),
                Entry::Vacant(e) => *e.insert(s.classify(origin, utf8(key, i)?)),
            };
            let out = if class.mode.is_none() && !class.sensitive {
                // Scanned as it is: a clean leaf costs the prefilter and is never decoded.
                let findings = s
                    .detector
                    .scan_bytes(bytes, &mut self.scratch)
                    .map_err(|_| not_utf8(i))?;
                if findings.is_empty() {
                    continue;
                }
                let text = utf8(bytes, i)?;
                written.clear();
                let Some(tally) = s.write_markers_into(text, findings, tenant(row), &mut written)
                else {
                    continue;
                };
                ids.push(texts.ids[i]);
                replaced.push(&written);
                Outcome {
                    tally,
                    ..Outcome::default()
                }
            } else {
                let key = utf8(key, i)?;
                let top_level = origin == TextOrigin::Attribute
                    && top
                        .get_or_insert_with(|| {
                            batch
                                .keys(Scope::Record)
                                .iter()
                                .map(str::to_string)
                                .collect()
                        })
                        .contains(key);
                let leaf = Leaf {
                    origin,
                    key,
                    text: utf8(bytes, i)?,
                    top_level,
                };
                s.classified_leaf(leaf, class, tenant(row), &mut self.scratch)
            };
            if let Some(text) = out.text {
                ids.push(texts.ids[i]);
                replaced.push(&text);
            }
            if tally_rows {
                tallies[row as usize].add(out.tally);
            }
            if let Some(hash) = out.sha256 {
                let key = utf8(key, i)?;
                siblings
                    .entry(format!("{key}.sha256"))
                    .or_default()
                    .push((row, hash));
            }
            if out.remove {
                let key = utf8(key, i)?;
                removes.entry(key.to_string()).or_default().push(row);
            }
        }
        if !ids.is_empty() {
            batch.replace_texts(&ids, replaced)?;
        }
        for (key, mut hashes) in siblings {
            hashes.sort_by_key(|(row, _)| *row);
            let mut column = batch.column_builder();
            let mut k = 0;
            while k < hashes.len() {
                let row = hashes[k].0;
                let same = hashes[k..].iter().take_while(|(r, _)| *r == row).count();
                let joined: Vec<&str> = hashes[k..k + same]
                    .iter()
                    .map(|(_, h)| h.as_str())
                    .collect();
                column.set_str(row, joined.join(","));
                k += same;
            }
            batch.set_column(&Key::record(key), column.finish())?;
        }
        for (key, mut rows) in removes {
            rows.dedup();
            batch.remove(&Key::record(key), &rows)?;
        }
        if s.count_attribute && tallies.iter().any(|t| t.count > 0) {
            let mut column = batch.column_builder();
            for (row, t) in tallies.iter().enumerate().filter(|(_, t)| t.count > 0) {
                column.set_int(row as u32, i64::from(t.count));
            }
            batch.set_column(&Key::record(COUNT_ATTRIBUTE), column.finish())?;
        }
        // Per-rule counts for the host's metrics (`sluice_plugin_events_total{plugin,
        // event="redacted", rule}`): rule names only.
        for (rule, n) in s.take_fired() {
            batch.count("redacted", &[("rule", rule)], n)?;
        }
        if s.rules_attribute && tallies.iter().any(|t| t.count > 0) {
            let mut column = batch.column_builder();
            for (row, t) in tallies.iter().enumerate().filter(|(_, t)| t.count > 0) {
                column.set_str(row as u32, s.rule_names(*t));
            }
            batch.set_column(&Key::record(RULES_ATTRIBUTE), column.finish())?;
        }
        Ok(())
    }
}

/// The packed strings as `n` byte slices, with their offsets checked (their UTF-8 is not:
/// only what a rule matched in is decoded).
fn packed(p: &PackedStrings, n: usize) -> Result<Packed<'_>, String> {
    let o = &p.offsets;
    let ok = o.len() == n + 1
        && o[0] == 0
        && o.windows(2).all(|w| w[0] <= w[1])
        && o[n] as usize == p.bytes.len();
    if !ok {
        return Err("redact: malformed packed strings from the host".into());
    }
    Ok(Packed {
        bytes: &p.bytes,
        offsets: o,
    })
}

/// Packed strings whose offsets are known to be in bounds.
struct Packed<'a> {
    bytes: &'a [u8],
    offsets: &'a [u32],
}

impl<'a> Packed<'a> {
    fn get(&self, i: usize) -> &'a [u8] {
        &self.bytes[self.offsets[i] as usize..self.offsets[i + 1] as usize]
    }
}

fn not_utf8(i: usize) -> String {
    format!("redact: text {i} is not UTF-8")
}

fn utf8(b: &[u8], i: usize) -> Result<&str, String> {
    std::str::from_utf8(b).map_err(|_| not_utf8(i))
}

/// A multiply-rotate hash eight bytes at a time (as rustc's FxHash): attribute keys are
/// short and trusted to be few, and SipHash's per-key cost showed in profiles.
#[derive(Default)]
struct WordHasher(u64);

impl WordHasher {
    fn mix(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl std::hash::Hasher for WordHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.mix(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        let mut last = [0u8; 8];
        last[..rest.len()].copy_from_slice(rest);
        self.mix(u64::from_le_bytes(last) ^ (rest.len() as u64) << 59);
    }
}

type Words = std::hash::BuildHasherDefault<WordHasher>;

export_plugin!(Redact);
