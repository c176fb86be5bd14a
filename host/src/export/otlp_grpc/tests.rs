//! Against a real tonic OTLP server on 127.0.0.1 (plaintext and TLS) that records what it
//! receives and fails on demand.

use super::*;
use crate::export::otlp_common::{ProtoAny, ProtoDuration, RetryInfo, RpcStatus};
use crate::export::testkit::{batch, logs, metrics, traces};
use crate::otlp::Payload;
use opentelemetry_proto::tonic::collector::logs::v1::logs_service_server::{
    LogsService, LogsServiceServer,
};
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use prost::Message;
use std::net::SocketAddr;
use std::sync::Arc;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Identity, Server, ServerTlsConfig};
use tonic::{Request, Response};

const TESTDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/export/testdata");

/// What the collector received: the request's metadata (as HTTP headers) and the payload.
struct Received {
    headers: http::HeaderMap,
    payload: Payload,
}

/// A failure the collector answers with.
#[derive(Clone)]
struct Failure {
    code: Code,
    message: String,
    details: Vec<u8>,
}

#[derive(Default)]
struct Collector {
    received: Mutex<Vec<Received>>,
    fail: Mutex<Option<Failure>>,
    rejected: Mutex<Option<(i64, String)>>,
    delay: Mutex<Option<Duration>>,
}

impl Collector {
    async fn handle(
        &self,
        headers: http::HeaderMap,
        payload: Payload,
    ) -> Result<Option<(i64, String)>, Status> {
        let delay = *self.delay.lock().unwrap();
        if let Some(delay) = delay {
            tokio::time::sleep(delay).await;
        }
        self.received
            .lock()
            .unwrap()
            .push(Received { headers, payload });
        if let Some(f) = self.fail.lock().unwrap().clone() {
            return Err(Status::with_details(f.code, f.message, f.details.into()));
        }
        Ok(self.rejected.lock().unwrap().clone())
    }

    fn received(&self) -> Vec<Received> {
        std::mem::take(&mut *self.received.lock().unwrap())
    }

    fn fail_with(&self, code: Code, message: &str, details: Vec<u8>) {
        *self.fail.lock().unwrap() = Some(Failure {
            code,
            message: message.into(),
            details,
        });
    }
}

#[derive(Clone)]
struct Svc(Arc<Collector>);

#[tonic::async_trait]
impl TraceService for Svc {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let headers = request.metadata().clone().into_headers();
        let partial = self
            .0
            .handle(headers, Payload::Traces(request.into_inner()))
            .await?;
        Ok(Response::new(ExportTraceServiceResponse {
            partial_success: partial.map(|(rejected_spans, error_message)| {
                ExportTracePartialSuccess {
                    rejected_spans,
                    error_message,
                }
            }),
        }))
    }
}

