//! The load generator makes what it claims, and the capture receiver counts what a real
//! client sends it on 127.0.0.1.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use prost::Message;
use sluice_loadgen::attrs::{STAMP_KEY, STAMP_PLACEHOLDER};
use sluice_loadgen::capture::{Capture, TenantKeys};
use sluice_loadgen::client::{ConnOpts, Protocol};
use sluice_loadgen::pool::{Pool, Shape, Signal};
use sluice_loadgen::send::{self, SendOpts};
use sluice_loadgen::wire;
use std::sync::Arc;
use std::time::Duration;

fn attr<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a Value> {
    attrs
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref()?.value.as_ref())
}

fn string<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a str> {
    match attr(attrs, key)? {
        Value::StringValue(s) => Some(s),
        _ => None,
    }
}

/// Runs `f` on a two-thread runtime, as the generator's binary does.
fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// A capture receiver on 127.0.0.1 that holds every answer `delay`, its tenant from the
/// `tenant.id` attribute.
async fn delayed_capture(delay: Duration) -> Capture {
    let keys = TenantKeys {
        attribute: "tenant.id".into(),
        header: None,
    };
    Capture::start_with_delay("127.0.0.1:0".parse().unwrap(), keys, delay)
        .await
        .unwrap()
}

/// Plain gRPC to `capture`, no tenant header.
fn grpc_to(capture: &Capture) -> ConnOpts {
    ConnOpts {
        addr: capture.addr,
        protocol: Protocol::Grpc,
        tenant_header: None,
        gzip: false,
        timeout: Duration::from_secs(10),
    }
}

#[test]
fn generated_requests_decode_and_have_the_configured_shape() {
    let shape = Shape {
        batch: 50,
        tenants: 20,
        secret_share: 0.5,
        ..Shape::default()
    };
    let pool = Pool::build(&shape, 60, usize::MAX);
    assert_eq!(pool.items.len(), 60);
    let (mut chats, mut secrets, mut signals) = (0, 0, [0; 3]);
    for item in &pool.items {
        signals[item.signal.index()] += 1;
        assert_eq!(item.records, 50);
        let at = item.stamp_at.expect("a stamp placeholder");
        assert_eq!(&item.body[at..at + 20], STAMP_PLACEHOLDER);
        let (resource, records) = match item.signal {
            Signal::Traces => {
                let req = ExportTraceServiceRequest::decode(item.body.clone()).expect("decodes");
                let rs = &req.resource_spans[0];
                let spans = &rs.scope_spans[0].spans;
                for span in spans.iter().filter(|s| s.name.starts_with("chat ")) {
                    chats += 1;
                    let a = &span.attributes;
                    assert_eq!(string(a, "gen_ai.operation.name"), Some("chat"));
                    assert!(
                        matches!(attr(a, "gen_ai.usage.input_tokens"), Some(Value::IntValue(n)) if *n > 0)
                    );
                    assert!(
                        matches!(attr(a, "gen_ai.usage.output_tokens"), Some(Value::IntValue(n)) if *n > 0)
                    );
                    let input = string(a, "gen_ai.input.messages").expect("input messages");
                    let output = string(a, "gen_ai.output.messages").expect("output messages");
                    assert!(input.len() >= 512, "prompt content of at least content_min");
                    serde_json::from_str::<serde_json::Value>(input).expect("input is JSON");
                    serde_json::from_str::<serde_json::Value>(output).expect("output is JSON");
                    secrets += usize::from(input.contains("FAKE") || output.contains("FAKE"));
                }
                assert!(spans.iter().any(|s| s.name.starts_with("retrieve")));
                (rs.resource.clone(), spans.len())
            }
            Signal::Logs => {
                let req = ExportLogsServiceRequest::decode(item.body.clone()).expect("decodes");
                let rl = &req.resource_logs[0];
                (rl.resource.clone(), rl.scope_logs[0].log_records.len())
            }
            Signal::Metrics => {
                let req = ExportMetricsServiceRequest::decode(item.body.clone()).expect("decodes");
                let rm = &req.resource_metrics[0];
                let points = rm.scope_metrics[0].metrics.iter().map(|m| match &m.data {
                    Some(Data::Histogram(h)) => h.data_points.len(),
                    _ => 0,
                });
                (rm.resource.clone(), points.sum())
            }
        };
        assert_eq!(records, 50);
        let resource = resource.expect("a resource");
        assert_eq!(
            string(&resource.attributes, "tenant.id"),
            Some(item.tenant.as_str())
        );
        assert!(string(&resource.attributes, STAMP_KEY).is_some());
        // The walker counts what prost decodes.
        let mut walked = Vec::new();
        wire::walk(item.signal, &item.body, "tenant.id", |b| {
            walked.push((b.tenant.map(str::to_string), b.records))
        })
        .expect("walks");
        assert_eq!(walked, vec![(Some(item.tenant.clone()), 50)]);
    }
    assert!(
        signals.iter().all(|&n| n > 0),
        "every signal is generated: {signals:?}"
    );
    assert!(
        chats > 20 && secrets > 0 && secrets < chats,
        "{secrets} of {chats} chats with secrets"
    );
    let summary = pool.summary();
    assert!(summary.bytes_per_span > 1500.0, "{summary:?}");
}

