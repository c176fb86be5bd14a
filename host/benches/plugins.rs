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
//! cost plugin on its shipped table. Time is the benchmark thread's CPU time unless
//! `SLUICE_BENCH_CLOCK=wall` (see [`Clock`]).
//! `scripts/bench.sh` runs this and prints the per-record table; `BENCHMARKS.md` has figures.

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
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
use sluice::pipeline::{BatchState, Processed};
use sluice::plugin::{LoadedPlugin, PluginInstance, PluginSource, Runtime, RuntimeOptions};
use sluice::router::Destinations;
use sluice_plugin_redact::{Redact, samples};
use sluice_plugin_sdk::{Batch, Key, Plugin, RecordsApi};
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};
use test_passthrough::Passthrough;
use test_token_cost::{COST, INPUT_TOKENS, MODEL, OUTPUT_TOKENS, TokenCost};

/// Rows per batch; every figure is also reported per row through `Throughput::Elements`.
const ROWS: usize = 1_000;
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

fn kv(key: &str, value: Value) -> KeyValue {
    KeyValue {
        key: key.to_string(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}

fn s(key: &str, value: impl Into<String>) -> KeyValue {
    kv(key, Value::StringValue(value.into()))
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

/// glibc adapts its mmap and trim thresholds the first time it frees a large block; until then
/// it hands the freed top of the heap back to the kernel after every batch, and the next batch
/// pays page faults for it (about 20 µs per batch here, which swamped the first arm of a run).
/// A long-running sluice reaches the adapted state with the first large request it frees, so
/// reach it before measuring.
fn settle_allocator() {
    drop(black_box(vec![1u8; 16 << 20]));
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
    group.bench_function("batch_state_only", |b| {
        b.iter_batched(
            input,
            |req| BatchState::new(Payload::Traces(black_box(req)), destinations.clone()).finish(),
            BatchSize::LargeInput,
        )
    });
    group.finish();

    let mut group = c.benchmark_group("passthrough");
    group.throughput(Throughput::Elements(ROWS as u64));
    group.bench_function("wasm", |b| {
        b.iter_batched(
            input,
            |req| run_wasm(&mut passthrough_wasm, black_box(req), &destinations),
            BatchSize::LargeInput,
        )
    });
    group.bench_function("native", |b| {
        b.iter_batched(
            input,
            |req| run_native(&mut passthrough_native, black_box(req), &destinations),
            BatchSize::LargeInput,
        )
    });
    group.finish();

    let mut group = c.benchmark_group("token_cost");
    group.throughput(Throughput::Elements(ROWS as u64));
    group.bench_function("wasm", |b| {
        b.iter_batched(
            input,
            |req| run_wasm(&mut token_cost_wasm, black_box(req), &destinations),
            BatchSize::LargeInput,
        )
    });
    group.bench_function("native", |b| {
        b.iter_batched(
            input,
            |req| run_native(&mut token_cost_native, black_box(req), &destinations),
            BatchSize::LargeInput,
        )
    });
    group.finish();

    parts(c, &input, &destinations);

    cost_builtin(c, &input, &runtime, &destinations);

    one_row(c, Clock::from_env(), &request, &runtime, &destinations);

    redact(c, &runtime, &destinations);
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
    group.bench_function("wasm", |b| {
        b.iter_batched(
            input,
            |req| run_wasm(&mut wasm, black_box(req), destinations),
            BatchSize::LargeInput,
        )
    });
    group.bench_function("native", |b| {
        b.iter_batched(
            input,
            |req| run_native(&mut native, black_box(req), destinations),
            BatchSize::LargeInput,
        )
    });
    group.bench_function("wasm_current_names", |b| {
        b.iter_batched(
            input,
            |req| run_wasm(&mut wasm_current, black_box(req), destinations),
            BatchSize::LargeInput,
        )
    });
    group.bench_function("native_current_names", |b| {
        b.iter_batched(
            input,
            |req| run_native(&mut native_current, black_box(req), destinations),
            BatchSize::LargeInput,
        )
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
    let request = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![s("service.name", "assistant"), s("tenant.id", "acme")],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    (request, bytes)
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
        group.bench_function("texts_only", |b| {
            b.iter_batched(
                input,
                |req| {
                    let mut state =
                        BatchState::new(Payload::Traces(black_box(req)), destinations.clone());
                    let rows: Vec<u32> = (0..RecordsApi::len(&state)).collect();
                    let texts = RecordsApi::texts(&mut state, &rows).expect("texts");
                    (state.finish(), texts)
                },
                BatchSize::LargeInput,
            )
        });
        group.bench_function("wasm", |b| {
            b.iter_batched(
                input,
                |req| run_wasm(&mut wasm, black_box(req), destinations),
                BatchSize::LargeInput,
            )
        });
        group.bench_function("native", |b| {
            b.iter_batched(
                input,
                |req| run_native(&mut native, black_box(req), destinations),
                BatchSize::LargeInput,
            )
        });
        if let Some(other) = other.as_mut() {
            group.bench_function("wasm_other", |b| {
                b.iter_batched(
                    input,
                    |req| run_wasm(other, black_box(req), destinations),
                    BatchSize::LargeInput,
                )
            });
        }
        group.finish();
    }
}

/// `ROWS` spans of the load generator's default mix (GenAI traces: `chat` spans with JSON
/// message lists of 0.5–8 KB, tool calls, retrieval; 5 % carry a fake secret), and the number
/// of bytes in their string attribute values: what the redaction plugin's content path sees.
fn genai_batch() -> (ExportTraceServiceRequest, u64) {
    use rand::SeedableRng;
    let shape = sluice_loadgen::pool::Shape::default();
    let mut rng = rand::rngs::StdRng::seed_from_u64(shape.seed);
    let spans = sluice_loadgen::traces::spans(&mut rng, &shape, 1_800_000_000_000_000_000, ROWS);
    let bytes = spans
        .iter()
        .flat_map(|sp| &sp.attributes)
        .filter_map(|kv| match kv.value.as_ref()?.value.as_ref()? {
            Value::StringValue(v) => Some(v.len() as u64),
            _ => None,
        })
        .sum();
    let request = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![s("service.name", "assistant"), s("tenant.id", "acme")],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    (request, bytes)
}

/// What the benchmarks measure with: the benchmark thread's CPU time by default, or wall
/// time with `SLUICE_BENCH_CLOCK=wall`.
///
/// This is a 2-core machine that other builds and tests share; wall time then counts every
/// preemption of the benchmark thread, while CPU time counts only the work it did. On an idle
/// machine the two agree (the timed work is single-threaded).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Clock {
    /// `CLOCK_THREAD_CPUTIME_ID`.
    ThreadCpu,
    /// `Instant`.
    Wall,
}

impl Clock {
    fn from_env() -> Clock {
        match std::env::var("SLUICE_BENCH_CLOCK").as_deref() {
            Ok("wall") => Clock::Wall,
            Ok("cpu") | Err(_) => Clock::ThreadCpu,
            Ok(other) => panic!("SLUICE_BENCH_CLOCK must be `cpu` or `wall`, not `{other}`"),
        }
    }

    fn now(self) -> Duration {
        match self {
            Clock::ThreadCpu => thread_cpu_time(),
            Clock::Wall => EPOCH.get_or_init(Instant::now).elapsed(),
        }
    }
}

/// The origin of `Clock::Wall` readings.
static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();

/// CPU time the calling thread has used.
#[allow(unsafe_code)] // One libc call that writes into a local; nothing outlives it.
fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, exclusively borrowed `timespec` for the whole call.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

impl Measurement for Clock {
    type Intermediate = Duration;
    type Value = Duration;

    fn start(&self) -> Duration {
        self.now()
    }

    fn end(&self, start: Duration) -> Duration {
        self.now().saturating_sub(start)
    }

    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }

    fn zero(&self) -> Duration {
        Duration::ZERO
    }

    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_nanos() as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        // Both clocks count nanoseconds, so they print the same way.
        static WALL: WallTime = WallTime;
        WALL.formatter()
    }
}

fn config() -> Criterion<Clock> {
    Criterion::default()
        .with_measurement(Clock::from_env())
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = plugins;
    config = config();
    targets = benches
}
criterion_main!(plugins);
