#!/usr/bin/env bash
# The hot paths on the load generator's GenAI batch (1,000 spans), RUNS times: the host's own
# (host/benches/pipeline.rs: OTLP decode / encode, the batch view, the router's split) and
# the loopback chain's plugins inside Wasm and natively (host/benches/plugins.rs, groups
# `*_genai`). Prints BENCHMARKS.md's "Hot paths" tables: per span and per MB of OTLP
# protobuf, the median over runs of criterion's median, the range over runs, and the
# Wasm / native ratios taken within each run.
#
#   host/benches/hot_paths.sh
#   RUNS=5 host/benches/hot_paths.sh
#   PLUGINS_FILTER='^(residency|eval_sample)_genai/' host/benches/hot_paths.sh
#   SKIP_PIPELINE=1 host/benches/hot_paths.sh      # only the plugin groups
#   SKIP_PLUGINS=1 host/benches/hot_paths.sh       # only pipeline.rs
#   HOT_PATHS_OUT=target/hot-paths-b host/benches/hot_paths.sh   # results there
#   SUMMARY_ONLY=1 host/benches/hot_paths.sh       # the tables again, from the kept runs
#
# Raw criterion estimates of every run stay in target/hot-paths/run*/, the benches' own
# notes (batch sizes, spans priced, picked) in target/hot-paths/run*.log, the tables in
# target/hot-paths/summary.md.
set -euo pipefail
cd "$(dirname "$0")/../.."

runs=${RUNS:-3}
filter=${PLUGINS_FILTER:-_genai/}
target=${CARGO_TARGET_DIR:-target}
[[ "$target" == /* ]] || target="$PWD/$target"
out="${HOT_PATHS_OUT:-$target/hot-paths}"
[[ "$out" == /* ]] || out="$PWD/$out"
export CRITERION_HOME="$out/criterion"

# SUMMARY_ONLY=1: only print the tables again from the runs kept in $out.
[[ -n "${SUMMARY_ONLY:-}" ]] || {
cargo bench -p sluice --bench pipeline --bench plugins --no-run
rm -rf "$out"
mkdir -p "$out"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" > "$out/machine.txt"
for i in $(seq 1 "$runs"); do
    echo "== run $i of $runs" >&2
    rm -rf "$CRITERION_HOME"
    if [[ -z "${SKIP_PIPELINE:-}" ]]; then
        cargo bench -p sluice --bench pipeline -- --noplot 2> >(tee -a "$out/run$i.log" >&2)
    fi
    if [[ -z "${SKIP_PLUGINS:-}" ]]; then
        cargo bench -p sluice --bench plugins -- --noplot "$filter" 2> >(tee -a "$out/run$i.log" >&2)
    fi
    mkdir -p "$out/run$i"
    cp -r "$CRITERION_HOME/." "$out/run$i/"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/machine.txt"
}

python3 - "$out" "$runs" <<'PY' | tee "$out/summary.md"
import json, pathlib, re, statistics, sys

out, runs = pathlib.Path(sys.argv[1]), int(sys.argv[2])
ROWS = 1000

# The batch's size as OTLP protobuf, from the benches' own notes.
pb = None
for r in range(1, runs + 1):
    m = re.search(r"genai: 1000 spans.*?, (\d+) bytes as protobuf", (out / f"run{r}.log").read_text())
    if m:
        pb = int(m.group(1))
assert pb, "no `genai: ... bytes as protobuf` line in the runs' logs"

def load(run):
    arms = {}
    for est in (out / f"run{run}").glob("*/*/new/estimates.json"):
        meta = json.loads((est.parent / "benchmark.json").read_text())
        ns = json.loads(est.read_text())["median"]["point_estimate"]
        tp = meta.get("throughput") or {}
        own = tp.get("BytesDecimal") or tp.get("Bytes")
        arms[(meta["group_id"], meta["function_id"])] = (ns, own)
    return arms

data = [load(r) for r in range(1, runs + 1)]
keys = sorted({k for d in data for k in d})

def med_range(vals, fmt):
    vals = sorted(vals)
    return f"{fmt(statistics.median(vals))} ({fmt(vals[0])} – {fmt(vals[-1])})"

def num(v):
    return f"{v:,.0f}" if v >= 100 else f"{v:,.1f}" if v >= 10 else f"{v:,.2f}"

print(f"batch: {ROWS} spans, {pb:,} bytes as OTLP protobuf; {runs} runs\n")
print(f"| arm | ns / span | µs / MB (protobuf) | spans / CPU-s | throughput in its own unit |")
print("|---|---:|---:|---:|---|")
for g, f in keys:
    got = [d[(g, f)] for d in data if (g, f) in d]
    ns = [x[0] for x in got]
    own = got[0][1]
    extra = ""
    unit = {"otlp_json": "OTLP/JSON"}.get(g, "string content" if g.startswith("redact_") else None)
    if own and unit:
        extra = f"{med_range([own / n * 1e3 for n in ns], num)} MB/s of {unit}"
    print(f"| `{g}/{f}` | {med_range([n / ROWS for n in ns], num)} "
          f"| {med_range([n / 1e3 / (pb / 1e6) for n in ns], num)} "
          f"| {num(statistics.median(ROWS / n * 1e9 for n in ns))} | {extra} |")

print("\n| ratio (same run; median over runs) | value | range over runs | wasm − native, ns / span |")
print("|---|---:|---:|---:|")
pairs_of = sorted({(g, f[: -len("wasm")]) for g, f in keys if f.endswith("wasm")})
for g, prefix in pairs_of:
    w, n = prefix + "wasm", prefix + "native"
    pairs = [(d[(g, w)][0], d[(g, n)][0]) for d in data if (g, w) in d and (g, n) in d]
    if pairs:
        g = f"{g}/{prefix.rstrip('_')}" if prefix else g
        r = sorted(w / n for w, n in pairs)
        diff = statistics.median((w - n) / ROWS for w, n in pairs)
        print(f"| `{g}` wasm / native | {statistics.median(r):.2f}x | {r[0]:.2f} – {r[-1]:.2f} | {num(diff)} |")
pairs = [(d[("otlp_json", "decode")][0], d[("otlp_protobuf", "decode")][0]) for d in data
         if ("otlp_json", "decode") in d and ("otlp_protobuf", "decode") in d]
if pairs:
    r = sorted(j / p for j, p in pairs)
    print(f"| OTLP/JSON decode / protobuf decode | {statistics.median(r):.2f}x | {r[0]:.2f} – {r[-1]:.2f} | |")
PY
cat "$out/machine.txt"
