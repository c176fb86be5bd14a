//! What the exporter and queue tests share: waiting for a metric, destinations on
//! 127.0.0.1 that hang or answer every request with one status, and a payload of each
//! signal.

use super::queue::{DestinationQueue, Enqueue};
use super::{ExportBatch, Exporter};
use crate::config::{DestinationConfig, TenancyConfig};
use crate::metrics::Metrics;
use crate::otlp::Payload;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::metrics::v1::{
    Gauge, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, metric,
};
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// How long a test waits for something that should happen.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// Polls `/metrics` text until it holds `line`, and returns the text; panics with the last
/// text at [`DEADLINE`].
pub async fn wait_for_metric(metrics: &Metrics, line: &str) -> String {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let text = metrics.encode();
        if text.lines().any(|l| l == line) {
            return text;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no `{line}` in the metrics:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The value of the sample whose name and labels are `series` (e.g.
/// `sluice_queue_bytes{destination="a"}`), 0 when absent.
pub fn metric_value(text: &str, series: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0)
}

/// Sends `payload` (`records` records of `signal`) through a one-worker queue on `config`
/// whose every export fails retryably, and waits until the records are dropped as the
/// retries run out and at least one failed export is counted; then shuts the queue down.
pub async fn assert_dropped_after_retries(
    config: &DestinationConfig,
    exporter: Arc<dyn Exporter>,
    payload: Payload,
    signal: &str,
    records: u64,
) {
    let metrics = Arc::new(Metrics::new(10));
    let queue = DestinationQueue::start(
        config,
        1,
        exporter,
        metrics.clone(),
        &TenancyConfig::default(),
    );
    queue
        .enqueue(batch(payload, None), Enqueue::Wait)
        .await
        .unwrap();
    let name = &config.name;
    let dropped = format!(
        "sluice_records_dropped_by_destination_total{{signal=\"{signal}\",destination=\"{name}\",\
         tenant=\"unknown\",reason=\"retries_exhausted\"}} {records}"
    );
    let text = wait_for_metric(&metrics, &dropped).await;
    let failures =
        format!("sluice_export_failures_total{{destination=\"{name}\",kind=\"retryable\"}}");
    assert!(metric_value(&text, &failures) >= 1, "{text}");
    queue
        .shutdown(std::time::Instant::now() + Duration::from_secs(5))
        .await;
}

/// Polls `condition` until it holds; panics with `what` at [`DEADLINE`].
pub async fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while !condition() {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A destination that accepts connections and never answers, until [`Hang::release`].
pub struct Hang {
    /// Its address.
    pub addr: SocketAddr,
    /// Connections accepted so far.
    pub accepted: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Hang {
    /// Starts one on 127.0.0.1.
    pub async fn start() -> Hang {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                held.push(stream);
                count.fetch_add(1, Ordering::SeqCst);
            }
        });
        Hang {
            addr,
            accepted,
            task,
        }
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// Closes the listener and every held connection: pending exports fail.
    pub fn release(&self) {
        self.task.abort();
    }
}

impl Drop for Hang {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A destination answering every OTLP/HTTP request with `status` and an empty body.
pub async fn answering(status: u16) -> SocketAddr {
    use bytes::Bytes;
    use http_body_util::{BodyExt, Full};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let service = hyper::service::service_fn(
                    move |request: http::Request<hyper::body::Incoming>| async move {
                        let _ = request.into_body().collect().await;
                        let mut response = http::Response::new(Full::new(Bytes::new()));
                        *response.status_mut() = http::StatusCode::from_u16(status).unwrap();
                        Ok::<_, std::convert::Infallible>(response)
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

/// A string attribute.
fn attribute(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.into())),
        }),
        ..Default::default()
    }
}

/// Three LLM spans of one trace, each with a 700-byte prompt (worth compressing).
pub fn traces() -> Payload {
    Payload::Traces(ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans: (0..3)
                    .map(|i| Span {
                        trace_id: vec![7; 16],
                        span_id: vec![i; 8],
                        name: format!("chat {i}"),
                        start_time_unix_nano: 1_700_000_000_000_000_000 + u64::from(i),
                        attributes: vec![attribute("gen_ai.prompt", &"a long prompt ".repeat(50))],
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            }],
            ..Default::default()
        }],
    })
}

/// One log record with a string body.
pub fn logs() -> Payload {
    Payload::Logs(ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            scope_logs: vec![ScopeLogs {
                log_records: vec![LogRecord {
                    time_unix_nano: 42,
                    body: Some(AnyValue {
                        value: Some(any_value::Value::StringValue("hello".into())),
                    }),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    })
}

/// One gauge with one data point.
pub fn metrics() -> Payload {
    Payload::Metrics(ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            scope_metrics: vec![ScopeMetrics {
                metrics: vec![Metric {
                    name: "gen_ai.client.token.usage".into(),
                    data: Some(metric::Data::Gauge(Gauge {
                        data_points: vec![NumberDataPoint {
                            time_unix_nano: 5,
                            ..Default::default()
                        }],
                    })),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    })
}

/// `payload` as an export batch for `tenant`.
pub fn batch(payload: Payload, tenant: Option<&str>) -> ExportBatch {
    ExportBatch {
        payload: payload.into(),
        tenant: tenant.map(str::to_owned),
    }
}
