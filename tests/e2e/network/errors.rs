//! Bad requests to the OTLP/HTTP receiver get a precise status with a body, and the server
//! keeps serving; the admin endpoint answers.

use crate::support::capture::{Behaviour, Capture};
use crate::support::daemon::{Daemon, Reply, http_request};
use crate::{ACME_KEY, ARRIVAL, config, dest, run_id};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;

/// The HTTP receiver's `max_request_bytes`.
const LIMIT: usize = 2048;
const PROTOBUF: &str = "application/x-protobuf";

fn kv(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.into())),
        }),
        ..Default::default()
    }
}

/// A valid OTLP trace request with one span whose `test.id` is `id`.
fn one_span(id: &str) -> Vec<u8> {
    let span = Span {
        trace_id: vec![7; 16],
        span_id: vec![9; 8],
        name: id.into(),
        start_time_unix_nano: 1_700_000_000_000_000_000,
        end_time_unix_nano: 1_700_000_000_100_000_000,
        attributes: vec![kv("test.id", id)],
        ..Default::default()
    };
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![kv("service.name", "raw-http"), kv("tenant.id", "globex")],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans: vec![span],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
    .encode_to_vec()
}

fn post(sluice: &Daemon, content_type: &str, body: &[u8]) -> Reply {
    let auth = format!("Bearer {ACME_KEY}");
    let headers = [
        ("Content-Type", content_type),
        ("Authorization", auth.as_str()),
    ];
    http_request(
        sluice.http.expect("HTTP receiver"),
        "POST",
        "/v1/traces",
        &headers,
        body,
    )
    .expect("POST /v1/traces")
}

#[test]
fn bad_bodies_get_clear_errors_and_the_server_keeps_serving() {
    let a = Capture::start(Behaviour::ok());
    let sluice = Daemon::start(&config(&[dest("a", &a, "")], &[("acme", "a")], LIMIT, ""));
    let valid = one_span(&run_id("raw-valid"));
    let mut oversized = one_span(&"x".repeat(LIMIT));
    oversized.truncate(LIMIT + 100);
    let cases: [(&str, &str, &[u8], u16, &str); 5] = [
        (
            "garbage protobuf",
            PROTOBUF,
            b"this is not protobuf at all",
            400,
            "",
        ),
        (
            "truncated protobuf",
            PROTOBUF,
            &valid[..valid.len() - 5],
            400,
            "",
        ),
        (
            "malformed JSON",
            "application/json",
            b"{\"resourceSpans\": [",
            400,
            "",
        ),
        (
            "wrong content type",
            "text/plain",
            b"hello",
            415,
            "Content-Type",
        ),
        (
            "oversized body",
            PROTOBUF,
            &oversized,
            413,
            &format!("exceeds {LIMIT} bytes"),
        ),
    ];
    for (what, content_type, body, status, says) in cases {
        let reply = post(&sluice, content_type, body);
        assert_eq!(
            reply.status,
            status,
            "{what}: {}\n{}",
            reply.head,
            reply.text()
        );
        assert!(
            !reply.body.is_empty(),
            "{what}: the {status} reply has no body"
        );
        assert!(
            reply.text().contains(says),
            "{what}: the reply does not say {says:?}: {}",
            reply.text()
        );
        let expected_type = if content_type == PROTOBUF {
            PROTOBUF
        } else {
            "application/json"
        };
        assert!(
            reply
                .head
                .to_ascii_lowercase()
                .contains(&format!("content-type: {expected_type}")),
            "{what}: the error is not in the request's encoding:\n{}",
            reply.head
        );
    }

    // Still serving: a valid request is accepted and delivered (with the key's tenant).
    let reply = post(&sluice, PROTOBUF, &valid);
    assert_eq!(reply.status, 200, "valid request refused: {}", reply.text());
    let records = a.wait_for_records(1, ARRIVAL);
    assert_eq!(
        records.len(),
        1,
        "exactly the valid span must arrive: {records:?}"
    );
    assert_eq!(
        (records[0].id.as_str(), records[0].tenant.as_deref()),
        (run_id("raw-valid").as_str(), Some("acme"))
    );

    for (path, needle) in [
        ("/healthz", ""),
        ("/readyz", ""),
        ("/metrics", "sluice_records_received_total"),
    ] {
        let reply = http_request(sluice.admin, "GET", path, &[], b"").expect("admin request");
        assert_eq!(reply.status, 200, "GET {path}: {}", reply.text());
        assert!(
            reply.text().contains(needle),
            "GET {path} lacks {needle:?}:\n{}",
            reply.text()
        );
    }
    let received = r#"sluice_records_received_total{signal="traces",tenant="acme"}"#;
    assert_eq!(
        sluice.metric(received),
        1.0,
        "only the valid span counts as received"
    );
}
