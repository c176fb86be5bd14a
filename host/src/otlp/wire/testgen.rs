//! Synthetic OTLP export requests and byte-level mutations of them, for differential tests of
//! the wire validator against prost.
//!
//! [`corpus`] gives requests prost accepts: encoded from the prost types (every attribute kind,
//! every metric type, empty messages) and hand-assembled byte variants prost accepts although
//! it never writes them (unpacked repeated scalars, reordered fields, unknown fields of every
//! wire type, repeated oneof variants, nesting at the recursion limit). [`mutations`] breaks
//! them in the ways a wire format breaks: flipped bits, cuts, wrong lengths, wrong wire types,
//! invalid UTF-8, both with consistent outer lengths and without.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{
    AnyValue, ArrayValue, EntityRef, InstrumentationScope, KeyValue, KeyValueList, any_value,
};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::metrics::v1::exponential_histogram_data_point::Buckets;
use opentelemetry_proto::tonic::metrics::v1::summary_data_point::ValueAtQuantile;
use opentelemetry_proto::tonic::metrics::v1::{
    Exemplar, ExponentialHistogram, ExponentialHistogramDataPoint, Gauge, Histogram,
    HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum, Summary,
    SummaryDataPoint, exemplar, metric, number_data_point,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::span::{Event, Link};
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};
use prost::Message;
use sluice_plugin_sdk::Signal;

/// A small deterministic generator (xorshift64*), so a failing seed reproduces.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (n > 0).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability `percent`/100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

const WORDS: &[&str] = &[
    "",
    "gen_ai.request.model",
    "http.method",
    "GET",
    "service.name",
    "checkout",
    "héllo wörld",
    "日本語のテキスト",
    "emoji 🦀🚀",
    "a",
    "tenant-42",
    "some longer text value that goes on for a while to make the string a bit bigger",
];

fn string(rng: &mut Rng) -> String {
    let mut s = WORDS[rng.below(WORDS.len())].to_owned();
    if rng.chance(20) {
        s.push_str(&"x".repeat(rng.below(300)));
    }
    s
}

fn any_value(rng: &mut Rng, depth: u32) -> AnyValue {
    use any_value::Value;
    let pick = rng.below(if depth == 0 { 7 } else { 9 });
    let value = match pick {
        0 => None,
        1 => Some(Value::StringValue(string(rng))),
        2 => Some(Value::BoolValue(rng.chance(50))),
        3 => Some(Value::IntValue(rng.next() as i64)),
        4 => Some(Value::DoubleValue(f64::from_bits(rng.next()))),
        5 => Some(Value::BytesValue({
            let n = rng.below(20);
            rng.bytes(n)
        })),
        6 => Some(Value::StringValueStrindex(rng.next() as i32)),
        7 => Some(Value::ArrayValue(ArrayValue {
            values: (0..rng.below(4))
                .map(|_| any_value(rng, depth - 1))
                .collect(),
        })),
        _ => Some(Value::KvlistValue(KeyValueList {
            values: attrs(rng, 3, depth - 1),
        })),
    };
    AnyValue { value }
}

fn attrs(rng: &mut Rng, max: usize, depth: u32) -> Vec<KeyValue> {
    (0..rng.below(max + 1))
        .map(|_| KeyValue {
            key: string(rng),
            value: (!rng.chance(10)).then(|| any_value(rng, depth)),
            key_strindex: if rng.chance(10) { rng.next() as i32 } else { 0 },
        })
        .collect()
}

fn resource(rng: &mut Rng) -> Option<Resource> {
    (!rng.chance(15)).then(|| Resource {
        attributes: attrs(rng, 6, 2),
        dropped_attributes_count: rng.below(3) as u32,
        entity_refs: (0..rng.below(2))
            .map(|_| EntityRef {
                schema_url: string(rng),
                r#type: string(rng),
                id_keys: (0..rng.below(3)).map(|_| string(rng)).collect(),
                description_keys: (0..rng.below(3)).map(|_| string(rng)).collect(),
            })
            .collect(),
    })
}

fn scope(rng: &mut Rng) -> Option<InstrumentationScope> {
    (!rng.chance(15)).then(|| InstrumentationScope {
        name: string(rng),
        version: string(rng),
        attributes: attrs(rng, 2, 1),
        dropped_attributes_count: rng.below(2) as u32,
    })
}

