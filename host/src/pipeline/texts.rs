//! String leaves: every string anywhere in a row (attributes at any depth of nested maps
//! and arrays, log bodies, names, span events and links, status messages), listed with an id
//! so a scanner can replace exactly the leaves it changed.

use super::columns::FastSet;
use super::rows::RowLoc;
use crate::otlp::Payload;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value::Value};
use opentelemetry_proto::tonic::metrics::v1::Metric;
use sluice_plugin_sdk::{PackedStrings, TextOrigin, Texts};

/// Which string field of the OTLP tree a leaf starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Anchor {
    ResourceAttr(u32),
    ScopeAttr(u32),
    RecordAttr(u32),
    Name,
    Body,
    EventName(u32),
    EventAttr(u32, u32),
    LinkAttr(u32, u32),
    StatusMessage,
}

/// One string leaf: where it is, so it can be replaced after the plugin returns.
#[derive(Debug, Clone)]
pub struct Leaf {
    loc: RowLoc,
    anchor: Anchor,
    /// Positions inside nested arrays / maps below the anchor.
    path: Vec<u32>,
}

/// What a walk over the leaves adds up, so the lists can be allocated once: growing them
/// as they fill copied a batch's text a second time.
#[derive(Default)]
struct Sizes {
    leaves: usize,
    key_bytes: usize,
    string_bytes: usize,
}

/// Collects leaves into the packed lists of a [`Texts`] answer and the leaf table; or, with
/// `sizes` set, only measures them.
struct Collector<'t> {
    table: &'t mut Vec<Leaf>,
    out: Texts,
    key: String,
    sizes: Option<Sizes>,
}

impl Collector<'_> {
    fn leaf(
        &mut self,
        row: u32,
        loc: RowLoc,
        origin: TextOrigin,
        anchor: Anchor,
        path: &[u32],
        s: &str,
    ) {
        if let Some(sizes) = &mut self.sizes {
            sizes.leaves += 1;
            sizes.key_bytes += self.key.len();
            sizes.string_bytes += s.len();
            return;
        }
        self.out.ids.push(self.table.len() as u32);
        self.table.push(Leaf {
            loc,
            anchor,
            path: path.to_vec(),
        });
        self.out.rows.push(row);
        self.out.origins.push(origin);
        self.out.keys.push(&self.key);
        self.out.strings.push(s);
    }

    fn attrs(
        &mut self,
        row: u32,
        loc: RowLoc,
        origin: TextOrigin,
        attrs: &[KeyValue],
        anchor: impl Fn(u32) -> Anchor,
    ) {
        for (a, kv) in attrs.iter().enumerate() {
            self.key.clear();
            self.key.push_str(&kv.key);
            if let Some(v) = &kv.value {
                self.value(row, loc, origin, anchor(a as u32), &mut Vec::new(), v);
            }
        }
        self.key.clear();
    }

    fn value(
        &mut self,
        row: u32,
        loc: RowLoc,
        origin: TextOrigin,
        anchor: Anchor,
        path: &mut Vec<u32>,
        v: &AnyValue,
    ) {
        match &v.value {
            Some(Value::StringValue(s)) => self.leaf(row, loc, origin, anchor, path, s),
            Some(Value::ArrayValue(arr)) => {
                for (i, item) in arr.values.iter().enumerate() {
                    path.push(i as u32);
                    self.value(row, loc, origin, anchor, path, item);
                    path.pop();
                }
            }
            Some(Value::KvlistValue(list)) => {
                for (i, kv) in list.values.iter().enumerate() {
                    let len = self.key.len();
                    if !self.key.is_empty() {
                        self.key.push('.');
                    }
                    self.key.push_str(&kv.key);
                    path.push(i as u32);
                    if let Some(item) = &kv.value {
                        self.value(row, loc, origin, anchor, path, item);
                    }
                    path.pop();
                    self.key.truncate(len);
                }
            }
            _ => {}
        }
    }

    fn plain(&mut self, row: u32, loc: RowLoc, origin: TextOrigin, anchor: Anchor, s: &str) {
        if !s.is_empty() {
            self.key.clear();
            self.leaf(row, loc, origin, anchor, &[], s);
        }
    }
}

