#!/usr/bin/env bash
# End-to-end benchmark of `sluice run` over loopback (BENCHMARKS.md, "End to end over
# loopback"): sluice-loadgen -> sluice (OTLP/gRPC receiver -> plugin chain -> per-tenant
# routing -> OTLP/gRPC exporters) -> sluice-loadgen capture, against a direct
# loadgen -> capture baseline in the same run.
#
#   scripts/loopback-bench.sh               # build, then RUNS x {direct, receive, passthrough, chain}
#   RUNS=5 DURATION=30 scripts/loopback-bench.sh
#   SKIP_BUILD=1 scripts/loopback-bench.sh  # reuse target/release/{sluice,sluice-loadgen}
#   PROFILE=1 scripts/loopback-bench.sh     # also perf profiles of sluice (passthrough, chain)
#   ALT_SLUICE=/path/to/other/sluice PEAK_ONLY=1 scripts/loopback-bench.sh
#                                           # A/B: passthrough@alt and chain@alt run another
#                                           # build in the same runs, interleaved (half peak
#                                           # too, at the current build's rate; with
#                                           # PROFILE=1 too, that build must know
#                                           # `runtime.profiler`: 883dfad or later)
#   ALT_DEST='queue = { max_bytes = 67108864 }' PEAK_ONLY=1 scripts/loopback-bench.sh
#                                           # A/B of destination settings: passthrough@altdest
#                                           # and chain@altdest add those TOML lines to both
#                                           # capture destinations, interleaved with the
#                                           # defaults in the same runs (half peak too)
#   HALF_RATE=100000 HALF_CASES=passthrough scripts/loopback-bench.sh
#                                           # only the half-peak phase, at that rate
#   SCENARIOS=1 RUNS=3 DURATION=10 scripts/loopback-bench.sh
#                                           # issue 9's scenarios at peak, each run against a
#                                           # passthrough run of the same run (see below);
#                                           # results in target/loopback-scenarios
#
# Cases: direct (loadgen -> capture), receive (sluice with a discard destination),
# passthrough (no plugins), chain (the built-in plugins, see below).
# Phase 1 (peak): each case as fast as the generator can send for DURATION seconds
# (CONNECTIONS connections, BATCH spans per request). Phase 2 (half): each sluice case at half
# of its median peak rate, with a direct run at the same rate for the added latency.
# Per-core figures use the CPU time of the sluice process (utime + stime from /proc/PID/stat
# over the run): loadgen, capture and sluice share the machine's cores. Peak memory is
# VmHWM from /proc/PID/status. Everything listens on 127.0.0.1; every wait is bounded.
# Raw JSON of every run is kept in $OUT (default target/loopback-bench), the table in
# $OUT/summary.md.
#
# SCENARIOS=1 (peak only, RUNS x DURATION, the scenarios interleaved within each run):
# passthrough; each built-in plugin alone (its configuration in the chain); the chain with
# `[runtime] workers` 0 (auto), 1 and 2; the chain without fake secrets (`--secret-share 0`);
# passthrough and chain at 1,000 and 10,000 records per request (the 10,000 case with
# `max_request_bytes` raised to 64 MiB, as a request of 10,000 spans is 28 MB, and the
# plugins' deadline per call from 1 s to 10 s, as redact can take longer on 10,000 spans
# on a busy machine and a batch past the deadline is quarantined); and the chain
# with its two destinations on two capture receivers, once as they are (chain-split) and
# once with the second one (the 4 popular tenants) answering SLOW_MS ms late (chain-slow,
# default 100).
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${RUNS:-3}
dur=${DURATION:-20}
conns=${CONNECTIONS:-8}
batch=${BATCH:-100}
lg_threads=${LOADGEN_THREADS:-1}
target=${CARGO_TARGET_DIR:-target}
[[ "$target" == /* ]] || target="$PWD/$target"
if [[ -n "${SCENARIOS:-}" ]]; then
    out=${OUT:-$target/loopback-scenarios}
else
    out=${OUT:-$target/loopback-bench}
fi
slow_ms=${SLOW_MS:-100}
SLUICE=$target/release/sluice
LOADGEN=$target/release/sluice-loadgen
GRPC=127.0.0.1:34317
ADMIN=127.0.0.1:34888
CAPTURE=127.0.0.1:34319
CAPTURE_B=127.0.0.1:34320 # the second destination's own receiver (SCENARIOS, chain-split/slow)
hz=$(getconf CLK_TCK)

[[ -n "${SKIP_BUILD:-}" ]] || cargo build --release -p sluice -p sluice-loadgen
rm -rf "$out"
mkdir -p "$out/configs"

# On exit, stop this script's own background jobs that are still running (never by name).
cleanup() {
    local p
    for p in $(jobs -p); do kill "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

# wait_for TENTHS CMD...: retries CMD every 0.1 s, at most TENTHS times.
wait_for() {
    local n=$1
    shift
    for ((i = 0; i < n; i++)); do
        "$@" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# wait_exit PID TENTHS: waits for PID to exit, at most TENTHS x 0.1 s.
wait_exit() {
    for ((i = 0; i < $2; i++)); do
        kill -0 "$1" 2>/dev/null || return 0
        sleep 0.1
    done
    return 1
}

# config NAME PLUGINS [discard|split]: a sluice config with per-tenant routing to the capture
# receiver, or with one `discard` destination (the receive path alone); `split` sends
# capture-b to a receiver of its own ($CAPTURE_B). $cfg_workers sets `[runtime] workers`
# (default 0: one per core), $cfg_receiver adds lines to the receiver, $cfg_dest_extra to each
# capture destination.
config() {
    local dests="" routing="" d ep
    if [[ ${3:-} == discard ]]; then
        dests=$'\n[[destinations]]\nname = "discard"\ntype = "discard"\n'
    else
        for d in capture-a capture-b; do
            ep=$CAPTURE
            [[ ${3:-} != split || $d != capture-b ]] || ep=$CAPTURE_B
            dests+="
[[destinations]]
name = \"$d\"
type = \"otlp_grpc\"
endpoint = \"http://$ep\"
compression = \"none\"
headers = { \"x-tenant\" = \"{tenant}\" }
third_party = false${cfg_dest_extra:+$'\n'$cfg_dest_extra}
"
        done
        dests+=$'\n# Only eval-sample sends here (1 % of traces); discarded so the capture counts\n# exactly what was acknowledged.\n[[destinations]]\nname = "eval"\ntype = "discard"\n'
        routing='
# The four most popular tenants go to their own destination, every other to the default.
[routing]
default = ["capture-a"]
tenants = [
    { tenant = "tenant-0000", destinations = ["capture-b"] },
    { tenant = "tenant-0001", destinations = ["capture-b"] },
    { tenant = "tenant-0002", destinations = ["capture-b"] },
    { tenant = "tenant-0003", destinations = ["capture-b"] },
]'
    fi
    local receiver_extra="" runtime_extra=""
    [[ -z ${cfg_receiver:-} ]] || receiver_extra=$'\n'$cfg_receiver
    # Profiles name the plugins' compiled functions (/tmp/perf-PID.map) instead of addresses.
    [[ -z ${PROFILE:-} ]] || runtime_extra=$'\nprofiler = "perf_map"'
    cat >"$out/configs/$1.toml" <<EOF
# Generated by scripts/loopback-bench.sh.
[runtime]
workers = ${cfg_workers:-0}
cache_dir = "$out/plugin-cache"
quarantine_dir = "$out/quarantine"$runtime_extra

[[receivers]]
type = "otlp_grpc"
address = "$GRPC"$receiver_extra

[tenancy]
source = "header"
header = "x-scope-orgid"
$2
$dests
$routing

[admin]
address = "$ADMIN"
EOF
}

# The built-in chain in issue 9's order, with whichever of its plugins this tree has:
# redact -> residency (default policy) -> cost -> eval-sample (1 % of traces to `eval`).
has_builtin() { grep -q "\"$1\"" host/src/plugin/builtin.rs; }
chain_plugins=""
chain_names=""
declare -A plugin_toml # each plugin's block, as the chain has it (SCENARIOS: alone)
chain_plugins_big=""   # SCENARIOS, 10,000 records per request: a 10 s deadline per call
plugin() { # NAME [EXTRA TOML LINES]
    plugin_toml[$1]=$'\n[[plugins]]\n'"name = \"$1\""$'\n'"builtin = \"$1\""$'\n'"${2:-}"
    chain_plugins+=${plugin_toml[$1]}
    chain_plugins_big+=${plugin_toml[$1]}$'timeout_ms = 10000\n'
    chain_names+="$1 "
}
has_builtin redact && plugin redact
has_builtin residency && plugin residency
plugin cost $'on_error = "fail_open"\n'
has_builtin eval-sample && plugin eval-sample $'config = { destination = "eval", rate = 0.01 }\n'
config passthrough ""
config receive "" discard
config chain "$chain_plugins"
if [[ -n "${ALT_DEST:-}" ]]; then
    cfg_dest_extra=$ALT_DEST config passthrough-altdest ""
    cfg_dest_extra=$ALT_DEST config chain-altdest "$chain_plugins"
fi
if [[ -n "${SCENARIOS:-}" ]]; then
    for p in $chain_names; do config "$p" "${plugin_toml[$p]}"; done
    cfg_workers=1 config chain-w1 "$chain_plugins"
    cfg_workers=2 config chain-w2 "$chain_plugins"
    cfg_receiver="max_request_bytes = 67108864 # 64 MiB: 10,000 spans are 28 MB" \
        config passthrough-big ""
    cfg_receiver="max_request_bytes = 67108864 # 64 MiB: 10,000 spans are 28 MB" \
        config chain-big "$chain_plugins_big"
    config chain-split "$chain_plugins" split
fi

# start_sluice CASE DIR: starts sluice, waits until ready; sets $spid.
start_sluice() {
    local bin=$SLUICE
    local cfg=${1%@alt}
    [[ $1 != *@alt ]] || bin=$ALT_SLUICE
    [[ $1 != *@altdest ]] || cfg=${1%@altdest}-altdest
    SLUICE_LOG=warn "$bin" run --config "$out/configs/$cfg.toml" 2>"$2/sluice.log" &
    spid=$!
    if ! wait_for 600 curl -sf "http://$ADMIN/readyz" -o /dev/null; then
        echo "sluice ($1) did not become ready:" >&2
        tail -20 "$2/sluice.log" >&2
        exit 1
    fi
}

stop_sluice() {
    kill -TERM "$spid" 2>/dev/null || true
    wait_exit "$spid" 300 || kill -KILL "$spid" 2>/dev/null || true
    wait "$spid" 2>/dev/null || true
}

# measure PHASE CASE RUN RATE [NAME]: one run of CASE (direct, receive, or a config name:
# passthrough, chain, ...) at RATE records/s (0: as fast as possible); results in
# $out/PHASE/NAME-RUN/. Optional: $m_batch records per request (default $batch), $m_args more
# generator options, $m_delay (set: a second capture receiver on $CAPTURE_B whose answers
# wait that many ms, results in capture-b.json).
measure() {
    local phase=$1 case=$2 run=$3 rate=$4 name=${5:-$2}
    local dir="$out/$phase/$name-$run" dest=$CAPTURE cpu0=0 cap capb=""
    mkdir -p "$dir"
    spid=""
    "$LOADGEN" capture --grpc "$CAPTURE" --idle-exit 3 --max-secs $((dur + 180)) \
        --json "$dir/capture.json" >/dev/null 2>"$dir/capture.log" &
    cap=$!
    wait_for 100 grep -q listening "$dir/capture.log" || { echo "capture did not start" >&2; exit 1; }
    if [[ -n ${m_delay:-} ]]; then
        "$LOADGEN" capture --grpc "$CAPTURE_B" --idle-exit 3 --max-secs $((dur + 180)) \
            --delay-ms "$m_delay" --json "$dir/capture-b.json" >/dev/null 2>"$dir/capture-b.log" &
        capb=$!
        wait_for 100 grep -q listening "$dir/capture-b.log" || { echo "capture-b did not start" >&2; exit 1; }
    fi
    if [[ $case != direct ]]; then
        start_sluice "$case" "$dir"
        dest=$GRPC
        cpu0=$(awk '{print $14 + $15}' "/proc/$spid/stat")
    fi
    echo "== $phase $name run $run (rate ${rate/#0/max}) $(cut -d' ' -f1-3 /proc/loadavg)" >&2
    # shellcheck disable=SC2086 # $m_args: separate options
    timeout $((dur + 60)) "$LOADGEN" send --target "$dest" --duration "$dur" --rate "$rate" \
        --connections "$conns" --batch "${m_batch:-$batch}" --threads "$lg_threads" ${m_args:-} \
        --json "$dir/send.json" >/dev/null 2>"$dir/send.log" || echo "loadgen failed: $dir" >&2
    # The capture exits 3 s after its last request (2 minutes at most); `receive` sends it
    # nothing.
    [[ $case != receive ]] || kill -INT "$cap"
    wait_exit "$cap" 1200 || kill -INT "$cap"
    wait "$cap" 2>/dev/null || true
    if [[ -n $capb ]]; then
        wait_exit "$capb" 1200 || kill -INT "$capb"
        wait "$capb" 2>/dev/null || true
    fi
    if [[ -n $spid ]]; then
        local cpu1 hwm
        cpu1=$(awk '{print $14 + $15}' "/proc/$spid/stat")
        hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$spid/status")
        # The plugin-call latency histograms, to set the ack latency against.
        curl -sf "http://$ADMIN/metrics" -o "$dir/metrics.txt" || true
        stop_sluice
        # Batches a plugin failed on (fail_closed: kept in the quarantine, not delivered).
        local q
        q=$(grep -c "batch quarantined" "$dir/sluice.log" || true)
        awk -v a="$cpu0" -v b="$cpu1" -v hz="$hz" -v m="$hwm" -v q="${q:-0}" \
            'BEGIN { printf "{\"cpu_s\": %.3f, \"vmhwm_kb\": %d, \"quarantined\": %d}\n", (b - a) / hz, m, q }' \
            >"$dir/sluice.json"
    fi
    tail -1 "$dir/capture.log" >&2
    [[ -z $capb ]] || tail -1 "$dir/capture-b.log" >&2
}

{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "nproc: $(nproc)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "rustc: $(rustc --version)"
    echo "chain: $chain_names"
    echo "runs: $runs x ${dur}s, $conns connections, batch $batch, loadgen threads $lg_threads"
    echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$out/machine.txt"
"$LOADGEN" send --dry-run --batch "$batch" --json "$out/pool.json" >/dev/null 2>&1

# The first start compiles the plugins into the cache; keep that out of the figures.
mkdir -p "$out/warmup"
start_sluice chain "$out/warmup"
stop_sluice

if [[ -n "${SCENARIOS:-}" ]]; then
    echo "scenarios: peak only; chain-slow: capture-b answers ${slow_ms} ms late" >>"$out/machine.txt"
    # scenario NAME CONFIG [VAR=VALUE...]: one measure of CONFIG named NAME, with the
    # measure options given (m_batch, m_args, m_delay).
    scenario() {
        local name=$1 cfg=$2 m_batch="" m_args="" m_delay=""
        shift 2
        local kv
        for kv in "$@"; do local "$kv"; done
        measure scenarios "$cfg" "$run" 0 "$name"
    }
    for run in $(seq 1 "$runs"); do
        scenario passthrough passthrough
        for p in $chain_names; do scenario "$p" "$p"; done
        scenario chain chain
        scenario chain-w1 chain-w1
        scenario chain-w2 chain-w2
        scenario chain-nosecrets chain "m_args=--secret-share 0"
        scenario passthrough-b1000 passthrough m_batch=1000
        scenario chain-b1000 chain m_batch=1000
        scenario passthrough-b10000 passthrough-big m_batch=10000
        scenario chain-b10000 chain-big m_batch=10000
        scenario chain-split chain-split m_delay=0
        scenario chain-slow chain-split "m_delay=$slow_ms"
    done
    echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/machine.txt"
    python3 loadgen/loopback_summary.py "$out" | tee "$out/summary.md"
    exit 0
fi

if [[ -n "${SOAK:-}" ]]; then
    rate=${RATE:-10000}
    dir="$out/soak"
    mkdir -p "$dir"
    "$LOADGEN" capture --grpc "$CAPTURE" --idle-exit 5 --max-secs $((SOAK + 300)) \
        --json "$dir/capture.json" >/dev/null 2>"$dir/capture.log" &
    cap=$!
    wait_for 100 grep -q listening "$dir/capture.log" || { echo "capture did not start" >&2; exit 1; }
    start_sluice chain "$dir"
    echo "== soak: chain at $rate records/s for ${SOAK}s $(cut -d' ' -f1-3 /proc/loadavg)" >&2
    timeout $((SOAK + 120)) "$LOADGEN" send --target "$GRPC" --duration "$SOAK" --rate "$rate" \
        --connections "$conns" --batch "$batch" --threads "$lg_threads" \
        --json "$dir/send.json" >/dev/null 2>"$dir/send.log" &
    lg=$!
    echo "t_s,rss_kb,cpu_s,load1" >"$dir/samples.csv"
    t0=$(date +%s)
    # Sampling, not synchronisation: one line of RSS and CPU every 10 s while the load runs.
    while kill -0 "$lg" 2>/dev/null; do
        printf '%s,%s,%s,%s\n' "$(($(date +%s) - t0))" \
            "$(awk '/^VmRSS/ {print $2}' "/proc/$spid/status")" \
            "$(awk -v hz="$hz" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$spid/stat")" \
            "$(cut -d' ' -f1 /proc/loadavg)" >>"$dir/samples.csv"
        sleep 10
    done
    wait "$lg" || echo "loadgen failed" >&2
    wait_exit "$cap" 3000 || kill -INT "$cap"
    wait "$cap" 2>/dev/null || true
    hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$spid/status")
    stop_sluice
    python3 loadgen/soak_summary.py "$dir" "$hwm" | tee "$dir/summary.txt"
    exit 0
fi

cases="direct receive passthrough chain"
[[ -z "${ALT_SLUICE:-}" ]] || cases="direct receive passthrough passthrough@alt chain chain@alt"
[[ -z "${ALT_DEST:-}" ]] || cases="direct receive passthrough passthrough@altdest chain chain@altdest"
[[ -z "${HALF_RATE:-}" ]] || cases=""
for run in $(seq 1 "$runs"); do
    for case in $cases; do
        measure peak "$case" "$run" 0
    done
done

half() { # half of CASE's median peak records/s
    python3 - "$out/peak" "$1" <<'EOF'
import json, glob, statistics, sys
rates = [json.load(open(f))["records_per_s"] for f in glob.glob(f"{sys.argv[1]}/{sys.argv[2]}-*/send.json")]
print(round(statistics.median(rates) / 2))
EOF
}
[[ -n "${PEAK_ONLY:-}" ]] || for case in ${HALF_CASES:-passthrough chain}; do
    rate=${HALF_RATE:-$(half "$case")}
    echo "$rate" >"$out/half-rate-$case"
    for run in $(seq 1 "$runs"); do
        measure half direct "$run" "$rate" "direct@$case"
        measure half "$case" "$run" "$rate"
        [[ -z "${ALT_DEST:-}" ]] || measure half "$case@altdest" "$run" "$rate"
        [[ -z "${ALT_SLUICE:-}" ]] || measure half "$case@alt" "$run" "$rate"
    done
done

# profile CASE: perf (user and kernel stacks of the sluice process, 12 s at 499 Hz) while the
# generator sends as fast as it can; the top of the flat and the inclusive profile are kept.
# Plugins' functions are named through the perf map (`profiler = "perf_map"` above); each
# plugin's code is its own DSO, named by the component's sha256 in the plugin cache.
profile() {
    local dir="$out/profile/$1" lg cap
    mkdir -p "$dir"
    "$LOADGEN" capture --grpc "$CAPTURE" --idle-exit 3 --max-secs 120 --json "$dir/capture.json" \
        >/dev/null 2>"$dir/capture.log" &
    cap=$!
    wait_for 100 grep -q listening "$dir/capture.log"
    start_sluice "$1" "$dir"
    timeout 60 "$LOADGEN" send --target "$GRPC" --duration 18 --connections "$conns" --batch "$batch" \
        --threads "$lg_threads" --json "$dir/send.json" >/dev/null 2>"$dir/send.log" &
    lg=$!
    sleep 3
    timeout 60 perf record -F 499 --call-graph dwarf,16384 -o "$dir/perf.data" -p "$spid" -- sleep 12 \
        >/dev/null 2>"$dir/perf.log" || echo "perf record failed (see $dir/perf.log)" >&2
    wait "$lg" || true
    stop_sluice
    # The next case's capture binds the same port: this one must be gone (idle exit).
    wait "$cap" || true
    [[ -s "$dir/perf.data" ]] || return 0
    local trim='s/ +$//; s/(.{160}).*/\1/'
    perf report --no-inline -i "$dir/perf.data" --no-children --sort dso --stdio -g none 2>/dev/null |
        grep -E '^ +[0-9]' | sed -E "$trim" >"$dir/dso.txt" || true
    perf report --no-inline -i "$dir/perf.data" --no-children --sort symbol --stdio -g none 2>/dev/null |
        grep -E '^ +[0-9]' | sed -E "$trim" | head -60 >"$dir/self.txt" || true
    perf report --no-inline -i "$dir/perf.data" --children --sort symbol --stdio -g none 2>/dev/null |
        grep -E '^ +[0-9]' | sed -E "$trim" | grep -E 'sluice::|prost::|Message' | head -80 >"$dir/children.txt" || true
    rm -f "$dir/perf.data"
}
if [[ -n "${PROFILE:-}" ]] && command -v perf >/dev/null; then
    profile passthrough
    profile chain
fi

echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/machine.txt"
python3 loadgen/loopback_summary.py "$out" | tee "$out/summary.md"