fn span(rng: &mut Rng) -> Span {
    Span {
        trace_id: {
            let n = if rng.chance(90) { 16 } else { rng.below(20) };
            rng.bytes(n)
        },
        span_id: rng.bytes(8),
        trace_state: string(rng),
        parent_span_id: {
            let n = rng.below(2) * 8;
            rng.bytes(n)
        },
        flags: rng.next() as u32,
        name: string(rng),
        kind: rng.below(7) as i32 - 1,
        start_time_unix_nano: rng.next(),
        end_time_unix_nano: rng.next(),
        attributes: attrs(rng, 12, 3),
        dropped_attributes_count: rng.below(3) as u32,
        events: (0..rng.below(3))
            .map(|_| Event {
                time_unix_nano: rng.next(),
                name: string(rng),
                attributes: attrs(rng, 3, 2),
                dropped_attributes_count: rng.below(2) as u32,
            })
            .collect(),
        dropped_events_count: rng.below(2) as u32,
        links: (0..rng.below(3))
            .map(|_| Link {
                trace_id: rng.bytes(16),
                span_id: rng.bytes(8),
                trace_state: string(rng),
                attributes: attrs(rng, 3, 1),
                dropped_attributes_count: rng.below(2) as u32,
                flags: rng.next() as u32,
            })
            .collect(),
        dropped_links_count: rng.below(2) as u32,
        status: (!rng.chance(30)).then(|| Status {
            message: string(rng),
            code: rng.below(4) as i32,
        }),
    }
}

fn log_record(rng: &mut Rng) -> LogRecord {
    LogRecord {
        time_unix_nano: rng.next(),
        observed_time_unix_nano: rng.next(),
        severity_number: rng.below(30) as i32 - 2,
        severity_text: string(rng),
        // Every body kind, nested ones included.
        body: (!rng.chance(10)).then(|| any_value(rng, 3)),
        attributes: attrs(rng, 8, 2),
        dropped_attributes_count: rng.below(2) as u32,
        flags: rng.next() as u32,
        trace_id: {
            let n = rng.below(2) * 16;
            rng.bytes(n)
        },
        span_id: {
            let n = rng.below(2) * 8;
            rng.bytes(n)
        },
        event_name: string(rng),
    }
}

fn exemplars(rng: &mut Rng) -> Vec<Exemplar> {
    (0..rng.below(3))
        .map(|_| Exemplar {
            filtered_attributes: attrs(rng, 2, 1),
            time_unix_nano: rng.next(),
            span_id: rng.bytes(8),
            trace_id: rng.bytes(16),
            value: match rng.below(3) {
                0 => None,
                1 => Some(exemplar::Value::AsDouble(f64::from_bits(rng.next()))),
                _ => Some(exemplar::Value::AsInt(rng.next() as i64)),
            },
        })
        .collect()
}

fn number_points(rng: &mut Rng) -> Vec<NumberDataPoint> {
    (0..rng.below(4))
        .map(|_| NumberDataPoint {
            attributes: attrs(rng, 4, 1),
            start_time_unix_nano: rng.next(),
            time_unix_nano: rng.next(),
            exemplars: exemplars(rng),
            flags: rng.below(2) as u32,
            value: match rng.below(3) {
                0 => None,
                1 => Some(number_data_point::Value::AsDouble(rng.next() as f64)),
                _ => Some(number_data_point::Value::AsInt(rng.next() as i64)),
            },
        })
        .collect()
}

fn maybe_f64(rng: &mut Rng) -> Option<f64> {
    rng.chance(60).then(|| rng.next() as f64)
}

fn buckets(rng: &mut Rng) -> Option<Buckets> {
    rng.chance(70).then(|| Buckets {
        offset: rng.next() as i32 >> rng.below(32),
        bucket_counts: (0..rng.below(12))
            .map(|_| rng.next() >> rng.below(64))
            .collect(),
    })
}

