#!/usr/bin/env bash
# Hot-reload latency (BENCHMARKS.md, "Hot reload"): how long from a plugin file landing in
# the plugin folder (renamed into place, as deploy tools do) until `/plugins` shows the new
# chain live, with file events and with polling.
#
#   scripts/reload-latency.sh                # build, then SWAPS swaps per mode
#   SWAPS=30 SKIP_BUILD=1 scripts/reload-latency.sh
#
# Each swap alternates the stage's component between two test plugins (so every swap is a
# real replacement, compiled through the warm compile cache) and polls /plugins every ~2 ms
# until the generation moves. Reported per mode: median, p90 and max over the swaps, and the
# configured debounce (which the figure includes by design). The first swap of each binary
# compiles it; those are reported separately (cold). Everything listens on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

swaps=${SWAPS:-20}
target=${CARGO_TARGET_DIR:-target}
[[ "$target" == /* ]] || target="$PWD/$target"
SLUICE=$target/release/sluice
ADMIN=127.0.0.1:34988
GUESTS=$target/wasm-guests/wasm32-wasip2/release

[[ -n "${SKIP_BUILD:-}" ]] || cargo build --release -p sluice
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT

ms() { date +%s%3N; }

generation() {
  curl -sf "http://$ADMIN/plugins" | python3 -c 'import json,sys; print(json.load(sys.stdin)["generation"])'
}

run_mode() {
  local mode=$1 extra=$2
  rm -rf "$work/plugins.d" "$work/cache"
  mkdir -p "$work/plugins.d"
  cat >"$work/config.toml" <<EOF
[runtime]
workers = 2
cache_dir = "$work/cache"
[[receivers]]
type = "otlp_grpc"
address = "127.0.0.1:0"
[plugin_dir]
path = "plugins.d"
debounce_ms = 100
$extra
[admin]
address = "$ADMIN"
[[destinations]]
name = "out"
type = "discard"
EOF
  "$SLUICE" run --config "$work/config.toml" >"$work/$mode.log" 2>&1 &
  pid=$!
  for _ in $(seq 500); do generation >/dev/null 2>&1 && break; sleep 0.02; done
  local times=() gen
  for i in $(seq 0 $((swaps + 1))); do
    gen=$(generation)
    if ((i % 2)); then src=test_passthrough.wasm; else src=test_edit.wasm; fi
    cp "$GUESTS/$src" "$work/plugins.d/.10-stage.wasm.part"
    local start; start=$(ms)
    mv "$work/plugins.d/.10-stage.wasm.part" "$work/plugins.d/10-stage.wasm"
    until [[ "$(generation)" != "$gen" ]]; do
      (($(ms) - start < 10000)) || { echo "$mode: swap $i not live within 10 s" >&2; exit 1; }
      sleep 0.002
    done
    times+=($(($(ms) - start)))
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true
  # Swaps 0 and 1 compile each binary once (cold); the rest hit the compile cache.
  printf '%s\n' "${times[@]:2}" | sort -n | python3 -c "
import sys
t = [int(x) for x in sys.stdin]
p = lambda q: t[min(len(t) - 1, int(q * len(t)))]
print(f'| $mode | {len(t)} | {p(0.5)} | {p(0.9)} | {t[-1]} | ${times[0]}, ${times[1]} |')
"
}

echo "| watcher | swaps | median ms | p90 ms | max ms | cold (compile) ms |"
echo "|---|---|---|---|---|---|"
run_mode events ""
run_mode polling "poll_interval_ms = 100"
