//! The validator against prost: the same verdict on every synthetic request and on tens of
//! thousands of mutations of them, the same row count, and readable errors.

use super::*;
use crate::otlp::Payload;
use crate::otlp::wire::testgen::{self, corpus, ld, mutations, nest, wrap_records};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;

const SIGNALS: [Signal; 3] = [Signal::Span, Signal::Log, Signal::MetricPoint];

/// prost's verdict: the request's rows, or its error.
fn prost_rows(signal: Signal, bytes: &[u8]) -> Result<u64, prost::DecodeError> {
    let payload = match signal {
        Signal::Span => Payload::Traces(ExportTraceServiceRequest::decode(bytes)?),
        Signal::Log => Payload::Logs(ExportLogsServiceRequest::decode(bytes)?),
        Signal::MetricPoint => Payload::Metrics(ExportMetricsServiceRequest::decode(bytes)?),
    };
    Ok(payload.record_count() as u64)
}

/// Checks every corpus entry and its mutations; returns (cases, accepted).
fn differential(signal: Signal, seed: u64) -> (usize, usize) {
    let schema = otlp();
    let msg = schema.request(signal);
    let (mut cases, mut accepted) = (0, 0);
    for (i, input) in corpus(signal, seed).iter().enumerate() {
        let muts = mutations(input, seed ^ (i as u64) << 20);
        for (j, bytes) in std::iter::once(input).chain(&muts).enumerate() {
            cases += 1;
            let ours = schema.check(msg, bytes, 100);
            let theirs = prost_rows(signal, bytes);
            match (&ours, &theirs) {
                (Ok(a), Ok(b)) => {
                    assert_eq!(a, b, "{signal:?} corpus {i} case {j}: rows differ");
                    accepted += 1;
                }
                (Err(_), Err(_)) => {}
                _ => panic!("{signal:?} corpus {i} case {j}: validator {ours:?}, prost {theirs:?}"),
            }
        }
    }
    (cases, accepted)
}

#[test]
fn wire_schema_agrees_with_prost() {
    let mut total = 0;
    for signal in SIGNALS {
        for seed in [1, 2] {
            let (cases, accepted) = differential(signal, seed);
            println!("{signal:?} seed {seed}: {cases} byte strings, {accepted} accepted");
            // Both verdicts must be well represented, or the comparison proves little.
            assert!(
                accepted * 10 > cases && accepted * 10 < cases * 9,
                "{signal:?}: {accepted}/{cases}"
            );
            total += cases;
        }
    }
    assert!(total >= 50_000, "only {total} cases");
}

/// The unmutated corpus is all valid except the entries built to be just past the recursion
/// limit, and those are refused for that reason.
#[test]
fn wire_schema_corpus_is_mostly_valid() {
    let schema = otlp();
    for signal in SIGNALS {
        let corpus = corpus(signal, 7);
        let mut refused = 0;
        for (i, bytes) in corpus.iter().enumerate() {
            if let Err(e) = schema.check(schema.request(signal), bytes, 100) {
                assert_eq!(
                    e.kind,
                    WireErrorKind::RecursionLimit,
                    "{signal:?} corpus {i}: {e}"
                );
                refused += 1;
            }
        }
        assert!(refused > 0 && refused < 40, "{signal:?}: {refused} refused");
    }
}

/// Checking a request's resource entries (at depth 99) or scope entries (at 98) one by one
/// gives the same rows as checking the request, which is how sluice splits a request.
#[test]
fn wire_schema_parts_add_up() {
    let schema = otlp();
    for signal in SIGNALS {
        for bytes in corpus(signal, 3) {
            let Ok(rows) = schema.check(schema.request(signal), &bytes, 100) else {
                continue;
            };
            let req = match signal {
                Signal::Span => ExportTraceServiceRequest::decode(&bytes[..])
                    .unwrap()
                    .resource_spans
                    .iter()
                    .map(prost::Message::encode_to_vec)
                    .collect::<Vec<_>>(),
                Signal::Log => ExportLogsServiceRequest::decode(&bytes[..])
                    .unwrap()
                    .resource_logs
                    .iter()
                    .map(prost::Message::encode_to_vec)
                    .collect(),
                Signal::MetricPoint => ExportMetricsServiceRequest::decode(&bytes[..])
                    .unwrap()
                    .resource_metrics
                    .iter()
                    .map(prost::Message::encode_to_vec)
                    .collect(),
            };
            let sum: u64 = req
                .iter()
                .map(|r| schema.check(schema.resource_of(signal), r, 99).unwrap())
                .sum();
            assert_eq!(sum, rows, "{signal:?}");
        }
    }
}

fn err(signal: Signal, bytes: &[u8]) -> String {
    let schema = otlp();
    schema
        .check(schema.request(signal), bytes, 100)
        .unwrap_err()
        .to_string()
}