fn metric(rng: &mut Rng) -> Metric {
    let temporality = rng.below(3) as i32;
    let data = match rng.below(6) {
        0 => None,
        1 => Some(metric::Data::Gauge(Gauge {
            data_points: number_points(rng),
        })),
        2 => Some(metric::Data::Sum(Sum {
            data_points: number_points(rng),
            aggregation_temporality: temporality,
            is_monotonic: rng.chance(50),
        })),
        3 => Some(metric::Data::Histogram(Histogram {
            data_points: (0..rng.below(4))
                .map(|_| {
                    let n = rng.below(10);
                    HistogramDataPoint {
                        attributes: attrs(rng, 3, 1),
                        start_time_unix_nano: rng.next(),
                        time_unix_nano: rng.next(),
                        count: rng.next(),
                        sum: maybe_f64(rng),
                        bucket_counts: (0..n + 1).map(|_| rng.next() >> 40).collect(),
                        explicit_bounds: (0..n).map(|i| i as f64 * 2.5).collect(),
                        exemplars: exemplars(rng),
                        flags: rng.below(2) as u32,
                        min: maybe_f64(rng),
                        max: maybe_f64(rng),
                    }
                })
                .collect(),
            aggregation_temporality: temporality,
        })),
        4 => Some(metric::Data::ExponentialHistogram(ExponentialHistogram {
            data_points: (0..rng.below(4))
                .map(|_| ExponentialHistogramDataPoint {
                    attributes: attrs(rng, 3, 1),
                    start_time_unix_nano: rng.next(),
                    time_unix_nano: rng.next(),
                    count: rng.next(),
                    sum: maybe_f64(rng),
                    scale: rng.below(40) as i32 - 20,
                    zero_count: rng.next(),
                    positive: buckets(rng),
                    negative: buckets(rng),
                    flags: rng.below(2) as u32,
                    exemplars: exemplars(rng),
                    min: maybe_f64(rng),
                    max: maybe_f64(rng),
                    zero_threshold: rng.next() as f64,
                })
                .collect(),
            aggregation_temporality: temporality,
        })),
        _ => Some(metric::Data::Summary(Summary {
            data_points: (0..rng.below(4))
                .map(|_| SummaryDataPoint {
                    attributes: attrs(rng, 3, 1),
                    start_time_unix_nano: rng.next(),
                    time_unix_nano: rng.next(),
                    count: rng.next(),
                    sum: rng.next() as f64,
                    quantile_values: (0..rng.below(4))
                        .map(|i| ValueAtQuantile {
                            quantile: i as f64 / 4.0,
                            value: rng.next() as f64,
                        })
                        .collect(),
                    flags: rng.below(2) as u32,
                })
                .collect(),
        })),
    };
    Metric {
        name: string(rng),
        description: string(rng),
        unit: string(rng),
        metadata: attrs(rng, 2, 1),
        data,
    }
}

/// One random export request of `signal`, encoded by prost.
pub(crate) fn request(signal: Signal, rng: &mut Rng) -> Vec<u8> {
    let n = |rng: &mut Rng, max: usize| rng.below(max + 1);
    match signal {
        Signal::Span => ExportTraceServiceRequest {
            resource_spans: (0..n(rng, 2))
                .map(|_| ResourceSpans {
                    resource: resource(rng),
                    scope_spans: (0..n(rng, 2))
                        .map(|_| ScopeSpans {
                            scope: scope(rng),
                            spans: (0..n(rng, 4)).map(|_| span(rng)).collect(),
                            schema_url: string(rng),
                        })
                        .collect(),
                    schema_url: string(rng),
                })
                .collect(),
        }
        .encode_to_vec(),
        Signal::Log => ExportLogsServiceRequest {
            resource_logs: (0..n(rng, 2))
                .map(|_| ResourceLogs {
                    resource: resource(rng),
                    scope_logs: (0..n(rng, 2))
                        .map(|_| ScopeLogs {
                            scope: scope(rng),
                            log_records: (0..n(rng, 4)).map(|_| log_record(rng)).collect(),
                            schema_url: string(rng),
                        })
                        .collect(),
                    schema_url: string(rng),
                })
                .collect(),
        }
        .encode_to_vec(),
        Signal::MetricPoint => ExportMetricsServiceRequest {
            resource_metrics: (0..n(rng, 2))
                .map(|_| ResourceMetrics {
                    resource: resource(rng),
                    scope_metrics: (0..n(rng, 2))
                        .map(|_| ScopeMetrics {
                            scope: scope(rng),
                            metrics: (0..n(rng, 4)).map(|_| metric(rng)).collect(),
                            schema_url: string(rng),
                        })
                        .collect(),
                    schema_url: string(rng),
                })
                .collect(),
        }
        .encode_to_vec(),
    }
}

