//! Requests no plugin wants take the wire path; these tests hold it to the decoding path's
//! results, with a real pipeline and file destination.

use crate::ingest::{Incoming, IngestError, RequestContext};
use crate::otlp::Payload;
use crate::receiver::testkit::{Pipeline, logs, metrics, traces};
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value::Value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use sluice_plugin_sdk::Signal;

/// Tenants by header, one of them routed nowhere.
const TENANCY: &str = r#"
[tenancy]
source = "header"
header = "x-tenant"

[routing]
tenants = [{ tenant = "nowhere", destinations = [] }]
"#;

/// [`TENANCY`] and a second destination, a file per tenant in `dir`.
fn config(dir: &std::path::Path) -> String {
    let d = dir.display();
    format!(
        "{TENANCY}\n[[destinations]]\nname = \"per-tenant\"\ntype = \"file\"\npath = \"{d}/{{tenant}}.jsonl\"\n"
    )
}

/// A stage that wants every signal and changes nothing: it sends requests down the
/// decoding path.
fn with_plugin(dir: &std::path::Path) -> String {
    let path = sluice_artifacts::test_plugins::PASSTHROUGH;
    format!(
        "{}\n[[plugins]]\nname = \"noop\"\npath = \"{path}\"\n",
        config(dir)
    )
}

/// The per-tenant files in `dir`, by name.
fn tenant_files(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

fn tenant_attr(tenant: &str) -> Option<Resource> {
    Some(Resource {
        attributes: vec![KeyValue {
            key: "tenant.id".into(),
            value: Some(AnyValue {
                value: Some(Value::StringValue(tenant.into())),
            }),
            ..Default::default()
        }],
        ..Default::default()
    })
}

/// One request of each signal with two resources, one claiming another tenant.
fn requests() -> Vec<Payload> {
    let mut t = traces("s");
    t.resource_spans.push(t.resource_spans[0].clone());
    t.resource_spans[1].resource = tenant_attr("claimed");
    let mut l = logs("body");
    l.resource_logs.push(l.resource_logs[0].clone());
    l.resource_logs[0].resource = tenant_attr("claimed");
    let mut m = metrics("m");
    m.resource_metrics.push(m.resource_metrics[0].clone());
    vec![Payload::Traces(t), Payload::Logs(l), Payload::Metrics(m)]
}

fn ctx(tenant: &str) -> RequestContext {
    let mut headers = http::HeaderMap::new();
    headers.insert("x-tenant", tenant.parse().unwrap());
    RequestContext { headers }
}

fn protobuf(payload: &Payload) -> Incoming {
    Incoming::Protobuf {
        signal: payload.signal(),
        bytes: crate::otlp::protobuf::encode(payload).into(),
    }
}

/// Sends every request as protobuf for `tenant`, then returns the destination's file and
/// the metrics text.
async fn run(pipeline: Pipeline, tenants: &[&str]) -> (String, String) {
    for tenant in tenants {
        for request in requests() {
            pipeline
                .ingest
                .submit(ctx(tenant), protobuf(&request))
                .await
                .unwrap();
        }
    }
    let metrics = pipeline.ingest.metrics().encode();
    (pipeline.finish().await, metrics)
}

/// The received and dropped counters, sorted (the text's order is a hash map's).
fn received_and_dropped(metrics: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = metrics
        .lines()
        .filter(|l| {
            l.starts_with("sluice_records_received") || l.starts_with("sluice_records_dropped")
        })
        .collect();
    lines.sort();
    lines
}

#[tokio::test]
async fn the_wire_path_exports_and_counts_what_the_decoding_path_does() {
    let tenants = ["acme", "nowhere", "beta"];
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (wire, wire_metrics) = run(Pipeline::start(&config(a.path())), &tenants).await;
    let (decoded, decoded_metrics) = run(Pipeline::start(&with_plugin(b.path())), &tenants).await;
    assert_eq!(wire, decoded);
    let per_tenant = tenant_files(a.path());
    assert_eq!(per_tenant, tenant_files(b.path()));
    let names: Vec<&str> = per_tenant.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["acme.jsonl", "beta.jsonl"]);
    // Each tenant's file has its three signals, every line its own tenant's.
    for (name, text) in &per_tenant {
        assert_eq!(text.lines().count(), 3, "{name}: {text}");
        assert!(text.contains(name.trim_end_matches(".jsonl")), "{name}");
    }
    // Stamped with the header's tenant, whatever the resource claimed.
    assert!(wire.contains("acme") && wire.contains("beta"), "{wire}");
    assert!(
        !wire.contains("claimed") && !wire.contains("nowhere"),
        "{wire}"
    );
    let counts = received_and_dropped(&wire_metrics);
    assert_eq!(counts, received_and_dropped(&decoded_metrics));
    // Two rows per request and signal, received for each tenant; `nowhere`'s are unroutable.
    assert!(
        counts.contains(&r#"sluice_records_received_total{signal="traces",tenant="nowhere"} 2"#),
        "{counts:?}"
    );
    assert!(
        counts.contains(&r#"sluice_records_dropped_total{signal="logs",reason="unroutable"} 2"#),
        "{counts:?}"
    );
}

#[tokio::test]
async fn invalid_protobuf_is_refused_naming_the_request_and_nothing_is_queued() {
    let pipeline = Pipeline::start(TENANCY);
    let mut bytes = crate::otlp::protobuf::encode(&requests()[1]);
    // Cut inside the last record: its enclosing lengths now run past the end.
    bytes.truncate(bytes.len() - 2);
    let err = pipeline
        .ingest
        .submit(
            ctx("acme"),
            Incoming::Protobuf {
                signal: Signal::Log,
                bytes: bytes.into(),
            },
        )
        .await
        .unwrap_err();
    let IngestError::Invalid(message) = &err else {
        panic!("{err:?}")
    };
    assert!(
        message.starts_with("invalid protobuf ExportLogsServiceRequest: "),
        "{message}"
    );
    assert_eq!(pipeline.finish().await, "");
}

#[tokio::test]
async fn a_stopped_pipeline_refuses_wire_requests_too() {
    let pipeline = Pipeline::start(TENANCY);
    pipeline.stop();
    let err = pipeline
        .ingest
        .submit(ctx("acme"), protobuf(&requests()[0]))
        .await
        .unwrap_err();
    assert!(matches!(err, IngestError::Unavailable { .. }), "{err:?}");
    assert_eq!(pipeline.finish().await, "");
}
