//! Against a real hyper HTTP/1.1 server on 127.0.0.1 (plaintext and TLS) that records what it
//! receives and answers with a chosen status, headers and body.

use super::*;
use crate::export::otlp_common::RpcStatus;
use crate::export::testkit::{batch, logs, metrics, traces};
use crate::otlp::{Payload, protobuf};
use http::{HeaderMap, Response};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use prost::Message;
use std::convert::Infallible;
use std::io::Read;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

const TESTDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/export/testdata");

struct Received {
    path: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Received {
    /// The body, decompressed per its `Content-Encoding`.
    fn decoded(&self) -> Vec<u8> {
        match self
            .headers
            .get(CONTENT_ENCODING)
            .map(|v| v.to_str().unwrap())
        {
            None => self.body.clone(),
            Some("gzip") => {
                let mut out = Vec::new();
                flate2::read::GzDecoder::new(&self.body[..])
                    .read_to_end(&mut out)
                    .unwrap();
                out
            }
            Some("zstd") => zstd::decode_all(&self.body[..]).unwrap(),
            Some(other) => panic!("unexpected encoding {other}"),
        }
    }

    /// The payload, decoded per its `Content-Type`.
    fn payload(&self) -> Payload {
        let body = self.decoded();
        match self.headers[CONTENT_TYPE].to_str().unwrap() {
            JSON => {
                let mut payloads = json::decode_line(std::str::from_utf8(&body).unwrap()).unwrap();
                assert_eq!(payloads.len(), 1);
                payloads.remove(0)
            }
            PROTOBUF => {
                use crate::otlp::Payload as P;
                match self.path.rsplit('/').next().unwrap() {
                    "traces" => P::Traces(ExportTraceServiceRequest::decode(&body[..]).unwrap()),
                    "logs" => P::Logs(ExportLogsServiceRequest::decode(&body[..]).unwrap()),
                    "metrics" => {
                        P::Metrics(ExportMetricsServiceRequest::decode(&body[..]).unwrap())
                    }
                    _ => panic!("unexpected path {}", self.path),
                }
            }
            other => panic!("unexpected content type {other}"),
        }
    }
}

#[derive(Clone)]
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

struct Collector {
    received: Mutex<Vec<Received>>,
    reply: Mutex<Reply>,
    delay: Mutex<Option<Duration>>,
}

impl Collector {
    fn received(&self) -> Vec<Received> {
        std::mem::take(&mut *self.received.lock().unwrap())
    }

