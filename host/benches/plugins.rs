//! The cost of the plugin boundary: each test plugin run as a Wasm component through
//! [`PluginInstance::process`] against the very same plugin type called natively on a
//! [`BatchState`], on one realistic batch of 1,000 LLM spans.
//!
//! Every arm times the same host work around the plugin: build the `BatchState` from a
//! payload, run the plugin, commit its edits, `finish()`. The payload each iteration consumes
//! is decoded from protobuf outside the timing (`iter_batched`), and dropping the result is
//! not timed either, so `wasm / native` is the boundary's cost and `arm - baseline` is the
//! plugin's own share. A `token_cost_parts` group times the native arm's steps one by one,
//! and `one_row` the fixed cost of a call. `cost_builtin` does the same for the built-in
//! cost plugin on its shipped table. The `*_genai` groups run the built-in chain of the
//! loopback benchmark (redact, residency, cost, eval-sample with their configs there), each
//! plugin alone and the whole chain, inside Wasm and natively, on the load generator's GenAI
//! spans. Time is the benchmark thread's CPU time unless `SLUICE_BENCH_CLOCK=wall` (see
//! [`Clock`]).
//! `scripts/bench.sh` runs this and prints the per-record table; `BENCHMARKS.md` has figures.

mod common;

use common::{
    Clock, ROWS, arm, config, genai_batch, kv, loopback_destinations, one_resource, s,
    settle_allocator, view_with_texts,
};
use criterion::measurement::Measurement;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{
    AnyValue, ArrayValue, InstrumentationScope, KeyValue, any_value::Value,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{
    ResourceSpans, ScopeSpans, Span, Status, span::SpanKind, status::StatusCode,
};
use prost::Message;
use sluice::config::PluginConfig;
use sluice::otlp::Payload;
use sluice::pipeline::{BatchState, Chain, ChainOutcome, Processed};
use sluice::plugin::{LoadedPlugin, PluginInstance, PluginSource, Runtime, RuntimeOptions};
use sluice::router::Destinations;
use sluice_plugin_cost::Cost;
use sluice_plugin_eval_sample::EvalSample;
use sluice_plugin_redact::{Redact, samples};
use sluice_plugin_residency::Residency;
use sluice_plugin_sdk::{Batch, Key, Plugin, RecordsApi};
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;
use test_passthrough::Passthrough;
use test_token_cost::{COST, INPUT_TOKENS, MODEL, OUTPUT_TOKENS, TokenCost};

/// Resources in the batch (services), each with one scope holding `ROWS / RESOURCES` spans.
const RESOURCES: usize = 4;
/// Models the spans name: four the token-cost plugin prices, one it does not.
const MODELS: &[(&str, &str)] = &[
    ("gpt-4o", "openai"),
    ("gpt-4o-mini", "openai"),
    ("claude-sonnet-4", "anthropic"),
    ("gemini-2.0-flash", "gcp.gemini"),
    ("llama-3.1-70b-instruct", "self-hosted"),
];

/// A small deterministic generator, so every run benchmarks the same batch.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn i(key: &str, value: i64) -> KeyValue {
    kv(key, Value::IntValue(value))
}

/// About `len` bytes of prose, different for every `seed`.
fn text(seed: u64, len: usize) -> String {
    const WORDS: &[&str] = &[
        "the",
        "customer",
        "asked",
        "about",
        "their",
        "invoice",
        "please",
        "summarise",
        "following",
        "conversation",
        "and",
        "list",
        "every",
        "action",
        "item",
        "with",
        "owner",
        "deadline",
    ];
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let mut out = String::with_capacity(len + 16);
    while out.len() < len {
        out.push_str(WORDS[rng.below(WORDS.len() as u64) as usize]);
        out.push(' ');
    }
    out
}

