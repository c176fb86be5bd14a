#!/usr/bin/env bash
# Builds the Python twin of the add-attribute test plugin into a Wasm component.
#
#   build.sh OUT.wasm
#
# Needs `componentize-py` (PyPI, 0.25.1) on PATH. Works from any directory.
# componentize-py generates the `wit_world` bindings internally, so nothing is
# written into the repo (except OUT.wasm, if you point it there).
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: $0 OUT.wasm" >&2
    exit 2
fi
if ! command -v componentize-py >/dev/null; then
    echo "$0: componentize-py not found on PATH (pip install componentize-py==0.25.1)" >&2
    exit 1
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
wit="$here/../../../wit"
out="$(realpath -m -- "$1")"
mkdir -p "$(dirname "$out")"

# componentize-py runs the app (CPython 3.14 inside Wasm) at build time to
# snapshot it, and that writes a __pycache__ beside the sources: so build from a
# copy in a temp dir, and point `-p` (the app's search path) at that copy.
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cp "$here/app.py" "$tmp/"
cd "$tmp"
componentize-py --quiet -d "$wit" -w plugin componentize -p "$tmp" -o "$out" app
