//! Scanning throughput with the default config (all default rules on), in MB of string
//! content per CPU second (best of the passes, and their median), for clean log-like text,
//! LLM-like prose and text dense with secrets. It also builds for `wasm32-wasip2` (a
//! command), to time the same code inside Wasm without the host.
//!
//!     cargo run --release -p sluice-plugin-redact --example throughput [clean|prose|dense [RUNS [MB]]]
//!     cargo run --release -p sluice-plugin-redact --example throughput hash [MB]
//!
//! `hash` prints, per sample, a SHA-256 over every string's redacted output (or that it was
//! clean) and the number of secrets: changes to the scan must leave these as they were,
//! natively and inside Wasm.
//!
//! The inputs are `sluice_plugin_redact::samples` (deterministic): clean text is log lines,
//! URLs, JSON and prose with ids, digests and numbers but no secret; prose is sentences in a
//! support assistant's vocabulary; dense text is the corpus's positive cases.

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

use sluice_plugin_redact::{Redact, samples};

const DEFAULT: &str = include_str!("../default.toml");

fn measure(name: &str, plugin: &mut Redact, texts: &[String], runs: usize) {
    let bytes: usize = texts.iter().map(String::len).sum();
    // Warm up the regex caches, then time `runs` passes; the best is what the machine
    // can do, the median what it did.
    for t in texts.iter().take(200) {
        black_box(plugin.redact_str(t));
    }
    let mut times = Vec::with_capacity(runs);
    let mut found = 0;
    for _ in 0..runs {
        let wall = Instant::now();
        let start = cpu_seconds(wall);
        found = 0;
        for t in texts {
            if let Some((_, n)) = black_box(plugin.redact_str(t)) {
                found += n;
            }
        }
        times.push(cpu_seconds(wall) - start);
    }
    times.sort_by(f64::total_cmp);
    let mb = |t: f64| bytes as f64 / t / 1e6;
    println!(
        "{name:<14} {:>8.1} MB/s  ({} strings, {:.1} MB, {found} secrets; median of {runs} {:.1} MB/s)",
        mb(times[0]),
        texts.len(),
        bytes as f64 / 1e6,
        mb(times[times.len() / 2]),
    );
}

/// The digest of every output of `texts`, in order, and the number of secrets.
fn digest(plugin: &mut Redact, texts: &[String]) -> (String, u64) {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    let mut found = 0u64;
    for t in texts {
        match plugin.redact_str(t) {
            Some((out, n)) => {
                found += u64::from(n);
                h.update([1]);
                h.update((out.len() as u64).to_le_bytes());
                h.update(out.as_bytes());
                h.update(n.to_le_bytes());
            }
            None => h.update([0]),
        }
    }
    (hex::encode(h.finalize()), found)
}

fn main() {
    let mut plugin = Redact::from_config(DEFAULT).expect("default config");
    let only = std::env::args().nth(1).unwrap_or_default();
    if only == "hash" {
        let mb: usize = std::env::args()
            .nth(2)
            .and_then(|r| r.parse().ok())
            .unwrap_or(8);
        for (name, texts) in [
            ("clean", samples::clean(mb << 20)),
            ("prose", samples::prose(mb << 20)),
            ("dense", samples::dense(mb << 20)),
        ] {
            let (hash, found) = digest(&mut plugin, &texts);
            println!("{name:<6} {hash} {found} secrets");
        }
        return;
    }
    let runs = std::env::args()
        .nth(2)
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    let mb = std::env::args()
        .nth(3)
        .and_then(|r| r.parse::<usize>().ok());
    if only.is_empty() || only == "clean" {
        measure(
            "clean",
            &mut plugin,
            &samples::clean(mb.unwrap_or(32) << 20),
            runs,
        );
    }
    if only.is_empty() || only == "prose" {
        measure(
            "prose",
            &mut plugin,
            &samples::prose(mb.unwrap_or(32) << 20),
            runs,
        );
    }
    if only != "clean" && only != "prose" {
        measure(
            "secret-dense",
            &mut plugin,
            &samples::dense(mb.unwrap_or(8) << 20),
            runs,
        );
    }
}