    fn reply(&self, status: u16, headers: &[(&'static str, &str)], body: &[u8]) {
        *self.reply.lock().unwrap() = Reply {
            status,
            headers: headers.iter().map(|(k, v)| (*k, v.to_string())).collect(),
            body: body.to_vec(),
        };
    }

    async fn handle(
        self: Arc<Self>,
        request: http::Request<Incoming>,
    ) -> Result<Response<Full<Bytes>>, Infallible> {
        let (parts, body) = request.into_parts();
        let body = body.collect().await.unwrap().to_bytes().to_vec();
        let delay = *self.delay.lock().unwrap();
        if let Some(delay) = delay {
            tokio::time::sleep(delay).await;
        }
        self.received.lock().unwrap().push(Received {
            path: parts.uri.path().to_owned(),
            headers: parts.headers,
            body,
        });
        let reply = self.reply.lock().unwrap().clone();
        let mut response = Response::builder().status(reply.status);
        for (name, value) in reply.headers {
            response = response.header(name, value);
        }
        Ok(response.body(Full::new(Bytes::from(reply.body))).unwrap())
    }
}

/// Starts a collector on 127.0.0.1 (TLS with the test CA's `localhost` certificate if asked).
async fn serve(tls: bool) -> (Arc<Collector>, SocketAddr) {
    let acceptor = tls.then(|| {
        use rustls_pki_types::pem::PemObject;
        use rustls_pki_types::{CertificateDer, PrivateKeyDer};
        use tokio_rustls::rustls::{ServerConfig, crypto};
        let certs = CertificateDer::pem_file_iter(format!("{TESTDATA}/server.pem"))
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let key = PrivateKeyDer::from_pem_file(format!("{TESTDATA}/server.key")).unwrap();
        let mut config =
            ServerConfig::builder_with_provider(Arc::new(crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_no_client_auth()
                .with_single_cert(certs, key)
                .unwrap();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        tokio_rustls::TlsAcceptor::from(Arc::new(config))
    });
    serve_with(acceptor).await
}

/// Starts a collector on 127.0.0.1, behind `acceptor` if given.
async fn serve_with(acceptor: Option<tokio_rustls::TlsAcceptor>) -> (Arc<Collector>, SocketAddr) {
    let collector = Arc::new(Collector {
        received: Mutex::default(),
        reply: Mutex::new(Reply {
            status: 200,
            headers: Vec::new(),
            body: Vec::new(),
        }),
        delay: Mutex::default(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = collector.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let (server, acceptor) = (server.clone(), acceptor.clone());
            tokio::spawn(async move {
                let service = service_fn(move |request| server.clone().handle(request));
                let http = hyper::server::conn::http1::Builder::new();
                match acceptor {
                    Some(acceptor) => {
                        let Ok(stream) = acceptor.accept(stream).await else {
                            return;
                        };
                        let _ = http.serve_connection(TokioIo::new(stream), service).await;
                    }
                    None => {
                        let _ = http.serve_connection(TokioIo::new(stream), service).await;
                    }
                }
            });
        }
    });
    (collector, addr)
}

fn destination(extra: &str) -> DestinationConfig {
    toml::from_str(&format!(
        "name = \"vendor-a\"\ntype = \"otlp_http\"\n{extra}"
    ))
    .unwrap()
}

fn exporter(extra: &str) -> OtlpHttpExporter {
    OtlpHttpExporter::new(&destination(extra)).unwrap()
}

#[tokio::test]
async fn delivers_every_signal_intact_in_each_encoding_and_compression() {
    let (collector, addr) = serve(false).await;
    for encoding in ["protobuf", "json"] {
        for compression in ["none", "gzip", "zstd"] {
            let exporter = exporter(&format!(
                "endpoint = \"http://{addr}/{{tenant}}/otlp/\"\nencoding = \"{encoding}\"\n\
                 compression = \"{compression}\"\n\
                 [headers]\nAuthorization = \"Bearer key-{{tenant}}\"\nx-static = \"yes\"\n"
            ));
            for (payload, path) in [
                (traces(), "traces"),
                (logs(), "logs"),
                (metrics(), "metrics"),
            ] {
                exporter
                    .export(&batch(payload.clone(), Some("acme")))
                    .await
                    .unwrap();
                let received = collector.received();
                assert_eq!(received.len(), 1);
                let r = &received[0];
                let what = format!("{encoding} {compression} {path}");
                assert_eq!(r.path, format!("/acme/otlp/v1/{path}"), "{what}");
                assert_eq!(r.payload(), payload, "{what}");
                let expected_type = if encoding == "json" { JSON } else { PROTOBUF };
                assert_eq!(r.headers[CONTENT_TYPE], expected_type, "{what}");
                let expected_encoding = (compression != "none").then_some(compression);
                assert_eq!(
                    r.headers.get(CONTENT_ENCODING).map(|v| v.to_str().unwrap()),
                    expected_encoding,
                    "{what}"
                );
                assert_eq!(r.headers["authorization"], "Bearer key-acme");
                assert_eq!(r.headers["x-static"], "yes");
                assert!(
                    r.headers[USER_AGENT]
                        .to_str()
                        .unwrap()
                        .starts_with("sluice/")
                );
            }
        }
    }
}

#[tokio::test]
async fn an_endpoint_with_the_signal_path_is_used_as_is() {
    let (collector, addr) = serve(false).await;
    let exporter = exporter(&format!("endpoint = \"http://{addr}/custom/v1/traces\""));
    exporter.export(&batch(traces(), None)).await.unwrap();
    exporter.export(&batch(logs(), None)).await.unwrap();
    let paths: Vec<_> = collector.received().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/custom/v1/traces", "/custom/v1/traces/v1/logs"]);
}

#[tokio::test]
async fn classifies_statuses_and_honours_retry_after() {
    let (collector, addr) = serve(false).await;
    let exporter = exporter(&format!("endpoint = \"http://{addr}\""));
    for status in [429, 502, 503, 504] {
        collector.reply(status, &[("retry-after", "7")], b"busy");
        let err = exporter.export(&batch(traces(), None)).await.unwrap_err();
        assert_eq!(err.kind, FailureKind::Retryable, "{status}: {err}");
        assert_eq!(err.retry_after, Some(Duration::from_secs(7)), "{status}");
        assert!(
            err.message.contains(&status.to_string()) && err.message.contains("busy"),
            "{}",
            err.message
        );
    }
    for status in [400, 401, 403, 404, 405, 413, 500, 501, 300] {
        collector.reply(status, &[("retry-after", "7")], b"no");
        let err = exporter.export(&batch(traces(), None)).await.unwrap_err();
        assert_eq!(err.kind, FailureKind::Permanent, "{status}: {err}");
        assert_eq!(err.retry_after, None);
    }

    // Retry-After as an HTTP-date, in the future and in the past; and absent or garbage.
    let in_a_minute = httpdate(SystemTime::now() + Duration::from_secs(60));
    collector.reply(503, &[("retry-after", &in_a_minute)], b"");
    let err = exporter.export(&batch(traces(), None)).await.unwrap_err();
    let wait = err.retry_after.unwrap();
    assert!(
        wait > Duration::from_secs(50) && wait <= Duration::from_secs(60),
        "{wait:?}"
    );
    collector.reply(
        503,
        &[("retry-after", "Sun, 06 Nov 1994 08:49:37 GMT")],
        b"",
    );
    let err = exporter.export(&batch(traces(), None)).await.unwrap_err();
    assert_eq!(err.retry_after, Some(Duration::ZERO));
    for headers in [&[][..], &[("retry-after", "soon")][..]] {
        collector.reply(429, headers, b"");
        let err = exporter.export(&batch(traces(), None)).await.unwrap_err();
        assert_eq!((err.kind, err.retry_after), (FailureKind::Retryable, None));
        assert_eq!(err.message, "HTTP 429 Too Many Requests");
    }
    assert_eq!(collector.received().len(), 4 + 9 + 2 + 2);
}

#[tokio::test]
async fn error_messages_come_from_the_server_bounded_and_without_the_payload() {
    let (collector, addr) = serve(false).await;
    let exporter = exporter(&format!("endpoint = \"http://{addr}\""));
    let status = RpcStatus {
        code: 3,
        message: "field x is invalid".into(),
        details: Vec::new(),
    };
    collector.reply(400, &[("content-type", PROTOBUF)], &status.encode_to_vec());
    let err = exporter.export(&batch(traces(), None)).await.unwrap_err();
    assert_eq!(err.message, "HTTP 400 Bad Request: field x is invalid");

    collector.reply(
        400,
        &[("content-type", JSON)],
        br#"{"code":3,"message":"bad json field"}"#,
    );
    let err = exporter.export(&batch(traces(), None)).await.unwrap_err();
    assert_eq!(err.message, "HTTP 400 Bad Request: bad json field");

    let long = format!("echo: {}", "a long prompt ".repeat(100));
    collector.reply(500, &[("content-type", "text/plain")], long.as_bytes());
    let err = exporter.export(&batch(traces(), None)).await.unwrap_err();
    let server_part = err
        .message
        .strip_prefix("HTTP 500 Internal Server Error: ")
        .unwrap();
    assert!(server_part.chars().count() <= 201, "{}", err.message);
}

#[tokio::test]
async fn partial_success_counts_as_delivered_in_both_encodings() {
    let (collector, addr) = serve(false).await;
    let response = ExportTraceServiceResponse {
        partial_success: Some(ExportTracePartialSuccess {
            rejected_spans: 2,
            error_message: "too big".into(),
        }),
    };
    collector.reply(
        200,
        &[("content-type", PROTOBUF)],
        &response.encode_to_vec(),
    );
    exporter(&format!("endpoint = \"http://{addr}\""))
        .export(&batch(traces(), None))
        .await
        .unwrap();
    collector.reply(
        200,
        &[("content-type", JSON)],
        br#"{"partialSuccess":{"rejectedSpans":"2","errorMessage":"too big"}}"#,
    );
    exporter(&format!(
        "endpoint = \"http://{addr}\"\nencoding = \"json\""
    ))
    .export(&batch(traces(), None))
    .await
    .unwrap();
    assert_eq!(collector.received().len(), 2);

    assert_eq!(
        partial_success(&response.encode_to_vec(), false, "traces"),
        Some((2, "too big".into()))
    );
    for body in [
        &br#"{"partialSuccess":{"rejectedSpans":"2","errorMessage":"too big"}}"#[..],
        br#"{"partialSuccess":{"rejectedSpans":2,"errorMessage":"too big"}}"#,
    ] {
        assert_eq!(
            partial_success(body, true, "traces"),
            Some((2, "too big".into()))
        );
    }
    assert_eq!(
        partial_success(
            br#"{"partialSuccess":{"rejectedLogRecords":"5"}}"#,
            true,
            "logs"
        ),
        Some((5, String::new()))
    );
    assert_eq!(partial_success(b"{}", true, "traces"), None);
    assert_eq!(partial_success(b"", false, "traces"), None);
}

#[tokio::test]
async fn connection_failures_and_timeouts_are_retryable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let err = exporter(&format!("endpoint = \"http://{addr}\""))
        .export(&batch(traces(), None))
        .await
        .unwrap_err();
    assert_eq!(err.kind, FailureKind::Retryable, "{err}");
    assert!(
        err.message.starts_with("HTTP request failed"),
        "{}",
        err.message
    );

    let (collector, addr) = serve(false).await;
    *collector.delay.lock().unwrap() = Some(Duration::from_secs(5));
    let exporter = exporter(&format!("endpoint = \"http://{addr}\"\ntimeout_ms = 200"));
    let started = std::time::Instant::now();
    let err = exporter.export(&batch(traces(), None)).await.unwrap_err();
    assert_eq!(err.kind, FailureKind::Retryable, "{err}");
    assert!(err.message.contains("timed out"), "{}", err.message);
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn tls_trusts_the_configured_ca() {
    let (collector, addr) = serve(true).await;
    let port = addr.port();
    let exporter = exporter(&format!(
        "endpoint = \"https://localhost:{port}\"\nca = \"{TESTDATA}/ca.pem\""
    ));
    exporter.export(&batch(logs(), Some("t"))).await.unwrap();
    assert_eq!(collector.received()[0].payload(), logs());

    // Without the CA the server's certificate is not trusted (when the system has roots).
    if let Ok(exporter) = OtlpHttpExporter::new(&destination(&format!(
        "endpoint = \"https://localhost:{port}\""
    ))) {
        let err = exporter.export(&batch(logs(), None)).await.unwrap_err();
        assert_eq!(err.kind, FailureKind::Retryable, "{err}");
        assert!(collector.received().is_empty());
    }
}

#[tokio::test]
async fn tenants_are_required_and_cannot_redirect_requests() {
    let (collector, addr) = serve(false).await;
    let exporter = exporter(&format!("endpoint = \"http://{addr}/{{tenant}}\""));
    for tenant in [
        None,
        Some("../admin"),
        Some("a/b"),
        Some("x?y=1"),
        Some("a@evil.example"),
    ] {
        let err = exporter.export(&batch(traces(), tenant)).await.unwrap_err();
        assert_eq!(err.kind, FailureKind::Permanent, "{tenant:?}: {err}");
    }
    let headers = exporter_with_header(addr);
    let err = headers
        .export(&batch(traces(), Some("a\nb")))
        .await
        .unwrap_err();
    assert_eq!(err.kind, FailureKind::Permanent, "{err}");
    assert!(collector.received().is_empty());
}

fn exporter_with_header(addr: SocketAddr) -> OtlpHttpExporter {
    exporter(&format!(
        "endpoint = \"http://{addr}\"\nheaders = {{ x-scope-orgid = \"{{tenant}}\" }}"
    ))
}

#[test]
fn configuration_errors_name_the_destination_and_field() {
    let cases = [
        ("", "endpoint"),
        ("endpoint = \"localhost:4318\"", "endpoint"),
        ("endpoint = \"http://\"", "endpoint"),
        ("endpoint = \"http://localhost:4318/?a=b\"", "endpoint"),
        (
            "endpoint = \"http://localhost:4318\"\nheaders = { \"bad header\" = \"x\" }",
            "headers.bad header",
        ),
        (
            "endpoint = \"http://localhost:4318\"\nheaders = { \"x-key\" = \"a\\nb\" }",
            "headers.x-key",
        ),
        (
            "endpoint = \"http://localhost:4318\"\nheaders = { \"content-type\" = \"text/plain\" }",
            "headers.content-type",
        ),
        (
            "endpoint = \"https://localhost:4318\"\nca = \"/nonexistent/ca.pem\"",
            "ca",
        ),
    ];
    for (extra, field) in cases {
        let err = OtlpHttpExporter::new(&destination(extra)).unwrap_err();
        assert!(
            err.starts_with(&format!("destination \"vendor-a\": {field}: ")),
            "{extra}: {err}"
        );
    }
    OtlpHttpExporter::new(&destination("endpoint = \"https://{tenant}.example.com\"")).unwrap();
}

#[test]
fn http_dates_parse() {
    let now = UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
    assert_eq!(
        parse_imf_fixdate("Sun, 06 Nov 1994 08:49:37 GMT"),
        Some(784_111_777)
    );
    assert_eq!(parse_imf_fixdate("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
    assert_eq!(
        parse_imf_fixdate("Tue, 29 Feb 2028 23:59:59 GMT"),
        Some(1_835_481_599)
    );
    assert_eq!(
        parse_retry_after("Sun, 06 Nov 1994 08:50:37 GMT", now),
        Some(Duration::from_secs(60))
    );
    assert_eq!(
        parse_retry_after(" 120 ", now),
        Some(Duration::from_secs(120))
    );
    for bad in [
        "",
        "-1",
        "1.5",
        "Sun, 06 Nov 1994 08:49:37 UTC",
        "Sun, 06 Foo 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 25:49:37 GMT",
    ] {
        assert_eq!(parse_retry_after(bad, now), None, "{bad}");
    }
    let t = UNIX_EPOCH + Duration::from_secs(1_835_481_599);
    assert_eq!(httpdate(t), "Tue, 29 Feb 2028 23:59:59 GMT");
}

/// Formats an IMF-fixdate (test helper, the inverse of `parse_imf_fixdate`).
fn httpdate(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).unwrap().as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Civil from days (Howard Hinnant).
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        WEEKDAYS[(days % 7) as usize],
        MONTHS[(month - 1) as usize],
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[tokio::test]
async fn large_bodies_are_compressed_off_the_async_workers_and_arrive_intact() {
    let (collector, addr) = serve(false).await;
    let Payload::Traces(mut request) = traces() else {
        unreachable!()
    };
    let template = request.resource_spans[0].scope_spans[0].spans[0].clone();
    request.resource_spans[0].scope_spans[0].spans = vec![template; 1000];
    let big = Payload::Traces(request);
    assert!(protobuf::encode(&big).len() > BLOCKING_COMPRESSION_BYTES);
    for compression in ["gzip", "zstd"] {
        let exporter = exporter(&format!(
            "endpoint = \"http://{addr}\"\ncompression = \"{compression}\"\n\
             headers = {{ User-Agent = \"custom/1\" }}"
        ));
        exporter.export(&batch(big.clone(), None)).await.unwrap();
        let received = collector.received();
        assert!(received[0].body.len() < BLOCKING_COMPRESSION_BYTES);
        assert_eq!(received[0].payload(), big);
        // A configured header replaces sluice's own.
        assert_eq!(received[0].headers.get_all(USER_AGENT).iter().count(), 1);
        assert_eq!(received[0].headers[USER_AGENT], "custom/1");
    }
}

/// The receiver tests' certificates: a CA, a `localhost` server certificate and a client
/// certificate it signed (`src/receiver/testdata/gen.sh`).
const MTLS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/receiver/testdata");

/// A collector on 127.0.0.1 that requires a client certificate signed by the test CA.
async fn serve_mutual() -> (Arc<Collector>, SocketAddr) {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    use tokio_rustls::rustls::server::WebPkiClientVerifier;
    use tokio_rustls::rustls::{RootCertStore, ServerConfig, crypto};
    let provider = Arc::new(crypto::ring::default_provider());
    let certs = |f: &str| {
        CertificateDer::pem_file_iter(format!("{MTLS}/{f}"))
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap()
    };
    let mut roots = RootCertStore::empty();
    for ca in certs("ca.pem") {
        roots.add(ca).unwrap();
    }
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(format!("{MTLS}/server.key")).unwrap();
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(certs("server.pem"), key)
        .unwrap();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    serve_with(Some(tokio_rustls::TlsAcceptor::from(Arc::new(config)))).await
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
    let exporter = OtlpHttpExporter::new(&config).unwrap();
    exporter.export(&batch(logs(), None)).await.unwrap();
    assert_eq!(collector.received()[0].payload(), logs());
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
        let exporter = OtlpHttpExporter::new(&config).unwrap();
        let err = exporter.export(&batch(logs(), None)).await.unwrap_err();
        assert_eq!(err.kind, FailureKind::Retryable, "{identity}: {err}");

        assert_dropped_after_retries(&config, Arc::new(exporter), logs(), "logs", 1).await;
    }
    assert!(collector.received().is_empty());
}

#[test]
fn client_certificate_problems_name_the_destination_field_and_file() {
    let cert = format!("{MTLS}/client.pem");
    let key = format!("{MTLS}/client.key");
    let cases = [
        (format!("client_cert = \"{cert}\""), "client_key", "missing"),
        (
            format!("client_cert = \"{cert}\"\nclient_key = \"/nonexistent/c.key\""),
            "client_key",
            "cannot read /nonexistent/c.key",
        ),
        (
            format!("client_cert = \"{TESTDATA}/untrusted-client.pem\"\nclient_key = \"{key}\""),
            "client_key",
            "client.key does not fit the certificate in",
        ),
    ];
    for (identity, field, problem) in cases {
        let err = OtlpHttpExporter::new(&destination(&format!(
            "endpoint = \"https://localhost:4318\"\n{identity}"
        )))
        .unwrap_err();
        assert!(
            err.starts_with(&format!("destination \"vendor-a\": {field}: "))
                && err.contains(problem),
            "{identity}: {err}"
        );
    }
    let err = OtlpHttpExporter::new(&destination(&format!(
        "endpoint = \"http://localhost:4318\"\nclient_cert = \"{cert}\"\nclient_key = \"{key}\""
    )))
    .unwrap_err();
    assert!(
        err.contains("client_cert: a client certificate needs an https:// endpoint"),
        "{err}"
    );
}
