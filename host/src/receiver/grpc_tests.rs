//! OTLP/gRPC end to end: tonic's generated clients against the receiver and a real pipeline.

use super::status::RpcStatus;
use super::testkit::{API_KEY_TENANCY, Pipeline, logs, metrics, start, traces};
use opentelemetry_proto::tonic::collector::logs::v1::logs_service_client::LogsServiceClient;
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_client::MetricsServiceClient;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value::Value};
use std::net::SocketAddr;
use std::time::Duration;
use tonic::Code;
use tonic::codec::CompressionEncoding;
use tonic::transport::Channel;

async fn channel(addr: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap()
}

fn with_key<T>(message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", "Bearer test-key".parse().unwrap());
    request
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_every_signal_compressed_or_not() {
    let pipeline = Pipeline::start("");
    let rx = start(true, 1 << 20, None, &pipeline.ingest).await;
    let ch = channel(rx.bound.address).await;

    let mut traces_client =
        TraceServiceClient::new(ch.clone()).send_compressed(CompressionEncoding::Gzip);
    let reply = traces_client
        .export(traces("span-over-grpc-gzip"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reply.partial_success, None);
    let mut logs_client =
        LogsServiceClient::new(ch.clone()).send_compressed(CompressionEncoding::Zstd);
    logs_client
        .export(logs("log-over-grpc-zstd"))
        .await
        .unwrap();
    let mut metrics_client = MetricsServiceClient::new(ch);
    metrics_client
        .export(metrics("metric-over-grpc"))
        .await
        .unwrap();

    rx.stop().await;
    let out = pipeline.finish().await;
    for name in [
        "span-over-grpc-gzip",
        "log-over-grpc-zstd",
        "metric-over-grpc",
    ] {
        assert!(out.contains(name), "{name} missing from {out}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_messages_over_the_limit_even_compressed() {
    let pipeline = Pipeline::start("");
    let rx = start(true, 4096, None, &pipeline.ingest).await;
    let mut big = traces("big");
    let attribute = KeyValue {
        key: "padding".into(),
        value: Some(AnyValue {
            value: Some(Value::StringValue("x".repeat(64 << 10))),
        }),
        ..Default::default()
    };
    big.resource_spans[0].scope_spans[0].spans[0]
        .attributes
        .push(attribute);
    for compression in [None, Some(CompressionEncoding::Gzip)] {
        let mut client = TraceServiceClient::new(channel(rx.bound.address).await);
        if let Some(c) = compression {
            // 64 KiB of `x` compresses far below the limit; inflating it must still stop.
            client = client.send_compressed(c);
        }
        let err = client.export(big.clone()).await.unwrap_err();
        assert!(
            matches!(err.code(), Code::OutOfRange | Code::ResourceExhausted),
            "{compression:?}: {err:?}"
        );
    }
    rx.stop().await;
    assert_eq!(pipeline.finish().await, "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_ingest_refusals_with_retry_info() {
    let pipeline = Pipeline::start(API_KEY_TENANCY);
    let rx = start(true, 1 << 20, None, &pipeline.ingest).await;
    let mut client = LogsServiceClient::new(channel(rx.bound.address).await);

    let err = client.export(logs("no key")).await.unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated, "{err:?}");
    client.export(with_key(logs("with key"))).await.unwrap();

    pipeline.stop();
    let err = client.export(with_key(logs("l"))).await.unwrap_err();
    assert_eq!(err.code(), Code::Unavailable, "{err:?}");
    let details: RpcStatus = prost::Message::decode(err.details()).unwrap();
    assert_eq!(details.code, Code::Unavailable as i32);
    assert_eq!(details.retry_after(), Some(Duration::from_secs(1)));

    let address = rx.bound.address;
    rx.stop().await;
    assert!(tokio::net::TcpStream::connect(address).await.is_err());
    pipeline.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_services_are_unimplemented() {
    use http_body_util::{BodyExt, Empty};
    let pipeline = Pipeline::start("");
    let rx = start(true, 1 << 20, None, &pipeline.ingest).await;
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .http2_only(true)
        .build_http::<Empty<bytes::Bytes>>();
    for path in [
        "/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export",
        "/opentelemetry.proto.collector.trace.v1.TraceService/Nope",
    ] {
        let request = http::Request::post(format!("http://{}{path}", rx.bound.address))
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .body(Empty::new())
            .unwrap();
        let response = client.request(request).await.unwrap();
        assert_eq!(response.status(), http::StatusCode::OK);
        // A trailers-only reply: the status is in the headers.
        assert_eq!(response.headers()["grpc-status"], "12", "{path}");
        response.into_body().collect().await.unwrap();
    }
    rx.stop().await;
    pipeline.finish().await;
}

/// Sends `body` as the message of gRPC method `path`, through the receiver's own bytes codec.
async fn raw_call(
    ch: Channel,
    path: &'static str,
    body: &[u8],
) -> Result<bytes::Bytes, tonic::Status> {
    let mut grpc = tonic::client::Grpc::new(ch);
    grpc.ready().await.unwrap();
    let request = tonic::Request::new(bytes::Bytes::copy_from_slice(body));
    let path = http::uri::PathAndQuery::from_static(path);
    grpc.unary(request, path, super::grpc::BytesCodec)
        .await
        .map(tonic::Response::into_inner)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undecodable_requests_are_invalid_arguments_and_unknown_methods_unimplemented() {
    let pipeline = Pipeline::start("");
    let rx = start(true, 1 << 20, None, &pipeline.ingest).await;
    let ch = channel(rx.bound.address).await;
    // Field 1 (resource entries) whose length runs past the end; the bytes say `SECRET`.
    let truncated = [0x0a, 0x20, b'S', b'E', b'C', b'R', b'E', b'T'];
    let path = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";
    let err = raw_call(ch.clone(), path, &truncated).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
    assert!(
        err.message()
            .contains("invalid protobuf ExportLogsServiceRequest: "),
        "{err:?}"
    );
    assert!(!err.message().contains("SECRET"), "{err:?}");
    // A valid request through the same path is accepted: the codec is not the problem.
    let valid = prost::Message::encode_to_vec(&logs("raw-grpc-log"));
    raw_call(ch.clone(), path, &valid).await.unwrap();
    let other = "/opentelemetry.proto.collector.logs.v1.LogsService/Other";
    let err = raw_call(ch, other, &valid).await.unwrap_err();
    assert_eq!(err.code(), Code::Unimplemented, "{err:?}");
    rx.stop().await;
    assert!(pipeline.finish().await.contains("raw-grpc-log"));
}