/// Export requests of `signal` that prost accepts (and some right past the recursion limit it
/// refuses): a few hundred random ones, then the hand-made variants.
pub(crate) fn corpus(signal: Signal, seed: u64) -> Vec<Vec<u8>> {
    let mut rng = Rng::new(seed);
    let mut out: Vec<Vec<u8>> = (0..250).map(|_| request(signal, &mut rng)).collect();
    out.push(Vec::new());
    let record = |rng: &mut Rng| match signal {
        Signal::Span => span(rng).encode_to_vec(),
        Signal::Log => log_record(rng).encode_to_vec(),
        Signal::MetricPoint => metric(rng).encode_to_vec(),
    };

    // Empty messages at each level.
    out.push(ld(1, &[]));
    out.push(ld(1, &ld(2, &[])));
    out.push(wrap_records(&[Vec::new(), Vec::new()]));

    for _ in 0..10 {
        // Unknown fields of every wire type at every level.
        let rec = [record(&mut rng), unknowns(&mut rng)].concat();
        let scope = [ld(2, &rec), unknowns(&mut rng), ld(2, &record(&mut rng))].concat();
        let entry = [unknowns(&mut rng), ld(2, &scope)].concat();
        out.push([ld(1, &entry), unknowns(&mut rng)].concat());

        // Fields in reverse order, at the record and the scope.
        let rec = reversed(&record(&mut rng));
        let scope = [ld(2, &rec), ld(1, &[]), ld(2, &record(&mut rng))].concat();
        out.push(ld(1, &ld(2, &reversed(&scope))));

        // Non-repeated message fields twice: prost merges them.
        let rec = record(&mut rng);
        let twice = [rec.clone(), rec].concat();
        let entry = [ld(1, &ld(1, &[])), ld(2, &ld(2, &twice)), ld(1, &[0x10, 1])].concat();
        out.push(ld(1, &entry));
    }

    match signal {
        Signal::Span => {
            // Status and a KeyValue's value twice.
            let kv = [ld(1, b"k"), ld(2, &ld(1, b"v")), ld(2, &[0x10, 1])].concat();
            let rec = [ld(15, &ld(2, b"a")), ld(9, &kv), ld(15, &[0x18, 2])].concat();
            out.push(wrap_records(&[rec]));
        }
        Signal::Log => {
            // The body twice, as different AnyValue kinds.
            let rec = [
                ld(5, &ld(1, b"first")),
                ld(5, &[0x18, 7]),
                ld(5, &ld(5, &[])),
            ]
            .concat();
            out.push(wrap_records(&[rec]));
        }
        Signal::MetricPoint => metric_variants(&mut rng, &mut out),
    }

    // AnyValues nested through arrays and kvlists around the recursion limit, with and without
    // an unknown field at the bottom (whose skipping spends recursion budget too).
    for levels in 44..=50 {
        for unknown in [false, true] {
            for kvlist in [false, true] {
                let leaf = if unknown {
                    [ld(1, b"s"), vec![0xa0, 0x06, 1]].concat()
                } else {
                    ld(1, b"s")
                };
                let nested = nest(&leaf, levels, kvlist);
                let rec = match signal {
                    Signal::Span | Signal::MetricPoint => {
                        let kv = [ld(1, b"k"), ld(2, &nested)].concat();
                        // Span attributes are field 9; a Metric's metadata is field 12.
                        ld(if signal == Signal::Span { 9 } else { 12 }, &kv)
                    }
                    Signal::Log => ld(5, &nested),
                };
                out.push(wrap_records(&[rec]));
            }
        }
    }
    // Unknown groups nested around the limit, at the top of the request.
    for levels in 96..=101 {
        let mut g = Vec::new();
        for i in 0..levels {
            key(&mut g, 200 + i, 3);
        }
        key(&mut g, 1, 0);
        g.push(1);
        for i in (0..levels).rev() {
            key(&mut g, 200 + i, 4);
        }
        out.push(g);
    }
    out
}

