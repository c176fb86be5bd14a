//! Slow, idle and surplus clients against both receivers (plaintext and TLS), with raw
//! sockets on 127.0.0.1 playing the slow-loris: each is cut off, while a normal client on
//! another connection is served. Nothing sleeps to synchronise: closures are awaited as EOF
//! and counters polled, each with a deadline far beyond the configured limits (which are a
//! few hundred milliseconds here), and no test asserts how long anything took.

use super::testkit::{Pipeline, protobuf, server_tls, start_with, testdata, traces};
use crate::config::io::ConnectionLimits;
use crate::metrics::Metrics;
use crate::otlp::Payload;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// Connections beyond `max_connections`: answered "retry later", then closed.
mod refusal;

/// How long a test waits for what a limit of a few hundred ms must cause.
const DEADLINE: Duration = Duration::from_secs(30);

/// A limit that never fires within a test.
const NEVER: u64 = 600_000;

const PB: &str = "application/x-protobuf";

/// Every limit out of the way except those a test sets.
fn limits() -> ConnectionLimits {
    ConnectionLimits {
        header_read_timeout_ms: NEVER,
        body_read_timeout_ms: NEVER,
        idle_timeout_ms: NEVER,
        ..ConnectionLimits::default()
    }
}

/// Reads until the server closes the connection (EOF or a reset); returns what was read.
/// Panics if it is still open at [`DEADLINE`].
async fn closed_by_server(stream: &mut (impl AsyncRead + Unpin)) -> Vec<u8> {
    let mut out = Vec::new();
    let read = async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(DEADLINE, read)
        .await
        .expect("the server did not close the connection");
    out
}

