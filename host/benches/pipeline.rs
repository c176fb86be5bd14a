//! The host's own hot paths on the load generator's GenAI spans (`common::genai_batch`: 1,000
//! spans of the loopback benchmark's content), so the figures relate to that benchmark:
//!
//! - `otlp_protobuf`: decoding an `ExportTraceServiceRequest` with prost as the receivers do,
//!   encoding it as the exporters do, the encoded length the export queues account, the copy
//!   the gRPC exporter hands tonic, and freeing a decoded request; and the wire path that
//!   replaces decode and encode for signals no plugin takes (`wire_parse`: reading the
//!   resource entries and checking every record against the schema; `wire_encode`: the
//!   export request's parts around the records' own bytes);
//! - `otlp_json`: OTLP/JSON decode and encode (`sluice::otlp::json`, the file mode's lines;
//!   the OTLP/HTTP receiver and exporter use the same serde implementations);
//! - `batch_view`: `BatchState::new` and `finish()` alone, and with every row's string leaves
//!   listed (`texts`, what a content plugin such as redact asks for first);
//! - `ingest_metrics`: the spend and eval metrics every processed batch is counted on (after
//!   the loopback chain's cost and eval-sample stages);
//! - `router_split`: `sluice::router::split` of a processed batch into per-destination
//!   payloads, for one destination (uniform masks, and 1 % of traces unroutable) and for
//!   three with non-uniform masks.
//!
//! Throughput is bytes of the batch as OTLP protobuf (as OTLP/JSON for `otlp_json`); every
//! arm works on 1,000 spans. Inputs each iteration consumes are made outside the timing
//! (`iter_batched`), and so is dropping what an arm returns, except in `otlp_protobuf/drop`;
//! one batch is alive at a time, as in the pipeline.
//! Time is the benchmark thread's CPU time unless `SLUICE_BENCH_CLOCK=wall`; the allocator
//! is mimalloc, as in the binary.
//! `host/benches/hot_paths.sh` runs this several times and prints BENCHMARKS.md's tables.

mod common;

/// The allocator the `sluice` binary uses (`host/src/main.rs`): these arms are mostly
/// allocating and freeing (a `String` per attribute value, a `Vec` per list), so they are
/// measured with it. (`plugins.rs` keeps the system allocator its earlier figures had.)
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use common::{
    Clock, ROWS, arm, config, genai_batch, loopback_destinations, settle_allocator, view_with_texts,
};
use criterion::{BatchSize, Bencher, Criterion, Throughput, criterion_group, criterion_main};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;
use sluice::config::TenancyConfig;
use sluice::metrics::Metrics;
use sluice::otlp::wire::WireRequest;
use sluice::otlp::{Payload, json, protobuf};
use sluice::pipeline::BatchState;
use sluice::router::split;
use sluice_plugin_cost::{Cost, config::DEFAULT_TABLE};
use sluice_plugin_eval_sample::EvalSample;
use sluice_plugin_sdk::{Batch, Plugin, Signal};
use std::collections::HashMap;
use std::hint::black_box;

/// Each row's trace, numbered in first-seen order.
fn trace_ordinals(request: &ExportTraceServiceRequest) -> Vec<usize> {
    let mut seen: HashMap<&[u8], usize> = HashMap::new();
    request
        .resource_spans
        .iter()
        .flat_map(|rs| &rs.scope_spans)
        .flat_map(|ss| &ss.spans)
        .map(|sp| {
            let next = seen.len();
            *seen.entry(sp.trace_id.as_slice()).or_insert(next)
        })
        .collect()
}

/// Times `routine` one call at a time, dropping its result outside the timing: like the
/// pipeline, one batch is made and freed before the next (criterion's `iter_with_large_drop`
/// would keep several alive, a heap the pipeline never has).
fn one_at_a_time<O>(b: &mut Bencher<'_, Clock>, mut routine: impl FnMut() -> O) {
    b.iter_batched(|| (), |()| routine(), BatchSize::LargeInput)
}

