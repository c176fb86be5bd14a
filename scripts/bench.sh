#!/usr/bin/env bash
# Runs the plugin-boundary benchmarks (host/benches/plugins.rs) several times and prints one
# table: median ns per record of every arm, and the wasm/native ratio of each plugin.
#
#   scripts/bench.sh                 # 3 runs of every arm
#   RUNS=5 scripts/bench.sh          # more runs
#   scripts/bench.sh token_cost      # only arms whose id contains `token_cost` (criterion filter)
#   RUNS=5 scripts/bench.sh '^(baseline|cost_builtin)/'   # the built-in cost plugin, wasm vs native
#   BENCH_BIN=target/release/deps/plugins-<hash> scripts/bench.sh   # reuse a built bench binary
#   BENCH_OUT=target/bench-cost scripts/bench.sh ...   # results (and criterion data) there
#
# Criterion already takes many samples per run; the runs are repeated because this is a small
# shared machine whose background load moves a run's figures by more than its own confidence
# interval. Each figure is the median over runs of criterion's median; "CI" is criterion's 95%
# interval of that median in the run that gave it; "runs" is the range over runs. Ratios are
# taken within each run (same-run baseline), then the median over runs is shown.
# Every run's raw estimates are kept in target/bench-runs/run*/ and the table in
# target/bench-runs/summary.md.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${RUNS:-3}
filter=${1:-}
target=${CARGO_TARGET_DIR:-target}
[[ "$target" == /* ]] || target="$PWD/$target"
# BENCH_OUT=dir keeps this run's criterion data and results apart from another run's.
out="${BENCH_OUT:-$target/bench-runs}"
[[ "$out" == /* ]] || out="$PWD/$out"   # the bench runs with host/ as its working directory
if [[ -n "${BENCH_OUT:-}" ]]; then
    export CRITERION_HOME="$out/criterion"
else
    export CRITERION_HOME="$target/criterion"
fi

bench() {
    if [[ -n "${BENCH_BIN:-}" ]]; then
        "$BENCH_BIN" --bench "$@"
    else
        cargo bench -p sluice --bench plugins -- "$@"
    fi
}

[[ -n "${BENCH_BIN:-}" ]] || cargo bench -p sluice --bench plugins --no-run
rm -rf "$out"
mkdir -p "$out"
{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "nproc: $(nproc)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "rustc: $(rustc --version)"
    echo "wasmtime: $(grep -A1 '^name = "wasmtime"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')"
    echo "clock: ${SLUICE_BENCH_CLOCK:-cpu} (thread CPU time unless SLUICE_BENCH_CLOCK=wall)"
    echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$out/machine.txt"

for i in $(seq 1 "$runs"); do
    echo "== run $i of $runs" >&2
    rm -rf "$CRITERION_HOME"
    # shellcheck disable=SC2086 # an empty filter must vanish, not become an empty argument
    bench --noplot $filter
    mkdir -p "$out/run$i"
    cp -r "$CRITERION_HOME/." "$out/run$i/"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/machine.txt"

python3 - "$out" "$runs" <<'PY'
import json, pathlib, statistics, sys

out, runs = pathlib.Path(sys.argv[1]), int(sys.argv[2])
AIM_NS, AIM_RATIO = 150.0, 1.25

def load(run):
    arms = {}
    for est in (out / f"run{run}").glob("**/new/estimates.json"):
        meta = json.loads((est.parent / "benchmark.json").read_text())
        per = (meta.get("throughput") or {}).get("Elements") or 1
        med = json.loads(est.read_text())["median"]
        ci = med["confidence_interval"]
        arms[meta["full_id"]] = tuple(v / per for v in (med["point_estimate"], ci["lower_bound"], ci["upper_bound"]))
    return arms

data = [load(r) for r in range(1, runs + 1)]
ids = sorted(set().union(*data))
lines = ["| arm | median ns/record | 95% CI (that run) | range over runs |", "|---|---:|---:|---:|"]
for arm in ids:
    got = [d[arm] for d in data if arm in d]
    got.sort(key=lambda t: t[0])
    mid = got[(len(got) - 1) // 2]
    lines.append(f"| `{arm}` | {mid[0]:.1f} | {mid[1]:.1f} – {mid[2]:.1f} | {got[0][0]:.1f} – {got[-1][0]:.1f} |")

def ratio(f):
    vals = []
    for d in data:
        try:
            vals.append(f(d))
        except (KeyError, ZeroDivisionError):
            pass
    return (statistics.median(vals), min(vals), max(vals)) if vals else None

lines += ["", "| ratio (same run; median over runs) | value | range over runs |", "|---|---:|---:|"]
checks = []
for plugin, w, n in [
    ("passthrough", "passthrough/wasm", "passthrough/native"),
    ("token_cost", "token_cost/wasm", "token_cost/native"),
    ("cost_builtin", "cost_builtin/wasm", "cost_builtin/native"),
    ("cost_builtin (current names)", "cost_builtin/wasm_current_names", "cost_builtin/native_current_names"),
]:
    b = "baseline/batch_state_only"
    r = ratio(lambda d: d[w][0] / d[n][0])
    if r:
        lines.append(f"| `{plugin}` wasm / native | {r[0]:.2f}x | {r[1]:.2f} – {r[2]:.2f} |")
    o = ratio(lambda d: (d[w][0] - d[b][0]) / (d[n][0] - d[b][0]))
    if o:
        lines.append(f"| `{plugin}` (wasm - baseline) / (native - baseline) | {o[0]:.2f}x | {o[1]:.2f} – {o[2]:.2f} |")
    d = ratio(lambda d: d[w][0] - d[n][0])
    if d:
        lines.append(f"| `{plugin}` wasm - native, ns/record | {d[0]:.1f} | {d[1]:.1f} – {d[2]:.1f} |")
    if plugin == "token_cost" and r:
        ns = statistics.median(dd[w][0] for dd in data if w in dd)
        checks.append(f"aim: token_cost/wasm under {AIM_NS:.0f} ns/record: {ns:.1f} -> {'MET' if ns < AIM_NS else 'MISSED'}")
        checks.append(f"aim: token_cost wasm/native within {AIM_RATIO}x: {r[0]:.2f}x -> {'MET' if r[0] <= AIM_RATIO else 'MISSED'}")

text = (out / "machine.txt").read_text() + f"runs: {runs}\n\n" + "\n".join(lines) + "\n\n" + "\n".join(checks) + "\n"
(out / "summary.md").write_text(text)
print("\n" + text)
PY
