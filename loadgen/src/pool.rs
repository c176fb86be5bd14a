//! A pool of pre-encoded OTLP export requests, generated before the clock starts so that
//! generation and encoding cost stay off the measured path.

use crate::attrs::{STAMP_PLACEHOLDER, resource, scope};
use crate::content::Tenants;
use crate::{signals, traces};
use bytes::Bytes;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::logs::v1::{ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::metrics::v1::{ResourceMetrics, ScopeMetrics};
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans};
use prost::Message;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use std::time::{SystemTime, UNIX_EPOCH};

/// An OTLP signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    /// Spans.
    Traces,
    /// Log records.
    Logs,
    /// Metric data points.
    Metrics,
}

impl Signal {
    /// The gRPC method path of the signal's export.
    pub fn grpc_path(self) -> &'static str {
        match self {
            Signal::Traces => "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
            Signal::Logs => "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
            Signal::Metrics => "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
        }
    }

    /// The OTLP/HTTP path of the signal.
    pub fn http_path(self) -> &'static str {
        match self {
            Signal::Traces => "/v1/traces",
            Signal::Logs => "/v1/logs",
            Signal::Metrics => "/v1/metrics",
        }
    }

    /// Index into per-signal arrays: traces 0, logs 1, metrics 2.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// What the generated telemetry looks like.
#[derive(Debug, Clone)]
pub struct Shape {
    /// Records per request (spans, log records or metric data points).
    pub batch: usize,
    /// Number of tenants.
    pub tenants: usize,
    /// Zipf exponent of tenant popularity (0: uniform).
    pub zipf: f64,
    /// Share of prompts, answers and log records that carry a fake secret.
    pub secret_share: f64,
    /// Share of requests that are logs.
    pub logs_share: f64,
    /// Share of requests that are metrics.
    pub metrics_share: f64,
    /// Smallest prompt / answer content, bytes.
    pub content_min: usize,
    /// Largest prompt / answer content, bytes.
    pub content_max: usize,
    /// Reserve a send-time stamp in every request's resource.
    pub stamp: bool,
    /// Random seed: the same seed gives the same pool.
    pub seed: u64,
}

impl Default for Shape {
    fn default() -> Self {
        Shape {
            batch: 100,
            tenants: 1000,
            zipf: 1.1,
            secret_share: 0.05,
            logs_share: 0.1,
            metrics_share: 0.05,
            content_min: 512,
            content_max: 8192,
            stamp: true,
            seed: 1,
        }
    }
}

/// One encoded export request.
#[derive(Debug, Clone)]
pub struct Item {
    /// Its signal.
    pub signal: Signal,
    /// The tenant of its (single) resource.
    pub tenant: String,
    /// The protobuf `Export*ServiceRequest`.
    pub body: Bytes,
    /// Records it holds.
    pub records: u64,
    /// Offset of the 20-byte send-time placeholder in `body`, if any.
    pub stamp_at: Option<usize>,
}

/// The requests a sender cycles through.
#[derive(Debug, Clone)]
pub struct Pool {
    /// The requests.
    pub items: Vec<Item>,
}

/// What a pool holds, for the report.
#[derive(Debug, Clone, Serialize)]
pub struct PoolSummary {
    /// Requests in the pool.
    pub requests: usize,
    /// Encoded bytes of all of them.
    pub bytes: u64,
    /// Records per signal (spans, logs, points).
    pub records: [u64; 3],
    /// Encoded bytes of trace requests per span.
    pub bytes_per_span: f64,
    /// Distinct tenants in the pool.
    pub tenants: usize,
}

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// Generates one request of `signal` for `tenant`.
pub fn request(rng: &mut StdRng, shape: &Shape, signal: Signal, tenant: &str) -> Item {
    let now = now_ns();
    let resource = Some(resource(rng, tenant, shape.stamp));
    let n = shape.batch.max(1);
    let body = match signal {
        Signal::Traces => ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                resource,
                scope_spans: vec![ScopeSpans {
                    scope: scope("opentelemetry.instrumentation.openai_v2"),
                    spans: traces::spans(rng, shape, now, n),
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
        .encode_to_vec(),
        Signal::Logs => ExportLogsServiceRequest {
            resource_logs: vec![ResourceLogs {
                resource,
                scope_logs: vec![ScopeLogs {
                    scope: scope("assistant.app"),
                    log_records: signals::logs(rng, shape, now, n),
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
        .encode_to_vec(),
        Signal::Metrics => ExportMetricsServiceRequest {
            resource_metrics: vec![ResourceMetrics {
                resource,
                scope_metrics: vec![ScopeMetrics {
                    scope: scope("opentelemetry.instrumentation.openai_v2"),
                    metrics: signals::metrics(rng, now, n),
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
        .encode_to_vec(),
    };
    let stamp_at = shape
        .stamp
        .then(|| {
            body.windows(STAMP_PLACEHOLDER.len())
                .position(|w| w == STAMP_PLACEHOLDER)
        })
        .flatten();
    Item {
        signal,
        tenant: tenant.into(),
        body: body.into(),
        records: n as u64,
        stamp_at,
    }
}

impl Pool {
    /// Generates up to `max_requests` requests, stopping early (after at least 4) once they
    /// hold `max_bytes`.
    pub fn build(shape: &Shape, max_requests: usize, max_bytes: usize) -> Pool {
        let mut rng = StdRng::seed_from_u64(shape.seed);
        let tenants = Tenants::new(shape.tenants, shape.zipf);
        let mut items = Vec::new();
        let mut bytes = 0;
        while items.len() < max_requests.max(1) && (items.len() < 4 || bytes < max_bytes) {
            let u = rng.random::<f64>();
            let signal = if u < shape.logs_share {
                Signal::Logs
            } else if u < shape.logs_share + shape.metrics_share {
                Signal::Metrics
            } else {
                Signal::Traces
            };
            let tenant = tenants.pick(&mut rng).to_string();
            let item = request(&mut rng, shape, signal, &tenant);
            bytes += item.body.len();
            items.push(item);
        }
        Pool { items }
    }

    /// Counts what the pool holds.
    pub fn summary(&self) -> PoolSummary {
        let mut records = [0u64; 3];
        let (mut bytes, mut trace_bytes) = (0u64, 0u64);
        let mut tenants: Vec<&str> = Vec::new();
        for it in &self.items {
            records[it.signal.index()] += it.records;
            bytes += it.body.len() as u64;
            if it.signal == Signal::Traces {
                trace_bytes += it.body.len() as u64;
            }
            tenants.push(&it.tenant);
        }
        tenants.sort_unstable();
        tenants.dedup();
        PoolSummary {
            requests: self.items.len(),
            bytes,
            records,
            bytes_per_span: trace_bytes as f64 / records[0].max(1) as f64,
            tenants: tenants.len(),
        }
    }
}
