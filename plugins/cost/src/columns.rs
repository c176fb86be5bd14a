//! Reading attributes that go by several names, and building string columns without an
//! allocation per row.

use sluice_plugin_sdk::{Batch, Column, Key, PackedStrings, ValueKind};

/// One attribute that instrumentations spell several ways, read as the first name a row has.
///
/// Later names are read only while some row of interest still lacks a value, and columns
/// that no row has are not kept, so the common case costs one column read.
pub struct FirstOf {
    cols: Vec<Column>,
}

impl FirstOf {
    /// Reads `names` (best first; only the first unless `legacy`) for the given rows.
    pub fn read(batch: &Batch<'_>, names: &[&str], legacy: bool, rows: &[u32]) -> FirstOf {
        let mut cols: Vec<Column> = Vec::new();
        let names = if legacy { names } else { &names[..names.len().min(1)] };
        for name in names {
            let col = batch.column(&Key::record(*name));
            if col.kinds.iter().any(|k| matches!(k, ValueKind::Str | ValueKind::Int | ValueKind::Double)) {
                cols.push(col);
            }
            let has = |r: u32| cols.iter().any(|c| c.kind(r) != ValueKind::Absent);
            if rows.iter().all(|&r| has(r)) {
                break;
            }
        }
        FirstOf { cols }
    }

    /// Row `row`'s value as a string, from the first name that has one.
    pub fn str(&self, row: u32) -> Option<&str> {
        self.cols.iter().find_map(|c| c.str(row))
    }

    /// Row `row`'s value as a token count (int, integral double or numeric string).
    pub fn count(&self, row: u32) -> Option<u64> {
        self.cols.iter().find_map(|c| c.count(row))
    }

    /// Whether any row has a value at all.
    pub fn is_empty(&self) -> bool {
        self.cols.is_empty()
    }
}

/// A string column being built, packed as it goes: one push per row instead of the
/// `String` per row that `ColumnBuilder::set_str` takes.
pub struct StrColumn {
    kinds: Vec<ValueKind>,
    strings: PackedStrings,
    next_row: u32,
    any: bool,
}

impl StrColumn {
    /// An empty column for a batch of `len` rows.
    pub fn new(len: u32) -> StrColumn {
        StrColumn {
            kinds: vec![ValueKind::Absent; len as usize],
            strings: PackedStrings::with_capacity(len as usize, 0),
            next_row: 0,
            any: false,
        }
    }

    /// Sets row `row`; rows must be set in ascending order (rows skipped stay absent).
    pub fn set(&mut self, row: u32, value: &str) {
        debug_assert!(row >= self.next_row, "rows must be set in ascending order");
        self.pad_to(row);
        self.kinds[row as usize] = ValueKind::Str;
        self.strings.push(value);
        self.next_row = row + 1;
        self.any = true;
    }

    fn pad_to(&mut self, row: u32) {
        // Every row needs an entry in the lane; absent rows get an empty placeholder.
        for _ in self.next_row..row {
            self.strings.push("");
        }
    }

    /// Whether any row has been set.
    pub fn is_set(&self) -> bool {
        self.any
    }

    /// The finished column, or `None` when no row was set (nothing to write).
    pub fn finish(mut self) -> Option<Column> {
        if !self.any {
            return None;
        }
        self.pad_to(self.kinds.len() as u32);
        Some(Column { kinds: self.kinds, strings: self.strings, ..Column::default() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_column_has_one_string_per_row() {
        let mut c = StrColumn::new(5);
        c.set(1, "USD");
        c.set(3, "USD");
        let col = c.finish().unwrap();
        assert_eq!(col.strings.len(), 5);
        assert_eq!(col.str(1), Some("USD"));
        assert_eq!(col.str(0), None);
        assert_eq!(col.str(4), None);
        assert!(StrColumn::new(3).finish().is_none());
    }
}
