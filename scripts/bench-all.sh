#!/usr/bin/env bash
# Reproduces every figure of BENCHMARKS.md with one command, section by section, each with
# its own script (see each for its knobs; RUNS and DURATION are passed through):
#
#   scripts/bench-all.sh              # everything: ≈ 1.5 h on a 2-core machine after the builds
#   scripts/bench-all.sh loopback     # only the named parts, in this order:
#
#   boundary   plugin-boundary arms, cost plugin Wasm vs native (scripts/bench.sh)
#   redact     redaction scan throughput, through the host (plugins/redact/bench.sh)
#   hotpaths   OTLP decode/encode, batch view, router split, plugins and chain on GenAI
#              spans, Wasm vs native (host/benches/hot_paths.sh)
#   loopback   end to end over loopback: peak, half peak, profiles (scripts/loopback-bench.sh)
#   scenarios  each plugin alone, workers, batch sizes, secrets, a slowed destination
#   soak       10 minutes at 6,000 records/s, memory and CPU over time
#   reload     hot-reload latency (scripts/reload-latency.sh)
#
# Each part keeps its raw data and summary under target/ (named in its script and in
# BENCHMARKS.md). A failing part stops the run.
set -euo pipefail
cd "$(dirname "$0")/.."

parts=("$@")
[[ ${#parts[@]} -gt 0 ]] || parts=(boundary redact hotpaths loopback scenarios soak reload)
for part in "${parts[@]}"; do
    echo "== $part ($(date -u +%H:%M:%S) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg))"
    case $part in
        boundary) scripts/bench.sh ;;
        redact) plugins/redact/bench.sh ;;
        hotpaths) host/benches/hot_paths.sh ;;
        loopback) PROFILE=1 scripts/loopback-bench.sh ;;
        scenarios) SKIP_BUILD=1 SCENARIOS=1 scripts/loopback-bench.sh ;;
        soak) SKIP_BUILD=1 OUT=target/soak SOAK=600 RATE=6000 scripts/loopback-bench.sh ;;
        reload) scripts/reload-latency.sh ;;
        *)
            echo "unknown part \`$part\`: boundary, redact, hotpaths, loopback, scenarios, soak or reload" >&2
            exit 2
            ;;
    esac
done
