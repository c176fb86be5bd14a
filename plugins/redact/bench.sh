#!/usr/bin/env bash
# The redaction plugin inside Wasm against the same code natively, through the host's batch
# view (host/benches/plugins.rs, groups redact_clean / redact_prose / redact_dense), RUNS
# times; prints MB/s of string content per CPU second: the median over runs of criterion's
# median, the range over runs, and the ratios taken within each run.
#
#   plugins/redact/bench.sh
#   RUNS=5 plugins/redact/bench.sh
#   SLUICE_BENCH_REDACT_OTHER=/path/to/older/sluice_plugin_redact.wasm plugins/redact/bench.sh
#
# With SLUICE_BENCH_REDACT_OTHER, the arm `wasm_other` runs that component (e.g. the build
# before a change) in the same runs, and the table shows the speed-up over it. Raw criterion
# estimates stay in target/redact-bench/run*/.
set -euo pipefail
cd "$(dirname "$0")/../.."

runs=${RUNS:-3}
target=${CARGO_TARGET_DIR:-target}
[[ "$target" == /* ]] || target="$PWD/$target"
out="$target/redact-bench"
export CRITERION_HOME="$out/criterion"

cargo bench -p sluice --bench plugins --no-run
rm -rf "$out"
mkdir -p "$out"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" > "$out/machine.txt"
for i in $(seq 1 "$runs"); do
    echo "== run $i of $runs" >&2
    rm -rf "$CRITERION_HOME"
    cargo bench -p sluice --bench plugins -- --noplot redact_
    mkdir -p "$out/run$i"
    cp -r "$CRITERION_HOME/." "$out/run$i/"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/machine.txt"

python3 - "$out" "$runs" <<'PY'
import json, pathlib, statistics, sys

out, runs = pathlib.Path(sys.argv[1]), int(sys.argv[2])

def load(run):
    arms = {}
    for est in (out / f"run{run}").glob("redact_*/*/new/estimates.json"):
        meta = json.loads((est.parent / "benchmark.json").read_text())
        tp = meta.get("throughput") or {}
        nbytes = tp.get("BytesDecimal") or tp.get("Bytes")
        ns = json.loads(est.read_text())["median"]["point_estimate"]
        arms[(meta["group_id"], meta["function_id"])] = nbytes / ns * 1e3  # MB/s
    return arms

data = [load(r) for r in range(1, runs + 1)]
groups = sorted({g for d in data for (g, _) in d})
arms = ["wasm", "native", "wasm_other", "texts_only"]
def fmt(v):
    return f"{v/1000:.2f} GB/s" if v >= 1000 else f"{v:.1f}"
print(f"| input | arm | MB/s (median of {runs}) | range over runs |")
print("|---|---|---:|---:|")
for g in groups:
    for a in arms:
        got = sorted(d[(g, a)] for d in data if (g, a) in d)
        if got:
            print(f"| {g.removeprefix('redact_')} | `{a}` | {fmt(statistics.median(got))} | {fmt(got[0])} – {fmt(got[-1])} |")
print()
print("| input | wasm time / native time (same run) | `wasm` speed-up over `wasm_other` |")
print("|---|---:|---:|")
for g in groups:
    r1 = sorted(d[(g, "native")] / d[(g, "wasm")] for d in data if (g, "wasm") in d and (g, "native") in d)
    r2 = sorted(d[(g, "wasm")] / d[(g, "wasm_other")] for d in data if (g, "wasm_other") in d and (g, "wasm") in d)
    a = f"{statistics.median(r1):.2f}x ({r1[0]:.2f} – {r1[-1]:.2f})" if r1 else "–"
    b = f"{statistics.median(r2):.2f}x ({r2[0]:.2f} – {r2[-1]:.2f})" if r2 else "–"
    print(f"| {g.removeprefix('redact_')} | {a} | {b} |")
PY
cat "$out/machine.txt"
