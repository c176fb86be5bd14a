//! Intrinsic fields: a record's own fields (span name, status, times; log severity; metric
//! name) read as read-only record-scope columns under names starting with `@`, so plugins
//! can see what OTLP keeps outside attributes without a new contract call. OpenTelemetry
//! attribute names never start with `@` (semantic conventions use lowercase dotted names).
//!
//! | name | spans | logs | metric points |
//! |---|---|---|---|
//! | `@name` | span name | event name | metric name |
//! | `@kind` | `internal`, `server`, `client`, `producer`, `consumer` | | |
//! | `@status.code` | `unset`, `ok`, `error` | | |
//! | `@status.message` | status message | | |
//! | `@trace_state` | W3C tracestate | | |
//! | `@time_unix_nano` | end time | time (else observed time) | time |
//! | `@start_time_unix_nano` | start time | | start time |
//! | `@duration_nano` | end − start | | |
//! | `@severity_number` | | severity number | |
//! | `@severity_text` | | severity text | |
//! | `@body` | | body, when it is a string | |
//!
//! Empty strings and zero times read as absent.

use super::rows::RowLoc;
use crate::otlp::Payload;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use opentelemetry_proto::tonic::trace::v1::{Span, span::SpanKind, status::StatusCode};

/// What starts an intrinsic field's name.
pub const PREFIX: char = '@';

/// Whether a record-scope key names an intrinsic field.
pub fn is_intrinsic(name: &str) -> bool {
    name.starts_with(PREFIX)
}

/// One intrinsic value.
pub enum Intrinsic<'a> {
    /// A string.
    Str(&'a str),
    /// An integer.
    Int(i64),
}

fn nonzero(t: u64) -> Option<Intrinsic<'static>> {
    (t != 0).then_some(Intrinsic::Int(t as i64))
}

fn text(s: &str) -> Option<Intrinsic<'_>> {
    (!s.is_empty()).then_some(Intrinsic::Str(s))
}

fn span_field<'a>(span: &'a Span, name: &str) -> Option<Intrinsic<'a>> {
    match name {
        "@name" => text(&span.name),
        "@kind" => match SpanKind::try_from(span.kind).ok()? {
            SpanKind::Internal => Some(Intrinsic::Str("internal")),
            SpanKind::Server => Some(Intrinsic::Str("server")),
            SpanKind::Client => Some(Intrinsic::Str("client")),
            SpanKind::Producer => Some(Intrinsic::Str("producer")),
            SpanKind::Consumer => Some(Intrinsic::Str("consumer")),
            SpanKind::Unspecified => None,
        },
        "@status.code" => Some(Intrinsic::Str(
            match span
                .status
                .as_ref()
                .and_then(|s| StatusCode::try_from(s.code).ok())
            {
                Some(StatusCode::Ok) => "ok",
                Some(StatusCode::Error) => "error",
                _ => "unset",
            },
        )),
        "@status.message" => text(&span.status.as_ref()?.message),
        "@trace_state" => text(&span.trace_state),
        "@time_unix_nano" => nonzero(span.end_time_unix_nano),
        "@start_time_unix_nano" => nonzero(span.start_time_unix_nano),
        "@duration_nano" => {
            (span.start_time_unix_nano != 0 && span.end_time_unix_nano != 0).then(|| {
                Intrinsic::Int(
                    span.end_time_unix_nano
                        .saturating_sub(span.start_time_unix_nano) as i64,
                )
            })
        }
        _ => None,
    }
}

/// Intrinsic field `name` of the row at `loc`, if it has one.
pub fn read<'p>(payload: &'p Payload, loc: RowLoc, name: &str) -> Option<Intrinsic<'p>> {
    let (r, s, i, p) = (
        loc.resource as usize,
        loc.scope as usize,
        loc.record as usize,
        loc.point as usize,
    );
    match payload {
        Payload::Traces(req) => {
            let span = req
                .resource_spans
                .get(r)?
                .scope_spans
                .get(s)?
                .spans
                .get(i)?;
            span_field(span, name)
        }
        Payload::Logs(req) => {
            let log = req
                .resource_logs
                .get(r)?
                .scope_logs
                .get(s)?
                .log_records
                .get(i)?;
            match name {
                "@name" => text(&log.event_name),
                "@time_unix_nano" => {
                    nonzero(log.time_unix_nano).or_else(|| nonzero(log.observed_time_unix_nano))
                }
                "@severity_number" => {
                    (log.severity_number != 0).then_some(Intrinsic::Int(log.severity_number as i64))
                }
                "@severity_text" => text(&log.severity_text),
                "@body" => match log.body.as_ref()?.value.as_ref()? {
                    Value::StringValue(s) => text(s),
                    _ => None,
                },
                _ => None,
            }
        }
        Payload::Metrics(req) => {
            let metric = req
                .resource_metrics
                .get(r)?
                .scope_metrics
                .get(s)?
                .metrics
                .get(i)?;
            let times = match metric.data.as_ref()? {
                Data::Gauge(g) => g
                    .data_points
                    .get(p)
                    .map(|d| (d.start_time_unix_nano, d.time_unix_nano)),
                Data::Sum(g) => g
                    .data_points
                    .get(p)
                    .map(|d| (d.start_time_unix_nano, d.time_unix_nano)),
                Data::Histogram(g) => g
                    .data_points
                    .get(p)
                    .map(|d| (d.start_time_unix_nano, d.time_unix_nano)),
                Data::ExponentialHistogram(g) => g
                    .data_points
                    .get(p)
                    .map(|d| (d.start_time_unix_nano, d.time_unix_nano)),
                Data::Summary(g) => g
                    .data_points
                    .get(p)
                    .map(|d| (d.start_time_unix_nano, d.time_unix_nano)),
            };
            match name {
                "@name" => text(&metric.name),
                "@time_unix_nano" => nonzero(times?.1),
                "@start_time_unix_nano" => nonzero(times?.0),
                _ => None,
            }
        }
    }
}

/// The refusal of an edit to an intrinsic field.
pub fn read_only(name: &str) -> String {
    format!("`{name}` is an intrinsic field (names starting with `@`) and cannot be set or removed")
}
