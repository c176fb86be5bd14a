//! What the bench targets share: the clock they measure with (the benchmark thread's CPU time
//! by default, see [`Clock`]), criterion's settings ([`config`]), the allocator warm-up, and
//! the load generator's GenAI batch ([`genai_batch`]) that relates micro-benchmark figures to
//! the loopback benchmark. Each bench target includes it with `mod common;`.

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{BatchSize, BenchmarkGroup, Criterion};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value::Value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use sluice::router::Destinations;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Rows per batch; every figure is also reported per row.
pub const ROWS: usize = 1_000;

/// An attribute.
pub fn kv(key: &str, value: Value) -> KeyValue {
    KeyValue {
        key: key.to_string(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}

/// A string attribute.
pub fn s(key: &str, value: impl Into<String>) -> KeyValue {
    kv(key, Value::StringValue(value.into()))
}

/// glibc adapts its mmap and trim thresholds the first time it frees a large block; until then
/// it hands the freed top of the heap back to the kernel after every batch, and the next batch
/// pays page faults for it (about 20 µs per batch here, which swamped the first arm of a run).
/// A long-running sluice reaches the adapted state with the first large request it frees, so
/// reach it before measuring.
pub fn settle_allocator() {
    drop(black_box(vec![1u8; 16 << 20]));
}

/// `ROWS` spans of the load generator's default mix (GenAI traces: `chat` spans with JSON
/// message lists of 0.5–8 KB, tool calls, retrieval; 5 % carry a fake secret), and the number
/// of bytes in their string attribute values: what the redaction plugin's content path sees.
pub fn genai_batch() -> (ExportTraceServiceRequest, u64) {
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
    (one_resource(spans), bytes)
}

/// `spans` under one resource (`service.name = assistant`, `tenant.id = acme`) and scope.
pub fn one_resource(spans: Vec<Span>) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
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
    }
}

/// The destinations of the loopback benchmark's chain config (`scripts/loopback-bench.sh`):
/// two OTLP destinations with per-tenant routing, neither third-party (so residency's default
/// policy denies nothing), and the `eval` destination eval-sample adds picked traces to.
const LOOPBACK_DESTINATIONS: &str = r#"
[[destinations]]
name = "capture-a"
type = "discard"
third_party = false
[[destinations]]
name = "capture-b"
type = "discard"
third_party = false
[[destinations]]
name = "eval"
type = "discard"
[routing]
default = ["capture-a"]
tenants = [{ tenant = "tenant-0000", destinations = ["capture-b"] }]
"#;

/// [`LOOPBACK_DESTINATIONS`] as the host holds them.
pub fn loopback_destinations() -> Arc<Destinations> {
    let config: sluice::config::Config =
        toml::from_str(LOOPBACK_DESTINATIONS).expect("the loopback destinations");
    Arc::new(Destinations::from_config(&config))
}

/// What the benchmarks measure with: the benchmark thread's CPU time by default, or wall
/// time with `SLUICE_BENCH_CLOCK=wall`.
///
/// This is a 2-core machine that other builds and tests share; wall time then counts every
/// preemption of the benchmark thread, while CPU time counts only the work it did. On an idle
/// machine the two agree (the timed work is single-threaded).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// `CLOCK_THREAD_CPUTIME_ID`.
    ThreadCpu,
    /// `Instant`.
    Wall,
}

impl Clock {
    /// The clock `SLUICE_BENCH_CLOCK` names (`cpu`, the default, or `wall`).
    pub fn from_env() -> Clock {
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

/// Criterion as every bench target runs it: [`Clock`], 30 samples, 1 s warm-up, 3 s of
/// measurement per arm.
pub fn config() -> Criterion<Clock> {
    Criterion::default()
        .with_measurement(Clock::from_env())
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

/// One arm of a group: `run` on a fresh `input()` per iteration (a batch is consumed by the
/// run), timed without the input's construction.
pub fn arm<I, O>(
    group: &mut BenchmarkGroup<'_, Clock>,
    name: &str,
    input: impl Fn() -> I,
    mut run: impl FnMut(I) -> O,
) {
    group.bench_function(name, |b| {
        b.iter_batched(&input, |req| run(black_box(req)), BatchSize::LargeInput)
    });
}

/// The batch view of `req` with every row's string leaves read, as a plugin that reads all
/// texts sees it (the `texts` arms: what the host does before any plugin work).
pub fn view_with_texts(
    req: ExportTraceServiceRequest,
    destinations: &Arc<Destinations>,
) -> impl Sized {
    use sluice_plugin_sdk::RecordsApi;
    let mut state =
        sluice::pipeline::BatchState::new(sluice::otlp::Payload::Traces(req), destinations.clone());
    let rows: Vec<u32> = (0..RecordsApi::len(&state)).collect();
    let texts = RecordsApi::texts(&mut state, &rows).expect("texts");
    (state.finish(), texts)
}
