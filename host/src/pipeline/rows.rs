//! Rows: where each record of a payload lives, and access to its attribute lists.
//!
//! A row is a span, a log record or one metric data point. Its [`RowLoc`] is the chain of
//! indices down the OTLP tree, so the pipeline edits the prost structures in place instead of
//! copying records into a representation of its own.

use crate::otlp::Payload;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::metrics::v1::{Metric, metric::Data};
use opentelemetry_proto::tonic::resource::v1::Resource;
use sluice_plugin_sdk::Scope;

/// Where a row lives: resource, scope, record (span / log / metric) and, for metrics, point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RowLoc {
    /// Index into `resource_*`.
    pub resource: u32,
    /// Index into `scope_*` of that resource.
    pub scope: u32,
    /// Index of the span, log record or metric in that scope.
    pub record: u32,
    /// Index of the data point in the metric; 0 for spans and logs.
    pub point: u32,
}

/// Every row of a payload, in payload order.
pub fn index(payload: &Payload) -> Vec<RowLoc> {
    let mut rows = Vec::new();
    let loc = |r: usize, s: usize, i: usize, p: usize| RowLoc {
        resource: r as u32,
        scope: s as u32,
        record: i as u32,
        point: p as u32,
    };
    match payload {
        Payload::Traces(req) => {
            for (r, rs) in req.resource_spans.iter().enumerate() {
                for (s, ss) in rs.scope_spans.iter().enumerate() {
                    rows.extend((0..ss.spans.len()).map(|i| loc(r, s, i, 0)));
                }
            }
        }
        Payload::Logs(req) => {
            for (r, rl) in req.resource_logs.iter().enumerate() {
                for (s, sl) in rl.scope_logs.iter().enumerate() {
                    rows.extend((0..sl.log_records.len()).map(|i| loc(r, s, i, 0)));
                }
            }
        }
        Payload::Metrics(req) => {
            for (r, rm) in req.resource_metrics.iter().enumerate() {
                for (s, sm) in rm.scope_metrics.iter().enumerate() {
                    for (i, m) in sm.metrics.iter().enumerate() {
                        rows.extend((0..point_count(m)).map(|p| loc(r, s, i, p)));
                    }
                }
            }
        }
    }
    rows
}

/// The number of data points of a metric.
pub fn point_count(m: &Metric) -> usize {
    match &m.data {
        Some(Data::Gauge(g)) => g.data_points.len(),
        Some(Data::Sum(s)) => s.data_points.len(),
        Some(Data::Histogram(h)) => h.data_points.len(),
        Some(Data::ExponentialHistogram(e)) => e.data_points.len(),
        Some(Data::Summary(s)) => s.data_points.len(),
        None => 0,
    }
}

fn point_attrs(m: &Metric, p: usize) -> &[KeyValue] {
    let attrs = match &m.data {
        Some(Data::Gauge(g)) => g.data_points.get(p).map(|d| &d.attributes),
        Some(Data::Sum(s)) => s.data_points.get(p).map(|d| &d.attributes),
        Some(Data::Histogram(h)) => h.data_points.get(p).map(|d| &d.attributes),
        Some(Data::ExponentialHistogram(e)) => e.data_points.get(p).map(|d| &d.attributes),
        Some(Data::Summary(s)) => s.data_points.get(p).map(|d| &d.attributes),
        None => None,
    };
    attrs.map(Vec::as_slice).unwrap_or(&[])
}

fn point_attrs_mut(m: &mut Metric, p: usize) -> Option<&mut Vec<KeyValue>> {
    match &mut m.data {
        Some(Data::Gauge(g)) => g.data_points.get_mut(p).map(|d| &mut d.attributes),
        Some(Data::Sum(s)) => s.data_points.get_mut(p).map(|d| &mut d.attributes),
        Some(Data::Histogram(h)) => h.data_points.get_mut(p).map(|d| &mut d.attributes),
        Some(Data::ExponentialHistogram(e)) => e.data_points.get_mut(p).map(|d| &mut d.attributes),
        Some(Data::Summary(s)) => s.data_points.get_mut(p).map(|d| &mut d.attributes),
        None => None,
    }
}

fn resource_attrs(resource: &Option<Resource>) -> &[KeyValue] {
    resource
        .as_ref()
        .map(|r| r.attributes.as_slice())
        .unwrap_or(&[])
}

