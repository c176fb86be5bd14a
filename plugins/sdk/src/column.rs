//! Reading typed values out of a [`Column`] and building one to write back.

use crate::types::{Column, PackedStrings, ValueKind};

impl Column {
    /// Number of rows the column covers.
    pub fn len(&self) -> usize {
        self.kinds.len()
    }

    /// Whether the column covers no rows.
    pub fn is_empty(&self) -> bool {
        self.kinds.is_empty()
    }

    /// The kind of row `row`'s value.
    pub fn kind(&self, row: u32) -> ValueKind {
        self.kinds.get(row as usize).copied().unwrap_or_default()
    }

    /// Row `row`'s value if it is a string.
    pub fn str(&self, row: u32) -> Option<&str> {
        (self.kind(row) == ValueKind::Str)
            .then(|| self.strings.get(row as usize))
            .flatten()
    }

    /// Row `row`'s value if it is an integer.
    pub fn int(&self, row: u32) -> Option<i64> {
        (self.kind(row) == ValueKind::Int)
            .then(|| self.ints.get(row as usize).copied())
            .flatten()
    }

    /// Row `row`'s value if it is a double.
    pub fn double(&self, row: u32) -> Option<f64> {
        (self.kind(row) == ValueKind::Double)
            .then(|| self.doubles.get(row as usize).copied())
            .flatten()
    }

    /// Row `row`'s value if it is a bool.
    pub fn bool(&self, row: u32) -> Option<bool> {
        (self.kind(row) == ValueKind::Boolean)
            .then(|| self.bools.get(row as usize).copied())
            .flatten()
    }

    /// Row `row`'s value as a number, whether it arrived as an int, a double or a numeric string.
    pub fn number(&self, row: u32) -> Option<f64> {
        match self.kind(row) {
            ValueKind::Int => self.int(row).map(|v| v as f64),
            ValueKind::Double => self.double(row),
            ValueKind::Str => self.str(row).and_then(|s| s.trim().parse().ok()),
            _ => None,
        }
    }

    /// Row `row`'s value as a non-negative integer count, whatever type it arrived as.
    pub fn count(&self, row: u32) -> Option<u64> {
        match self.kind(row) {
            ValueKind::Int => self.int(row).and_then(|v| u64::try_from(v).ok()),
            ValueKind::Double => self
                .double(row)
                .filter(|v| *v >= 0.0 && v.fract() == 0.0)
                .map(|v| v as u64),
            ValueKind::Str => self.str(row).and_then(|s| s.trim().parse().ok()),
            _ => None,
        }
    }
}

/// Builds a column to write: set the rows you want, leave the others absent (untouched).
///
/// Strings go into one arena as they are set, so building a string column costs one copy
/// per value and no allocation per row.
#[derive(Debug, Clone)]
pub struct ColumnBuilder {
    kinds: Vec<ValueKind>,
    arena: Vec<u8>,
    /// Per row: where its string sits in `arena` (empty until the first string is set).
    spans: Vec<(u32, u32)>,
    ints: Vec<i64>,
    doubles: Vec<f64>,
    bools: Vec<bool>,
}

impl ColumnBuilder {
    /// A builder for `len` rows, all absent.
    pub fn new(len: u32) -> Self {
        ColumnBuilder {
            kinds: vec![ValueKind::Absent; len as usize],
            arena: Vec::new(),
            spans: Vec::new(),
            ints: Vec::new(),
            doubles: Vec::new(),
            bools: Vec::new(),
        }
    }

    fn mark(&mut self, row: u32, kind: ValueKind) -> usize {
        let i = row as usize;
        assert!(
            i < self.kinds.len(),
            "row {row} out of range for a column of {} rows",
            self.kinds.len()
        );
        self.kinds[i] = kind;
        i
    }

    /// Sets a string value.
    pub fn set_str(&mut self, row: u32, value: impl AsRef<str>) {
        let i = self.mark(row, ValueKind::Str);
        if self.spans.is_empty() {
            self.spans = vec![(0, 0); self.kinds.len()];
        }
        let start = self.arena.len() as u32;
        self.arena.extend_from_slice(value.as_ref().as_bytes());
        self.spans[i] = (start, self.arena.len() as u32);
    }

    /// Sets an integer value.
    pub fn set_int(&mut self, row: u32, value: i64) {
        let i = self.mark(row, ValueKind::Int);
        if self.ints.is_empty() {
            self.ints = vec![0; self.kinds.len()];
        }
        self.ints[i] = value;
    }

    /// Sets a double value.
    pub fn set_double(&mut self, row: u32, value: f64) {
        let i = self.mark(row, ValueKind::Double);
        if self.doubles.is_empty() {
            self.doubles = vec![0.0; self.kinds.len()];
        }
        self.doubles[i] = value;
    }

    /// Sets a bool value.
    pub fn set_bool(&mut self, row: u32, value: bool) {
        let i = self.mark(row, ValueKind::Boolean);
        if self.bools.is_empty() {
            self.bools = vec![false; self.kinds.len()];
        }
        self.bools[i] = value;
    }

    /// The finished column.
    pub fn finish(self) -> Column {
        let strings = if self.spans.is_empty() {
            PackedStrings::default()
        } else {
            let mut p = PackedStrings::with_capacity(self.spans.len(), self.arena.len());
            for (i, &(start, end)) in self.spans.iter().enumerate() {
                // A row overwritten by another kind keeps a placeholder, as the lane rules allow.
                if self.kinds[i] == ValueKind::Str {
                    p.bytes
                        .extend_from_slice(&self.arena[start as usize..end as usize]);
                }
                p.offsets.push(p.bytes.len() as u32);
            }
            p
        };
        Column {
            kinds: self.kinds,
            strings,
            ints: self.ints,
            doubles: self.doubles,
            bools: self.bools,
        }
    }
}
