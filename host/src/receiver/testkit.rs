//! What the receiver tests run against: a real pipeline (no plugins, one file destination)
//! behind a real [`Ingest`], receivers on 127.0.0.1 port 0, and sample OTLP requests.

use super::{BoundReceiver, serve};
use crate::app::App;
use crate::config::io::{ConnectionLimits, ReceiverConfig, ServerTls};
use crate::export::exports::Exports;
use crate::ingest::Ingest;
use crate::metrics::Metrics;
use crate::otlp::Payload;
use crate::pipeline::service::PipelineService;
use crate::tenancy::Tenancy;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, any_value::Value};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::metrics::v1::{
    Gauge, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics,
};
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Tenancy that requires `Authorization: Bearer test-key`.
pub const API_KEY_TENANCY: &str = r#"
[tenancy]
source = "api_key"
header = "authorization"
api_keys = [{ key = "test-key", tenant = "acme" }]
"#;

/// A running pipeline writing to `<tmp>/out.jsonl`.
pub struct Pipeline {
    pub ingest: Ingest,
    service: PipelineService,
    exports: Arc<Exports>,
    workers: Vec<std::thread::JoinHandle<()>>,
    out: PathBuf,
    _app: App,
    _dir: tempfile::TempDir,
}

impl Pipeline {
    /// Starts one, with `extra` TOML appended to the config (e.g. [`API_KEY_TENANCY`]).
    pub fn start(extra: &str) -> Pipeline {
        Self::start_with(true, extra)
    }

    /// Starts one whose destinations are only those `extra` declares.
    pub fn start_without_file(extra: &str) -> Pipeline {
        Self::start_with(false, extra)
    }

    fn start_with(file_destination: bool, extra: &str) -> Pipeline {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display();
        let file = if file_destination {
            format!("[[destinations]]\nname = \"out\"\ntype = \"file\"\npath = \"{d}/out.jsonl\"\n")
        } else {
            String::new()
        };
        let toml = format!(
            "[runtime]\nworkers = 1\ncache_dir = \"{d}/cache\"\nquarantine_dir = \"{d}/q\"\n\n{file}{extra}"
        );
        let config = crate::config::load_str(&toml, "test.toml", dir.path()).unwrap();
        let app = App::build(config).unwrap();
        let metrics = Arc::new(Metrics::new(100));
        let exports = Arc::new(Exports::start(&app.config, &metrics).unwrap());
        let live = Arc::new(crate::pipeline::live::LiveChain::new(app.plugins.clone()));
        let (service, workers) =
            PipelineService::start(app.workers, &live, &app.destinations, metrics.clone()).unwrap();
        let quarantine = Arc::new(crate::quarantine::Quarantine::new(dir.path().join("q")));
        let ingest = Ingest::new(
            Tenancy::new(&app.config.tenancy),
            service.clone(),
            exports.clone(),
            metrics,
            quarantine,
            app.destinations.list().len(),
        );
        let out = dir.path().join("out.jsonl");
        Pipeline {
            ingest,
            service,
            exports,
            workers,
            out,
            _app: app,
            _dir: dir,
        }
    }

    /// Stops the chain: from now on every request is refused as unavailable.
    pub fn stop(&self) {
        self.service.close();
    }

    /// Stops everything and returns what the destination received (OTLP JSON lines).
    pub async fn finish(self) -> String {
        self.service.close();
        drop(self.ingest);
        let workers = self.workers;
        tokio::task::spawn_blocking(move || workers.into_iter().for_each(|w| w.join().unwrap()))
            .await
            .unwrap();
        self.exports.shutdown(Duration::from_secs(5)).await;
        std::fs::read_to_string(&self.out).unwrap_or_default()
    }
}

/// A receiver being served, and how to stop it.
pub struct Running {
    pub bound: BoundReceiver,
    pub shutdown: CancellationToken,
}

impl Running {
    /// Cancels and waits for the receiver to finish (it must, promptly: nothing is in flight).
    pub async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(30), self.bound.handle)
            .await
            .unwrap()
            .unwrap();
    }
}

