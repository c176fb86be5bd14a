#!/usr/bin/env bash
# Runs every check and test of the workspace on a fresh machine: installs the Python tools the
# Python-plugin test needs (into target/, not the system), then format, lints and all tests.
set -euo pipefail
cd "$(dirname "$0")/.."

# rust-toolchain.toml names the wasm32-wasip2 target; older rustup versions only add listed
# targets when they install the toolchain, so make sure it is there.
if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx wasm32-wasip2; then
    rustup target add wasm32-wasip2
fi

VENV=target/tools-venv
COMPONENTIZE_PY_VERSION=0.25.1
if [ ! -x "$VENV/bin/componentize-py" ] || ! "$VENV/bin/componentize-py" --version | grep -q "$COMPONENTIZE_PY_VERSION"; then
    mkdir -p target
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "componentize-py==$COMPONENTIZE_PY_VERSION"
fi
export PATH="$PWD/$VENV/bin:$PATH"

cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
# Doc examples are marked `ignore` (they are guest code for wasm32); the suite is nextest's.
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --no-fail-fast
else
    cargo test --workspace --no-fail-fast
fi

# The redaction plugin's unit tests once more, compiled for wasm32-wasip2 and run by wasmtime
# with sluice's engine settings: its Wasm-only fast paths (simd128 lookups, the u128 rule bits
# in halves) are reached nowhere else.
cargo build --release --quiet --manifest-path plugins/redact/tools/wasm-run/Cargo.toml --target-dir target
cargo clippy --quiet -p sluice-plugin-redact --target wasm32-wasip2 --all-targets -- -D warnings
tests=$(cargo test --release --quiet -p sluice-plugin-redact --lib --target wasm32-wasip2 --no-run \
    --message-format=json | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable"):
        print(m["executable"])')
target/release/redact-wasm-run "$tests"