#[test]
fn wire_schema_error_messages() {
    // The span starts at byte 6: three one-byte keys and three one-byte lengths before it.
    let span = |fields: &[u8]| wrap_records(&[fields.to_vec()]);
    assert_eq!(
        err(Signal::Span, &span(&ld(5, b"ab\xffsecret"))),
        "field 5 (name) of opentelemetry.proto.trace.v1.Span at byte 6: string is not valid UTF-8"
    );
    let secret = err(Signal::Span, &span(&ld(5, b"ab\xffsecret")));
    assert!(!secret.contains("secret"));
    assert_eq!(
        err(
            Signal::Span,
            &span(&[ld(1, &[1; 16]), ld(7, &[0; 8])].concat())
        ),
        "field 7 (start_time_unix_nano) of opentelemetry.proto.trace.v1.Span at byte 24: \
         wire type 2 where fixed64 is expected"
    );
    assert_eq!(
        err(Signal::Span, &[0x0a, 0x84, 0x07, 1, 2, 3]),
        "field 1 (resource_spans) of opentelemetry.proto.collector.trace.v1.\
         ExportTraceServiceRequest at byte 0: length 900 exceeds the 3 bytes left"
    );
    assert_eq!(
        err(Signal::Log, &[0]),
        "opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest at byte 0: field number 0"
    );
    assert_eq!(
        err(Signal::Log, &span(&[0x24])),
        "unknown field 4 of opentelemetry.proto.logs.v1.LogRecord at byte 6: unexpected end group"
    );
    // Histogram bucket counts (fixed64) packed into 12 bytes.
    let hist = wrap_records(&[ld(9, &ld(1, &ld(6, &[0; 12])))]);
    assert_eq!(
        err(Signal::MetricPoint, &hist),
        "field 6 (bucket_counts) of opentelemetry.proto.metrics.v1.HistogramDataPoint at byte 10: \
         packed length 12 is not a multiple of 8"
    );
    let deep = wrap_records(&[ld(5, &nest(&ld(1, b"s"), 49, false))]);
    assert!(
        err(Signal::Log, &deep).ends_with("recursion limit reached"),
        "{}",
        err(Signal::Log, &deep)
    );
    assert!(prost_rows(Signal::Log, &deep).is_err());
}

#[test]
fn wire_schema_metric_oneof_rows() {
    let schema = otlp();
    // Gauge (5), Sum (7), Histogram (9) holding `n` empty data points.
    let data = |tag: u32, n: usize| ld(tag, &(0..n).flat_map(|_| ld(1, &[])).collect::<Vec<_>>());
    let cases: &[(&[(u32, usize)], u64)] = &[
        (&[(5, 2)], 2),
        (&[(5, 2), (5, 3)], 5),
        (&[(5, 2), (7, 3)], 3),
        (&[(7, 1), (5, 2), (7, 4)], 4),
        (&[(5, 3), (9, 0)], 0),
        (&[(9, 0), (5, 3), (5, 1)], 4),
    ];
    for (parts, want) in cases {
        let metric: Vec<u8> = parts.iter().flat_map(|&(tag, n)| data(tag, n)).collect();
        // Two such metrics in the scope: rows add up across metrics.
        let bytes = wrap_records(&[metric.clone(), [ld(1, b"name"), metric].concat()]);
        let ours = schema
            .check(schema.request(Signal::MetricPoint), &bytes, 100)
            .unwrap();
        assert_eq!(ours, 2 * want, "{parts:?}");
        assert_eq!(
            prost_rows(Signal::MetricPoint, &bytes).unwrap(),
            2 * want,
            "{parts:?}"
        );
    }
}

#[test]
fn wire_schema_lookups() {
    let schema = otlp();
    let scope = schema
        .message("opentelemetry.proto.trace.v1.ScopeSpans")
        .unwrap();
    assert_eq!(scope, schema.scope_of(Signal::Span));
    assert_eq!(
        schema.name(schema.resource()),
        "opentelemetry.proto.resource.v1.Resource"
    );
    assert_eq!(
        schema.name(schema.resource_of(Signal::Log)),
        "opentelemetry.proto.logs.v1.ResourceLogs"
    );
    assert_eq!(
        schema.name(schema.request(Signal::MetricPoint)),
        "opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest"
    );
    assert!(
        schema
            .message("opentelemetry.proto.trace.v1.Nope")
            .is_none()
    );
    // A scope checked on its own, with the budget it has inside a request.
    let spans: Vec<u8> = (0..3).flat_map(|_| ld(2, &ld(5, b"span"))).collect();
    assert_eq!(schema.check(scope, &spans, 98), Ok(3));
}