/// The attribute list `scope` of row `loc` (empty when it does not exist).
pub fn attrs(payload: &Payload, loc: RowLoc, scope: Scope) -> &[KeyValue] {
    let (r, s, i, p) = (
        loc.resource as usize,
        loc.scope as usize,
        loc.record as usize,
        loc.point as usize,
    );
    let empty: &[KeyValue] = &[];
    match payload {
        Payload::Traces(req) => req.resource_spans.get(r).map_or(empty, |rs| match scope {
            Scope::Resource => resource_attrs(&rs.resource),
            Scope::InstrumentationScope => rs
                .scope_spans
                .get(s)
                .and_then(|ss| ss.scope.as_ref())
                .map_or(empty, |sc| &sc.attributes),
            Scope::Record => rs
                .scope_spans
                .get(s)
                .and_then(|ss| ss.spans.get(i))
                .map_or(empty, |x| &x.attributes),
        }),
        Payload::Logs(req) => req.resource_logs.get(r).map_or(empty, |rl| match scope {
            Scope::Resource => resource_attrs(&rl.resource),
            Scope::InstrumentationScope => rl
                .scope_logs
                .get(s)
                .and_then(|sl| sl.scope.as_ref())
                .map_or(empty, |sc| &sc.attributes),
            Scope::Record => rl
                .scope_logs
                .get(s)
                .and_then(|sl| sl.log_records.get(i))
                .map_or(empty, |x| &x.attributes),
        }),
        Payload::Metrics(req) => req.resource_metrics.get(r).map_or(empty, |rm| match scope {
            Scope::Resource => resource_attrs(&rm.resource),
            Scope::InstrumentationScope => rm
                .scope_metrics
                .get(s)
                .and_then(|sm| sm.scope.as_ref())
                .map_or(empty, |sc| &sc.attributes),
            Scope::Record => rm
                .scope_metrics
                .get(s)
                .and_then(|sm| sm.metrics.get(i))
                .map_or(empty, |m| point_attrs(m, p)),
        }),
    }
}

/// The attribute list `scope` of row `loc`, created (empty resource or scope) when missing.
pub fn attrs_mut(payload: &mut Payload, loc: RowLoc, scope: Scope) -> Option<&mut Vec<KeyValue>> {
    let (r, s, i, p) = (
        loc.resource as usize,
        loc.scope as usize,
        loc.record as usize,
        loc.point as usize,
    );
    match payload {
        Payload::Traces(req) => {
            let rs = req.resource_spans.get_mut(r)?;
            match scope {
                Scope::Resource => {
                    Some(&mut rs.resource.get_or_insert_with(Default::default).attributes)
                }
                Scope::InstrumentationScope => Some(
                    &mut rs
                        .scope_spans
                        .get_mut(s)?
                        .scope
                        .get_or_insert_with(Default::default)
                        .attributes,
                ),
                Scope::Record => Some(&mut rs.scope_spans.get_mut(s)?.spans.get_mut(i)?.attributes),
            }
        }
        Payload::Logs(req) => {
            let rl = req.resource_logs.get_mut(r)?;
            match scope {
                Scope::Resource => {
                    Some(&mut rl.resource.get_or_insert_with(Default::default).attributes)
                }
                Scope::InstrumentationScope => Some(
                    &mut rl
                        .scope_logs
                        .get_mut(s)?
                        .scope
                        .get_or_insert_with(Default::default)
                        .attributes,
                ),
                Scope::Record => {
                    Some(&mut rl.scope_logs.get_mut(s)?.log_records.get_mut(i)?.attributes)
                }
            }
        }
        Payload::Metrics(req) => {
            let rm = req.resource_metrics.get_mut(r)?;
            match scope {
                Scope::Resource => {
                    Some(&mut rm.resource.get_or_insert_with(Default::default).attributes)
                }
                Scope::InstrumentationScope => Some(
                    &mut rm
                        .scope_metrics
                        .get_mut(s)?
                        .scope
                        .get_or_insert_with(Default::default)
                        .attributes,
                ),
                Scope::Record => {
                    point_attrs_mut(rm.scope_metrics.get_mut(s)?.metrics.get_mut(i)?, p)
                }
            }
        }
    }
}

/// The trace id (16 bytes) and span id (8 bytes) of a row; empty slices where it has none.
pub fn ids(payload: &Payload, loc: RowLoc) -> (&[u8], &[u8]) {
    let (r, s, i) = (
        loc.resource as usize,
        loc.scope as usize,
        loc.record as usize,
    );
    match payload {
        Payload::Traces(req) => req
            .resource_spans
            .get(r)
            .and_then(|rs| rs.scope_spans.get(s))
            .and_then(|ss| ss.spans.get(i))
            .map_or((&[][..], &[][..]), |x| (&x.trace_id[..], &x.span_id[..])),
        Payload::Logs(req) => req
            .resource_logs
            .get(r)
            .and_then(|rl| rl.scope_logs.get(s))
            .and_then(|sl| sl.log_records.get(i))
            .map_or((&[][..], &[][..]), |x| (&x.trace_id[..], &x.span_id[..])),
        Payload::Metrics(_) => (&[], &[]),
    }
}