/// One LLM call span: 20 attributes, among them the three the token-cost plugin reads and a
/// ~1.5 KB prompt.
fn span(row: usize, model: usize, rng: &mut Rng) -> Span {
    let (name, provider) = MODELS[model];
    let input_tokens = 200 + rng.below(3_000) as i64;
    let output_tokens = 20 + rng.below(800) as i64;
    let mut trace_id = [0u8; 16];
    trace_id[..8].copy_from_slice(&rng.next().to_be_bytes());
    trace_id[8..].copy_from_slice(&(row as u64 / 5).to_be_bytes());
    let start = 1_750_000_000_000_000_000 + row as u64 * 1_000_000;
    let attributes = vec![
        s("gen_ai.operation.name", "chat"),
        s("gen_ai.provider.name", provider),
        s("gen_ai.request.model", name),
        s("gen_ai.response.model", format!("{name}-2025-01-01")),
        kv("gen_ai.request.temperature", Value::DoubleValue(0.7)),
        kv("gen_ai.request.top_p", Value::DoubleValue(0.95)),
        i("gen_ai.request.max_tokens", 1_024),
        i("gen_ai.usage.input_tokens", input_tokens),
        i("gen_ai.usage.output_tokens", output_tokens),
        s(
            "gen_ai.response.id",
            format!("chatcmpl-{:016x}", rng.next()),
        ),
        kv(
            "gen_ai.response.finish_reasons",
            Value::ArrayValue(ArrayValue {
                values: vec![AnyValue {
                    value: Some(Value::StringValue("stop".into())),
                }],
            }),
        ),
        s("gen_ai.prompt", text(row as u64, 1_500)),
        s("gen_ai.completion", text(row as u64 + 1_000_000, 300)),
        s("gen_ai.conversation.id", format!("conv-{}", row / 5)),
        s("server.address", format!("api.{provider}.example")),
        i("server.port", 443),
        i("http.response.status_code", 200),
        s("user.id", format!("user-{}", rng.below(200))),
        s("session.id", format!("sess-{:08x}", rng.next() as u32)),
        kv(
            "gen_ai.request.stream",
            Value::BoolValue(row.is_multiple_of(3)),
        ),
    ];
    Span {
        trace_id: trace_id.to_vec(),
        span_id: rng.next().to_be_bytes().to_vec(),
        name: format!("chat {name}"),
        kind: SpanKind::Client as i32,
        start_time_unix_nano: start,
        end_time_unix_nano: start + 400_000_000 + rng.below(4_000_000_000),
        attributes,
        status: Some(Status {
            code: StatusCode::Ok as i32,
            message: String::new(),
        }),
        ..Default::default()
    }
}

/// The benchmark batch: 1,000 spans over four services. Consecutive calls reuse the previous
/// call's model half of the time (agents call one model repeatedly), so both the hit and the
/// miss of the plugin's model cache are exercised.
fn batch() -> ExportTraceServiceRequest {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let mut model = 0;
    let per_resource = ROWS / RESOURCES;
    let resource_spans = (0..RESOURCES)
        .map(|r| {
            let spans = (0..per_resource)
                .map(|k| {
                    if rng.below(2) == 0 {
                        model = rng.below(MODELS.len() as u64) as usize;
                    }
                    span(r * per_resource + k, model, &mut rng)
                })
                .collect();
            let resource = Resource {
                attributes: vec![
                    s("service.name", format!("assistant-{r}")),
                    s("service.version", "1.4.2"),
                    s("deployment.environment.name", "production"),
                    s("host.name", format!("node-{r:02}.eu-west-1.internal")),
                    s("telemetry.sdk.name", "opentelemetry"),
                    s("telemetry.sdk.language", "python"),
                    s("telemetry.sdk.version", "1.30.0"),
                    s("tenant.id", "acme"),
                ],
                ..Default::default()
            };
            let scope = InstrumentationScope {
                name: "opentelemetry.instrumentation.openai_v2".into(),
                version: "2.1b0".into(),
                ..Default::default()
            };
            ResourceSpans {
                resource: Some(resource),
                scope_spans: vec![ScopeSpans {
                    scope: Some(scope),
                    spans,
                    ..Default::default()
                }],
                ..Default::default()
            }
        })
        .collect();
    ExportTraceServiceRequest { resource_spans }
}

/// Loads (compiles and validates) a test plugin component.
fn load(
    runtime: &Runtime,
    path: &str,
    name: &str,
    destinations: &Arc<Destinations>,
) -> Arc<LoadedPlugin> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    let cfg: PluginConfig =
        toml::from_str(&format!("name = {name:?}")).expect("a minimal plugin config");
    LoadedPlugin::from_bytes(
        runtime,
        &bytes,
        PluginSource::File(path.into()),
        &cfg,
        String::new(),
        destinations.clone(),
    )
    .unwrap_or_else(|e| panic!("loading {path}: {e}"))
}

/// A ready instance of a loaded plugin, which an arm reuses for every call.
fn instantiate(loaded: &Arc<LoadedPlugin>) -> PluginInstance {
    loaded
        .instantiate()
        .unwrap_or_else(|e| panic!("instantiating {}: {e}", loaded.name))
}

/// The timed work of a Wasm arm: build the batch view, call the component, commit, finish.
fn run_wasm(
    plugin: &mut PluginInstance,
    request: ExportTraceServiceRequest,
    destinations: &Arc<Destinations>,
) -> Processed {
    let state = BatchState::new(Payload::Traces(request), destinations.clone());
    let (state, outcome) = plugin.process(state);
    if let Err(e) = outcome {
        panic!("plugin failed: {e}");
    }
    state.finish()
}

/// The timed work of a native arm: the same, with the plugin type called directly.
fn run_native(
    plugin: &mut impl Plugin,
    request: ExportTraceServiceRequest,
    destinations: &Arc<Destinations>,
) -> Processed {
    let mut state = BatchState::new(Payload::Traces(request), destinations.clone());
    let outcome = plugin.process(&mut Batch::new(&mut state));
    if let Err(e) = outcome {
        panic!("plugin failed: {e}");
    }
    state.commit();
    state.finish()
}