/// Lists the string leaves of `wanted` rows (indices into `rows`), appending them to `table`
/// so their ids stay valid for the rest of the plugin call.
pub fn collect(payload: &Payload, rows: &[RowLoc], wanted: &[u32], table: &mut Vec<Leaf>) -> Texts {
    let mut c = Collector {
        table,
        out: Texts::default(),
        key: String::new(),
        sizes: Some(Sizes::default()),
    };
    walk(&mut c, payload, rows, wanted);
    let sizes = c.sizes.take().unwrap_or_default();
    let n = sizes.leaves;
    c.out = Texts {
        ids: Vec::with_capacity(n),
        rows: Vec::with_capacity(n),
        origins: Vec::with_capacity(n),
        keys: PackedStrings::with_capacity(n, sizes.key_bytes),
        strings: PackedStrings::with_capacity(n, sizes.string_bytes),
    };
    c.table.reserve(n);
    walk(&mut c, payload, rows, wanted);
    c.out
}

/// Visits the leaves of `wanted` rows in listing order.
fn walk(c: &mut Collector<'_>, payload: &Payload, rows: &[RowLoc], wanted: &[u32]) {
    // Shared resource and scope leaves are listed once, under the first row that has them.
    let mut seen_resources = FastSet::default();
    let mut seen_scopes = FastSet::default();
    for &row in wanted {
        let loc = rows[row as usize];
        if seen_resources.insert(loc.resource) {
            let attrs = super::rows::attrs(payload, loc, sluice_plugin_sdk::Scope::Resource);
            c.attrs(
                row,
                loc,
                TextOrigin::ResourceAttribute,
                attrs,
                Anchor::ResourceAttr,
            );
        }
        if seen_scopes.insert((loc.resource, loc.scope)) {
            let attrs =
                super::rows::attrs(payload, loc, sluice_plugin_sdk::Scope::InstrumentationScope);
            c.attrs(
                row,
                loc,
                TextOrigin::ScopeAttribute,
                attrs,
                Anchor::ScopeAttr,
            );
        }
        record_leaves(c, payload, row, loc);
    }
}

fn record_leaves(c: &mut Collector<'_>, payload: &Payload, row: u32, loc: RowLoc) {
    let (r, s, i) = (
        loc.resource as usize,
        loc.scope as usize,
        loc.record as usize,
    );
    match payload {
        Payload::Traces(req) => {
            let Some(span) = req
                .resource_spans
                .get(r)
                .and_then(|x| x.scope_spans.get(s))
                .and_then(|x| x.spans.get(i))
            else {
                return;
            };
            c.plain(row, loc, TextOrigin::Name, Anchor::Name, &span.name);
            c.attrs(
                row,
                loc,
                TextOrigin::Attribute,
                &span.attributes,
                Anchor::RecordAttr,
            );
            for (e, ev) in span.events.iter().enumerate() {
                c.plain(
                    row,
                    loc,
                    TextOrigin::Event,
                    Anchor::EventName(e as u32),
                    &ev.name,
                );
                c.attrs(row, loc, TextOrigin::Event, &ev.attributes, |a| {
                    Anchor::EventAttr(e as u32, a)
                });
            }
            for (l, link) in span.links.iter().enumerate() {
                c.attrs(row, loc, TextOrigin::Link, &link.attributes, |a| {
                    Anchor::LinkAttr(l as u32, a)
                });
            }
            if let Some(status) = &span.status {
                c.plain(
                    row,
                    loc,
                    TextOrigin::StatusMessage,
                    Anchor::StatusMessage,
                    &status.message,
                );
            }
        }
        Payload::Logs(req) => {
            let Some(log) = req
                .resource_logs
                .get(r)
                .and_then(|x| x.scope_logs.get(s))
                .and_then(|x| x.log_records.get(i))
            else {
                return;
            };
            c.plain(row, loc, TextOrigin::Name, Anchor::Name, &log.event_name);
            if let Some(body) = &log.body {
                c.key.clear();
                c.value(
                    row,
                    loc,
                    TextOrigin::Body,
                    Anchor::Body,
                    &mut Vec::new(),
                    body,
                );
            }
            c.attrs(
                row,
                loc,
                TextOrigin::Attribute,
                &log.attributes,
                Anchor::RecordAttr,
            );
        }
        Payload::Metrics(req) => {
            let Some(m) = req
                .resource_metrics
                .get(r)
                .and_then(|x| x.scope_metrics.get(s))
                .and_then(|x| x.metrics.get(i))
            else {
                return;
            };
            c.plain(row, loc, TextOrigin::Name, Anchor::Name, &m.name);
            let attrs = super::rows::attrs(payload, loc, sluice_plugin_sdk::Scope::Record);
            c.attrs(row, loc, TextOrigin::Attribute, attrs, Anchor::RecordAttr);
        }
    }
}

