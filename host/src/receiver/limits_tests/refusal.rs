//! Connections beyond `max_connections` get the OTLP "retry later" answer (503 with
//! `Retry-After`; gRPC `UNAVAILABLE` with `RetryInfo`) and are then closed, over HTTP/1.1,
//! HTTP/2, gRPC and TLS; once a slot is free, a new connection is served normally.

use super::{
    DEADLINE, PB, closed_by_server, connections, counted, full_request, gauge_is, limits,
    normal_post, tls_connector,
};
use crate::config::io::ConnectionLimits;
use crate::otlp::Payload;
use crate::receiver::status::RpcStatus;
use crate::receiver::testkit::{Pipeline, protobuf, server_tls, start_with, traces};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use rustls_pki_types::ServerName;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

fn refused(receiver: &str) -> String {
    format!(r#"sluice_receiver_connections_refused_total{{receiver="{receiver}"}}"#)
}

/// One connection at most, and no other limit in the way.
fn one_connection() -> ConnectionLimits {
    ConnectionLimits {
        max_connections: 1,
        ..limits()
    }
}

/// Asserts `rpc` is the refusal: `UNAVAILABLE`, naming the limit, retry after 1 s.
fn assert_refusal(rpc: &RpcStatus) {
    assert_eq!(rpc.code, tonic::Code::Unavailable as i32, "{rpc:?}");
    assert!(rpc.message.contains("max_connections"), "{rpc:?}");
    assert_eq!(rpc.retry_after(), Some(Duration::from_secs(1)), "{rpc:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http1_client_beyond_max_connections_gets_503_with_retry_after_then_a_slot() {
    let pipeline = Pipeline::start("");
    let metrics = pipeline.ingest.metrics().clone();
    let rx = start_with(false, 1 << 20, None, one_connection(), &pipeline.ingest).await;
    let addr = rx.bound.address;

    let holder = TcpStream::connect(addr).await.unwrap();
    gauge_is(&metrics, &connections("otlp_http"), 1).await;

    // Protobuf: answered in protobuf, then the connection is closed.
    let mut over = TcpStream::connect(addr).await.unwrap();
    over.write_all(&full_request(addr, "refused-span"))
        .await
        .unwrap();
    let response = closed_by_server(&mut over).await;
    let end = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8_lossy(&response[..end]).to_string();
    assert!(
        head.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
        "{head}"
    );
    for header in [
        "retry-after: 1",
        "connection: close",
        "content-type: application/x-protobuf",
    ] {
        assert!(head.lines().any(|l| l == header), "{header}: {head}");
    }
    let rpc: RpcStatus = prost::Message::decode(&response[end + 4..]).unwrap();
    assert_refusal(&rpc);
    counted(&metrics, &refused("otlp_http"), 1).await;

    // JSON, from an ordinary HTTP client: answered in JSON.
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let request = http::Request::post(format!("http://{addr}/v1/traces"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from_static(b"{\"resourceSpans\":[]}")))
        .unwrap();
    let response = tokio::time::timeout(DEADLINE, client.request(request))
        .await
        .expect("no answer")
        .unwrap();
    assert_eq!(response.status(), http::StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "1");
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(json["code"], tonic::Code::Unavailable as i32, "{json}");
    assert_eq!(json["details"][0]["retryDelay"], "1s", "{json}");
    counted(&metrics, &refused("otlp_http"), 2).await;
    // Refused connections never took a slot.
    gauge_is(&metrics, &connections("otlp_http"), 1).await;

    // Once the slot is back, a new connection is served.
    drop(holder);
    gauge_is(&metrics, &connections("otlp_http"), 0).await;
    normal_post(addr, "span-after-a-slot-freed").await;

    rx.stop().await;
    let out = pipeline.finish().await;
    assert!(out.contains("span-after-a-slot-freed") && !out.contains("refused-span"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grpc_client_beyond_max_connections_gets_unavailable_then_a_slot() {
    let pipeline = Pipeline::start("");
    let metrics = pipeline.ingest.metrics().clone();
    let rx = start_with(true, 1 << 20, None, one_connection(), &pipeline.ingest).await;
    let addr = rx.bound.address;

    let holder = TcpStream::connect(addr).await.unwrap();
    gauge_is(&metrics, &connections("otlp_grpc"), 1).await;

    let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let status = tokio::time::timeout(
        DEADLINE,
        TraceServiceClient::new(channel).export(traces("refused-span")),
    )
    .await
    .expect("no answer")
    .unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unavailable, "{status:?}");
    let rpc: RpcStatus = prost::Message::decode(status.details()).unwrap();
    assert_refusal(&rpc);
    assert_eq!(rpc.message, status.message());
    counted(&metrics, &refused("otlp_grpc"), 1).await;

    drop(holder);
    gauge_is(&metrics, &connections("otlp_grpc"), 0).await;
    let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    TraceServiceClient::new(channel)
        .export(traces("span-over-grpc-after-a-slot-freed"))
        .await
        .unwrap();

    rx.stop().await;
    let out = pipeline.finish().await;
    assert!(out.contains("span-over-grpc-after-a-slot-freed") && !out.contains("refused-span"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_tls_an_http2_client_beyond_max_connections_gets_503_then_goaway() {
    let pipeline = Pipeline::start("");
    let metrics = pipeline.ingest.metrics().clone();
    let tls = Some(server_tls(false));
    let rx = start_with(false, 1 << 20, tls, one_connection(), &pipeline.ingest).await;
    let addr = rx.bound.address;

    // Holds the slot: connected, handshake never started.
    let holder = TcpStream::connect(addr).await.unwrap();
    gauge_is(&metrics, &connections("otlp_http"), 1).await;

    let tcp = TcpStream::connect(addr).await.unwrap();
    let localhost = ServerName::try_from("localhost").unwrap();
    let stream = tls_connector(b"h2").connect(localhost, tcp).await.unwrap();
    assert_eq!(stream.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (mut sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .unwrap();
    let connection = tokio::spawn(connection);
    let request = http::Request::post(format!("https://localhost:{}/v1/traces", addr.port()))
        .header("content-type", PB)
        .body(Full::new(Bytes::from(protobuf(Payload::Traces(traces(
            "refused-span",
        ))))))
        .unwrap();
    let response = tokio::time::timeout(DEADLINE, sender.send_request(request))
        .await
        .expect("no answer")
        .unwrap();
    assert_eq!(response.status(), http::StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "1");
    assert!(!response.headers().contains_key("connection"));
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_refusal(&prost::Message::decode(body).unwrap());
    // Then the server ends the connection.
    let _ = tokio::time::timeout(DEADLINE, connection)
        .await
        .expect("the refused HTTP/2 connection was not closed");
    counted(&metrics, &refused("otlp_http"), 1).await;

    drop(holder);
    gauge_is(&metrics, &connections("otlp_http"), 0).await;
    rx.stop().await;
    assert!(!pipeline.finish().await.contains("refused-span"));
}
