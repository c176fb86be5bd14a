//! OTLP payloads: the three export requests as one type, and the file formats sluice reads
//! and writes (JSON lines as the Collector's file exporter writes them, and protobuf).
//!
//! OTLP is decoded once, at the edge, into the `opentelemetry-proto` prost types; the
//! pipeline edits those in place and they are encoded once, at the exporter.

pub mod json;
pub mod protobuf;
pub mod wire;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use sluice_plugin_sdk::Signal;

/// One OTLP export request of any signal.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    /// Spans.
    Traces(ExportTraceServiceRequest),
    /// Log records.
    Logs(ExportLogsServiceRequest),
    /// Metrics (rows are their data points).
    Metrics(ExportMetricsServiceRequest),
}

impl Payload {
    /// The signal of the payload's rows.
    pub fn signal(&self) -> Signal {
        match self {
            Payload::Traces(_) => Signal::Span,
            Payload::Logs(_) => Signal::Log,
            Payload::Metrics(_) => Signal::MetricPoint,
        }
    }

    /// Its rows: spans, log records or metric data points.
    pub fn record_count(&self) -> usize {
        match self {
            Payload::Traces(r) => r
                .resource_spans
                .iter()
                .flat_map(|x| &x.scope_spans)
                .map(|s| s.spans.len())
                .sum(),
            Payload::Logs(r) => r
                .resource_logs
                .iter()
                .flat_map(|x| &x.scope_logs)
                .map(|s| s.log_records.len())
                .sum(),
            Payload::Metrics(r) => r
                .resource_metrics
                .iter()
                .flat_map(|x| &x.scope_metrics)
                .flat_map(|s| &s.metrics)
                .map(crate::pipeline::rows::point_count)
                .sum(),
        }
    }

    /// Whether it holds no resource at all.
    pub fn is_empty(&self) -> bool {
        match self {
            Payload::Traces(r) => r.resource_spans.is_empty(),
            Payload::Logs(r) => r.resource_logs.is_empty(),
            Payload::Metrics(r) => r.resource_metrics.is_empty(),
        }
    }
}

/// The name sluice uses for a signal in logs, metrics and CLI flags.
pub fn signal_name(signal: Signal) -> &'static str {
    match signal {
        Signal::Span => "traces",
        Signal::Log => "logs",
        Signal::MetricPoint => "metrics",
    }
}
