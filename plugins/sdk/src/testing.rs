//! An in-memory batch for a plugin's unit tests: run [`crate::Plugin::process`] natively,
//! with no host and no Wasm runtime, and look at what it changed.
//!
//! ```
//! use sluice_plugin_sdk::testing::{TestBatch, TestRecord, Value};
//! use sluice_plugin_sdk::{Batch, Info, Key, Plugin, Signal};
//!
//! struct Stamp;
//! impl Plugin for Stamp {
//!     fn init(_config: &str) -> Result<Self, String> { Ok(Stamp) }
//!     fn info(&self) -> Info { Info::new("stamp", "0.1.0", &[Signal::Span]) }
//!     fn process(&mut self, batch: &mut Batch<'_>) -> Result<(), String> {
//!         let mut out = batch.column_builder();
//!         for row in 0..batch.len() { out.set_bool(row, true); }
//!         batch.set_column(&Key::record("stamped"), out.finish())
//!     }
//! }
//!
//! let mut batch = TestBatch::new(Signal::Span)
//!     .record(TestRecord::new().name("chat gpt-4o"))
//!     .record(TestRecord::new().name("GET /"));
//! batch.process(&mut Stamp::init("").unwrap()).unwrap();
//! assert_eq!(batch.attribute(1, &Key::record("stamped")), Some(&Value::Bool(true)));
//! ```
//!
//! It follows `wit/plugin.wit` the way the host does: reads during a call see the batch as it
//! was handed over; edits are recorded and applied when `process` returns `Ok` (text
//! replacements first, then attribute sets and removals in call order, then drops and
//! destination changes), and none are when it returns `Err`; row indices out of range, lanes
//! of the wrong length and unknown destinations are refused with the host's messages; dropped
//! records are not handed to later calls.
//!
//! What it simplifies: every record has a resource and an instrumentation scope of its own
//! (in the host, records of one resource share its attributes), and values are flat — a
//! string, an integer, a double or a bool, never bytes, arrays or maps. Span events, links
//! and status messages are not modelled.

use crate::api::RecordsApi;
use crate::batch::Batch;
use crate::counters::Count;
use crate::types::{
    Column, Destination, Key, PackedStrings, Scope, Signal, TextOrigin, Texts, ValueKind,
};
use crate::{ColumnBuilder, Plugin};

/// One attribute value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A string.
    Str(String),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Double(f64),
    /// A boolean.
    Bool(bool),
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Str(v.to_string())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Str(v)
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Double(v)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

/// An attribute list: keys in insertion order.
pub type Attributes = Vec<(String, Value)>;

/// One record (a span, a log record or a metric point) of a [`TestBatch`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TestRecord {
    /// The span name, or the metric name of a metric point (a `name` text leaf).
    pub name: String,
    /// A log record's body (a `body` text leaf).
    pub body: Option<String>,
    /// The trace id (all zeros: none).
    pub trace_id: [u8; 16],
    /// The span id (all zeros: none).
    pub span_id: [u8; 8],
    /// The record's resource attributes (its own resource: see the module docs).
    pub resource: Attributes,
    /// The record's instrumentation scope attributes.
    pub scope: Attributes,
    /// The record's own attributes.
    pub attributes: Attributes,
}

impl TestRecord {
    /// A record with nothing set.
    pub fn new() -> Self {
        TestRecord::default()
    }

