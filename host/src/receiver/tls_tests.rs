//! TLS on both receivers, with the certificates in `testdata/` (see `gen.sh` there).

use super::ReceiverError;
use super::testkit::{Pipeline, protobuf, receiver_config, server_tls, start, testdata, traces};
use crate::config::io::{ConnectionLimits, ServerTls};
use crate::otlp::Payload;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use std::sync::Arc;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_util::sync::CancellationToken;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};

async fn serve_error(tls: ServerTls, pipeline: &Pipeline) -> String {
    let config = receiver_config(false, 1024, Some(tls), ConnectionLimits::default());
    match super::serve(&config, pipeline.ingest.clone(), CancellationToken::new()).await {
        Err(e @ ReceiverError::Tls { .. }) => e.to_string(),
        other => panic!("expected a TLS error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_problems_name_the_file() {
    let pipeline = Pipeline::start("");
    let good = server_tls(false);

    let missing = ServerTls {
        cert: testdata("nope.pem"),
        ..good.clone()
    };
    let e = serve_error(missing, &pipeline).await;
    assert!(
        e.starts_with("otlp_http receiver on 127.0.0.1:0: TLS: cannot read "),
        "{e}"
    );
    assert!(e.contains("nope.pem"), "{e}");

    let e = serve_error(
        ServerTls {
            key: testdata("server.pem"),
            ..good.clone()
        },
        &pipeline,
    )
    .await;
    assert!(e.contains("server.pem: no PRIVATE KEY block"), "{e}");
    let e = serve_error(
        ServerTls {
            cert: testdata("server.key"),
            ..good.clone()
        },
        &pipeline,
    )
    .await;
    assert!(e.contains("server.key: no CERTIFICATE block"), "{e}");
    let e = serve_error(
        ServerTls {
            client_ca: Some(testdata("client.key")),
            ..good.clone()
        },
        &pipeline,
    )
    .await;
    assert!(e.contains("client.key: no CERTIFICATE block"), "{e}");
    // The client's key does not belong to the server's certificate.
    let e = serve_error(
        ServerTls {
            key: testdata("client.key"),
            ..good
        },
        &pipeline,
    )
    .await;
    assert!(
        e.contains("server.pem with ") && e.contains("client.key"),
        "{e}"
    );
    pipeline.finish().await;
}

fn client_tls() -> ClientConfig {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(testdata("ca.pem")).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_over_tls() {
    let pipeline = Pipeline::start("");
    let rx = start(false, 1 << 20, Some(server_tls(false)), &pipeline.ingest).await;
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(client_tls())
        .https_only()
        .enable_http1()
        .enable_http2()
        .build();
    let client = Client::builder(TokioExecutor::new()).build::<_, Full<Bytes>>(https);
    let request = http::Request::post(format!(
        "https://localhost:{}/v1/traces",
        rx.bound.address.port()
    ))
    .header("content-type", "application/x-protobuf")
    .body(Full::new(Bytes::from(protobuf(Payload::Traces(traces(
        "span-over-https",
    ))))))
    .unwrap();
    let response = client.request(request).await.unwrap();
    assert_eq!(response.status(), http::StatusCode::OK);
    response.into_body().collect().await.unwrap();

    // Plaintext to the TLS port gets no HTTP answer.
    let plain = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let request = http::Request::post(format!("http://{}/v1/traces", rx.bound.address))
        .header("content-type", "application/x-protobuf")
        .body(Full::new(Bytes::new()))
        .unwrap();
    assert!(plain.request(request).await.is_err());

    rx.stop().await;
    assert!(pipeline.finish().await.contains("span-over-https"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_over_mutual_tls() {
    let pipeline = Pipeline::start("");
    let rx = start(true, 1 << 20, Some(server_tls(true)), &pipeline.ingest).await;
    let url = format!("https://127.0.0.1:{}", rx.bound.address.port());
    let ca = Certificate::from_pem(std::fs::read(testdata("ca.pem")).unwrap());
    let tls = ClientTlsConfig::new()
        .ca_certificate(ca)
        .domain_name("localhost");

    // Without a client certificate the handshake is refused.
    let anonymous = Channel::from_shared(url.clone())
        .unwrap()
        .tls_config(tls.clone())
        .unwrap();
    let refused = match anonymous.connect().await {
        Err(_) => true,
        Ok(ch) => TraceServiceClient::new(ch)
            .export(traces("anonymous"))
            .await
            .is_err(),
    };
    assert!(refused);

    let identity = Identity::from_pem(
        std::fs::read(testdata("client.pem")).unwrap(),
        std::fs::read(testdata("client.key")).unwrap(),
    );
    let channel = Channel::from_shared(url)
        .unwrap()
        .tls_config(tls.identity(identity))
        .unwrap();
    let mut client = TraceServiceClient::new(channel.connect().await.unwrap());
    client.export(traces("span-over-mtls")).await.unwrap();

    rx.stop().await;
    let out = pipeline.finish().await;
    assert!(
        out.contains("span-over-mtls") && !out.contains("anonymous"),
        "{out}"
    );
}
