//! What the plugin writes: one column per output attribute, built across the batch and
//! set once.

use sluice_plugin_sdk::{Batch, Column, ColumnBuilder, Key, PackedStrings, ValueKind};

use crate::price::{Breakdown, atto_to_pico, atto_to_usd};

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
        Some(Column {
            kinds: self.kinds,
            strings: self.strings,
            ..Column::default()
        })
    }
}

/// The output columns of one batch.
pub struct Outputs<'t> {
    pricing_version: &'t str,
    amount: ColumnBuilder,
    pico: ColumnBuilder,
    parts: [ColumnBuilder; 4],
    parts_used: [bool; 4],
    tier_above: ColumnBuilder,
    tier_used: bool,
    currency: StrColumn,
    source: StrColumn,
    status: StrColumn,
    model: StrColumn,
    version: StrColumn,
    service_tier: StrColumn,
}

impl<'t> Outputs<'t> {
    /// Empty columns for a batch of `n` rows priced with table `pricing_version`.
    pub fn new(n: u32, pricing_version: &'t str) -> Outputs<'t> {
        let b = || ColumnBuilder::new(n);
        let s = || StrColumn::new(n);
        Outputs {
            pricing_version,
            amount: b(),
            pico: b(),
            parts: [b(), b(), b(), b()],
            parts_used: [true, true, false, false],
            tier_above: b(),
            tier_used: false,
            currency: s(),
            source: s(),
            status: s(),
            model: s(),
            version: s(),
            service_tier: s(),
        }
    }

    /// Records a row whose model the table does not price (rows in ascending order).
    pub fn unpriced(&mut self, row: u32) {
        self.version.set(row, self.pricing_version);
        self.status.set(row, "unpriced");
    }

    /// Records a priced row (rows in ascending order).
    pub fn priced(
        &mut self,
        row: u32,
        model: &str,
        cost: &Breakdown,
        service_tier: Option<&str>,
        tier: Option<u64>,
    ) {
        let total = cost.total();
        self.amount.set_double(row, atto_to_usd(total));
        self.pico.set_int(row, atto_to_pico(total));
        let parts = [cost.input, cost.output, cost.cache_read, cost.cache_write];
        for (i, part) in parts.into_iter().enumerate() {
            // Input and output are always written; cache parts only when such tokens were used.
            if i < 2 || part > 0 {
                self.parts[i].set_double(row, atto_to_usd(part));
                self.parts_used[i] = true;
            }
        }
        if let Some(above) = tier {
            self.tier_above
                .set_int(row, i64::try_from(above).unwrap_or(i64::MAX));
            self.tier_used = true;
        }
        if let Some(name) = service_tier {
            self.service_tier.set(row, name);
        }
        self.version.set(row, self.pricing_version);
        self.currency.set(row, "USD");
        self.source.set(row, "sluice");
        self.status.set(row, "priced");
        self.model.set(row, model);
    }

    /// Sets every column that has a value, once each.
    pub fn write(self, batch: &mut Batch<'_>) -> Result<(), String> {
        let mut set = |name: &str, col| batch.set_column(&Key::record(name), col);
        const PARTS: [&str; 4] = [
            "sluice.cost.input",
            "sluice.cost.output",
            "sluice.cost.cache_read",
            "sluice.cost.cache_write",
        ];
        let strings = [
            ("gen_ai.usage.cost.currency", self.currency),
            ("gen_ai.usage.cost.source", self.source),
            ("sluice.cost.status", self.status),
            ("sluice.cost.model", self.model),
            ("sluice.cost.pricing_version", self.version),
            ("sluice.cost.service_tier", self.service_tier),
        ];
        let any_priced = strings[0].1.is_set();
        if any_priced {
            set("gen_ai.usage.cost.amount", self.amount.finish())?;
            set("sluice.cost.amount_picousd", self.pico.finish())?;
            for ((name, col), used) in PARTS.into_iter().zip(self.parts).zip(self.parts_used) {
                if used {
                    set(name, col.finish())?;
                }
            }
            if self.tier_used {
                set(
                    "sluice.cost.tier_above_input_tokens",
                    self.tier_above.finish(),
                )?;
            }
        }
        for (name, col) in strings {
            if let Some(col) = col.finish() {
                set(name, col)?;
            }
        }
        Ok(())
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
