//! Native scanning throughput with the default config (all default rules on), in MB of
//! string content per CPU second, for clean telemetry text and for text dense with secrets.
//!
//!     cargo run --release -p sluice-plugin-redact --example throughput [clean|dense]
//!
//! The inputs are built deterministically: clean text is log lines, URLs, JSON and prose
//! with ids, digests and numbers but no secret; dense text is the corpus's positive cases.

use std::hint::black_box;
use std::time::Instant;

/// This thread's CPU time in seconds, when the kernel reports it (Linux), so that other
/// processes sharing the machine do not count against the plugin; else wall time.
fn cpu_seconds(wall: Instant) -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .map_or_else(|| wall.elapsed().as_secs_f64(), |ns| ns as f64 / 1e9)
}

use sluice_plugin_redact::Redact;

const CORPUS: &str = include_str!("../../../tests/redaction/corpus.jsonl");
const DEFAULT: &str = include_str!("../default.toml");

const CLEAN_LINES: &[&str] = &[
    "2024-05-01T12:30:45.123Z INFO http request completed method=GET path=/api/v1/orders status=200 duration_ms=35",
    "The assistant summarised the quarterly report: revenue grew 12% while operating costs stayed flat across regions.",
    "{\"role\":\"user\",\"content\":\"Can you explain how the retry policy works when the upstream returns 503?\"}",
    "trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7 sampled=true service=checkout",
    "GET https://api.example.com/v1/models/gpt-4o-2024-08-06/completions?stream=true&limit=50 HTTP/1.1",
    "deployed commit 9fceb02d0ae598e95dc970b74767f19372d61af8 to production in eu-west-1 after canary passed",
    "SELECT id, customer_id, total FROM orders WHERE created_at > $1 ORDER BY created_at DESC LIMIT 100",
    "Retrying request 3f2b8c1e-4d5a-4b6c-8d7e-9f0a1b2c3d4e in 250ms (attempt 3 of 5) after connection reset",
    "Users can export their dashboards as PDF or CSV; large exports are queued and delivered asynchronously.",
    "model=claude-3-5-sonnet-20241022 input_tokens=1843 output_tokens=512 cache_read_tokens=1024 latency=2.31s",
];

fn clean_text(bytes: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut total = 0;
    let mut i = 0;
    while total < bytes {
        // Strings of a few lines each, as attribute values and log bodies are.
        let s: String = (0..4)
            .map(|k| CLEAN_LINES[(i + k * 3) % CLEAN_LINES.len()])
            .collect::<Vec<_>>()
            .join("\n");
        total += s.len();
        out.push(s);
        i += 1;
    }
    out
}

fn dense_text(bytes: usize) -> Vec<String> {
    let positives: Vec<String> = CORPUS
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["group"] != "negative" && v["location"] != "key")
        .filter_map(|v| v["text"].as_str().map(str::to_string))
        .collect();
    let mut out = Vec::new();
    let mut total = 0;
    while total < bytes {
        for p in &positives {
            total += p.len();
            out.push(p.clone());
        }
    }
    out
}

fn measure(name: &str, plugin: &mut Redact, texts: &[String]) {
    let bytes: usize = texts.iter().map(String::len).sum();
    // Warm up the regex caches, then take the best of five runs.
    for t in texts.iter().take(200) {
        black_box(plugin.redact_str(t));
    }
    let mut best = f64::MAX;
    let mut found = 0;
    for _ in 0..5 {
        let wall = Instant::now();
        let start = cpu_seconds(wall);
        found = 0;
        for t in texts {
            if let Some((_, n)) = black_box(plugin.redact_str(t)) {
                found += n;
            }
        }
        best = best.min(cpu_seconds(wall) - start);
    }
    println!(
        "{name:<14} {:>8.1} MB/s  ({} strings, {:.1} MB, {found} secrets)",
        bytes as f64 / best / 1e6,
        texts.len(),
        bytes as f64 / 1e6
    );
}

fn main() {
    let mut plugin = Redact::from_config(DEFAULT).expect("default config");
    let only = std::env::args().nth(1).unwrap_or_default();
    if only != "dense" {
        measure("clean", &mut plugin, &clean_text(32 << 20));
    }
    if only != "clean" {
        measure("secret-dense", &mut plugin, &dense_text(8 << 20));
    }
}
