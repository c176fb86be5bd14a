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
//! (`gen_ai.input.messages`, ...) by default become a redacted preview of `preview_chars`
//! characters with their SHA-256 in `<key>.sha256`; optionally `sluice.redaction.count`.
//! The config is documented in `default.toml`; run it with `on_error = "fail_closed"` (the
//! host default), so a batch the plugin fails on is quarantined rather than sent unredacted.

pub mod check;
pub mod config;
pub mod content;
pub mod detect;
pub mod engine;
pub mod json;
pub mod keys;
pub mod marker;
pub mod placeholder;
pub mod prefilter;
pub mod rules;
pub mod shape;
pub mod validate;

use std::collections::{BTreeMap, HashMap, HashSet};

use sluice_plugin_sdk::{
    Batch, ColumnBuilder, Info, Key, PackedStrings, Plugin, Scope, Signal, TextOrigin,
    export_plugin,
};

use config::Settings;
use detect::Scratch;
use engine::{KeyClass, Leaf};

/// The record attribute holding the number of secrets redacted in a record.
pub const COUNT_ATTRIBUTE: &str = "sluice.redaction.count";

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
        self.settings.redact_text(text, None, &mut self.scratch)
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
        let texts = batch.texts(&batch.all_rows())?;
        if texts.ids.is_empty() {
            return Ok(());
        }
        let s = &self.settings;
        let tenants = (!s.tenants.is_empty())
            .then(|| batch.column(&Key::resource(s.tenant_attribute.as_str())));
        let record_keys = batch.keys(Scope::Record);
        let top: HashSet<&str> = record_keys.iter().collect();

        let mut ids = Vec::new();
        let mut replaced = PackedStrings::with_capacity(0, 0);
        let mut counts = vec![0u32; batch.len() as usize];
        let mut siblings: BTreeMap<String, ColumnBuilder> = BTreeMap::new();
        let mut removes: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        // Rows share their attribute names: classify each (origin kind, key) once.
        let mut classes: HashMap<(bool, &str), KeyClass> = HashMap::new();
        for i in 0..texts.ids.len() {
            let (row, origin) = (texts.rows[i], texts.origins[i]);
            let key = texts.keys.get(i).unwrap_or_default();
            let leaf = Leaf {
                origin,
                key,
                text: texts.strings.get(i).unwrap_or_default(),
                top_level: origin == TextOrigin::Attribute && top.contains(key),
            };
            let tenant = tenants
                .as_ref()
                .and_then(|c| c.str(row))
                .and_then(|t| s.tenants.get(t));
            let by_key = !matches!(
                origin,
                TextOrigin::Name | TextOrigin::StatusMessage | TextOrigin::Body
            );
            let class = *classes
                .entry((by_key, key))
                .or_insert_with(|| s.classify(origin, key));
            let out = s.classified_leaf(leaf, class, tenant, &mut self.scratch);
            if let Some(text) = out.text {
                ids.push(texts.ids[i]);
                replaced.push(&text);
            }
            counts[row as usize] += out.count;
            if let Some(hash) = out.sha256 {
                siblings
                    .entry(format!("{key}.sha256"))
                    .or_insert_with(|| ColumnBuilder::new(batch.len()))
                    .set_str(row, hash);
            }
            if out.remove {
                removes.entry(key.to_string()).or_default().push(row);
            }
        }
        if !ids.is_empty() {
            batch.replace_texts(&ids, replaced)?;
        }
        for (key, column) in siblings {
            batch.set_column(&Key::record(key), column.finish())?;
        }
        for (key, mut rows) in removes {
            rows.dedup();
            batch.remove(&Key::record(key), &rows)?;
        }
        if s.count_attribute && counts.iter().any(|&c| c > 0) {
            let mut column = batch.column_builder();
            for (row, &c) in counts.iter().enumerate().filter(|(_, c)| **c > 0) {
                column.set_int(row as u32, i64::from(c));
            }
            batch.set_column(&Key::record(COUNT_ATTRIBUTE), column.finish())?;
        }
        Ok(())
    }
}

export_plugin!(Redact);
