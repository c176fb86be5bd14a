//! The Wasm side: generated bindings and the bridge from the imported `records`
//! resource to [`RecordsApi`]. Only compiled for `wasm32`.

use crate::api::RecordsApi;
use crate::types::{self as t};

/// Bindings generated from `wit/plugin.wit`.
///
/// The path is the SDK crate's own `wit/`: in the sluice repository a symlink to the
/// workspace's `wit/`, in a crate made by `sluice plugin new` a vendored copy of the contract,
/// so the same source builds in both layouts.
#[allow(missing_docs, clippy::all)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "wit",
        world: "plugin",
        pub_export_macro: true,
    });
}

use bindings::sluice::plugin::batch as w;

/// The borrowed `records` handle a plugin's `process` receives.
pub type RecordsRef<'a> = &'a w::Records;

/// [`RecordsApi`] over the imported resource.
pub struct GuestRecords<'a> {
    inner: &'a w::Records,
}

impl<'a> GuestRecords<'a> {
    /// Wraps the borrowed handle.
    pub fn new(inner: &'a w::Records) -> Self {
        GuestRecords { inner }
    }
}

/// Converts the SDK's `Info` into the exported WIT record.
pub fn info_to_wit(info: t::Info) -> bindings::Info {
    bindings::Info {
        name: info.name,
        version: info.version,
        signals: info.signals.into_iter().map(signal_to_wit).collect(),
    }
}

fn signal_to_wit(s: t::Signal) -> w::Signal {
    match s {
        t::Signal::Span => w::Signal::Span,
        t::Signal::Log => w::Signal::Log,
        t::Signal::MetricPoint => w::Signal::MetricPoint,
    }
}

fn scope_to_wit(s: t::Scope) -> w::Scope {
    match s {
        t::Scope::Resource => w::Scope::Resource,
        t::Scope::InstrumentationScope => w::Scope::InstrumentationScope,
        t::Scope::Record => w::Scope::Record,
    }
}

fn key_to_wit(k: &t::Key) -> w::Key {
    w::Key {
        scope: scope_to_wit(k.scope),
        name: k.name.clone(),
    }
}

fn packed_from_wit(p: w::PackedStrings) -> t::PackedStrings {
    t::PackedStrings {
        bytes: p.bytes,
        offsets: p.offsets,
    }
}

fn packed_to_wit(p: t::PackedStrings) -> w::PackedStrings {
    w::PackedStrings {
        bytes: p.bytes,
        offsets: p.offsets,
    }
}

fn kind_from_wit(k: w::ValueKind) -> t::ValueKind {
    match k {
        w::ValueKind::Absent => t::ValueKind::Absent,
        w::ValueKind::Str => t::ValueKind::Str,
        w::ValueKind::Int => t::ValueKind::Int,
        w::ValueKind::Double => t::ValueKind::Double,
        w::ValueKind::Boolean => t::ValueKind::Boolean,
        w::ValueKind::Other => t::ValueKind::Other,
    }
}

fn kind_to_wit(k: t::ValueKind) -> w::ValueKind {
    match k {
        t::ValueKind::Absent => w::ValueKind::Absent,
        t::ValueKind::Str => w::ValueKind::Str,
        t::ValueKind::Int => w::ValueKind::Int,
        t::ValueKind::Double => w::ValueKind::Double,
        t::ValueKind::Boolean => w::ValueKind::Boolean,
        t::ValueKind::Other => w::ValueKind::Other,
    }
}

fn origin_from_wit(o: w::TextOrigin) -> t::TextOrigin {
    match o {
        w::TextOrigin::ResourceAttribute => t::TextOrigin::ResourceAttribute,
        w::TextOrigin::ScopeAttribute => t::TextOrigin::ScopeAttribute,
        w::TextOrigin::Attribute => t::TextOrigin::Attribute,
        w::TextOrigin::Name => t::TextOrigin::Name,
        w::TextOrigin::Body => t::TextOrigin::Body,
        w::TextOrigin::Event => t::TextOrigin::Event,
        w::TextOrigin::Link => t::TextOrigin::Link,
        w::TextOrigin::StatusMessage => t::TextOrigin::StatusMessage,
    }
}

impl RecordsApi for GuestRecords<'_> {
    fn len(&self) -> u32 {
        self.inner.len()
    }

    fn signal(&self) -> t::Signal {
        match self.inner.signal() {
            w::Signal::Span => t::Signal::Span,
            w::Signal::Log => t::Signal::Log,
            w::Signal::MetricPoint => t::Signal::MetricPoint,
        }
    }

    fn trace_ids(&self) -> Vec<u8> {
        self.inner.trace_ids()
    }

    fn span_ids(&self) -> Vec<u8> {
        self.inner.span_ids()
    }

    fn keys(&self, scope: t::Scope) -> t::PackedStrings {
        packed_from_wit(self.inner.keys(scope_to_wit(scope)))
    }

    fn column(&self, key: &t::Key) -> t::Column {
        let c = self.inner.column(&key_to_wit(key));
        t::Column {
            kinds: c.kinds.into_iter().map(kind_from_wit).collect(),
            strings: packed_from_wit(c.strings),
            ints: c.ints,
            doubles: c.doubles,
            bools: c.bools,
        }
    }

    fn set_column(&mut self, key: &t::Key, values: t::Column) -> Result<(), String> {
        let c = w::Column {
            kinds: values.kinds.into_iter().map(kind_to_wit).collect(),
            strings: packed_to_wit(values.strings),
            ints: values.ints,
            doubles: values.doubles,
            bools: values.bools,
        };
        self.inner.set_column(&key_to_wit(key), &c)
    }

    fn remove(&mut self, key: &t::Key, rows: &[u32]) -> Result<(), String> {
        self.inner.remove(&key_to_wit(key), rows)
    }

    fn texts(&mut self, rows: &[u32]) -> Result<t::Texts, String> {
        let x = self.inner.texts(rows)?;
        Ok(t::Texts {
            ids: x.ids,
            rows: x.rows,
            origins: x.origins.into_iter().map(origin_from_wit).collect(),
            keys: packed_from_wit(x.keys),
            strings: packed_from_wit(x.strings),
        })
    }

    fn replace_texts(&mut self, ids: &[u32], strings: t::PackedStrings) -> Result<(), String> {
        self.inner.replace_texts(ids, &packed_to_wit(strings))
    }

    fn drop_rows(&mut self, rows: &[u32]) -> Result<(), String> {
        self.inner.drop_rows(rows)
    }

    fn add_destination(&mut self, rows: &[u32], destination: &str) -> Result<(), String> {
        self.inner.add_destination(rows, destination)
    }

    fn deny_destination(&mut self, rows: &[u32], destination: &str) -> Result<(), String> {
        self.inner.deny_destination(rows, destination)
    }

    fn count(&mut self, name: &str, labels: &[(&str, &str)], value: u64) -> Result<(), String> {
        let labels: Vec<(String, String)> = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.inner.count(name, &labels, value)
    }

    fn destinations(&self) -> Vec<t::Destination> {
        w::destinations()
            .into_iter()
            .map(|d| t::Destination {
                name: d.name,
                region: d.region,
                third_party: d.third_party,
                retains: d.retains,
            })
            .collect()
    }
}