/// Replaces the string at `leaf` with `new`. A leaf that is no longer a string (another
/// edit of the same call changed it) is left alone.
pub fn replace(payload: &mut Payload, leaf: &Leaf, new: &str) {
    if let Some(slot) = locate(payload, leaf) {
        // In place: a redacted value is rarely longer than the original, so its buffer is
        // reused instead of allocating a new one and freeing the old.
        slot.clear();
        slot.push_str(new);
    }
}

fn locate<'p>(payload: &'p mut Payload, leaf: &Leaf) -> Option<&'p mut String> {
    use sluice_plugin_sdk::Scope;
    let loc = leaf.loc;
    let (r, s, i) = (
        loc.resource as usize,
        loc.scope as usize,
        loc.record as usize,
    );
    let in_attrs = |attrs: &'p mut Vec<KeyValue>, a: u32| -> Option<&'p mut String> {
        descend(attrs.get_mut(a as usize)?.value.as_mut()?, &leaf.path)
    };
    match leaf.anchor {
        Anchor::ResourceAttr(a) => {
            in_attrs(super::rows::attrs_mut(payload, loc, Scope::Resource)?, a)
        }
        Anchor::ScopeAttr(a) => in_attrs(
            super::rows::attrs_mut(payload, loc, Scope::InstrumentationScope)?,
            a,
        ),
        Anchor::RecordAttr(a) => in_attrs(super::rows::attrs_mut(payload, loc, Scope::Record)?, a),
        anchor => match payload {
            Payload::Traces(req) => {
                let span = req
                    .resource_spans
                    .get_mut(r)?
                    .scope_spans
                    .get_mut(s)?
                    .spans
                    .get_mut(i)?;
                match anchor {
                    Anchor::Name => Some(&mut span.name),
                    Anchor::StatusMessage => Some(&mut span.status.as_mut()?.message),
                    Anchor::EventName(e) => Some(&mut span.events.get_mut(e as usize)?.name),
                    Anchor::EventAttr(e, a) => {
                        in_attrs(&mut span.events.get_mut(e as usize)?.attributes, a)
                    }
                    Anchor::LinkAttr(l, a) => {
                        in_attrs(&mut span.links.get_mut(l as usize)?.attributes, a)
                    }
                    _ => None,
                }
            }
            Payload::Logs(req) => {
                let log = req
                    .resource_logs
                    .get_mut(r)?
                    .scope_logs
                    .get_mut(s)?
                    .log_records
                    .get_mut(i)?;
                match anchor {
                    Anchor::Name => Some(&mut log.event_name),
                    Anchor::Body => descend(log.body.as_mut()?, &leaf.path),
                    _ => None,
                }
            }
            Payload::Metrics(req) => {
                let m: &mut Metric = req
                    .resource_metrics
                    .get_mut(r)?
                    .scope_metrics
                    .get_mut(s)?
                    .metrics
                    .get_mut(i)?;
                (anchor == Anchor::Name).then_some(&mut m.name)
            }
        },
    }
}

fn descend<'v>(mut v: &'v mut AnyValue, path: &[u32]) -> Option<&'v mut String> {
    for &step in path {
        v = match v.value.as_mut()? {
            Value::ArrayValue(arr) => arr.values.get_mut(step as usize)?,
            Value::KvlistValue(list) => list.values.get_mut(step as usize)?.value.as_mut()?,
            _ => return None,
        };
    }
    match v.value.as_mut()? {
        Value::StringValue(s) => Some(s),
        _ => None,
    }
}