/// Metric byte variants: the `data` oneof repeated (same variant merges, another replaces),
/// packed fields written unpacked or split, empty packed runs.
fn metric_variants(rng: &mut Rng, out: &mut Vec<Vec<u8>>) {
    let point = |rng: &mut Rng| {
        ld(
            1,
            &number_points(rng)
                .first()
                .map(Message::encode_to_vec)
                .unwrap_or_default(),
        )
    };
    let gauge =
        |rng: &mut Rng, n: usize| ld(5, &(0..n).flat_map(|_| point(rng)).collect::<Vec<_>>());
    let sum = |rng: &mut Rng, n: usize| ld(7, &(0..n).flat_map(|_| point(rng)).collect::<Vec<_>>());
    for _ in 0..4 {
        let name = ld(1, b"m");
        let (a, b, c) = (1 + rng.below(3), 1 + rng.below(3), rng.below(3));
        out.push(wrap_records(&[[
            name.clone(),
            gauge(rng, a),
            gauge(rng, b),
        ]
        .concat()]));
        out.push(wrap_records(&[[gauge(rng, a), sum(rng, b)].concat()]));
        out.push(wrap_records(&[[
            sum(rng, a),
            name.clone(),
            gauge(rng, b),
            sum(rng, c),
        ]
        .concat()]));
        out.push(wrap_records(&[
            [gauge(rng, a), ld(9, &[]), gauge(rng, b)].concat()
        ]));
        out.push(wrap_records(&[[
            gauge(rng, a),
            ld(10, &ld(1, &[])),
            ld(10, &ld(1, &[])),
        ]
        .concat()]));
    }
    // A histogram point with its packed fields unpacked, split in two packed runs, or empty.
    let mut unpacked = Vec::new();
    for i in 0..3u64 {
        key(&mut unpacked, 6, 1);
        unpacked.extend_from_slice(&i.to_le_bytes());
        key(&mut unpacked, 7, 1);
        unpacked.extend_from_slice(&(i as f64).to_le_bytes());
    }
    let split = [
        ld(6, &7u64.to_le_bytes()),
        ld(6, &[]),
        ld(6, &[1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]),
    ]
    .concat();
    for dp in [unpacked, split, ld(7, &[])] {
        out.push(wrap_records(&[ld(9, &ld(1, &dp))]));
    }
    // Exponential histogram buckets: uint64 counts unpacked, packed, and both.
    let buckets = [
        vec![0x10, 5, 0x10, 0xff, 0x01],
        ld(2, &[1, 0x80, 0x01, 3]),
        vec![0x08, 0x7f],
    ]
    .concat();
    out.push(wrap_records(&[ld(10, &ld(1, &ld(8, &buckets)))]));
}

/// `levels` AnyValues nested through arrays (or kvlists) around `leaf` (an AnyValue's fields).
pub(crate) fn nest(leaf: &[u8], levels: u32, kvlist: bool) -> Vec<u8> {
    let mut v = leaf.to_vec();
    for _ in 0..levels {
        v = if kvlist {
            let kv = [ld(1, b"k"), ld(2, &v)].concat();
            ld(6, &ld(1, &kv))
        } else {
            ld(5, &ld(1, &v))
        };
    }
    v
}

/// A request with one resource and one scope holding these records (field 2 everywhere).
pub(crate) fn wrap_records(records: &[Vec<u8>]) -> Vec<u8> {
    let scope: Vec<u8> = records.iter().flat_map(|r| ld(2, r)).collect();
    ld(1, &ld(2, &scope))
}

/// Unknown fields of every wire type, groups nested in groups included.
fn unknowns(rng: &mut Rng) -> Vec<u8> {
    let mut v = Vec::new();
    let base = 100 + rng.below(1000) as u32;
    key(&mut v, base, 0);
    varint(&mut v, rng.next());
    key(&mut v, base + 1, 1);
    v.extend_from_slice(&rng.next().to_le_bytes());
    v.extend(ld(base + 2, &{
        let n = rng.below(10);
        rng.bytes(n)
    }));
    key(&mut v, base + 3, 5);
    v.extend_from_slice(&(rng.next() as u32).to_le_bytes());
    key(&mut v, base + 4, 3);
    key(&mut v, 1, 0);
    v.push(5);
    v.extend(ld(2, b"\xff\xfe not utf-8 but unknown"));
    key(&mut v, 3, 3);
    key(&mut v, 3, 4);
    key(&mut v, base + 4, 4);
    v
}