/// Polls the metrics until `series` is at least `at_least`.
async fn counted(metrics: &Metrics, series: &str, at_least: u64) {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let text = metrics.encode();
        let value = crate::export::testkit::metric_value(&text, series);
        if value >= at_least {
            return;
        }
        assert!(Instant::now() < deadline, "{series} < {at_least}:\n{text}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Polls the metrics until `series` is exactly `value`.
async fn gauge_is(metrics: &Metrics, series: &str, value: u64) {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let text = metrics.encode();
        if crate::export::testkit::metric_value(&text, series) == value {
            return;
        }
        assert!(Instant::now() < deadline, "{series} != {value}:\n{text}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn timeouts(receiver: &str, phase: &str) -> String {
    format!(r#"sluice_receiver_timeouts_total{{receiver="{receiver}",phase="{phase}"}}"#)
}

fn connections(receiver: &str) -> String {
    format!(r#"sluice_receiver_connections{{receiver="{receiver}"}}"#)
}

/// A normal OTLP/HTTP client's request on a connection of its own: must succeed.
async fn normal_post(addr: SocketAddr, name: &str) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let request = http::Request::post(format!("http://{addr}/v1/traces"))
        .header("content-type", PB)
        .body(Full::new(Bytes::from(protobuf(Payload::Traces(traces(
            name,
        ))))))
        .unwrap();
    let response = client.request(request).await.unwrap();
    assert_eq!(response.status(), http::StatusCode::OK);
    response.into_body().collect().await.unwrap();
}

/// A complete, valid OTLP/HTTP request (keep-alive).
fn full_request(addr: SocketAddr, name: &str) -> Vec<u8> {
    let body = protobuf(Payload::Traces(traces(name)));
    let mut request = format!(
        "POST /v1/traces HTTP/1.1\r\nhost: {addr}\r\ncontent-type: {PB}\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(&body);
    request
}

/// Reads one HTTP/1.1 response with a `content-length` (the receiver's always have one).
async fn read_response(stream: &mut (impl AsyncRead + Unpin)) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let read = async {
        loop {
            let n = stream.read(&mut buf).await.unwrap();
            assert_ne!(n, 0, "closed before a full response");
            out.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&out).to_string();
            if let Some(end) = text.find("\r\n\r\n") {
                let length: usize = text[..end]
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length: ")
                            .map(|v| v.trim().parse().unwrap())
                    })
                    .unwrap();
                if out.len() >= end + 4 + length {
                    return text;
                }
            }
        }
    };
    tokio::time::timeout(DEADLINE, read)
        .await
        .expect("no response")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_head_that_never_completes_is_cut_off_while_others_are_served() {
    let pipeline = Pipeline::start("");
    let metrics = pipeline.ingest.metrics().clone();
    let limits = ConnectionLimits {
        header_read_timeout_ms: 300,
        ..limits()
    };
    let rx = start_with(false, 1 << 20, None, limits, &pipeline.ingest).await;
    let addr = rx.bound.address;

    // Half a request line, then nothing.
    let mut stalled = TcpStream::connect(addr).await.unwrap();
    stalled.write_all(b"POST /v1/tr").await.unwrap();
    // Headers dribbled a byte at a time, never finished.
    let mut dribbling = TcpStream::connect(addr).await.unwrap();
    dribbling
        .write_all(b"POST /v1/traces HTTP/1.1\r\nx-slow: ")
        .await
        .unwrap();
    // Connected, and not a byte sent.
    let mut silent = TcpStream::connect(addr).await.unwrap();

    normal_post(addr, "span-beside-slow-clients").await;

    assert!(closed_by_server(&mut stalled).await.is_empty());
    assert!(closed_by_server(&mut silent).await.is_empty());
    let dribble = async {
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        let mut buf = [0u8; 64];
        loop {
            tokio::select! {
                read = dribbling.read(&mut buf) => if matches!(read, Ok(0) | Err(_)) { return },
                _ = tick.tick() => if dribbling.write_all(b"a").await.is_err() { return },
            }
        }
    };
    tokio::time::timeout(DEADLINE, dribble)
        .await
        .expect("a client dribbling its headers was not cut off");

    counted(&metrics, &timeouts("otlp_http", "header"), 3).await;
    // The server still serves.
    normal_post(addr, "span-after-slow-clients").await;
    rx.stop().await;
    let out = pipeline.finish().await;
    assert!(out.contains("span-beside-slow-clients") && out.contains("span-after-slow-clients"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_never_arrives_is_answered_408_and_its_connection_closed() {
    let pipeline = Pipeline::start("");
    let metrics = pipeline.ingest.metrics().clone();
    let limits = ConnectionLimits {
        body_read_timeout_ms: 300,
        ..limits()
    };
    let rx = start_with(false, 1 << 20, None, limits, &pipeline.ingest).await;
    let addr = rx.bound.address;

    let mut slow = TcpStream::connect(addr).await.unwrap();
    // JSON, so the error answer is JSON too.
    let head = format!(
        "POST /v1/traces HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n"
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    slow.write_all(b"{\"resourceS").await.unwrap();
    normal_post(addr, "span-beside-a-slow-body").await;

    let response = String::from_utf8(closed_by_server(&mut slow).await).unwrap();
    assert!(
        response.starts_with("HTTP/1.1 408 Request Timeout\r\n"),
        "{response}"
    );
    assert!(response.contains("connection: close\r\n"), "{response}");
    let rpc: serde_json::Value =
        serde_json::from_str(&response[response.find("\r\n\r\n").unwrap() + 4..]).unwrap();
    assert_eq!(rpc["code"], tonic::Code::DeadlineExceeded as i32);
    assert!(
        rpc["message"].as_str().unwrap().contains("within 300 ms"),
        "{rpc}"
    );
    counted(&metrics, &timeouts("otlp_http", "body"), 1).await;

    rx.stop().await;
    let out = pipeline.finish().await;
    assert!(out.contains("span-beside-a-slow-body"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_is_closed() {
    let pipeline = Pipeline::start("");
    let metrics = pipeline.ingest.metrics().clone();
    // hyper's header timer also closes idle HTTP/1.1 connections: out of the way here, so
    // only the idle timeout can close this one within the test's deadline.
    let limits = ConnectionLimits {
        idle_timeout_ms: 300,
        ..limits()
    };
    let rx = start_with(false, 1 << 20, None, limits, &pipeline.ingest).await;
    let addr = rx.bound.address;

    let mut conn = TcpStream::connect(addr).await.unwrap();
    for name in ["first-on-keep-alive", "second-on-keep-alive"] {
        conn.write_all(&full_request(addr, name)).await.unwrap();
        let response = read_response(&mut conn).await;
        assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
        assert!(!response.contains("connection: close"), "{response}");
    }
    assert!(closed_by_server(&mut conn).await.is_empty());
    counted(&metrics, &timeouts("otlp_http", "idle"), 1).await;
    gauge_is(&metrics, &connections("otlp_http"), 0).await;

    rx.stop().await;
    let out = pipeline.finish().await;
    assert!(out.contains("second-on-keep-alive"));
}

/// A client trusting the test CA, offering `alpn` (none when empty).
fn tls_client(alpn: &[u8]) -> tokio_rustls::rustls::ClientConfig {
    use tokio_rustls::rustls::{ClientConfig, RootCertStore, crypto};
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(testdata("ca.pem")).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let mut config =
        ClientConfig::builder_with_provider(Arc::new(crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
    if !alpn.is_empty() {
        config.alpn_protocols = vec![alpn.to_vec()];
    }
    config
}

fn tls_connector(alpn: &[u8]) -> tokio_rustls::TlsConnector {
    tokio_rustls::TlsConnector::from(Arc::new(tls_client(alpn)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_are_cut_off_over_tls_too() {
    let pipeline = Pipeline::start("");
    let metrics = pipeline.ingest.metrics().clone();
    let limits = ConnectionLimits {
        header_read_timeout_ms: 300,
        ..limits()
    };
    let rx = start_with(
        false,
        1 << 20,
        Some(server_tls(false)),
        limits,
        &pipeline.ingest,
    )
    .await;
    let addr = rx.bound.address;
    let localhost = ServerName::try_from("localhost").unwrap();

    // Never starts the handshake.
    let mut no_handshake = TcpStream::connect(addr).await.unwrap();
    // HTTP/1.1 over TLS: half a request line.
    let tcp = TcpStream::connect(addr).await.unwrap();
    let mut http1 = tls_connector(b"http/1.1")
        .connect(localhost.clone(), tcp)
        .await
        .unwrap();
    http1.write_all(b"POST /v1/tr").await.unwrap();
    http1.flush().await.unwrap();
    // HTTP/2 over TLS: not even the connection preface.
    let tcp = TcpStream::connect(addr).await.unwrap();
    let mut http2 = tls_connector(b"h2").connect(localhost, tcp).await.unwrap();
    assert_eq!(http2.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));

    // A normal client over TLS is served meanwhile.
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls_client(b""))
        .https_only()
        .enable_http1()
        .build();
    let client = Client::builder(TokioExecutor::new()).build::<_, Full<Bytes>>(https);
    let request = http::Request::post(format!("https://localhost:{}/v1/traces", addr.port()))
        .header("content-type", PB)
        .body(Full::new(Bytes::from(protobuf(Payload::Traces(traces(
            "span-over-tls-beside-slow-clients",
        ))))))
        .unwrap();
    let response = client.request(request).await.unwrap();
    assert_eq!(response.status(), http::StatusCode::OK);

    closed_by_server(&mut no_handshake).await;
    closed_by_server(&mut http1).await;
    closed_by_server(&mut http2).await;
    counted(&metrics, &timeouts("otlp_http", "handshake"), 1).await;
    counted(&metrics, &timeouts("otlp_http", "header"), 2).await;

    rx.stop().await;
    assert!(
        pipeline
            .finish()
            .await
            .contains("span-over-tls-beside-slow-clients")
    );
}

/// A request body that sends its first bytes and then nothing, ever.
struct Stalled(Option<Bytes>);

impl Body for Stalled {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match self.0.take() {
            Some(first) => Poll::Ready(Some(Ok(Frame::data(first)))),
            None => Poll::Pending,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_clients_that_stall_or_idle_are_cut_off() {
    let pipeline = Pipeline::start("");
    let metrics = pipeline.ingest.metrics().clone();
    let limits = ConnectionLimits {
        header_read_timeout_ms: 300,
        body_read_timeout_ms: 300,
        idle_timeout_ms: 300,
        ..limits()
    };
    let rx = start_with(true, 1 << 20, None, limits, &pipeline.ingest).await;
    let addr = rx.bound.address;

    // Half the HTTP/2 connection preface.
    let mut stalled = TcpStream::connect(addr).await.unwrap();
    stalled.write_all(b"PRI * HTTP/2.0\r\n").await.unwrap();

    // A request whose message never arrives: a gRPC frame header promising 100 bytes.
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (mut sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
            .await
            .unwrap();
    tokio::spawn(connection);
    let request = http::Request::post(format!(
        "http://{addr}/opentelemetry.proto.collector.trace.v1.TraceService/Export"
    ))
    .header("content-type", "application/grpc")
    .header("te", "trailers")
    .body(Stalled(Some(Bytes::from_static(&[0, 0, 0, 0, 100]))))
    .unwrap();
    let response = tokio::time::timeout(DEADLINE, sender.send_request(request))
        .await
        .expect("no answer to a stalled request body")
        .unwrap();
    let (parts, body) = response.into_parts();
    let trailers = tokio::time::timeout(DEADLINE, body.collect())
        .await
        .unwrap()
        .unwrap()
        .trailers()
        .cloned()
        .unwrap_or_default();
    let status = parts
        .headers
        .get("grpc-status")
        .or_else(|| trailers.get("grpc-status"))
        .expect("a gRPC status");
    assert_eq!(status, &(tonic::Code::DeadlineExceeded as i32).to_string());
    counted(&metrics, &timeouts("otlp_grpc", "body"), 1).await;

    // A normal client is served meanwhile; its connection is closed once idle.
    let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    TraceServiceClient::new(channel)
        .export(traces("span-over-grpc-beside-slow-clients"))
        .await
        .unwrap();

    // (It did get the server's SETTINGS, and a GOAWAY: HTTP/2 servers speak first.)
    closed_by_server(&mut stalled).await;
    counted(&metrics, &timeouts("otlp_grpc", "header"), 1).await;
    counted(&metrics, &timeouts("otlp_grpc", "idle"), 1).await;
    gauge_is(&metrics, &connections("otlp_grpc"), 0).await;

    rx.stop().await;
    assert!(
        pipeline
            .finish()
            .await
            .contains("span-over-grpc-beside-slow-clients")
    );
}