    /// Sets the span or metric name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Sets the log body.
    pub fn body(mut self, body: impl Into<String>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// Sets the trace id.
    pub fn trace_id(mut self, id: [u8; 16]) -> Self {
        self.trace_id = id;
        self
    }

    /// Sets the span id.
    pub fn span_id(mut self, id: [u8; 8]) -> Self {
        self.span_id = id;
        self
    }

    /// Adds (or replaces) one of the record's own attributes.
    pub fn attribute(mut self, key: &str, value: impl Into<Value>) -> Self {
        put(&mut self.attributes, key, value.into());
        self
    }

    /// Adds (or replaces) a resource attribute.
    pub fn resource_attribute(mut self, key: &str, value: impl Into<Value>) -> Self {
        put(&mut self.resource, key, value.into());
        self
    }

    /// Adds (or replaces) an instrumentation scope attribute.
    pub fn scope_attribute(mut self, key: &str, value: impl Into<Value>) -> Self {
        put(&mut self.scope, key, value.into());
        self
    }

    /// The attribute list a key lives in.
    pub fn list(&self, scope: Scope) -> &Attributes {
        match scope {
            Scope::Resource => &self.resource,
            Scope::InstrumentationScope => &self.scope,
            Scope::Record => &self.attributes,
        }
    }

    fn list_mut(&mut self, scope: Scope) -> &mut Attributes {
        match scope {
            Scope::Resource => &mut self.resource,
            Scope::InstrumentationScope => &mut self.scope,
            Scope::Record => &mut self.attributes,
        }
    }

    /// An attribute's value.
    pub fn get(&self, key: &Key) -> Option<&Value> {
        self.list(key.scope)
            .iter()
            .find(|(k, _)| *k == key.name)
            .map(|(_, v)| v)
    }
}

/// Sets `key`, keeping its position when it exists (as the host does), else appending it.
fn put(list: &mut Attributes, key: &str, value: Value) {
    match list.iter_mut().find(|(k, _)| k == key) {
        Some((_, v)) => *v = value,
        None => list.push((key.to_string(), value)),
    }
}

/// Which string a text leaf is.
#[derive(Debug, Clone, PartialEq)]
enum Anchor {
    Attr(Scope, String),
    Name,
    Body,
}

#[derive(Debug)]
enum Edit {
    Set(Key, Column),
    Remove(Key, Vec<u32>),
    Replace(Vec<u32>, PackedStrings),
    Drop(Vec<u32>),
    Add(Vec<u32>, String),
    Deny(Vec<u32>, String),
}

/// What happened to one record across the calls so far.
#[derive(Debug, Clone, Default, PartialEq)]
struct Fate {
    dropped: bool,
    added: Vec<String>,
    denied: Vec<String>,
}

/// A batch of records held in memory, implementing [`RecordsApi`]; see the module docs.
#[derive(Debug)]
pub struct TestBatch {
    signal: Signal,
    records: Vec<TestRecord>,
    fates: Vec<Fate>,
    destinations: Vec<Destination>,
    /// During a call: the record index of each live row.
    live: Vec<usize>,
    journal: Vec<Edit>,
    leaves: Vec<(usize, Anchor)>,
    pending_counts: Vec<Count>,
    counts: Vec<Count>,
}

impl TestBatch {
    /// An empty batch of one signal, with no destinations configured.
    pub fn new(signal: Signal) -> Self {
        TestBatch {
            signal,
            records: Vec::new(),
            fates: Vec::new(),
            destinations: Vec::new(),
            live: Vec::new(),
            journal: Vec::new(),
            leaves: Vec::new(),
            pending_counts: Vec::new(),
            counts: Vec::new(),
        }
    }

    /// Every counter increment of the successful calls so far, in call order.
    pub fn counts(&self) -> &[Count] {
        &self.counts
    }

    /// Adds a record.
    pub fn record(mut self, record: TestRecord) -> Self {
        self.push(record);
        self
    }

    /// Adds a record.
    pub fn push(&mut self, record: TestRecord) {
        self.records.push(record);
        self.fates.push(Fate::default());
    }

    /// Configures a destination plugins may add or deny (no region, not third-party,
    /// retains records).
    pub fn destination(self, name: &str) -> Self {
        self.with_destination(Destination {
            name: name.to_string(),
            region: None,
            third_party: false,
            retains: true,
        })
    }

    /// Configures a destination with all its properties.
    pub fn with_destination(mut self, destination: Destination) -> Self {
        self.destinations.push(destination);
        self
    }

    /// Runs the plugin's `process` on the records not dropped so far, as the host would:
    /// the edits apply when it returns `Ok`, none when it returns `Err` (passed through).
    pub fn process<P: Plugin>(&mut self, plugin: &mut P) -> Result<(), String> {
        self.live = (0..self.records.len())
            .filter(|i| !self.fates[*i].dropped)
            .collect();
        self.journal.clear();
        self.leaves.clear();
        self.pending_counts.clear();
        let result = plugin.process(&mut Batch::new(self));
        match &result {
            Ok(()) => {
                self.commit();
                self.counts.append(&mut self.pending_counts);
            }
            Err(_) => {
                self.journal.clear();
                self.leaves.clear();
                self.pending_counts.clear();
            }
        }
        result
    }

    /// Every record, dropped ones included, in the order they were added.
    pub fn records(&self) -> &[TestRecord] {
        &self.records
    }

    /// Record `record`'s value of `key` (indices count every record, dropped ones included).
    pub fn attribute(&self, record: usize, key: &Key) -> Option<&Value> {
        self.records.get(record)?.get(key)
    }

    /// Whether a plugin dropped the record.
    pub fn is_dropped(&self, record: usize) -> bool {
        self.fates.get(record).is_some_and(|f| f.dropped)
    }

    /// The destinations plugins added to the record, in call order.
    pub fn added_destinations(&self, record: usize) -> &[String] {
        self.fates.get(record).map_or(&[], |f| &f.added)
    }

