//! The plugin's `process` on batches like the host benchmark's (`host/benches/plugins.rs`,
//! groups `redact_*`): 1,000 spans whose string attributes are the throughput samples, on
//! the SDK's in-memory batch. Without the host, so it also builds for `wasm32-wasip2` (a
//! command) to profile the guest alone.
//!
//!     cargo run --release -p sluice-plugin-redact --example process [clean|prose|dense [RUNS]]

use std::hint::black_box;
use std::time::Instant;

use sluice_plugin_redact::{Redact, samples};
use sluice_plugin_sdk::Plugin;
use sluice_plugin_sdk::Signal;
use sluice_plugin_sdk::testing::{TestBatch, TestRecord};

const DEFAULT: &str = include_str!("../default.toml");
const KEYS: &[&str] = &[
    "app.message",
    "db.statement",
    "log.detail",
    "http.note",
    "job.output",
    "rpc.payload",
    "exception.text",
    "cli.command",
];

fn cpu_seconds(wall: Instant) -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .map_or_else(|| wall.elapsed().as_secs_f64(), |ns| ns as f64 / 1e9)
}

fn batch(texts: &[String], per_span: usize) -> (TestBatch, usize) {
    let mut next = texts.iter().cycle();
    let mut bytes = 0;
    let mut b = TestBatch::new(Signal::Span);
    for row in 0..1_000u32 {
        let mut r = TestRecord::new()
            .name("work")
            .resource_attribute("service.name", "assistant")
            .resource_attribute("tenant.id", "acme")
            .span_id((u64::from(row) + 1).to_be_bytes());
        for k in &KEYS[..per_span] {
            let t = next.next().expect("texts");
            bytes += t.len();
            r = r.attribute(k, t.as_str());
        }
        b.push(r);
    }
    (b, bytes)
}

fn main() {
    let only = std::env::args().nth(1).unwrap_or_default();
    let runs: usize = std::env::args()
        .nth(2)
        .and_then(|r| r.parse().ok())
        .unwrap_or(20);
    let mut plugin = Redact::init(DEFAULT).expect("default config");
    for (name, texts, per_span) in [
        ("clean", samples::clean(4 << 20), 4),
        ("prose", samples::prose(8 << 20), 1),
        ("dense", samples::dense(1 << 20), 8),
    ] {
        if !only.is_empty() && only != name {
            continue;
        }
        let bytes = batch(&texts, per_span).1;
        let mut times = Vec::new();
        for _ in 0..runs {
            let (mut b, _) = batch(&texts, per_span);
            let wall = Instant::now();
            let start = cpu_seconds(wall);
            black_box(b.process(&mut plugin)).expect("process");
            times.push(cpu_seconds(wall) - start);
        }
        times.sort_by(f64::total_cmp);
        let mb = |t: f64| bytes as f64 / t / 1e6;
        println!(
            "{name:<6} median {:>7.1} MB/s (best {:.1}, worst {:.1}; {:.2} MB per batch)",
            mb(times[times.len() / 2]),
            mb(times[0]),
            mb(times[times.len() - 1]),
            bytes as f64 / 1e6
        );
    }
}
