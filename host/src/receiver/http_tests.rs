//! OTLP/HTTP end to end: a hyper client against the receiver and a real pipeline.

use super::status::RpcStatus;
use super::testkit::{API_KEY_TENANCY, Pipeline, logs, metrics, protobuf, start, traces};
use crate::otlp::Payload;
use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use std::io::Write;
use std::net::SocketAddr;

const PB: &str = "application/x-protobuf";
const JSON: &str = "application/json";

async fn send(
    addr: SocketAddr,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> (StatusCode, HeaderMap, Bytes) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut request = Request::builder()
        .method(method)
        .uri(format!("http://{addr}{path}"));
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = client
        .request(request.body(Full::new(Bytes::from(body))).unwrap())
        .await
        .unwrap();
    let (parts, body) = response.into_parts();
    (
        parts.status,
        parts.headers,
        body.collect().await.unwrap().to_bytes(),
    )
}

async fn post(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> (StatusCode, HeaderMap, Bytes) {
    send(addr, Method::POST, path, headers, body).await
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

fn json_status(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepts_every_signal_encoding_and_compression() {
    let pipeline = Pipeline::start("");
    let rx = start(false, 1 << 20, None, &pipeline.ingest).await;
    let addr = rx.bound.address;

    let body = protobuf(Payload::Traces(traces("span-over-http")));
    let (status, headers, body) = post(addr, "/v1/traces", &[("content-type", PB)], body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], PB);
    let response: ExportTraceServiceResponse = prost::Message::decode(body).unwrap();
    assert_eq!(response.partial_success, None);

    let json = serde_json::to_vec(&logs("log-over-http-gzip")).unwrap();
    let headers = [
        ("content-type", "application/json; charset=utf-8"),
        ("content-encoding", "gzip"),
    ];
    let (status, headers, body) = post(addr, "/v1/logs", &headers, gzip(&json)).await;
    assert_eq!((status, &body[..]), (StatusCode::OK, &b"{}"[..]));
    assert_eq!(headers["content-type"], JSON);

    let body = zstd::stream::encode_all(
        &protobuf(Payload::Metrics(metrics("metric-over-http-zstd")))[..],
        3,
    )
    .unwrap();
    let (status, ..) = post(
        addr,
        "/v1/metrics",
        &[("content-type", PB), ("content-encoding", "zstd")],
        body,
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    rx.stop().await;
    let out = pipeline.finish().await;
    for name in [
        "span-over-http",
        "log-over-http-gzip",
        "metric-over-http-zstd",
    ] {
        assert!(out.contains(name), "{name} missing from {out}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_bad_requests_with_a_status_body() {
    let pipeline = Pipeline::start("");
    let rx = start(false, 4096, None, &pipeline.ingest).await;
    let addr = rx.bound.address;
    let good = protobuf(Payload::Traces(traces("t")));

    let (status, headers, body) = send(addr, Method::GET, "/v1/traces", &[], vec![]).await;
    assert_eq!(
        (status, headers["allow"].to_str().unwrap()),
        (StatusCode::METHOD_NOT_ALLOWED, "POST")
    );
    assert_eq!(
        json_status(&body)["code"],
        tonic::Code::Unimplemented as i32
    );

    let (status, ..) = post(addr, "/v1/spans", &[("content-type", PB)], good.clone()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, _, body) = post(
        addr,
        "/v1/traces",
        &[("content-type", "text/plain")],
        good.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(
        json_status(&body)["message"]
            .as_str()
            .unwrap()
            .contains("Content-Type")
    );
    let (status, ..) = post(addr, "/v1/traces", &[], good.clone()).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (status, headers, _) = post(
        addr,
        "/v1/traces",
        &[("content-type", PB), ("content-encoding", "br")],
        good,
    )
    .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(headers["accept-encoding"], "gzip, zstd");

    // Too large as sent, and too large once inflated (a zip bomb well under the limit).
    let (status, _, body) = post(addr, "/v1/logs", &[("content-type", PB)], vec![0; 5000]).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let rpc: RpcStatus = prost::Message::decode(body).unwrap();
    assert!(rpc.message.contains("4096 bytes"), "{}", rpc.message);
    let bomb = gzip(&vec![0; 1 << 20]);
    assert!(bomb.len() < 4096);
    let (status, ..) = post(
        addr,
        "/v1/logs",
        &[("content-type", PB), ("content-encoding", "gzip")],
        bomb,
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);

    // Garbage: 400, saying what failed without repeating what was sent.
    let secret = br#"{"resourceLogs":[{"scopeLogs":"sk-SECRET-123"}]}"#.to_vec();
    let (status, _, body) = post(addr, "/v1/logs", &[("content-type", JSON)], secret).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let message = json_status(&body)["message"].as_str().unwrap().to_string();
    assert!(
        message.contains("ExportLogsServiceRequest") && !message.contains("SECRET"),
        "{message}"
    );
    let (status, _, body) = post(
        addr,
        "/v1/metrics",
        &[("content-type", PB)],
        b"\x0a\x7fSECRET".to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let rpc: RpcStatus = prost::Message::decode(body).unwrap();
    assert_eq!(rpc.code, tonic::Code::InvalidArgument as i32);
    assert!(!rpc.message.contains("SECRET"), "{}", rpc.message);
    let (status, _, body) = post(
        addr,
        "/v1/metrics",
        &[("content-type", JSON), ("content-encoding", "gzip")],
        b"SECRET".to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(json_status(&body)["message"], "body is not valid gzip data");

    rx.stop().await;
    assert_eq!(pipeline.finish().await, "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_ingest_refusals() {
    let pipeline = Pipeline::start(API_KEY_TENANCY);
    let rx = start(false, 1 << 20, None, &pipeline.ingest).await;
    let addr = rx.bound.address;
    let body = protobuf(Payload::Traces(traces("t")));

    let (status, _, reply) = post(addr, "/v1/traces", &[("content-type", PB)], body.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let rpc: RpcStatus = prost::Message::decode(reply).unwrap();
    assert_eq!(rpc.code, tonic::Code::Unauthenticated as i32);
    let auth = [("content-type", PB), ("authorization", "Bearer test-key")];
    let (status, ..) = post(addr, "/v1/traces", &auth, body.clone()).await;
    assert_eq!(status, StatusCode::OK);

    // A stopped pipeline is "try again later": 503, Retry-After, and RetryInfo in the body.
    pipeline.stop();
    let (status, headers, reply) = post(addr, "/v1/traces", &auth, body).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(headers["retry-after"], "1");
    let rpc: RpcStatus = prost::Message::decode(reply).unwrap();
    assert_eq!(rpc.retry_after(), Some(std::time::Duration::from_secs(1)));
    let json = serde_json::to_vec(&logs("l")).unwrap();
    let (status, _, reply) = post(
        addr,
        "/v1/logs",
        &[("content-type", JSON), ("authorization", "Bearer test-key")],
        json,
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(json_status(&reply)["details"][0]["retryDelay"], "1s");

    let address = rx.bound.address;
    rx.stop().await;
    // Stopped means the port no longer accepts connections.
    assert!(tokio::net::TcpStream::connect(address).await.is_err());
    pipeline.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finishes_in_flight_requests_on_shutdown() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let pipeline = Pipeline::start("");
    let rx = start(false, 1 << 20, None, &pipeline.ingest).await;
    let addr = rx.bound.address;
    let body = protobuf(Payload::Traces(traces("span-in-flight")));
    let (first, rest) = body.split_at(body.len() / 2);

    // Half a request is in flight when shutdown starts.
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /v1/traces HTTP/1.1\r\nhost: {addr}\r\ncontent-type: {PB}\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    conn.write_all(first).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    rx.shutdown.cancel();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;

    // New connections are refused; the one in flight completes.
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    assert!(!rx.bound.handle.is_finished());
    conn.write_all(rest).await.unwrap();
    let mut response = Vec::new();
    conn.read_to_end(&mut response).await.unwrap();
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");

    rx.stop().await;
    assert!(pipeline.finish().await.contains("span-in-flight"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_before_the_chain_when_every_destination_queue_is_full() {
    use crate::export::testkit::{Hang, metric_value, wait_until};
    // One `reject` destination that never answers, holding one batch: its only worker is
    // stuck on the first request, the second fills the queue.
    let hang = Hang::start().await;
    let pipeline = Pipeline::start_without_file(&format!(
        "[[plugins]]\nname = \"cost\"\nbuiltin = \"cost\"\n\n\
         [[destinations]]\nname = \"stuck\"\ntype = \"otlp_http\"\nendpoint = \"http://{}\"\n\
         timeout_ms = 600000\nqueue = {{ capacity = 1, workers = 1, on_full = \"reject\" }}\n\
         batch = {{ timeout_ms = 0 }}\n\
         retry = {{ initial_backoff_ms = 1, max_backoff_ms = 1, max_elapsed_ms = 1 }}\n",
        hang.addr
    ));
    let metrics = pipeline.ingest.metrics().clone();
    let rx = start(false, 1 << 20, None, &pipeline.ingest).await;
    let addr = rx.bound.address;
    let body = protobuf(Payload::Traces(traces("t")));
    let calls = || {
        metric_value(
            &metrics.encode(),
            r#"sluice_plugin_calls_total{plugin="cost"}"#,
        )
    };

    let (status, ..) = post(addr, "/v1/traces", &[("content-type", PB)], body.clone()).await;
    assert_eq!(status, StatusCode::OK);
    wait_until("the worker is stuck exporting", || hang.accepted() >= 1).await;
    let (status, ..) = post(addr, "/v1/traces", &[("content-type", PB)], body.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(calls(), 2);

    // Full: refused as "try again later", and the plugin chain never saw the request.
    let (status, headers, reply) =
        post(addr, "/v1/traces", &[("content-type", PB)], body.clone()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(headers["retry-after"], "1");
    let rpc: RpcStatus = prost::Message::decode(reply).unwrap();
    assert!(
        rpc.message.contains("every destination queue is full"),
        "{}",
        rpc.message
    );
    assert_eq!(calls(), 2);

    hang.release();
    rx.stop().await;
    pipeline.finish().await;
}
