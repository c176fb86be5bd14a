//! The host side of the contract's imports: generated bindings; each `sluice:plugin/batch`
//! call answered by the [`crate::pipeline::BatchState`] of the call in progress, and the
//! `digest` functions.

use super::store::{BatchHandle, StoreState};
use crate::pipeline::BatchState;
use sluice_plugin_sdk::{self as sdk, RecordsApi};
use wasmtime::component::Resource;

wasmtime::component::bindgen!({
    path: "../wit",
    world: "plugin",
    imports: { default: trappable },
    with: { "sluice:plugin/batch.records": crate::plugin::store::BatchHandle },
});

use self::sluice::plugin::batch as w;

fn scope(s: w::Scope) -> sdk::Scope {
    match s {
        w::Scope::Resource => sdk::Scope::Resource,
        w::Scope::InstrumentationScope => sdk::Scope::InstrumentationScope,
        w::Scope::Record => sdk::Scope::Record,
    }
}

fn key(k: w::Key) -> sdk::Key {
    sdk::Key {
        scope: scope(k.scope),
        name: k.name,
    }
}

fn packed_in(p: w::PackedStrings) -> sdk::PackedStrings {
    sdk::PackedStrings {
        bytes: p.bytes,
        offsets: p.offsets,
    }
}

fn packed_out(p: sdk::PackedStrings) -> w::PackedStrings {
    w::PackedStrings {
        bytes: p.bytes,
        offsets: p.offsets,
    }
}

fn kind_in(k: w::ValueKind) -> sdk::ValueKind {
    match k {
        w::ValueKind::Absent => sdk::ValueKind::Absent,
        w::ValueKind::Str => sdk::ValueKind::Str,
        w::ValueKind::Int => sdk::ValueKind::Int,
        w::ValueKind::Double => sdk::ValueKind::Double,
        w::ValueKind::Boolean => sdk::ValueKind::Boolean,
        w::ValueKind::Other => sdk::ValueKind::Other,
    }
}

fn kind_out(k: sdk::ValueKind) -> w::ValueKind {
    match k {
        sdk::ValueKind::Absent => w::ValueKind::Absent,
        sdk::ValueKind::Str => w::ValueKind::Str,
        sdk::ValueKind::Int => w::ValueKind::Int,
        sdk::ValueKind::Double => w::ValueKind::Double,
        sdk::ValueKind::Boolean => w::ValueKind::Boolean,
        sdk::ValueKind::Other => w::ValueKind::Other,
    }
}

fn origin_out(o: sdk::TextOrigin) -> w::TextOrigin {
    match o {
        sdk::TextOrigin::ResourceAttribute => w::TextOrigin::ResourceAttribute,
        sdk::TextOrigin::ScopeAttribute => w::TextOrigin::ScopeAttribute,
        sdk::TextOrigin::Attribute => w::TextOrigin::Attribute,
        sdk::TextOrigin::Name => w::TextOrigin::Name,
        sdk::TextOrigin::Body => w::TextOrigin::Body,
        sdk::TextOrigin::Event => w::TextOrigin::Event,
        sdk::TextOrigin::Link => w::TextOrigin::Link,
        sdk::TextOrigin::StatusMessage => w::TextOrigin::StatusMessage,
    }
}

/// Converts the WIT `signal` to the SDK's.
pub fn signal_in(s: w::Signal) -> sdk::Signal {
    match s {
        w::Signal::Span => sdk::Signal::Span,
        w::Signal::Log => sdk::Signal::Log,
        w::Signal::MetricPoint => sdk::Signal::MetricPoint,
    }
}

impl StoreState {
    fn batch(&mut self) -> wasmtime::Result<&mut BatchState> {
        self.batch
            .as_mut()
            .ok_or_else(|| wasmtime::format_err!("batch used outside of a `process` call"))
    }
}

impl w::HostRecords for StoreState {
    fn len(&mut self, _: Resource<BatchHandle>) -> wasmtime::Result<u32> {
        Ok(self.batch()?.len())
    }

    fn signal(&mut self, _: Resource<BatchHandle>) -> wasmtime::Result<w::Signal> {
        Ok(match self.batch()?.signal() {
            sdk::Signal::Span => w::Signal::Span,
            sdk::Signal::Log => w::Signal::Log,
            sdk::Signal::MetricPoint => w::Signal::MetricPoint,
        })
    }

    fn trace_ids(&mut self, _: Resource<BatchHandle>) -> wasmtime::Result<Vec<u8>> {
        Ok(self.batch()?.trace_ids())
    }