/// A message's fields in reverse order (prost accepts any order).
fn reversed(msg: &[u8]) -> Vec<u8> {
    let mut fields = parse(msg).expect("prost's output parses");
    fields.reverse();
    let mut out = Vec::new();
    for f in &fields {
        out.extend_from_slice(f.key);
        out.extend_from_slice(f.head);
        out.extend_from_slice(f.payload);
    }
    out
}

pub(crate) fn key(out: &mut Vec<u8>, tag: u32, wt: u8) {
    varint(out, u64::from(tag) << 3 | u64::from(wt));
}

pub(crate) fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// A length-delimited field.
pub(crate) fn ld(tag: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 6);
    key(&mut out, tag, 2);
    varint(&mut out, payload.len() as u64);
    out.extend_from_slice(payload);
    out
}

/// One field found by the schema-free [`parse`]: its key bytes, what follows the key up to the
/// payload (a length prefix; empty otherwise), the payload, and for a length-delimited payload
/// that itself parses as fields, those.
struct Node<'a> {
    key: &'a [u8],
    wt: u8,
    head: &'a [u8],
    payload: &'a [u8],
    children: Option<Vec<Node<'a>>>,
}

fn read_varint(b: &[u8], p: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for i in 0..10 {
        let byte = *b.get(*p)?;
        *p += 1;
        v |= u64::from(byte & 0x7f) << (7 * i);
        if byte < 0x80 {
            return Some(v);
        }
    }
    None
}

/// Splits bytes into fields without a schema; `None` when they do not parse as fields (the
/// payload of a string, say). Length-delimited payloads are parsed recursively when they can be.
fn parse(b: &[u8]) -> Option<Vec<Node<'_>>> {
    let mut out = Vec::new();
    let mut p = 0;
    while p < b.len() {
        let k0 = p;
        let k = read_varint(b, &mut p)?;
        let (tag, wt) = (k >> 3, (k & 7) as u8);
        if tag == 0 || k > u64::from(u32::MAX) {
            return None;
        }
        let key = &b[k0..p];
        let h0 = p;
        let (head, payload) = match wt {
            0 => {
                read_varint(b, &mut p)?;
                (&b[h0..h0], &b[h0..p])
            }
            1 | 5 => {
                let w = if wt == 1 { 8 } else { 4 };
                let end = p.checked_add(w).filter(|&e| e <= b.len())?;
                p = end;
                (&b[h0..h0], &b[h0..end])
            }
            2 => {
                let n = read_varint(b, &mut p)? as usize;
                let h = &b[h0..p];
                let end = p.checked_add(n).filter(|&e| e <= b.len())?;
                let payload = &b[p..end];
                p = end;
                (h, payload)
            }
            3 => {
                // Keep a group whole, up to its matching end.
                let mut stack = vec![tag];
                while let Some(&open) = stack.last() {
                    let k = read_varint(b, &mut p)?;
                    let (t, w) = (k >> 3, k & 7);
                    match w {
                        0 => drop(read_varint(b, &mut p)?),
                        1 => p += 8,
                        5 => p += 4,
                        2 => p += read_varint(b, &mut p)? as usize,
                        3 => stack.push(t),
                        4 if t == open => drop(stack.pop()),
                        _ => return None,
                    }
                    if p > b.len() {
                        return None;
                    }
                }
                (&b[h0..h0], &b[h0..p])
            }
            _ => return None,
        };
        let children = if wt == 2 && !payload.is_empty() {
            parse(payload)
        } else {
            None
        };
        out.push(Node {
            key,
            wt,
            head,
            payload,
            children,
        });
    }
    Some(out)
}