    /// The destinations plugins denied to the record, in call order.
    pub fn denied_destinations(&self, record: usize) -> &[String] {
        self.fates.get(record).map_or(&[], |f| &f.denied)
    }

    fn row(&self, row: u32) -> &TestRecord {
        &self.records[self.live[row as usize]]
    }

    fn check_rows(&self, rows: &[u32]) -> Result<Vec<u32>, String> {
        match rows.iter().find(|r| **r as usize >= self.live.len()) {
            Some(bad) => Err(format!(
                "row {bad} is out of range: the batch has {} rows",
                self.live.len()
            )),
            None => Ok(rows.to_vec()),
        }
    }

    fn check_destination(&self, name: &str) -> Result<String, String> {
        if self.destinations.iter().any(|d| d.name == name) {
            return Ok(name.to_string());
        }
        let known: Vec<&str> = self.destinations.iter().map(|d| d.name.as_str()).collect();
        Err(format!(
            "unknown destination `{name}`; configured: {}",
            known.join(", ")
        ))
    }

    fn commit(&mut self) {
        let journal = std::mem::take(&mut self.journal);
        let leaves = std::mem::take(&mut self.leaves);
        for edit in &journal {
            if let Edit::Replace(ids, strings) = edit {
                for (i, id) in ids.iter().enumerate() {
                    let (record, anchor) = &leaves[*id as usize];
                    let text = strings.get(i).unwrap_or("").to_string();
                    let r = &mut self.records[*record];
                    match anchor {
                        Anchor::Name => r.name = text,
                        Anchor::Body => r.body = Some(text),
                        Anchor::Attr(scope, key) => put(r.list_mut(*scope), key, Value::Str(text)),
                    }
                }
            }
        }
        let live = std::mem::take(&mut self.live);
        for edit in journal {
            match edit {
                Edit::Set(key, column) => {
                    for (row, record) in live.iter().enumerate() {
                        let value = match column.kinds[row] {
                            ValueKind::Str => {
                                Value::Str(column.strings.get(row).unwrap_or("").to_string())
                            }
                            ValueKind::Int => Value::Int(column.ints[row]),
                            ValueKind::Double => Value::Double(column.doubles[row]),
                            ValueKind::Boolean => Value::Bool(column.bools[row]),
                            ValueKind::Absent | ValueKind::Other => continue,
                        };
                        put(self.records[*record].list_mut(key.scope), &key.name, value);
                    }
                }
                Edit::Remove(key, rows) => {
                    for row in rows {
                        self.records[live[row as usize]]
                            .list_mut(key.scope)
                            .retain(|(k, _)| *k != key.name);
                    }
                }
                Edit::Replace(..) => {}
                Edit::Drop(rows) => rows
                    .iter()
                    .for_each(|r| self.fates[live[*r as usize]].dropped = true),
                Edit::Add(rows, d) => rows
                    .iter()
                    .for_each(|r| self.fates[live[*r as usize]].added.push(d.clone())),
                Edit::Deny(rows, d) => rows
                    .iter()
                    .for_each(|r| self.fates[live[*r as usize]].denied.push(d.clone())),
            }
        }
    }
}

impl RecordsApi for TestBatch {
    fn len(&self) -> u32 {
        self.live.len() as u32
    }

    fn signal(&self) -> Signal {
        self.signal
    }

    fn trace_ids(&self) -> Vec<u8> {
        let spans_or_logs = self.signal != Signal::MetricPoint;
        (0..self.len())
            .flat_map(|r| match spans_or_logs {
                true => self.row(r).trace_id,
                false => [0; 16],
            })
            .collect()
    }

    fn span_ids(&self) -> Vec<u8> {
        let spans_or_logs = self.signal != Signal::MetricPoint;
        (0..self.len())
            .flat_map(|r| match spans_or_logs {
                true => self.row(r).span_id,
                false => [0; 8],
            })
            .collect()
    }

    fn keys(&self, scope: Scope) -> PackedStrings {
        let mut seen: Vec<&str> = Vec::new();
        for r in 0..self.len() {
            for (k, _) in self.row(r).list(scope) {
                if !seen.contains(&k.as_str()) {
                    seen.push(k);
                }
            }
        }
        seen.into_iter().collect()
    }

    fn column(&self, key: &Key) -> Column {
        // Built with the SDK's own builder, so lanes follow the same rules as the host's:
        // empty, or one entry per row.
        let mut out = ColumnBuilder::new(self.len());
        for r in 0..self.len() {
            match self.row(r).get(key) {
                Some(Value::Str(s)) => out.set_str(r, s),
                Some(Value::Int(i)) => out.set_int(r, *i),
                Some(Value::Double(d)) => out.set_double(r, *d),
                Some(Value::Bool(b)) => out.set_bool(r, *b),
                None => {}
            }
        }
        out.finish()
    }

