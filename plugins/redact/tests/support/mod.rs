//! A native stand-in for the host's batch: rows with string leaves (each with its origin and
//! key path) and resource attributes; edits are recorded and checked against the contract.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};

use sluice_plugin_sdk::{
    Batch, Column, Destination, Key, PackedStrings, Plugin, RecordsApi, Scope, Signal, TextOrigin,
    Texts, ValueKind,
};

/// One string leaf of a row.
#[derive(Debug, Clone)]
pub struct LeafSpec {
    pub row: u32,
    pub origin: TextOrigin,
    pub key: String,
    pub text: String,
}

/// The fake batch.
#[derive(Debug, Default)]
pub struct FakeBatch {
    pub rows: u32,
    pub leaves: Vec<LeafSpec>,
    /// Per row: top-level record attribute names (for `keys(Record)`).
    pub record_keys: Vec<BTreeSet<String>>,
    /// Per row: resource attributes with string values.
    pub resource: Vec<BTreeMap<String, String>>,
    pub replaced: BTreeMap<u32, String>,
    pub writes: Vec<(Key, Column)>,
    pub removed: Vec<(Key, Vec<u32>)>,
    /// Hand the strings over with an invalid UTF-8 byte appended (a host bug).
    pub corrupt_utf8: bool,
}

impl FakeBatch {
    /// Adds a row and returns its index.
    pub fn row(&mut self) -> u32 {
        self.rows += 1;
        self.record_keys.push(BTreeSet::new());
        self.resource.push(BTreeMap::new());
        self.rows - 1
    }

    /// Adds a leaf; an `Attribute` leaf also registers `top` as a record attribute.
    pub fn leaf(
        &mut self,
        row: u32,
        origin: TextOrigin,
        top: &str,
        key: &str,
        text: &str,
    ) -> usize {
        if origin == TextOrigin::Attribute && !top.is_empty() {
            self.record_keys[row as usize].insert(top.to_string());
        }
        self.leaves.push(LeafSpec {
            row,
            origin,
            key: key.to_string(),
            text: text.to_string(),
        });
        self.leaves.len() - 1
    }

    /// A leaf's text after the plugin's edits.
    pub fn out(&self, leaf: usize) -> &str {
        self.replaced
            .get(&(leaf as u32))
            .map_or(self.leaves[leaf].text.as_str(), String::as_str)
    }

    /// A record attribute written with `set_column`, as a string or int rendered to text.
    pub fn written(&self, row: u32, name: &str) -> Option<String> {
        self.writes
            .iter()
            .rev()
            .filter(|(k, _)| k.name == name && k.scope == Scope::Record)
            .find_map(|(_, c)| match c.kind(row) {
                ValueKind::Str => c.str(row).map(str::to_string),
                ValueKind::Int => c.int(row).map(|v| v.to_string()),
                _ => None,
            })
    }

    /// Runs a plugin over the batch.
    pub fn run<P: Plugin>(&mut self, plugin: &mut P) {
        plugin.process(&mut Batch::new(self)).expect("process");
    }
}

impl RecordsApi for FakeBatch {
    fn len(&self) -> u32 {
        self.rows
    }

    fn signal(&self) -> Signal {
        Signal::Span
    }

    fn trace_ids(&self) -> Vec<u8> {
        vec![0; self.rows as usize * 16]
    }

    fn span_ids(&self) -> Vec<u8> {
        vec![0; self.rows as usize * 8]
    }

    fn keys(&self, scope: Scope) -> PackedStrings {
        let mut all = BTreeSet::new();
        match scope {
            Scope::Record => self.record_keys.iter().for_each(|k| all.extend(k.iter())),
            Scope::Resource => self.resource.iter().for_each(|r| all.extend(r.keys())),
            Scope::InstrumentationScope => {}
        }
        all.into_iter().collect()
    }

    fn column(&self, key: &Key) -> Column {
        let values: Vec<Option<&String>> = (0..self.rows as usize)
            .map(|r| match key.scope {
                Scope::Resource => self.resource[r].get(&key.name),
                _ => None,
            })
            .collect();
        let any = values.iter().any(Option::is_some);
        Column {
            kinds: values
                .iter()
                .map(|v| {
                    if v.is_some() {
                        ValueKind::Str
                    } else {
                        ValueKind::Absent
                    }
                })
                .collect(),
            strings: if any {
                values
                    .iter()
                    .map(|v| v.map_or("", |s| s.as_str()))
                    .collect()
            } else {
                PackedStrings::default()
            },
            ..Column::default()
        }
    }

    fn set_column(&mut self, key: &Key, values: Column) -> Result<(), String> {
        assert_eq!(values.kinds.len(), self.rows as usize, "lane length");
        let lane = |n: usize| n == 0 || n == self.rows as usize;
        assert!(
            lane(values.strings.len()) && lane(values.ints.len()),
            "lane length"
        );
        values.strings.validate()?;
        assert!(
            !self.writes.iter().any(|(k, _)| k == key),
            "{} written twice",
            key.name
        );
        self.writes.push((key.clone(), values));
        Ok(())
    }

    fn remove(&mut self, key: &Key, rows: &[u32]) -> Result<(), String> {
        self.removed.push((key.clone(), rows.to_vec()));
        Ok(())
    }

    fn texts(&mut self, rows: &[u32]) -> Result<Texts, String> {
        let mut t = Texts {
            keys: PackedStrings::with_capacity(0, 0),
            strings: PackedStrings::with_capacity(0, 0),
            ..Texts::default()
        };
        for (i, l) in self.leaves.iter().enumerate() {
            if rows.contains(&l.row) {
                t.ids.push(i as u32);
                t.rows.push(l.row);
                t.origins.push(l.origin);
                t.keys.push(&l.key);
                t.strings.push(&l.text);
            }
        }
        if self.corrupt_utf8 {
            t.strings.bytes.push(0xff);
            *t.strings.offsets.last_mut().expect("a string") += 1;
        }
        Ok(t)
    }

    fn replace_texts(&mut self, ids: &[u32], strings: PackedStrings) -> Result<(), String> {
        strings.validate()?;
        assert_eq!(ids.len(), strings.len(), "one string per id");
        for (id, s) in ids.iter().zip(strings.iter()) {
            assert!((*id as usize) < self.leaves.len(), "unknown id {id}");
            self.replaced.insert(*id, s.to_string());
        }
        Ok(())
    }

    fn drop_rows(&mut self, _rows: &[u32]) -> Result<(), String> {
        Err("the redaction plugin never drops rows".into())
    }

    fn add_destination(&mut self, _rows: &[u32], _d: &str) -> Result<(), String> {
        Err("the redaction plugin never routes".into())
    }

    fn deny_destination(&mut self, _rows: &[u32], _d: &str) -> Result<(), String> {
        Err("the redaction plugin never routes".into())
    }

    fn destinations(&self) -> Vec<Destination> {
        Vec::new()
    }
}

/// The corpus's texts (`tests/redaction/corpus.jsonl`) and 64 KB of clean sample text: what
/// the differential tests run every matcher over.
pub fn corpus_and_clean() -> Vec<String> {
    const CORPUS: &str = include_str!("../../../../tests/redaction/corpus.jsonl");
    let mut out: Vec<String> = CORPUS
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["text"].as_str().map(str::to_string))
        .collect();
    out.extend(sluice_plugin_redact::samples::clean(64 << 10));
    out
}

/// A deterministic xorshift generator for generated test strings.
pub struct Rng(pub u64);

impl Rng {
    /// The next value.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A value below `n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// One of `from`.
    pub fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[self.below(from.len())]
    }
}
