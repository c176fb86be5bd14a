//! The ergonomic face of a batch: what plugin code calls.

use crate::api::RecordsApi;
use crate::column::ColumnBuilder;
use crate::types::{Column, Destination, Key, PackedStrings, Scope, Signal, Texts};

/// A batch of records handed to [`crate::Plugin::process`].
///
/// Edits are recorded by the host and applied when `process` returns `Ok`; reads see the
/// batch as it was handed over.
pub struct Batch<'a> {
    api: &'a mut dyn RecordsApi,
    len: u32,
}

impl<'a> Batch<'a> {
    /// Wraps a batch implementation (the Wasm import or a native host view).
    pub fn new(api: &'a mut dyn RecordsApi) -> Self {
        let len = api.len();
        Batch { api, len }
    }

    /// Number of rows.
    pub fn len(&self) -> u32 {
        self.len
    }

    /// Whether the batch has no rows.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every row index, for edits that apply to the whole batch.
    pub fn all_rows(&self) -> Vec<u32> {
        (0..self.len).collect()
    }

    /// The signal of every row.
    pub fn signal(&self) -> Signal {
        self.api.signal()
    }

    /// Trace ids, one `[u8; 16]` per row (zeros where none).
    pub fn trace_ids(&self) -> Vec<[u8; 16]> {
        let raw = self.api.trace_ids();
        raw.chunks_exact(16)
            .map(|c| c.try_into().unwrap_or([0; 16]))
            .collect()
    }

    /// Span ids, one `[u8; 8]` per row (zeros where none).
    pub fn span_ids(&self) -> Vec<[u8; 8]> {
        let raw = self.api.span_ids();
        raw.chunks_exact(8)
            .map(|c| c.try_into().unwrap_or([0; 8]))
            .collect()
    }

    /// The distinct attribute keys at least one row has in `scope`, in first-seen order.
    pub fn keys(&self, scope: Scope) -> PackedStrings {
        self.api.keys(scope)
    }

    /// One attribute across every row.
    pub fn column(&self, key: &Key) -> Column {
        self.api.column(key)
    }

    /// A builder for a column of this batch's length.
    pub fn column_builder(&self) -> ColumnBuilder {
        ColumnBuilder::new(self.len)
    }

    /// Sets one attribute on every row the column has a value for.
    pub fn set_column(&mut self, key: &Key, values: Column) -> Result<(), String> {
        self.api.set_column(key, values)
    }

    /// Removes one attribute from the given rows.
    pub fn remove(&mut self, key: &Key, rows: &[u32]) -> Result<(), String> {
        self.api.remove(key, rows)
    }

    /// String leaves of the given rows.
    pub fn texts(&mut self, rows: &[u32]) -> Result<Texts, String> {
        self.api.texts(rows)
    }

    /// Replaces string leaves by id.
    pub fn replace_texts(&mut self, ids: &[u32], strings: PackedStrings) -> Result<(), String> {
        self.api.replace_texts(ids, strings)
    }

    /// Drops rows.
    pub fn drop_rows(&mut self, rows: &[u32]) -> Result<(), String> {
        self.api.drop_rows(rows)
    }

    /// Sends rows to a destination as well.
    pub fn add_destination(&mut self, rows: &[u32], destination: &str) -> Result<(), String> {
        self.api.add_destination(rows, destination)
    }

    /// Forbids a destination for rows; final.
    pub fn deny_destination(&mut self, rows: &[u32], destination: &str) -> Result<(), String> {
        self.api.deny_destination(rows, destination)
    }

    /// Every configured destination.
    pub fn destinations(&self) -> Vec<Destination> {
        self.api.destinations()
    }

    /// Adds `value` to the plugin's counter `name` with `labels`: the host exports it as
    /// `sluice_plugin_events_total{plugin, event = name, labels...}`. Counted only if this
    /// `process` call succeeds. Labels are names from config, never record content.
    pub fn count(&mut self, name: &str, labels: &[(&str, &str)], value: u64) -> Result<(), String> {
        self.api.count(name, labels, value)
    }
}