/// The test certificates (see `testdata/gen.sh`).
pub fn testdata(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("src/receiver/testdata")
        .join(file)
}

/// Server TLS with the test certificate, requiring client certificates if `mutual`.
pub fn server_tls(mutual: bool) -> ServerTls {
    ServerTls {
        cert: testdata("server.pem"),
        key: testdata("server.key"),
        client_ca: mutual.then(|| testdata("ca.pem")),
    }
}

/// A receiver's config on 127.0.0.1, port 0.
pub fn receiver_config(
    grpc: bool,
    limit: usize,
    tls: Option<ServerTls>,
    limits: ConnectionLimits,
) -> ReceiverConfig {
    let address = "127.0.0.1:0".parse().unwrap();
    let ConnectionLimits {
        header_read_timeout_ms,
        body_read_timeout_ms,
        idle_timeout_ms,
        max_connections,
        max_concurrent_streams,
        keepalive_interval_ms,
        keepalive_timeout_ms,
    } = limits;
    if grpc {
        ReceiverConfig::OtlpGrpc {
            address,
            max_request_bytes: limit,
            tls,
            header_read_timeout_ms,
            body_read_timeout_ms,
            idle_timeout_ms,
            max_connections,
            max_concurrent_streams,
            keepalive_interval_ms,
            keepalive_timeout_ms,
        }
    } else {
        ReceiverConfig::OtlpHttp {
            address,
            max_request_bytes: limit,
            tls,
            header_read_timeout_ms,
            body_read_timeout_ms,
            idle_timeout_ms,
            max_connections,
            max_concurrent_streams,
            keepalive_interval_ms,
            keepalive_timeout_ms,
        }
    }
}

/// Serves a receiver on 127.0.0.1, port 0, with the default connection limits.
pub async fn start(grpc: bool, limit: usize, tls: Option<ServerTls>, ingest: &Ingest) -> Running {
    start_with(grpc, limit, tls, ConnectionLimits::default(), ingest).await
}

/// Serves a receiver on 127.0.0.1, port 0, with `limits`.
pub async fn start_with(
    grpc: bool,
    limit: usize,
    tls: Option<ServerTls>,
    limits: ConnectionLimits,
    ingest: &Ingest,
) -> Running {
    let config = receiver_config(grpc, limit, tls, limits);
    let shutdown = CancellationToken::new();
    let bound = serve(&config, ingest.clone(), shutdown.clone())
        .await
        .unwrap();
    assert_ne!(bound.address.port(), 0);
    Running { bound, shutdown }
}

fn text(s: &str) -> Option<AnyValue> {
    Some(AnyValue {
        value: Some(Value::StringValue(s.into())),
    })
}

/// A request with one span called `name`.
pub fn traces(name: &str) -> ExportTraceServiceRequest {
    let span = Span {
        trace_id: vec![1; 16],
        span_id: vec![2; 8],
        name: name.into(),
        ..Default::default()
    };
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans: vec![span],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

/// A request with one log record whose body is `body`.
pub fn logs(body: &str) -> ExportLogsServiceRequest {
    let record = LogRecord {
        body: text(body),
        ..Default::default()
    };
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            scope_logs: vec![ScopeLogs {
                log_records: vec![record],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

/// A request with one gauge point of a metric called `name`.
pub fn metrics(name: &str) -> ExportMetricsServiceRequest {
    let point = NumberDataPoint::default();
    let gauge = Gauge {
        data_points: vec![point],
    };
    let metric = Metric {
        name: name.into(),
        data: Some(opentelemetry_proto::tonic::metrics::v1::metric::Data::Gauge(gauge)),
        ..Default::default()
    };
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            scope_metrics: vec![ScopeMetrics {
                metrics: vec![metric],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

/// `payload` as protobuf bytes.
pub fn protobuf(payload: Payload) -> Vec<u8> {
    crate::otlp::protobuf::encode(&payload)
}