#[tonic::async_trait]
impl LogsService for Svc {
    async fn export(
        &self,
        request: Request<ExportLogsServiceRequest>,
    ) -> Result<Response<ExportLogsServiceResponse>, Status> {
        let headers = request.metadata().clone().into_headers();
        self.0
            .handle(headers, Payload::Logs(request.into_inner()))
            .await?;
        Ok(Response::new(ExportLogsServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl MetricsService for Svc {
    async fn export(
        &self,
        request: Request<ExportMetricsServiceRequest>,
    ) -> Result<Response<ExportMetricsServiceResponse>, Status> {
        let headers = request.metadata().clone().into_headers();
        self.0
            .handle(headers, Payload::Metrics(request.into_inner()))
            .await?;
        Ok(Response::new(ExportMetricsServiceResponse::default()))
    }
}

/// Starts a collector on 127.0.0.1 (TLS with the test CA's `localhost` certificate if asked).
async fn serve(tls: bool) -> (Arc<Collector>, SocketAddr) {
    let collector = Arc::new(Collector::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut server = Server::builder();
    if tls {
        let cert = std::fs::read(format!("{TESTDATA}/server.pem")).unwrap();
        let key = std::fs::read(format!("{TESTDATA}/server.key")).unwrap();
        server = server
            .tls_config(ServerTlsConfig::new().identity(Identity::from_pem(cert, key)))
            .unwrap();
    }
    let svc = Svc(collector.clone());
    let router = server
        .add_service(
            TraceServiceServer::new(svc.clone())
                .accept_compressed(CompressionEncoding::Gzip)
                .accept_compressed(CompressionEncoding::Zstd),
        )
        .add_service(
            LogsServiceServer::new(svc.clone())
                .accept_compressed(CompressionEncoding::Gzip)
                .accept_compressed(CompressionEncoding::Zstd),
        )
        .add_service(
            MetricsServiceServer::new(svc)
                .accept_compressed(CompressionEncoding::Gzip)
                .accept_compressed(CompressionEncoding::Zstd),
        );
    tokio::spawn(router.serve_with_incoming(TcpIncoming::from(listener)));
    (collector, addr)
}

fn destination(extra: &str) -> DestinationConfig {
    toml::from_str(&format!(
        "name = \"vendor-a\"\ntype = \"otlp_grpc\"\n{extra}"
    ))
    .unwrap()
}

fn exporter(extra: &str) -> OtlpGrpcExporter {
    OtlpGrpcExporter::new(&destination(extra)).unwrap()
}

#[tokio::test]
async fn delivers_every_signal_intact_with_tenant_headers_and_compression() {
    let (collector, addr) = serve(false).await;
    for (compression, wire) in [
        ("none", None),
        ("gzip", Some("gzip")),
        ("zstd", Some("zstd")),
    ] {
        let exporter = exporter(&format!(
            "endpoint = \"http://{addr}\"\ncompression = \"{compression}\"\n\
             [headers]\nauthorization = \"Bearer key-{{tenant}}\"\nX-Static = \"yes\"\n"
        ));
        for payload in [traces(), logs(), metrics()] {
            exporter
                .export(&batch(payload.clone(), Some("acme")))
                .await
                .unwrap();
            let received = collector.received();
            assert_eq!(received.len(), 1);
            assert_eq!(received[0].payload, payload, "{compression}");
            let headers = &received[0].headers;
            assert_eq!(headers["authorization"], "Bearer key-acme");
            assert_eq!(headers["x-static"], "yes");
            assert_eq!(
                headers.get("grpc-encoding").map(|v| v.to_str().unwrap()),
                wire,
                "{compression}"
            );
            assert!(headers.contains_key("grpc-timeout"));
            assert!(headers["user-agent"].to_str().unwrap().contains("sluice/"));
        }
    }
}

#[tokio::test]
async fn reuses_one_channel_per_resolved_endpoint() {
    let (collector, addr) = serve(false).await;
    let port = addr.port();
    let exporter = exporter(&format!(
        "endpoint = \"http://{{tenant}}:{port}\"\ncompression = \"none\""
    ));
    for tenant in ["127.0.0.1", "localhost", "127.0.0.1"] {
        exporter
            .export(&batch(traces(), Some(tenant)))
            .await
            .unwrap();
    }
    assert_eq!(collector.received().len(), 3);
    let mut endpoints: Vec<_> = exporter.channels.lock().unwrap().keys().cloned().collect();
    endpoints.sort();
    assert_eq!(
        endpoints,
        [
            format!("http://127.0.0.1:{port}"),
            format!("http://localhost:{port}")
        ]
    );

    // A batch without a tenant, or with one that would change the host, goes nowhere.
    for tenant in [None, Some("evil.example/x")] {
        let err = exporter.export(&batch(traces(), tenant)).await.unwrap_err();
        assert_eq!(err.kind, FailureKind::Permanent, "{err}");
    }
    assert!(collector.received().is_empty());
}

fn retry_info_details(delay: Duration) -> Vec<u8> {
    let info = RetryInfo {
        retry_delay: Some(ProtoDuration {
            seconds: delay.as_secs() as i64,
            nanos: delay.subsec_nanos() as i32,
        }),
    };
    RpcStatus {
        code: Code::ResourceExhausted as i32,
        message: "slow down".into(),
        details: vec![ProtoAny {
            type_url: "type.googleapis.com/google.rpc.RetryInfo".into(),
            value: info.encode_to_vec(),
        }],
    }
    .encode_to_vec()
}

#[tokio::test]
async fn classifies_statuses_as_the_spec_says() {
    let (collector, addr) = serve(false).await;
    let exporter = exporter(&format!("endpoint = \"http://{addr}\""));
    let retryable = [
        Code::Cancelled,
        Code::DeadlineExceeded,
        Code::Aborted,
        Code::OutOfRange,
        Code::Unavailable,
        Code::DataLoss,
    ];
    let permanent = [
        Code::Unknown,
        Code::InvalidArgument,
        Code::NotFound,
        Code::AlreadyExists,
        Code::PermissionDenied,
        Code::ResourceExhausted,
        Code::FailedPrecondition,
        Code::Unimplemented,
        Code::Internal,
        Code::Unauthenticated,
    ];
    for (codes, kind) in [
        (&retryable[..], FailureKind::Retryable),
        (&permanent[..], FailureKind::Permanent),
    ] {
        for &code in codes {
            collector.fail_with(code, "server says no", Vec::new());
            let err = exporter.export(&batch(logs(), None)).await.unwrap_err();
            assert_eq!(err.kind, kind, "{code:?}: {err}");
            assert_eq!(err.retry_after, None);
            assert!(err.message.contains(code_name(code)), "{}", err.message);
            assert!(err.message.contains("server says no"), "{}", err.message);
        }
    }

    // RESOURCE_EXHAUSTED is retryable only with RetryInfo, whose delay is honoured.
    collector.fail_with(
        Code::ResourceExhausted,
        "quota",
        retry_info_details(Duration::from_millis(2500)),
    );
    let err = exporter.export(&batch(traces(), None)).await.unwrap_err();
    assert_eq!(err.kind, FailureKind::Retryable, "{err}");
    assert_eq!(err.retry_after, Some(Duration::from_millis(2500)));
    // Other retryable codes carry the delay too.
    collector.fail_with(
        Code::Unavailable,
        "later",
        retry_info_details(Duration::from_secs(7)),
    );
    let err = exporter.export(&batch(traces(), None)).await.unwrap_err();
    assert_eq!(
        (err.kind, err.retry_after),
        (FailureKind::Retryable, Some(Duration::from_secs(7)))
    );

    // The server's message is bounded.
    collector.fail_with(Code::InvalidArgument, &"x".repeat(5000), Vec::new());
    let err = exporter.export(&batch(traces(), None)).await.unwrap_err();
    assert!(err.message.len() < 300, "{}", err.message.len());
    // The payload never shows up in a message.
    assert!(!err.message.contains("long prompt"));
}

#[tokio::test]
async fn partial_success_counts_as_delivered() {
    let (collector, addr) = serve(false).await;
    *collector.rejected.lock().unwrap() = Some((2, "2 spans too large".into()));
    let exporter = exporter(&format!("endpoint = \"http://{addr}/\""));
    exporter.export(&batch(traces(), None)).await.unwrap();
    assert_eq!(collector.received().len(), 1);
}

#[tokio::test]
async fn unreachable_and_slow_servers_are_retryable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let err = exporter(&format!("endpoint = \"http://{addr}\""))
        .export(&batch(traces(), None))
        .await
        .unwrap_err();
    assert_eq!(err.kind, FailureKind::Retryable, "{err}");
    assert!(err.message.contains("UNAVAILABLE"), "{}", err.message);

    let (collector, addr) = serve(false).await;
    *collector.delay.lock().unwrap() = Some(Duration::from_secs(5));
    let exporter = exporter(&format!("endpoint = \"http://{addr}\"\ntimeout_ms = 200"));
    let started = std::time::Instant::now();
    let err = exporter.export(&batch(traces(), None)).await.unwrap_err();
    assert_eq!(err.kind, FailureKind::Retryable, "{err}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn tls_trusts_the_configured_ca() {
    let (collector, addr) = serve(true).await;
    let port = addr.port();
    let exporter = exporter(&format!(
        "endpoint = \"https://localhost:{port}\"\nca = \"{TESTDATA}/ca.pem\""
    ));
    exporter.export(&batch(metrics(), None)).await.unwrap();
    assert_eq!(collector.received()[0].payload, metrics());

    // Without the CA the server's certificate is not trusted (when the system has roots).
    if let Ok(exporter) = OtlpGrpcExporter::new(&destination(&format!(
        "endpoint = \"https://localhost:{port}\""
    ))) {
        let err = exporter.export(&batch(metrics(), None)).await.unwrap_err();
        assert_eq!(err.kind, FailureKind::Retryable, "{err}");
        assert!(collector.received().is_empty());
    }
}

#[test]
fn configuration_errors_name_the_destination_and_field() {
    let cases = [
        ("", "endpoint"),
        ("endpoint = \"\"", "endpoint"),
        ("endpoint = \"ftp://example.com\"", "endpoint"),
        ("endpoint = \"not a uri\"", "endpoint"),
        (
            "endpoint = \"http://localhost:4317\"\nheaders = { \"bad header\" = \"x\" }",
            "headers.bad header",
        ),
        (
            "endpoint = \"http://localhost:4317\"\nheaders = { \"x-key-bin\" = \"x\" }",
            "headers.x-key-bin",
        ),
        (
            "endpoint = \"http://localhost:4317\"\nheaders = { \"x-key\" = \"é\" }",
            "headers.x-key",
        ),
        (
            "endpoint = \"https://localhost:4317\"\nca = \"/nonexistent/ca.pem\"",
            "ca",
        ),
        (
            &format!("endpoint = \"https://localhost:4317\"\nca = \"{TESTDATA}/server.key\""),
            "ca",
        ),
    ];
    for (extra, field) in cases {
        let err = OtlpGrpcExporter::new(&destination(extra)).unwrap_err();
        assert!(
            err.starts_with(&format!("destination \"vendor-a\": {field}: ")),
            "{extra}: {err}"
        );
    }
    // Templated endpoints are checked with a stand-in tenant.
    OtlpGrpcExporter::new(&destination(
        "endpoint = \"https://{tenant}.example.com:4317\"",
    ))
    .unwrap();
}

/// The receiver tests' certificates: a CA, a `localhost` server certificate and a client
/// certificate it signed (`src/receiver/testdata/gen.sh`).
const MTLS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/receiver/testdata");

/// A collector on 127.0.0.1 that requires a client certificate signed by the test CA.
async fn serve_mutual() -> (Arc<Collector>, SocketAddr) {
    let collector = Arc::new(Collector::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let read = |f: &str| std::fs::read(format!("{MTLS}/{f}")).unwrap();
    let tls = ServerTlsConfig::new()
        .identity(Identity::from_pem(read("server.pem"), read("server.key")))
        .client_ca_root(Certificate::from_pem(read("ca.pem")));
    let router = Server::builder().tls_config(tls).unwrap().add_service(
        TraceServiceServer::new(Svc(collector.clone()))
            .accept_compressed(CompressionEncoding::Gzip),
    );
    tokio::spawn(router.serve_with_incoming(TcpIncoming::from(listener)));
    (collector, addr)
}

fn mtls_destination(port: u16, identity: &str) -> DestinationConfig {
    destination(&format!(
        "endpoint = \"https://localhost:{port}\"\nca = \"{MTLS}/ca.pem\"\n{identity}\n\
         retry = {{ initial_backoff_ms = 1, max_backoff_ms = 1, max_elapsed_ms = 1 }}"
    ))
}

#[tokio::test]
async fn mutual_tls_presents_the_client_certificate() {
    let (collector, addr) = serve_mutual().await;
    let config = mtls_destination(
        addr.port(),
        &format!("client_cert = \"{MTLS}/client.pem\"\nclient_key = \"{MTLS}/client.key\""),
    );
    let exporter = OtlpGrpcExporter::new(&config).unwrap();
    exporter.export(&batch(traces(), None)).await.unwrap();
    assert_eq!(collector.received()[0].payload, traces());
}

#[tokio::test]
async fn mutual_tls_without_an_accepted_certificate_fails_and_is_counted() {
    use crate::export::testkit::assert_dropped_after_retries;
    let (collector, addr) = serve_mutual().await;
    let untrusted = format!(
        "client_cert = \"{TESTDATA}/untrusted-client.pem\"\nclient_key = \"{TESTDATA}/untrusted-client.key\""
    );
    for identity in ["", untrusted.as_str()] {
        let config = mtls_destination(addr.port(), identity);
        // Directly: an error, retryable (the handshake may work once the server is fixed).
        let exporter = OtlpGrpcExporter::new(&config).unwrap();
        let err = exporter.export(&batch(traces(), None)).await.unwrap_err();
        assert_eq!(err.kind, FailureKind::Retryable, "{identity}: {err}");

        // Through a queue: counted as a failed export, then dropped when retries run out.
        assert_dropped_after_retries(&config, Arc::new(exporter), traces(), "traces", 3).await;
    }
    assert!(collector.received().is_empty());
}

#[test]
fn client_certificate_problems_name_the_destination_field_and_file() {
    let cert = format!("{MTLS}/client.pem");
    let key = format!("{MTLS}/client.key");
    let endpoint = "endpoint = \"https://localhost:4317\"";
    let cases = [
        (format!("client_cert = \"{cert}\""), "client_key", "missing"),
        (format!("client_key = \"{key}\""), "client_cert", "missing"),
        (
            format!("client_cert = \"/nonexistent/c.pem\"\nclient_key = \"{key}\""),
            "client_cert",
            "cannot read /nonexistent/c.pem",
        ),
        (
            format!("client_cert = \"{cert}\"\nclient_key = \"/nonexistent/c.key\""),
            "client_key",
            "cannot read /nonexistent/c.key",
        ),
        (
            format!("client_cert = \"{key}\"\nclient_key = \"{key}\""),
            "client_cert",
            "client.key: no PEM certificate found",
        ),
        (
            format!("client_cert = \"{cert}\"\nclient_key = \"{cert}\""),
            "client_key",
            "client.pem: no PEM private key found",
        ),
        // A key that is not the certificate's.
        (
            format!("client_cert = \"{cert}\"\nclient_key = \"{TESTDATA}/untrusted-client.key\""),
            "client_key",
            "untrusted-client.key does not fit the certificate in",
        ),
    ];
    for (identity, field, problem) in cases {
        let err =
            OtlpGrpcExporter::new(&destination(&format!("{endpoint}\n{identity}"))).unwrap_err();
        assert!(
            err.starts_with(&format!("destination \"vendor-a\": {field}: "))
                && err.contains(problem),
            "{identity}: {err}"
        );
    }
    // A client certificate over plaintext would never be sent.
    let err = OtlpGrpcExporter::new(&destination(&format!(
        "endpoint = \"http://localhost:4317\"\nclient_cert = \"{cert}\"\nclient_key = \"{key}\""
    )))
    .unwrap_err();
    assert!(
        err.contains("client_cert: a client certificate needs an https:// endpoint"),
        "{err}"
    );
}

/// Payloads of three tenants and two signals, interleaved as client requests arrive, leave a
/// per-tenant destination as one request per tenant and signal once their linger is over,
/// without a shutdown to flush them.
#[tokio::test]
async fn interleaved_tenants_are_merged_per_tenant_and_sent_when_due() {
    use crate::config::TenancyConfig;
    use crate::export::queue::{DestinationQueue, Enqueue};
    use crate::metrics::Metrics;
    let (collector, addr) = serve(false).await;
    let config = destination(&format!(
        "endpoint = \"http://{addr}\"\ncompression = \"none\"\n\
         batch = {{ max_records = 1000, timeout_ms = 2000 }}\n\
         [headers]\nx-tenant = \"{{tenant}}\"\n"
    ));
    let queue = DestinationQueue::start(
        &config,
        2,
        Arc::new(OtlpGrpcExporter::new(&config).unwrap()),
        Arc::new(Metrics::new(10)),
        &TenancyConfig::default(),
    );
    for _ in 0..2 {
        for tenant in ["a", "b", "c"] {
            for payload in [traces(), logs()] {
                queue
                    .enqueue(batch(payload, Some(tenant)), Enqueue::Wait)
                    .await
                    .unwrap();
            }
        }
    }
    let mut received = Vec::new();
    crate::export::testkit::wait_until("six merged requests", || {
        received.extend(collector.received());
        received.len() >= 6
    })
    .await;
    let mut got: Vec<(String, usize, usize)> = received
        .iter()
        .map(|r| {
            let tenant = r.headers["x-tenant"].to_str().unwrap().to_string();
            match &r.payload {
                Payload::Traces(t) => (tenant, t.resource_spans.len(), 0),
                Payload::Logs(l) => (tenant, 0, l.resource_logs.len()),
                Payload::Metrics(_) => panic!("no metrics were sent"),
            }
        })
        .collect();
    got.sort();
    let want: Vec<(String, usize, usize)> = ["a", "b", "c"]
        .into_iter()
        .flat_map(|t| [(t.to_string(), 0, 2), (t.to_string(), 2, 0)])
        .collect();
    assert_eq!(got, want);
    queue
        .shutdown(std::time::Instant::now() + Duration::from_secs(5))
        .await;
    assert!(collector.received().is_empty(), "nothing was left to flush");
}