    fn set_column(&mut self, key: &Key, values: Column) -> Result<(), String> {
        let n = self.live.len();
        if values.kinds.len() != n {
            return Err(format!(
                "set-column: `kinds` has {} entries for {n} rows",
                values.kinds.len()
            ));
        }
        let lanes = [
            ("strings", values.strings.len(), ValueKind::Str),
            ("ints", values.ints.len(), ValueKind::Int),
            ("doubles", values.doubles.len(), ValueKind::Double),
            ("bools", values.bools.len(), ValueKind::Boolean),
        ];
        for (name, len, kind) in lanes {
            if (len != 0 || values.kinds.contains(&kind)) && len != n {
                return Err(format!(
                    "set-column: lane `{name}` has {len} entries for {n} rows"
                ));
            }
        }
        values
            .strings
            .validate()
            .map_err(|e| format!("set-column: {e}"))?;
        self.journal.push(Edit::Set(key.clone(), values));
        Ok(())
    }

    fn remove(&mut self, key: &Key, rows: &[u32]) -> Result<(), String> {
        let rows = self.check_rows(rows)?;
        self.journal.push(Edit::Remove(key.clone(), rows));
        Ok(())
    }

    fn texts(&mut self, rows: &[u32]) -> Result<Texts, String> {
        let rows = self.check_rows(rows)?;
        let mut out = Texts {
            keys: PackedStrings::with_capacity(0, 0),
            strings: PackedStrings::with_capacity(0, 0),
            ..Texts::default()
        };
        for row in rows {
            let record = self.live[row as usize];
            let r = &self.records[record];
            let mut leaves: Vec<(TextOrigin, Anchor, &str, &str)> = Vec::new();
            for (scope, origin) in [
                (Scope::Resource, TextOrigin::ResourceAttribute),
                (Scope::InstrumentationScope, TextOrigin::ScopeAttribute),
            ] {
                for (k, v) in r.list(scope) {
                    if let Value::Str(s) = v {
                        leaves.push((origin, Anchor::Attr(scope, k.clone()), k, s));
                    }
                }
            }
            if !r.name.is_empty() {
                leaves.push((TextOrigin::Name, Anchor::Name, "", &r.name));
            }
            for (k, v) in &r.attributes {
                if let Value::Str(s) = v {
                    let anchor = Anchor::Attr(Scope::Record, k.clone());
                    leaves.push((TextOrigin::Attribute, anchor, k, s));
                }
            }
            if let Some(body) = r.body.as_deref().filter(|b| !b.is_empty()) {
                leaves.push((TextOrigin::Body, Anchor::Body, "", body));
            }
            for (origin, anchor, key, s) in leaves {
                out.ids.push(self.leaves.len() as u32);
                out.rows.push(row);
                out.origins.push(origin);
                out.keys.push(key);
                out.strings.push(s);
                self.leaves.push((record, anchor));
            }
        }
        Ok(out)
    }

    fn replace_texts(&mut self, ids: &[u32], strings: PackedStrings) -> Result<(), String> {
        strings.check_replacement(ids, self.leaves.len())?;
        self.journal.push(Edit::Replace(ids.to_vec(), strings));
        Ok(())
    }

    fn drop_rows(&mut self, rows: &[u32]) -> Result<(), String> {
        let rows = self.check_rows(rows)?;
        self.journal.push(Edit::Drop(rows));
        Ok(())
    }

    fn add_destination(&mut self, rows: &[u32], destination: &str) -> Result<(), String> {
        let d = self.check_destination(destination)?;
        let rows = self.check_rows(rows)?;
        self.journal.push(Edit::Add(rows, d));
        Ok(())
    }

    fn deny_destination(&mut self, rows: &[u32], destination: &str) -> Result<(), String> {
        let d = self.check_destination(destination)?;
        let rows = self.check_rows(rows)?;
        self.journal.push(Edit::Deny(rows, d));
        Ok(())
    }

    fn destinations(&self) -> Vec<Destination> {
        self.destinations.clone()
    }