/// Conventional instrumentation spans: ids, times, a name, a status and 16 short attributes.
fn http_spans(n: usize) -> Vec<u8> {
    use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value::Value};
    use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};
    let kv = |k: &str, v: Value| KeyValue {
        key: k.into(),
        value: Some(AnyValue { value: Some(v) }),
        ..Default::default()
    };
    let s = |k: &str, v: &str| kv(k, Value::StringValue(v.into()));
    let span = |i: usize| Span {
        trace_id: vec![7; 16],
        span_id: vec![i as u8; 8],
        parent_span_id: vec![3; 8],
        name: "GET /api/v1/orders/{id}".into(),
        kind: 2,
        start_time_unix_nano: 1_800_000_000_000_000_000 + i as u64,
        end_time_unix_nano: 1_800_000_000_005_000_000 + i as u64,
        attributes: vec![
            s("http.request.method", "GET"),
            s("url.path", "/api/v1/orders/8812731"),
            s("url.scheme", "https"),
            s("server.address", "orders.internal.example.com"),
            kv("server.port", Value::IntValue(8443)),
            s("network.protocol.version", "1.1"),
            s(
                "user_agent.original",
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36",
            ),
            s("client.address", "10.12.0.17"),
            kv("http.response.status_code", Value::IntValue(200)),
            s("http.route", "/api/v1/orders/{id}"),
            s("tenant.id", "acme"),
            s("deployment.environment", "production"),
            kv("http.response.body.size", Value::IntValue(18234)),
            kv("sampled", Value::BoolValue(true)),
            s("db.system", "postgresql"),
            s(
                "db.statement",
                "SELECT * FROM orders WHERE id = $1 AND tenant_id = $2",
            ),
        ],
        status: Some(Status {
            code: 1,
            ..Default::default()
        }),
        ..Default::default()
    };
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans: (0..n).map(span).collect(),
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
    .encode_to_vec()
}

/// Throughput of the validator and of prost decoding on the same bytes. Not a test: run with
/// `cargo nextest run --release -p sluice --lib wire_schema_throughput --run-ignored only
/// --no-capture`.
#[test]
#[ignore]
fn wire_schema_throughput() {
    use rand::SeedableRng;
    use std::hint::black_box;
    use std::time::Instant;
    let schema = otlp();
    let shape = sluice_loadgen::pool::Shape::default();
    let mut rng = rand::rngs::StdRng::seed_from_u64(shape.seed);
    let spans = sluice_loadgen::traces::spans(&mut rng, &shape, 1_800_000_000_000_000_000, 2000);
    let n_spans = spans.len();
    let genai = ExportTraceServiceRequest {
        resource_spans: vec![opentelemetry_proto::tonic::trace::v1::ResourceSpans {
            scope_spans: vec![opentelemetry_proto::tonic::trace::v1::ScopeSpans {
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
    .encode_to_vec();
    let mut rng = testgen::Rng::new(9);
    let mixes: Vec<(&str, Signal, Vec<Vec<u8>>)> = vec![
        ("loadgen GenAI spans", Signal::Span, vec![genai]),
        ("HTTP server spans", Signal::Span, vec![http_spans(1000)]),
        (
            "testgen traces",
            Signal::Span,
            (0..400)
                .map(|_| testgen::request(Signal::Span, &mut rng))
                .collect(),
        ),
        (
            "testgen logs",
            Signal::Log,
            (0..400)
                .map(|_| testgen::request(Signal::Log, &mut rng))
                .collect(),
        ),
        (
            "testgen metrics",
            Signal::MetricPoint,
            (0..400)
                .map(|_| testgen::request(Signal::MetricPoint, &mut rng))
                .collect(),
        ),
    ];
    for (name, signal, reqs) in &mixes {
        let bytes: usize = reqs.iter().map(Vec::len).sum();
        let rounds = (100_000_000 / bytes).max(1);
        let msg = schema.request(*signal);
        // The best of five runs: the machine is shared, so slow runs say little.
        let best = |f: &dyn Fn(&[u8])| {
            (0..5)
                .map(|_| {
                    let t = Instant::now();
                    for _ in 0..rounds {
                        reqs.iter().for_each(|r| f(black_box(r)));
                    }
                    (bytes * rounds) as f64 / t.elapsed().as_secs_f64() / 1e6
                })
                .fold(0.0, f64::max)
        };
        let ours = best(&|r| {
            black_box(schema.check(msg, r, 100).unwrap());
        });
        let theirs = best(&|r| {
            black_box(prost_rows(*signal, r).unwrap());
        });
        println!("{name}: {bytes} bytes; validator {ours:.0} MB/s, prost decode {theirs:.0} MB/s");
    }
    println!("(GenAI mix: {n_spans} spans)");
}
