//! The batch interface a plugin sees, as a Rust trait.
//!
//! Inside Wasm it is implemented by the imported `records` resource; natively the host
//! implements it on its own batch view, so the same plugin code can be benchmarked and
//! tested without a Wasm runtime.

use crate::types::{Column, Destination, Key, PackedStrings, Scope, Signal, Texts};

/// One method per WIT `records` method; see `wit/plugin.wit` for the exact semantics.
#[allow(clippy::len_without_is_empty)]
pub trait RecordsApi {
    /// Number of rows.
    fn len(&self) -> u32;
    /// The batch's signal.
    fn signal(&self) -> Signal;
    /// 16 bytes of trace id per row.
    fn trace_ids(&self) -> Vec<u8>;
    /// 8 bytes of span id per row.
    fn span_ids(&self) -> Vec<u8>;
    /// Distinct attribute keys present in `scope`, first-seen order.
    fn keys(&self, scope: Scope) -> PackedStrings;
    /// One attribute across every row.
    fn column(&self, key: &Key) -> Column;
    /// Sets one attribute on the rows whose kind is a value.
    fn set_column(&mut self, key: &Key, values: Column) -> Result<(), String>;
    /// Removes one attribute from rows.
    fn remove(&mut self, key: &Key, rows: &[u32]) -> Result<(), String>;
    /// String leaves of rows.
    fn texts(&mut self, rows: &[u32]) -> Result<Texts, String>;
    /// Replaces string leaves by id.
    fn replace_texts(&mut self, ids: &[u32], strings: PackedStrings) -> Result<(), String>;
    /// Drops rows.
    fn drop_rows(&mut self, rows: &[u32]) -> Result<(), String>;
    /// Adds a destination to rows.
    fn add_destination(&mut self, rows: &[u32], destination: &str) -> Result<(), String>;
    /// Denies a destination to rows; final.
    fn deny_destination(&mut self, rows: &[u32], destination: &str) -> Result<(), String>;
    /// Every configured destination.
    fn destinations(&self) -> Vec<Destination>;
    /// Adds to one of the plugin's counters; a no-op where nothing collects them.
    fn count(&mut self, name: &str, labels: &[(&str, &str)], value: u64) -> Result<(), String> {
        let _ = (name, labels, value);
        Ok(())
    }
}