/// Rows that carry a cost after processing.
fn priced_rows(processed: &Processed) -> usize {
    let Payload::Traces(req) = &processed.payload else {
        return 0;
    };
    req.resource_spans
        .iter()
        .flat_map(|rs| &rs.scope_spans)
        .flat_map(|ss| &ss.spans)
        .filter(|sp| sp.attributes.iter().any(|a| a.key == COST))
        .count()
}

fn benches(c: &mut Criterion<Clock>) {
    settle_allocator();
    let request = batch();
    // Each iteration works on a freshly decoded copy, as the pipeline does: decoding (unlike
    // `clone`) leaves the attribute lists the spare capacity prost's growth gives them, which
    // decides whether appending the cost attribute reallocates.
    let wire = ExportTraceServiceRequest::encode_to_vec(&request);
    let input = || ExportTraceServiceRequest::decode(wire.as_slice()).expect("the batch decodes");
    let destinations = Arc::new(Destinations::default());
    let cache = tempfile::tempdir().expect("a private compile cache dir");
    let runtime = Runtime::new(RuntimeOptions {
        cache_dir: Some(cache.path().to_path_buf()),
        max_instances: 8,
        // `SLUICE_BENCH_PERFMAP=1`: `perf record` of a benchmark names the plugins' functions.
        profiler: if std::env::var_os("SLUICE_BENCH_PERFMAP").is_some() {
            sluice::config::Profiler::PerfMap
        } else {
            sluice::config::Profiler::None
        },
        ..Default::default()
    })
    .expect("the plugin runtime");
    let mut passthrough_wasm = instantiate(&load(
        &runtime,
        sluice_artifacts::test_plugins::PASSTHROUGH,
        "passthrough",
        &destinations,
    ));
    let mut token_cost_wasm = instantiate(&load(
        &runtime,
        sluice_artifacts::test_plugins::TOKEN_COST,
        "token-cost",
        &destinations,
    ));
    let mut passthrough_native = Passthrough::init("").expect("passthrough init");
    let mut token_cost_native = TokenCost::init("").expect("token-cost init");

    // Both builds of the plugin must do the same thing, or the ratio means nothing.
    let wasm = run_wasm(&mut token_cost_wasm, input(), &destinations);
    let native = run_native(&mut token_cost_native, input(), &destinations);
    assert_eq!(
        wasm.payload, native.payload,
        "token-cost: Wasm and native results differ"
    );
    let priced = priced_rows(&native);
    assert!(
        priced > ROWS / 2 && priced < ROWS,
        "token-cost priced {priced} of {ROWS} rows"
    );
    eprintln!(
        "batch: {ROWS} spans, {} bytes as protobuf, {priced} rows priced by token-cost",
        wire.len()
    );

    let mut group = c.benchmark_group("baseline");
    group.throughput(Throughput::Elements(ROWS as u64));
    arm(&mut group, "batch_state_only", input, |req| {
        BatchState::new(Payload::Traces(req), destinations.clone()).finish()
    });
    group.finish();

    let mut group = c.benchmark_group("passthrough");
    group.throughput(Throughput::Elements(ROWS as u64));
    arm(&mut group, "wasm", input, |req| {
        run_wasm(&mut passthrough_wasm, req, &destinations)
    });
    arm(&mut group, "native", input, |req| {
        run_native(&mut passthrough_native, req, &destinations)
    });
    group.finish();

    let mut group = c.benchmark_group("token_cost");
    group.throughput(Throughput::Elements(ROWS as u64));
    arm(&mut group, "wasm", input, |req| {
        run_wasm(&mut token_cost_wasm, req, &destinations)
    });
    arm(&mut group, "native", input, |req| {
        run_native(&mut token_cost_native, req, &destinations)
    });
    group.finish();

    parts(c, &input, &destinations);

    cost_builtin(c, &input, &runtime, &destinations);

    one_row(c, Clock::from_env(), &request, &runtime, &destinations);

    redact(c, &runtime, &destinations);

    genai(c, &runtime);
}

/// Calls made on one instance before `one_row` replaces it (untimed). `process` leaves one
/// entry in the store's handle table per call (see BENCHMARKS.md, "Suggestions") and wasmtime
/// caps a store at 100,000 live handles, so a long run on one instance traps; replacing the
/// instance keeps this arm independent of whether that is fixed.
const CALLS_PER_INSTANCE: u32 = 50_000;

/// One-span batches timed per chunk by `one_row`.
const ONE_ROW_CHUNK: u64 = 1_000;