    fn count(&mut self, name: &str, labels: &[(&str, &str)], value: u64) -> Result<(), String> {
        self.pending_counts.push(Count::new(name, labels, value)?);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Info;

    /// Exercises every edit kind, then fails when its config says so.
    struct Everything {
        fail: bool,
    }

    impl Plugin for Everything {
        fn init(config: &str) -> Result<Self, String> {
            Ok(Everything {
                fail: config == "fail",
            })
        }

        fn info(&self) -> Info {
            Info::new("everything", "0.1.0", &[Signal::Span])
        }

        fn process(&mut self, batch: &mut Batch<'_>) -> Result<(), String> {
            let model = batch.column(&Key::record("model"));
            let mut out = batch.column_builder();
            let mut llm = Vec::new();
            for r in 0..batch.len() {
                if let Some(m) = model.str(r) {
                    out.set_str(r, m.to_uppercase());
                    llm.push(r);
                }
            }
            batch.set_column(&Key::record("model"), out.finish())?;
            batch.remove(&Key::record("debug"), &batch.all_rows())?;
            let texts = batch.texts(&batch.all_rows())?;
            let (mut ids, mut new) = (Vec::new(), PackedStrings::default());
            for (i, s) in texts.strings.iter().enumerate() {
                if s.contains("sk-") {
                    ids.push(texts.ids[i]);
                    new.push("[REDACTED]");
                }
            }
            batch.replace_texts(&ids, new)?;
            batch.add_destination(&llm, "evals")?;
            batch.deny_destination(&[0], "vendor")?;
            let tiny = batch.column(&Key::record("tiny"));
            let drop: Vec<u32> = (0..batch.len())
                .filter(|r| tiny.bool(*r) == Some(true))
                .collect();
            batch.drop_rows(&drop)?;
            if self.fail {
                return Err("asked to fail".into());
            }
            Ok(())
        }
    }

    fn batch() -> TestBatch {
        TestBatch::new(Signal::Span)
            .destination("evals")
            .destination("vendor")
            .record(
                TestRecord::new()
                    .name("chat")
                    .attribute("model", "gpt-4o")
                    .attribute("prompt", "my key is sk-123")
                    .attribute("debug", true),
            )
            .record(TestRecord::new().name("GET /").attribute("tiny", true))
    }

    #[test]
    fn applies_every_edit_on_ok() {
        let mut b = batch();
        b.process(&mut Everything::init("").unwrap()).unwrap();
        let r = &b.records()[0];
        assert_eq!(r.get(&Key::record("model")), Some(&Value::from("GPT-4O")));
        assert_eq!(
            r.get(&Key::record("prompt")),
            Some(&Value::from("[REDACTED]"))
        );
        assert_eq!(r.get(&Key::record("debug")), None);
        assert_eq!(b.added_destinations(0), ["evals"]);
        assert_eq!(b.denied_destinations(0), ["vendor"]);
        assert!(!b.is_dropped(0));
        assert!(b.is_dropped(1));
        assert!(b.added_destinations(1).is_empty());
        // A dropped record is not handed to the next call.
        b.process(&mut Everything::init("").unwrap()).unwrap();
        assert_eq!(b.added_destinations(0), ["evals", "evals"]);
    }

    #[test]
    fn applies_nothing_on_err() {
        let mut b = batch();
        let before = b.records().to_vec();
        let err = b.process(&mut Everything::init("fail").unwrap());
        assert_eq!(err, Err("asked to fail".to_string()));
        assert_eq!(b.records(), before);
        assert!(!b.is_dropped(1));
        assert!(b.added_destinations(0).is_empty());
    }

    #[test]
    fn refuses_what_the_host_refuses() {
        let mut b = batch();
        b.live = vec![0, 1];
        assert_eq!(
            b.drop_rows(&[2]),
            Err("row 2 is out of range: the batch has 2 rows".into())
        );
        assert_eq!(
            b.add_destination(&[0], "nowhere"),
            Err("unknown destination `nowhere`; configured: evals, vendor".into())
        );
        let short = Column {
            kinds: vec![ValueKind::Int, ValueKind::Int],
            ints: vec![1],
            ..Column::default()
        };
        assert_eq!(
            b.set_column(&Key::record("n"), short),
            Err("set-column: lane `ints` has 1 entries for 2 rows".into())
        );
        assert!(b.replace_texts(&[0], ["x"].into_iter().collect()).is_err());
    }

    #[test]
    fn columns_have_full_or_empty_lanes() {
        let mut b = batch();
        b.live = vec![0, 1];
        let c = b.column(&Key::record("model"));
        assert_eq!(c.kinds, [ValueKind::Str, ValueKind::Absent]);
        assert_eq!(c.strings.len(), 2);
        assert!(c.ints.is_empty());
        assert_eq!(c.str(0), Some("gpt-4o"));
        let keys: Vec<String> = b.keys(Scope::Record).iter().map(String::from).collect();
        assert_eq!(keys, ["model", "prompt", "debug", "tiny"]);
    }
}