fn count(nodes: &[Node<'_>]) -> usize {
    nodes
        .iter()
        .map(|n| 1 + n.children.as_deref().map_or(0, count))
        .sum()
}

/// What a structural mutation does to the one field it targets; enclosing lengths are
/// recomputed, so only the targeted field is wrong (or, often, still right).
#[derive(Clone, Copy)]
enum Edit {
    Delete,
    Duplicate,
    /// Swap with the next sibling.
    Swap,
    /// Set the key's wire type bits.
    WireType(u8),
    /// Put this byte at this position of the payload (invalid UTF-8 in a string, say).
    Poke(usize, u8),
    /// Add a byte to the payload.
    Grow,
    /// Drop the payload's last byte.
    Shrink,
    /// Add this to the length prefix without changing the payload.
    Length(i64),
}

fn emit(nodes: &[Node<'_>], target: usize, edit: Edit, id: &mut usize, out: &mut Vec<u8>) {
    let mut i = 0;
    while i < nodes.len() {
        let n = &nodes[i];
        let me = *id;
        *id += 1;
        let hit = me == target;
        if hit && matches!(edit, Edit::Delete) {
            *id += n.children.as_deref().map_or(0, count);
            i += 1;
            continue;
        }
        if hit && matches!(edit, Edit::Swap) && i + 1 < nodes.len() {
            let mut skip = 0;
            emit(&nodes[i + 1..i + 2], usize::MAX, edit, &mut skip, out);
            emit(&nodes[i..i + 1], usize::MAX, edit, &mut skip, out);
            *id += n.children.as_deref().map_or(0, count) + count(&nodes[i + 1..i + 2]);
            i += 2;
            continue;
        }
        let mut key = n.key.to_vec();
        if let (true, Edit::WireType(wt)) = (hit, edit) {
            key[0] = (key[0] & !7) | wt;
        }
        let mut payload = match &n.children {
            Some(children) => {
                let mut inner = Vec::new();
                emit(children, target, edit, id, &mut inner);
                inner
            }
            None => n.payload.to_vec(),
        };
        if hit {
            match edit {
                Edit::Poke(at, byte) if !payload.is_empty() => {
                    let at = at % payload.len();
                    payload[at] = byte;
                }
                Edit::Grow => payload.push(b'x'),
                Edit::Shrink => drop(payload.pop()),
                _ => {}
            }
        }
        let times = if hit && matches!(edit, Edit::Duplicate) {
            2
        } else {
            1
        };
        for _ in 0..times {
            out.extend_from_slice(&key);
            if n.wt == 2 {
                let mut len = payload.len() as i64;
                if let (true, Edit::Length(d)) = (hit, edit) {
                    len = (len + d).max(0);
                }
                if len as usize == n.payload.len() {
                    out.extend_from_slice(n.head);
                } else {
                    varint(out, len as u64);
                }
            }
            out.extend_from_slice(&payload);
        }
        i += 1;
    }
}

/// Broken (and some still valid) variants of an encoded message: structural edits of one field
/// with the enclosing lengths kept right, and raw byte damage that leaves them wrong.
pub(crate) fn mutations(bytes: &[u8], seed: u64) -> Vec<Vec<u8>> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::new();
    if let Some(nodes) = parse(bytes).filter(|n| !n.is_empty()) {
        let total = count(&nodes);
        for _ in 0..45 {
            let edit = match rng.below(8) {
                0 => Edit::Delete,
                1 => Edit::Duplicate,
                2 => Edit::Swap,
                3 => Edit::WireType(rng.below(8) as u8),
                4 => Edit::Poke(
                    rng.next() as usize,
                    [0xff, 0xc0, 0x80, 0xed, 0xf4, 0xe2][rng.below(6)],
                ),
                5 => Edit::Grow,
                6 => Edit::Shrink,
                _ => Edit::Length([-2, -1, 1, 2, 1000][rng.below(5)]),
            };
            let mut v = Vec::with_capacity(bytes.len() + 16);
            emit(&nodes, rng.below(total), edit, &mut 0, &mut v);
            out.push(v);
        }
    }
    for _ in 0..30 {
        let mut v = bytes.to_vec();
        match rng.below(6) {
            0 if !v.is_empty() => {
                let at = rng.below(v.len());
                v[at] ^= 1 << rng.below(8);
            }
            1 if !v.is_empty() => {
                let at = rng.below(v.len());
                v[at] = rng.next() as u8;
            }
            2 => v.truncate(rng.below(v.len() + 1)),
            3 => {
                let at = rng.below(v.len() + 1);
                let extra = {
                    let n = 1 + rng.below(3);
                    rng.bytes(n)
                };
                v.splice(at..at, extra);
            }
            4 if !v.is_empty() => {
                let at = rng.below(v.len());
                let end = (at + 1 + rng.below(4)).min(v.len());
                v.drain(at..end);
            }
            _ => v.extend({
                let n = 1 + rng.below(4);
                rng.bytes(n)
            }),
        }
        out.push(v);
    }
    out
}