/// The fixed cost of one call whatever the batch size, on a one-span batch. Criterion's
/// `iter_batched` overhead would be a large part of a microsecond-sized call, so calls are
/// timed a chunk at a time (`iter_custom`), with the clones they consume made outside the
/// timing.
fn one_row(
    c: &mut Criterion<Clock>,
    clock: Clock,
    request: &ExportTraceServiceRequest,
    runtime: &Runtime,
    destinations: &Arc<Destinations>,
) {
    let one = ExportTraceServiceRequest {
        resource_spans: vec![first_span(request)],
    };
    let time = |iters: u64, run: &mut dyn FnMut(ExportTraceServiceRequest) -> Processed| {
        // Calls are timed a chunk at a time, so reading the clock (a system call for the CPU
        // clock) is not a visible part of a call that takes well under a microsecond.
        let mut total = Duration::ZERO;
        let mut left = iters;
        while left > 0 {
            let n = left.min(ONE_ROW_CHUNK);
            let inputs: Vec<_> = (0..n).map(|_| one.clone()).collect();
            let mut outputs = Vec::with_capacity(inputs.len());
            let start = clock.start();
            for req in inputs {
                outputs.push(run(black_box(req)));
            }
            total += clock.end(start);
            drop(black_box(outputs));
            left -= n;
        }
        total
    };
    let mut group = c.benchmark_group("one_row");
    for (name, path) in [
        ("passthrough", sluice_artifacts::test_plugins::PASSTHROUGH),
        ("token_cost", sluice_artifacts::test_plugins::TOKEN_COST),
    ] {
        let loaded = load(runtime, path, name, destinations);
        let mut instance = instantiate(&loaded);
        let mut calls = 0u32;
        group.bench_function(format!("{name}_wasm"), |b| {
            b.iter_custom(|iters| {
                time(iters, &mut |req| {
                    calls += 1;
                    if calls.is_multiple_of(CALLS_PER_INSTANCE) {
                        instance = instantiate(&loaded);
                    }
                    run_wasm(&mut instance, req, destinations)
                })
            })
        });
    }
    let mut passthrough = Passthrough::init("").expect("passthrough init");
    group.bench_function("passthrough_native", |b| {
        b.iter_custom(|iters| {
            time(iters, &mut |req| {
                run_native(&mut passthrough, req, destinations)
            })
        })
    });
    let mut token_cost = TokenCost::init("").expect("token-cost init");
    group.bench_function("token_cost_native", |b| {
        b.iter_custom(|iters| {
            time(iters, &mut |req| {
                run_native(&mut token_cost, req, destinations)
            })
        })
    });
    group.finish();
}

/// The batch's first resource with only its first span.
fn first_span(request: &ExportTraceServiceRequest) -> ResourceSpans {
    let mut rs = request.resource_spans[0].clone();
    rs.scope_spans.truncate(1);
    rs.scope_spans[0].spans.truncate(1);
    rs
}