#[test]
fn capture_counts_what_a_client_sends() {
    block_on(async {
        let keys = TenantKeys {
            attribute: "tenant.id".into(),
            header: Some("x-tenant".into()),
        };
        let capture = Capture::start("127.0.0.1:0".parse().unwrap(), keys)
            .await
            .unwrap();
        let shape = Shape {
            batch: 20,
            tenants: 5,
            content_max: 1024,
            ..Shape::default()
        };
        let pool = Arc::new(Pool::build(&shape, 16, usize::MAX));
        let opts = SendOpts {
            conn: ConnOpts {
                addr: capture.addr,
                protocol: Protocol::Grpc,
                tenant_header: Some("x-scope-orgid".into()),
                gzip: true,
                timeout: Duration::from_secs(10),
            },
            connections: 3,
            rate: 0.0,
            duration: Some(Duration::from_secs(30)),
            max_requests: Some(40),
            batch: shape.batch,
        };
        let report = send::run(pool.clone(), opts).await.unwrap();
        assert_eq!(report.requests_ok, 40, "{report:?}");
        let got = capture.report();
        assert_eq!(got.total.requests, 40);
        assert_eq!(got.total.spans, report.acked.spans);
        assert_eq!(got.total.logs, report.acked.logs);
        assert_eq!(got.total.points, report.acked.points);
        assert_eq!(got.records, 800);
        assert_eq!(got.delivery_latency_ms.n, 40, "every request was stamped");
        // Per tenant: what the pool's first 40 requests (cycled) hold.
        let mut expected = std::collections::BTreeMap::<String, u64>::new();
        for i in 0..40 {
            let it = &pool.items[i % pool.items.len()];
            *expected.entry(it.tenant.clone()).or_default() += it.records;
        }
        let tenants: std::collections::BTreeMap<String, u64> = got
            .tenants
            .iter()
            .map(|(k, c)| (k.clone(), c.records()))
            .collect();
        assert_eq!(tenants, expected);
    });
}

#[test]
fn a_delayed_capture_holds_every_answer_but_counts_on_arrival() {
    block_on(async {
        let capture = delayed_capture(Duration::from_millis(400)).await;
        let shape = Shape {
            batch: 5,
            tenants: 3,
            content_max: 1024,
            ..Shape::default()
        };
        let pool = Arc::new(Pool::build(&shape, 4, usize::MAX));
        let opts = SendOpts {
            conn: grpc_to(&capture),
            connections: 2,
            rate: 0.0,
            duration: Some(Duration::from_secs(30)),
            max_requests: Some(6),
            batch: shape.batch,
        };
        let report = send::run(pool, opts).await.unwrap();
        assert_eq!(report.requests_ok, 6, "{report:?}");
        // Every answer waited for the delay ...
        assert!(report.latency_ms.p50 >= 400.0, "{:?}", report.latency_ms);
        // ... while arrival (delivery latency) did not include it, and nothing was lost.
        let got = capture.report();
        assert_eq!(got.total.requests, 6);
        assert_eq!(got.records, 30);
        assert_eq!(got.delay_ms, 400.0);
        assert!(
            got.delivery_latency_ms.p50 < 400.0,
            "{:?}",
            got.delivery_latency_ms
        );
    });
}

#[test]
fn a_fixed_rate_counts_the_wait_for_a_busy_connection() {
    block_on(async {
        // One connection, a request due every 100 ms, each answered 400 ms late: the n-th
        // request can only start when the one before it is answered, so it ends at least
        // 400 * (n + 1) ms after the first was due, however fast everything else is.
        let capture = delayed_capture(Duration::from_millis(400)).await;
        let shape = Shape {
            batch: 5,
            tenants: 2,
            content_max: 512,
            ..Shape::default()
        };
        let pool = Arc::new(Pool::build(&shape, 4, usize::MAX));
        let conn = grpc_to(&capture);
        let opts = SendOpts {
            conn: conn.clone(),
            connections: 1,
            rate: 50.0,
            duration: Some(Duration::from_secs(30)),
            max_requests: Some(4),
            batch: shape.batch,
        };
        let report = send::run(pool.clone(), opts).await.unwrap();
        assert_eq!(report.requests_ok, 4, "{report:?}");
        let scheduled = report
            .scheduled_latency_ms
            .expect("a rate-limited run reports it");
        assert_eq!(scheduled.n, 4);
        // The last request was due at 300 ms and answered no earlier than 1,600 ms.
        assert!(scheduled.max >= 1300.0, "{scheduled:?}");
        // Timed from its own send, each took one delay: the wait before it is not in it.
        assert!(report.latency_ms.p50 >= 400.0, "{:?}", report.latency_ms);
        assert!(
            scheduled.max > report.latency_ms.max,
            "{scheduled:?} {:?}",
            report.latency_ms
        );
        assert!(report.max_lag_ms >= 900.0, "{}", report.max_lag_ms);

        // As fast as possible there is no schedule to measure against.
        let opts = SendOpts {
            conn,
            connections: 1,
            rate: 0.0,
            duration: Some(Duration::from_secs(30)),
            max_requests: Some(1),
            batch: shape.batch,
        };
        let report = send::run(pool, opts).await.unwrap();
        assert_eq!(report.scheduled_latency_ms, None);
    });
}