    fn span_ids(&mut self, _: Resource<BatchHandle>) -> wasmtime::Result<Vec<u8>> {
        Ok(self.batch()?.span_ids())
    }

    fn keys(
        &mut self,
        _: Resource<BatchHandle>,
        s: w::Scope,
    ) -> wasmtime::Result<w::PackedStrings> {
        Ok(packed_out(self.batch()?.keys(scope(s))))
    }

    fn column(&mut self, _: Resource<BatchHandle>, k: w::Key) -> wasmtime::Result<w::Column> {
        let c = self.batch()?.column(&key(k));
        Ok(w::Column {
            kinds: c.kinds.into_iter().map(kind_out).collect(),
            strings: packed_out(c.strings),
            ints: c.ints,
            doubles: c.doubles,
            bools: c.bools,
        })
    }

    fn set_column(
        &mut self,
        _: Resource<BatchHandle>,
        k: w::Key,
        v: w::Column,
    ) -> wasmtime::Result<Result<(), String>> {
        let column = sdk::Column {
            kinds: v.kinds.into_iter().map(kind_in).collect(),
            strings: packed_in(v.strings),
            ints: v.ints,
            doubles: v.doubles,
            bools: v.bools,
        };
        Ok(self.batch()?.set_column(&key(k), column))
    }

    fn remove(
        &mut self,
        _: Resource<BatchHandle>,
        k: w::Key,
        rows: Vec<u32>,
    ) -> wasmtime::Result<Result<(), String>> {
        Ok(self.batch()?.remove(&key(k), &rows))
    }

    fn texts(
        &mut self,
        _: Resource<BatchHandle>,
        rows: Vec<u32>,
    ) -> wasmtime::Result<Result<w::Texts, String>> {
        Ok(self.batch()?.texts(&rows).map(|t| w::Texts {
            ids: t.ids,
            rows: t.rows,
            origins: t.origins.into_iter().map(origin_out).collect(),
            keys: packed_out(t.keys),
            strings: packed_out(t.strings),
        }))
    }

    fn replace_texts(
        &mut self,
        _: Resource<BatchHandle>,
        ids: Vec<u32>,
        s: w::PackedStrings,
    ) -> wasmtime::Result<Result<(), String>> {
        Ok(self.batch()?.replace_texts(&ids, packed_in(s)))
    }

    fn drop_rows(
        &mut self,
        _: Resource<BatchHandle>,
        rows: Vec<u32>,
    ) -> wasmtime::Result<Result<(), String>> {
        Ok(self.batch()?.drop_rows(&rows))
    }

    fn add_destination(
        &mut self,
        _: Resource<BatchHandle>,
        rows: Vec<u32>,
        d: String,
    ) -> wasmtime::Result<Result<(), String>> {
        Ok(self.batch()?.add_destination(&rows, &d))
    }

    fn deny_destination(
        &mut self,
        _: Resource<BatchHandle>,
        rows: Vec<u32>,
        d: String,
    ) -> wasmtime::Result<Result<(), String>> {
        Ok(self.batch()?.deny_destination(&rows, &d))
    }

    fn count(
        &mut self,
        _: Resource<BatchHandle>,
        name: String,
        labels: Vec<(String, String)>,
        value: u64,
    ) -> wasmtime::Result<Result<(), String>> {
        let labels: Vec<(&str, &str)> = labels
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        Ok(self.batch()?.count(&name, &labels, value))
    }

    fn drop(&mut self, rep: Resource<BatchHandle>) -> wasmtime::Result<()> {
        self.table.delete(rep)?;
        Ok(())
    }
}

impl w::Host for StoreState {
    fn destinations(&mut self) -> wasmtime::Result<Vec<w::Destination>> {
        // Answered from the store, not the batch: plugins may ask during `init`.
        Ok(self
            .destinations
            .list()
            .iter()
            .cloned()
            .map(|d| w::Destination {
                name: d.name,
                region: d.region,
                third_party: d.third_party,
                retains: d.retains,
            })
            .collect())
    }
}

/// The `digest` import: the SDK's native functions, so a plugin hashes the same bytes
/// inside Wasm and in its native tests.
impl self::sluice::plugin::digest::Host for StoreState {
    fn sha256(&mut self, data: Vec<u8>) -> wasmtime::Result<Vec<u8>> {
        Ok(sdk::digest::sha256(&data).to_vec())
    }

    fn hmac_sha256(&mut self, key: Vec<u8>, data: Vec<u8>) -> wasmtime::Result<Vec<u8>> {
        Ok(sdk::digest::hmac_sha256(&key, &data).to_vec())
    }
}