/// The native token-cost arm taken apart, each step on a freshly decoded batch like the arms
/// above: where the time goes on the host side, so it can be told apart from the boundary
/// (`token_cost/wasm - token_cost/native`).
fn parts(
    c: &mut Criterion<Clock>,
    input: &impl Fn() -> ExportTraceServiceRequest,
    destinations: &Arc<Destinations>,
) {
    let state = || BatchState::new(Payload::Traces(input()), destinations.clone());
    let read = |state: &BatchState| {
        [MODEL, INPUT_TOKENS, OUTPUT_TOKENS].map(|k| state.column(&Key::record(k)))
    };
    let mut group = c.benchmark_group("token_cost_parts");
    group.throughput(Throughput::Elements(ROWS as u64));
    group.bench_function("read_3_columns", |b| {
        b.iter_batched(
            state,
            |state| {
                let columns = read(black_box(&state));
                (state, columns)
            },
            BatchSize::LargeInput,
        )
    });
    let columns = read(&state());
    group.bench_function("compute", |b| {
        b.iter(|| {
            test_token_cost::costs(
                black_box(&columns[0]),
                black_box(&columns[1]),
                black_box(&columns[2]),
            )
        })
    });
    let cost =
        test_token_cost::costs(&columns[0], &columns[1], &columns[2]).expect("some rows priced");
    group.bench_function("set_column_commit", |b| {
        b.iter_batched(
            || (state(), cost.clone()),
            |(mut state, cost)| {
                state
                    .set_column(&Key::record(COST), black_box(cost))
                    .expect("a well-shaped column");
                state.commit();
                state
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

/// The built-in cost plugin (`plugins/cost`) on its shipped default table, as the embedded
/// component and as the same type called natively, on the same 1,000-span batch as
/// `token_cost`. Its response models are dated snapshots (`gpt-4o-2025-01-01`), so every
/// distinct name goes through the matcher's snapshot stripping; two of the five models are
/// not in the table and come out unpriced. The batch has no cache or reasoning counts, so
/// the plugin also reads every legacy spelling of those (12 columns no span has); the
/// `*_current_names` arms run with `legacy_attributes = false` to show what that costs.
fn cost_builtin(
    c: &mut Criterion<Clock>,
    input: &impl Fn() -> ExportTraceServiceRequest,
    runtime: &Runtime,
    destinations: &Arc<Destinations>,
) {
    use sluice_plugin_cost::{Cost, config::DEFAULT_TABLE};
    let cfg: PluginConfig = toml::from_str("name = \"cost\"").expect("a minimal plugin config");
    let loaded = LoadedPlugin::from_bytes(
        runtime,
        sluice_artifacts::builtin::COST,
        PluginSource::Builtin("cost".into()),
        &cfg,
        DEFAULT_TABLE.to_string(),
        destinations.clone(),
    )
    .unwrap_or_else(|e| panic!("loading cost: {e}"));
    let mut wasm = instantiate(&loaded);
    let mut native = Cost::init(DEFAULT_TABLE).expect("cost init");
    let current = format!("legacy_attributes = false\n{DEFAULT_TABLE}");
    let mut wasm_current = instantiate(
        &LoadedPlugin::from_bytes(
            runtime,
            sluice_artifacts::builtin::COST,
            PluginSource::Builtin("cost".into()),
            &cfg,
            current.clone(),
            destinations.clone(),
        )
        .unwrap_or_else(|e| panic!("loading cost: {e}")),
    );
    let mut native_current = Cost::init(&current).expect("cost init");
    let a = run_wasm(&mut wasm, input(), destinations);
    let b = run_native(&mut native, input(), destinations);
    assert_eq!(a.payload, b.payload, "cost: Wasm and native results differ");
    let (x, y) = (
        run_wasm(&mut wasm_current, input(), destinations),
        run_native(&mut native_current, input(), destinations),
    );
    assert_eq!(
        x.payload, y.payload,
        "cost (current names): Wasm and native results differ"
    );
    assert_eq!(
        y.payload, b.payload,
        "cost: the legacy names change nothing on this batch"
    );
    let Payload::Traces(req) = &b.payload else {
        unreachable!("a traces batch stays traces")
    };
    let status = |value: &str| {
        req.resource_spans
            .iter()
            .flat_map(|rs| &rs.scope_spans)
            .flat_map(|ss| &ss.spans)
            .filter(|sp| {
                sp.attributes.iter().any(|a| {
                    a.key == "sluice.cost.status"
                        && a.value.as_ref().and_then(|v| v.value.as_ref())
                            == Some(&Value::StringValue(value.into()))
                })
            })
            .count()
    };
    let (priced, unpriced) = (status("priced"), status("unpriced"));
    assert!(
        priced > ROWS / 2 && priced + unpriced == ROWS,
        "cost priced {priced} and left {unpriced} unpriced of {ROWS} rows"
    );
    eprintln!("cost_builtin: {priced} rows priced, {unpriced} unpriced (default table)");
    let mut group = c.benchmark_group("cost_builtin");
    group.throughput(Throughput::Elements(ROWS as u64));
    arm(&mut group, "wasm", input, |req| {
        run_wasm(&mut wasm, req, destinations)
    });
    arm(&mut group, "native", input, |req| {
        run_native(&mut native, req, destinations)
    });
    arm(&mut group, "wasm_current_names", input, |req| {
        run_wasm(&mut wasm_current, req, destinations)
    });
    arm(&mut group, "native_current_names", input, |req| {
        run_native(&mut native_current, req, destinations)
    });
    group.finish();
}

/// Record attributes the `redact` arms put their strings under: none is a content key or
/// a sensitive key, so every string is scanned as it is, like `Redact::redact_str`.
const REDACT_KEYS: &[&str] = &[
    "app.message",
    "db.statement",
    "log.detail",
    "http.note",
    "job.output",
    "rpc.payload",
    "exception.text",
    "cli.command",
];

/// A batch of `ROWS` spans whose string attributes are `texts` (taken in order, `per_span`
/// per span, cycling), and the number of string bytes in it.
fn text_batch(texts: &[String], per_span: usize) -> (ExportTraceServiceRequest, u64) {
    let mut next = texts.iter().cycle();
    let mut bytes = 0u64;
    let spans = (0..ROWS)
        .map(|row| {
            let attributes = REDACT_KEYS[..per_span]
                .iter()
                .map(|k| {
                    let t = next.next().expect("texts is not empty");
                    bytes += t.len() as u64;
                    s(k, t.as_str())
                })
                .collect();
            Span {
                trace_id: (row as u128 + 1).to_be_bytes().to_vec(),
                span_id: (row as u64 + 1).to_be_bytes().to_vec(),
                name: "work".into(),
                attributes,
                ..Default::default()
            }
        })
        .collect();
    (one_resource(spans), bytes)
}

/// The redaction plugin with its default config (every default rule on), inside Wasm and
/// natively, on batches of clean log-like strings, LLM-like prose and secret-dense strings
/// (`sluice_plugin_redact::samples`, the inputs of the plugin's own `throughput` example).
/// Reported as MB of string content per second; `texts_only` is the host's share (batch view
/// plus listing every leaf), which both arms pay. `plugins/redact/bench.sh` runs these groups
/// several times and prints the table of BENCHMARKS.md.
fn redact(c: &mut Criterion<Clock>, runtime: &Runtime, destinations: &Arc<Destinations>) {
    const DEFAULT: &str = include_str!("../../plugins/redact/default.toml");
    let cfg: PluginConfig = toml::from_str("name = \"redact\"").expect("a minimal plugin config");
    let loaded = LoadedPlugin::from_bytes(
        runtime,
        sluice_artifacts::builtin::REDACT,
        PluginSource::Builtin("redact".into()),
        &cfg,
        DEFAULT.to_string(),
        destinations.clone(),
    )
    .unwrap_or_else(|e| panic!("loading redact: {e}"));
    let mut wasm = instantiate(&loaded);
    let mut native = Redact::init(DEFAULT).expect("redact init");
    // Another build of the component to compare with in the same run (e.g. the one before a
    // change): `SLUICE_BENCH_REDACT_OTHER=path/to/sluice_plugin_redact.wasm`.
    let mut other = std::env::var("SLUICE_BENCH_REDACT_OTHER").ok().map(|path| {
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
        let loaded = LoadedPlugin::from_bytes(
            runtime,
            &bytes,
            PluginSource::Builtin("redact".into()),
            &cfg,
            // Its built-in defaults: an older build may not know every key of today's file.
            String::new(),
            destinations.clone(),
        )
        .unwrap_or_else(|e| panic!("loading {path}: {e}"));
        instantiate(&loaded)
    });
    let mut inputs: Vec<(&str, ExportTraceServiceRequest, u64)> = [
        ("redact_clean", samples::clean(4 << 20), 4),
        ("redact_prose", samples::prose(4 << 20), 1),
        ("redact_dense", samples::dense(1 << 20), 8),
    ]
    .into_iter()
    .map(|(name, texts, per_span)| {
        let (request, bytes) = text_batch(&texts, per_span);
        (name, request, bytes)
    })
    .collect();
    let (request, bytes) = genai_batch();
    inputs.push(("redact_genai", request, bytes));
    for (name, request, bytes) in inputs {
        let wire = ExportTraceServiceRequest::encode_to_vec(&request);
        let input =
            || ExportTraceServiceRequest::decode(wire.as_slice()).expect("the batch decodes");
        let a = run_wasm(&mut wasm, input(), destinations);
        let b = run_native(&mut native, input(), destinations);
        assert_eq!(
            a.payload, b.payload,
            "{name}: Wasm and native results differ"
        );
        eprintln!("{name}: {ROWS} spans, {bytes} bytes of strings");
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::BytesDecimal(bytes));
        arm(&mut group, "texts_only", input, |req| {
            view_with_texts(req, destinations)
        });
        arm(&mut group, "wasm", input, |req| {
            run_wasm(&mut wasm, req, destinations)
        });
        arm(&mut group, "native", input, |req| {
            run_native(&mut native, req, destinations)
        });
        if let Some(other) = other.as_mut() {
            arm(&mut group, "wasm_other", input, |req| {
                run_wasm(other, req, destinations)
            });
        }
        group.finish();
    }
}

/// The loopback benchmark's chain, in its order, with its stage settings: every built-in
/// plugin on its default config, except eval-sample's (1 % of traces to `eval`).
const LOOPBACK_CHAIN: &[(&str, &str)] = &[
    ("redact", ""),
    ("residency", ""),
    ("cost", "on_error = \"fail_open\""),
    (
        "eval-sample",
        "config = { destination = \"eval\", rate = 0.01 }",
    ),
];

/// A built-in plugin compiled natively, by name.
// One value per benchmark, made once: the variants' sizes (the redactor's scratch buffers
// make it the largest) cost nothing here.
#[allow(clippy::large_enum_variant)]
enum Native {
    Redact(Redact),
    Residency(Residency),
    Cost(Cost),
    EvalSample(EvalSample),
}

impl Native {
    /// The plugin `name` on `config`, the text its `init` gets inside Wasm too.
    fn init(name: &str, config: &str) -> Native {
        let fail = |e: String| -> Native { panic!("{name} init: {e}") };
        match name {
            "redact" => Redact::init(config).map_or_else(fail, Native::Redact),
            "residency" => Residency::init(config).map_or_else(fail, Native::Residency),
            "cost" => Cost::init(config).map_or_else(fail, Native::Cost),
            "eval-sample" => EvalSample::init(config).map_or_else(fail, Native::EvalSample),
            _ => panic!("no native build of `{name}` here"),
        }
    }

    fn process(&mut self, batch: &mut Batch<'_>) -> Result<(), String> {
        match self {
            Native::Redact(p) => p.process(batch),
            Native::Residency(p) => p.process(batch),
            Native::Cost(p) => p.process(batch),
            Native::EvalSample(p) => p.process(batch),
        }
    }
}

/// The timed work of a native chain: the batch view, each plugin called directly and its
/// edits committed, `finish()`; with one plugin, exactly [`run_native`].
fn run_native_chain(
    plugins: &mut [Native],
    request: ExportTraceServiceRequest,
    destinations: &Arc<Destinations>,
) -> Processed {
    let mut state = BatchState::new(Payload::Traces(request), destinations.clone());
    for plugin in plugins {
        if let Err(e) = plugin.process(&mut Batch::new(&mut state)) {
            panic!("plugin failed: {e}");
        }
        state.commit();
    }
    state.finish()
}

/// The timed work of the Wasm chain: what a pipeline worker does with a batch
/// ([`Chain::run`]: every stage's call, its stats and its counts), then routing masks.
fn run_wasm_chain(
    chain: &mut Chain,
    request: ExportTraceServiceRequest,
    destinations: &Arc<Destinations>,
) -> Processed {
    match chain.run(BatchState::new(
        Payload::Traces(request),
        destinations.clone(),
    )) {
        ChainOutcome::Processed(p) => {
            assert_eq!(p.failed_open, 0, "a stage failed open");
            p
        }
        ChainOutcome::Quarantined {
            plugin, failure, ..
        }
        | ChainOutcome::Dropped {
            plugin, failure, ..
        } => panic!("{plugin} failed: {failure}"),
    }
}

/// Spans marked with attribute `key` = `value` (any value when `value` is `None`).
fn marked(processed: &Processed, key: &str, value: Option<&str>) -> usize {
    let Payload::Traces(req) = &processed.payload else {
        return 0;
    };
    req.resource_spans
        .iter()
        .flat_map(|rs| &rs.scope_spans)
        .flat_map(|ss| &ss.spans)
        .filter(|sp| {
            sp.attributes.iter().any(|a| {
                a.key == key
                    && value.is_none_or(|v| {
                        a.value.as_ref().and_then(|x| x.value.as_ref())
                            == Some(&Value::StringValue(v.into()))
                    })
            })
        })
        .count()
}

/// The loopback chain's plugins on the load generator's GenAI spans (`genai_batch`, the
/// content the loopback benchmark sends), with the loopback's destinations and stage
/// configs: each plugin alone inside Wasm and natively (groups `residency_genai`,
/// `cost_genai`, `eval_sample_genai`; redact's is `redact_genai`, above), the whole chain
/// (`chain_genai`: [`Chain::run`] against the four native types in a row), and the host's
/// share (`baseline_genai`: the batch view alone, and the test passthrough plugin in Wasm),
/// and all of that again on the same spans cut into the loopback's 100-span requests
/// (`requests100_genai`).
/// Throughput is the batch's size as OTLP protobuf, the loopback's unit; every arm is
/// 1,000 spans. Both builds are checked to give identical payloads and routes first.
fn genai(c: &mut Criterion<Clock>, runtime: &Runtime) {
    let destinations = loopback_destinations();
    let (request, strings) = genai_batch();
    let wire = ExportTraceServiceRequest::encode_to_vec(&request);
    let input = || ExportTraceServiceRequest::decode(wire.as_slice()).expect("the batch decodes");
    eprintln!(
        "genai: {ROWS} spans, {} bytes as protobuf, {strings} bytes of strings",
        wire.len()
    );
    let stages: Vec<PluginConfig> = LOOPBACK_CHAIN
        .iter()
        .map(|(name, extra)| {
            toml::from_str(&format!("name = {name:?}\nbuiltin = {name:?}\n{extra}"))
                .unwrap_or_else(|e| panic!("stage {name}: {e}"))
        })
        .collect();
    // The config text each plugin's `init` gets: what the host derives from the stage
    // (`LoadedPlugin::load`: the inline table, else the built-in's default).
    let native_config = |stage: &PluginConfig| match &stage.config {
        Some(table) => toml::to_string(table).expect("a TOML table prints"),
        None => sluice::plugin::builtin::get(&stage.name)
            .expect("a built-in plugin")
            .1
            .to_string(),
    };
    let loaded: Vec<Arc<LoadedPlugin>> = stages
        .iter()
        .map(|stage| {
            LoadedPlugin::load(runtime, stage, destinations.clone())
                .unwrap_or_else(|e| panic!("loading {}: {e}", stage.name))
        })
        .collect();
    let natives = || -> Vec<Native> {
        stages
            .iter()
            .map(|stage| Native::init(&stage.name, &native_config(stage)))
            .collect()
    };

    let mut group = c.benchmark_group("baseline_genai");
    group.throughput(Throughput::BytesDecimal(wire.len() as u64));
    arm(&mut group, "batch_state_only", input, |req| {
        BatchState::new(Payload::Traces(req), destinations.clone()).finish()
    });
    let mut passthrough = instantiate(&load(
        runtime,
        sluice_artifacts::test_plugins::PASSTHROUGH,
        "passthrough",
        &destinations,
    ));
    arm(&mut group, "passthrough_wasm", input, |req| {
        run_wasm(&mut passthrough, req, &destinations)
    });
    group.finish();

    for (at, stage) in stages.iter().enumerate() {
        if stage.name == "redact" {
            continue; // `redact_genai`
        }
        let mut wasm = instantiate(&loaded[at]);
        let mut native = [Native::init(&stage.name, &native_config(stage))];
        let a = run_wasm(&mut wasm, input(), &destinations);
        let b = run_native_chain(&mut native, input(), &destinations);
        assert_eq!(
            (&a.payload, &a.masks),
            (&b.payload, &b.masks),
            "{}: Wasm and native results differ",
            stage.name
        );
        let eval = destinations.index("eval").expect("an eval destination");
        match stage.name.as_str() {
            "cost" => eprintln!(
                "cost_genai: {} spans priced, {} unpriced, {} without a model (not LLM calls)",
                marked(&b, "sluice.cost.status", Some("priced")),
                marked(&b, "sluice.cost.status", Some("unpriced")),
                ROWS - marked(&b, "sluice.cost.status", None),
            ),
            "eval-sample" => eprintln!(
                "eval_sample_genai: {} spans picked, {} routed to `eval`",
                marked(&b, sluice_plugin_eval_sample::SAMPLED, None),
                b.masks.iter().filter(|m| *m & (1 << eval) != 0).count(),
            ),
            _ => {}
        }
        let mut group = c.benchmark_group(format!("{}_genai", stage.name.replace('-', "_")));
        group.throughput(Throughput::BytesDecimal(wire.len() as u64));
        arm(&mut group, "wasm", input, |req| {
            run_wasm(&mut wasm, req, &destinations)
        });
        arm(&mut group, "native", input, |req| {
            run_native_chain(&mut native, req, &destinations)
        });
        group.finish();
    }

    let mut wasm = Chain::new(&loaded, None).expect("the chain's instances");
    let mut native = natives();
    let a = run_wasm_chain(&mut wasm, input(), &destinations);
    let b = run_native_chain(&mut native, input(), &destinations);
    assert_eq!(
        (&a.payload, &a.masks),
        (&b.payload, &b.masks),
        "the chain: Wasm and native results differ"
    );
    let mut group = c.benchmark_group("chain_genai");
    group.throughput(Throughput::BytesDecimal(wire.len() as u64));
    arm(&mut group, "wasm", input, |req| {
        run_wasm_chain(&mut wasm, req, &destinations)
    });
    arm(&mut group, "native", input, |req| {
        run_native_chain(&mut native, req, &destinations)
    });
    group.finish();

    // The runtime pools 8 instances: free the ones above first.
    drop((wasm, passthrough));

    // The same spans in requests of the loopback's size: 10 requests of 100 spans (each
    // with the batch's resource), run one after another on one instance, so a plugin's
    // per-batch work counts ten times as often per span.
    let per_request = 100;
    let Some(rs) = request.resource_spans.first() else {
        unreachable!("the batch has a resource")
    };
    let wires: Vec<Vec<u8>> = rs.scope_spans[0]
        .spans
        .chunks(per_request)
        .map(|spans| {
            let mut part = rs.clone();
            part.scope_spans[0].spans = spans.to_vec();
            ExportTraceServiceRequest {
                resource_spans: vec![part],
            }
            .encode_to_vec()
        })
        .collect();
    let inputs = || -> Vec<ExportTraceServiceRequest> {
        wires
            .iter()
            .map(|w| ExportTraceServiceRequest::decode(w.as_slice()).expect("a request decodes"))
            .collect()
    };
    let bytes: usize = wires.iter().map(Vec::len).sum();
    let mut group = c.benchmark_group("requests100_genai");
    group.throughput(Throughput::BytesDecimal(bytes as u64));
    for (at, stage) in stages.iter().enumerate() {
        let mut wasm = instantiate(&loaded[at]);
        let mut native = [Native::init(&stage.name, &native_config(stage))];
        let a: Vec<_> = inputs()
            .into_iter()
            .map(|r| run_wasm(&mut wasm, r, &destinations))
            .collect();
        let b: Vec<_> = inputs()
            .into_iter()
            .map(|r| run_native_chain(&mut native, r, &destinations))
            .collect();
        assert!(
            a.iter()
                .zip(&b)
                .all(|(a, b)| (&a.payload, &a.masks) == (&b.payload, &b.masks)),
            "{} (100-span requests): Wasm and native results differ",
            stage.name
        );
        let name = stage.name.replace('-', "_");
        arm(&mut group, &format!("{name}_wasm"), inputs, |reqs| {
            reqs.into_iter()
                .map(|r| run_wasm(&mut wasm, r, &destinations))
                .collect::<Vec<_>>()
        });
        arm(&mut group, &format!("{name}_native"), inputs, |reqs| {
            reqs.into_iter()
                .map(|r| run_native_chain(&mut native, r, &destinations))
                .collect::<Vec<_>>()
        });
    }
    let mut wasm = Chain::new(&loaded, None).expect("the chain's instances");
    let mut native = natives();
    arm(&mut group, "chain_wasm", inputs, |reqs| {
        reqs.into_iter()
            .map(|r| run_wasm_chain(&mut wasm, r, &destinations))
            .collect::<Vec<_>>()
    });
    arm(&mut group, "chain_native", inputs, |reqs| {
        reqs.into_iter()
            .map(|r| run_native_chain(&mut native, r, &destinations))
            .collect::<Vec<_>>()
    });
    group.finish();
}

criterion_group! {
    name = plugins;
    config = config();
    targets = benches
}
criterion_main!(plugins);
