//! A native stand-in for the host's batch, so `process` can be tested without a Wasm
//! runtime: rows are attribute maps, column reads are logged and `set_column` calls are
//! recorded and checked against the contract's lane rules.

use std::cell::RefCell;
use std::collections::HashMap;

use sluice_plugin_sdk::{
    Column, Destination, Key, PackedStrings, RecordsApi, Scope, Signal, Texts, ValueKind,
};

/// An attribute value.
#[derive(Debug, Clone, PartialEq)]
pub enum V {
    S(String),
    I(i64),
    D(f64),
    B(bool),
}

/// A string value.
pub fn s(v: &str) -> V {
    V::S(v.to_string())
}

/// One row's record attributes.
pub fn row(attrs: &[(&str, V)]) -> HashMap<String, V> {
    attrs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

/// The fake batch.
pub struct FakeBatch {
    pub signal: Signal,
    pub rows: Vec<HashMap<String, V>>,
    /// Every attribute name read with `column`, in order.
    pub reads: RefCell<Vec<String>>,
    /// Every `set_column` call, in order.
    pub writes: Vec<(Key, Column)>,
}

impl FakeBatch {
    /// A batch of spans.
    pub fn spans(rows: Vec<HashMap<String, V>>) -> FakeBatch {
        FakeBatch {
            signal: Signal::Span,
            rows,
            reads: RefCell::default(),
            writes: Vec::new(),
        }
    }

    /// Row `row`'s attribute `name` after the recorded writes.
    pub fn get(&self, row: u32, name: &str) -> Option<V> {
        for (key, col) in self.writes.iter().rev().filter(|(k, _)| k.name == name) {
            assert_eq!(key.scope, Scope::Record);
            let value = match col.kind(row) {
                ValueKind::Str => col.str(row).map(s),
                ValueKind::Int => col.int(row).map(V::I),
                ValueKind::Double => col.double(row).map(V::D),
                ValueKind::Boolean => col.bool(row).map(V::B),
                _ => None,
            };
            if value.is_some() {
                return value;
            }
        }
        self.rows[row as usize].get(name).cloned()
    }

    /// Row `row`'s attribute `name` as a string, after the writes.
    pub fn str(&self, row: u32, name: &str) -> Option<String> {
        match self.get(row, name)? {
            V::S(v) => Some(v),
            other => panic!("{name} is not a string: {other:?}"),
        }
    }

    /// Row `row`'s attribute `name` as a double, after the writes.
    pub fn double(&self, row: u32, name: &str) -> Option<f64> {
        match self.get(row, name)? {
            V::D(v) => Some(v),
            other => panic!("{name} is not a double: {other:?}"),
        }
    }

    /// Row `row`'s attribute `name` as an integer, after the writes.
    pub fn int(&self, row: u32, name: &str) -> Option<i64> {
        match self.get(row, name)? {
            V::I(v) => Some(v),
            other => panic!("{name} is not an int: {other:?}"),
        }
    }

    /// Whether the plugin wrote anything to row `row`.
    pub fn touched(&self, row: u32) -> bool {
        self.writes
            .iter()
            .any(|(_, c)| !matches!(c.kind(row), ValueKind::Absent | ValueKind::Other))
    }
}

impl RecordsApi for FakeBatch {
    fn len(&self) -> u32 {
        self.rows.len() as u32
    }

    fn signal(&self) -> Signal {
        self.signal
    }

    fn trace_ids(&self) -> Vec<u8> {
        vec![0; self.rows.len() * 16]
    }

    fn span_ids(&self) -> Vec<u8> {
        vec![0; self.rows.len() * 8]
    }

    fn keys(&self, scope: Scope) -> PackedStrings {
        assert_eq!(
            scope,
            Scope::Record,
            "the cost plugin reads record attributes only"
        );
        let mut seen = std::collections::BTreeSet::new();
        self.rows
            .iter()
            .flat_map(|r| r.keys())
            .filter(|k| seen.insert(k.as_str()))
            .collect()
    }

    fn column(&self, key: &Key) -> Column {
        assert_eq!(
            key.scope,
            Scope::Record,
            "the cost plugin reads record attributes only"
        );
        self.reads.borrow_mut().push(key.name.clone());
        let values: Vec<Option<&V>> = self.rows.iter().map(|r| r.get(&key.name)).collect();
        let has = |f: fn(&V) -> bool| values.iter().any(|v| v.is_some_and(f));
        let mut col = Column {
            kinds: values
                .iter()
                .map(|v| match v {
                    None => ValueKind::Absent,
                    Some(V::S(_)) => ValueKind::Str,
                    Some(V::I(_)) => ValueKind::Int,
                    Some(V::D(_)) => ValueKind::Double,
                    Some(V::B(_)) => ValueKind::Boolean,
                })
                .collect(),
            ..Column::default()
        };
        // Lanes hold one entry per row, or nothing when no row has that kind.
        if has(|v| matches!(v, V::S(_))) {
            col.strings = values
                .iter()
                .map(|v| {
                    if let Some(V::S(x)) = v {
                        x.as_str()
                    } else {
                        ""
                    }
                })
                .collect();
        }
        if has(|v| matches!(v, V::I(_))) {
            col.ints = values
                .iter()
                .map(|v| if let Some(V::I(x)) = v { *x } else { 0 })
                .collect();
        }
        if has(|v| matches!(v, V::D(_))) {
            col.doubles = values
                .iter()
                .map(|v| if let Some(V::D(x)) = v { *x } else { 0.0 })
                .collect();
        }
        if has(|v| matches!(v, V::B(_))) {
            col.bools = values
                .iter()
                .map(|v| if let Some(V::B(x)) = v { *x } else { false })
                .collect();
        }
        col
    }

    fn set_column(&mut self, key: &Key, values: Column) -> Result<(), String> {
        let n = self.rows.len();
        let lane_ok = |len: usize| len == 0 || len == n;
        if values.kinds.len() != n
            || !lane_ok(values.strings.len())
            || !lane_ok(values.ints.len())
            || !lane_ok(values.doubles.len())
            || !lane_ok(values.bools.len())
        {
            return Err(format!(
                "set_column({}): a lane's length does not match the {n} rows",
                key.name
            ));
        }
        values.strings.validate()?;
        assert!(
            !self.writes.iter().any(|(k, _)| k == key),
            "{} written twice in one batch: one set_column per attribute",
            key.name
        );
        self.writes.push((key.clone(), values));
        Ok(())
    }

    fn remove(&mut self, _key: &Key, _rows: &[u32]) -> Result<(), String> {
        Err("the cost plugin never removes attributes".into())
    }

    fn texts(&mut self, _rows: &[u32]) -> Result<Texts, String> {
        Err("the cost plugin never reads texts".into())
    }

    fn replace_texts(&mut self, _ids: &[u32], _strings: PackedStrings) -> Result<(), String> {
        Err("the cost plugin never replaces texts".into())
    }

    fn drop_rows(&mut self, _rows: &[u32]) -> Result<(), String> {
        Err("the cost plugin never drops rows".into())
    }

    fn add_destination(&mut self, _rows: &[u32], _destination: &str) -> Result<(), String> {
        Err("the cost plugin never routes".into())
    }

    fn deny_destination(&mut self, _rows: &[u32], _destination: &str) -> Result<(), String> {
        Err("the cost plugin never routes".into())
    }

    fn destinations(&self) -> Vec<Destination> {
        Vec::new()
    }
}