fn benches(c: &mut Criterion<Clock>) {
    settle_allocator();
    let destinations = loopback_destinations();
    let (request, strings) = genai_batch();
    let wire = ExportTraceServiceRequest::encode_to_vec(&request);
    let decode = || ExportTraceServiceRequest::decode(wire.as_slice()).expect("the batch decodes");
    let payload = Payload::Traces(decode());
    let line = json::encode_line(&payload);
    assert_eq!(
        json::decode_line(&line).expect("the JSON line decodes"),
        vec![payload.clone()],
        "OTLP/JSON does not round-trip the batch"
    );
    let traces = trace_ordinals(&request);
    assert_eq!(traces.len(), ROWS);
    eprintln!(
        "genai: {ROWS} spans in {} traces, {} bytes as protobuf, {} as OTLP/JSON, {strings} bytes of strings",
        traces.iter().max().map_or(0, |t| t + 1),
        wire.len(),
        line.len()
    );

    let mut group = c.benchmark_group("otlp_protobuf");
    group.throughput(Throughput::BytesDecimal(wire.len() as u64));
    group.bench_function("decode", |b| {
        one_at_a_time(b, || {
            ExportTraceServiceRequest::decode(black_box(wire.as_slice()))
        })
    });
    group.bench_function("encode", |b| {
        one_at_a_time(b, || protobuf::encode(black_box(&payload)))
    });
    group.bench_function("encoded_len", |b| {
        b.iter(|| sluice::export::encoded_len(black_box(&payload)))
    });
    group.bench_function("clone", |b| {
        one_at_a_time(b, || black_box(&payload).clone())
    });
    group.bench_function("drop", |b| {
        b.iter_batched(decode, |req| drop(black_box(req)), BatchSize::LargeInput)
    });
    let bytes = bytes::Bytes::from(wire.clone());
    group.bench_function("wire_parse", |b| {
        one_at_a_time(b, || {
            WireRequest::parse(Signal::Span, black_box(bytes.clone()))
        })
    });
    let parsed = WireRequest::parse(Signal::Span, bytes.clone()).expect("the batch parses");
    let every: Vec<usize> = (0..parsed.resources().count()).collect();
    group.bench_function("wire_encode", |b| {
        one_at_a_time(b, || parsed.encode(black_box(&every)))
    });
    group.finish();

    let mut group = c.benchmark_group("otlp_json");
    group.throughput(Throughput::BytesDecimal(line.len() as u64));
    group.bench_function("decode", |b| {
        one_at_a_time(b, || json::decode_line(black_box(&line)))
    });
    group.bench_function("encode", |b| {
        one_at_a_time(b, || json::encode_line(black_box(&payload)))
    });
    group.finish();

    let mut group = c.benchmark_group("batch_view");
    group.throughput(Throughput::BytesDecimal(wire.len() as u64));
    arm(&mut group, "state_finish", decode, |req| {
        BatchState::new(Payload::Traces(req), destinations.clone()).finish()
    });
    arm(&mut group, "texts", decode, |req| {
        view_with_texts(req, &destinations)
    });
    // The key lists of all three attribute scopes, as the redactor asks for them.
    arm(&mut group, "keys", decode, |req| {
        use sluice_plugin_sdk::{RecordsApi, Scope};
        let state = BatchState::new(Payload::Traces(req), destinations.clone());
        let keys = [Scope::Resource, Scope::InstrumentationScope, Scope::Record]
            .map(|scope| RecordsApi::keys(&state, scope));
        (state.finish(), keys)
    });
    group.finish();

    // Routes as the loopback chain leaves them, by whole traces: every row to destination 0
    // (the tenant's route); for `3_dest` the rows of every other trace also to destination 1
    // and those of 1 % of traces (eval-sample's rate) also to destination 2; for
    // `1_dest_partial` 1 % of traces routed nowhere (a residency denial), the rest to 0.
    let masks = |f: fn(usize) -> u64| -> Vec<u64> { traces.iter().map(|&t| f(t)).collect() };
    let arms: [(&str, Vec<u64>, usize); 3] = [
        ("1_dest", masks(|_| 1), 1),
        (
            "1_dest_partial",
            masks(|t| u64::from(!t.is_multiple_of(100))),
            1,
        ),
        (
            "3_dest",
            masks(|t| 1 | (u64::from(t % 2 == 1) << 1) | (u64::from(t.is_multiple_of(100)) << 2)),
            3,
        ),
    ];
    // What the ingest path does with every processed batch besides routing it: the spend
    // metrics read the cost plugin's attributes back (`sluice::spend::record`) and the eval
    // metrics count eval-sample's marks (`sluice::evalstats::record`), on the batch as the
    // loopback chain's cost and eval-sample stages leave it (run natively, untimed).
    let processed = {
        let mut state = BatchState::new(payload.clone(), destinations.clone());
        let mut cost = Cost::init(DEFAULT_TABLE).expect("cost init");
        let mut eval = EvalSample::init("destination = \"eval\"\nrate = 0.01").expect("eval init");
        for result in [
            cost.process(&mut Batch::new(&mut state)),
            eval.process(&mut Batch::new(&mut state)),
        ] {
            result.expect("the plugin runs");
            state.commit();
        }
        state.finish().payload
    };
    let metrics = Metrics::new(1_000);
    let tenancy = TenancyConfig::default();
    let mut group = c.benchmark_group("ingest_metrics");
    group.throughput(Throughput::BytesDecimal(wire.len() as u64));
    group.bench_function("spend_record", |b| {
        b.iter(|| sluice::spend::record(black_box(&processed), &metrics))
    });
    group.bench_function("evalstats_record", |b| {
        b.iter(|| {
            sluice::evalstats::record(
                black_box(&processed),
                &tenancy.attribute,
                &tenancy.unknown,
                &metrics,
            )
        })
    });
    group.finish();

    let mut group = c.benchmark_group("router_split");
    group.throughput(Throughput::BytesDecimal(wire.len() as u64));
    for (name, masks, n) in &arms {
        let parts = split(payload.clone(), masks, *n);
        let rows: Vec<String> = parts
            .iter()
            .map(|(d, p)| format!("{d}: {} rows", p.record_count()))
            .collect();
        eprintln!("router_split/{name}: {}", rows.join(", "));
        arm(
            &mut group,
            name,
            || Payload::Traces(decode()),
            |p| split(p, masks, *n),
        );
    }
    group.finish();
}

criterion_group! {
    name = pipeline;
    config = config();
    targets = benches
}
criterion_main!(pipeline);
