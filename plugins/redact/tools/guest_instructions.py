#!/usr/bin/env python3
"""Instructions the redaction scan executes inside Wasm, per 8 MB pass of each sample.

Deterministic where timings on a shared 2-core machine are not, so changes to the scan are
judged by these first (BENCHMARKS.md, "Redaction scan throughput"). For a `throughput`
example built for wasm32-wasip2:

1. compile it to a `.cwasm` under valgrind (`redact-wasm-run` with `DUMP=`): valgrind's CPU
   has no AVX-512, so code compiled outside it is refused there;
2. run that `.cwasm` under callgrind for 1 pass and for 3 passes of the sample;
3. report (3 passes - 1 pass) / 2: the guest's compiled code and what it calls, without
   compiling, instantiating or building the samples.

`--functions N` lists the N functions with the most instructions, named from wasmtime's perf
map (`PERFMAP=1`), and with `--against OTHER.wasm` the same for a second build beside it.
`--callers NAME[,NAME]` lists who calls the functions whose names start so (calls per pass and
the instructions inside those calls), e.g. `memcmp`, `malloc`, or the `memory.copy` trampoline.
`--no-epoch` compiles without epoch interruption (sluice always has it on): the difference is
what the interruption checks at loop heads and function entries cost.

Usage: guest_instructions.py THROUGHPUT.wasm [--against OTHER.wasm] [--samples clean,dense]
       [--functions 30] [--callers memcmp,malloc] [--no-epoch]
Needs valgrind, and `redact-wasm-run` built (see BENCHMARKS.md), found as
target/release/redact-wasm-run from the repository root or given by $WASM_RUN.
"""

import argparse
import bisect
import collections
import hashlib
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
RUNNER = Path(os.environ.get("WASM_RUN", ROOT / "target/release/redact-wasm-run"))
CACHE = ROOT / "target/guest-instructions"
TOTAL = re.compile(r"^summary:\s+(\d+)", re.M)


def env(no_epoch):
    e = dict(os.environ)
    e.pop("NO_EPOCH", None)
    if no_epoch:
        e["NO_EPOCH"] = "1"
    return e


def compiled(wasm: Path, no_epoch: bool) -> Path:
    """The `.cwasm` valgrind's CPU accepts, cached by the module's hash."""
    digest = hashlib.sha256(wasm.read_bytes()).hexdigest()[:16]
    out = CACHE / f"{digest}{'-noepoch' if no_epoch else ''}.cwasm"
    if not out.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        e = env(no_epoch)
        e["DUMP"] = str(out)
        subprocess.run(
            ["valgrind", "--tool=none", "--smc-check=all-non-file", str(RUNNER), str(wasm)],
            env=e, check=True, capture_output=True,
        )
    return out


def perf_map(pid: int):
    """(start, end, name) of each compiled function, from wasmtime's perf map."""
    spans = []
    path = Path(f"/tmp/perf-{pid}.map")
    for line in path.read_text().splitlines():
        start, size, name = line.split(" ", 2)
        if name.startswith("wasm[0]::function["):
            s = int(start, 16)
            spans.append((s, s + int(size, 16), readable(name)))
    path.unlink()
    spans.sort()
    return spans


def readable(name: str) -> str:
    """`wasm[0]::function[75]::_ZN...E` as a Rust path without the hash."""
    name = re.sub(r"^wasm\[0\]::function\[\d+\]::", "", name)
    # The perf map cuts long names short: take the path's parts as far as they go.
    m = re.match(r"_ZN(.*?)(?:17h[0-9a-f]{16}E)?$", name)
    if not m:
        return name
    parts, rest = [], m.group(1)
    while rest and rest[0].isdigit():
        n = re.match(r"\d+", rest).group(0)
        parts.append(rest[len(n):len(n) + int(n)])
        rest = rest[len(n) + int(n):]
    return "::".join(parts).replace("sluice_plugin_redact::", "").replace("$u20$", " ")


def count(cwasm: Path, sample: str, passes: int, no_epoch: bool):
    """(total instructions, instructions by function) for `passes` passes over 8 MB."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        e = env(no_epoch)
        e["PERFMAP"] = "1"
        proc = subprocess.run(
            ["valgrind", "--tool=callgrind", "--smc-check=all-non-file",
             f"--callgrind-out-file={out}", str(RUNNER), str(cwasm), sample, str(passes), "8"],
            env=e, check=True, capture_output=True, text=True,
        )
        pid = int(re.search(r"==(\d+)==", proc.stderr).group(1))
        spans = perf_map(pid)
        text = out.read_text()
    total = int(TOTAL.search(text).group(1))
    return (total, *by_function(text, spans))


def by_function(text: str, spans):
    """Self instructions per compiled function, from callgrind's per-address records, and
    per callee its callers: `{callee: {caller: (calls, instructions inside the calls)}}`.

    The guest's code has no symbols valgrind can read, so callgrind names each function by
    its address (`fn=(id) 0x...`); those addresses are mapped through the perf map."""
    starts = [s for s, _, _ in spans]

    def name_of(raw):
        m = re.match(r"0x([0-9a-f]+)", raw)
        if m:
            a = int(m.group(1), 16)
            i = bisect.bisect_right(starts, a) - 1
            if i >= 0 and a < spans[i][1]:
                return spans[i][2]
        return raw

    names = {}
    costs = collections.Counter()
    # (caller, callee) -> [calls, inclusive instructions]
    calls = collections.defaultdict(lambda: [0, 0])
    current = callee = None
    pending = 0
    for line in text.splitlines():
        m = re.match(r"(c?)fn=\((\d+)\)(?: (.*))?", line)
        if m:
            # Names are compressed: given once, by a `fn=` or a `cfn=`, then by id alone.
            if m.group(3) is not None:
                names[m.group(2)] = m.group(3)
            if m.group(1):
                callee = names[m.group(2)]
            else:
                current = names[m.group(2)]
                pending = 0
        elif line.startswith("calls="):
            pending = int(line[6:].split()[0])
        elif line and (line[0].isdigit() or line[0] in "+-*"):
            fields = line.split()
            if pending:
                # The line after `calls=` is the call's inclusive cost.
                if len(fields) >= 2 and current is not None and callee is not None:
                    c = calls[(current, callee)]
                    c[0] += pending
                    c[1] += int(fields[1])
                pending = 0
                continue
            if len(fields) >= 2 and current is not None:
                costs[current] += int(fields[1])
    named = collections.Counter()
    for name, ir in costs.items():
        named[name_of(name)] += ir
    by_callee = collections.defaultdict(lambda: collections.defaultdict(lambda: (0, 0)))
    for (caller, callee), (n, ir) in calls.items():
        row = by_callee[name_of(callee)]
        before = row[name_of(caller)]
        row[name_of(caller)] = (before[0] + n, before[1] + ir)
    return named, by_callee


def per_pass(wasm: Path, sample: str, no_epoch: bool):
    cwasm = compiled(wasm, no_epoch)
    one, f1, c1 = count(cwasm, sample, 1, no_epoch)
    three, f3, c3 = count(cwasm, sample, 3, no_epoch)
    fns = {k: (f3.get(k, 0) - f1.get(k, 0)) / 2 for k in set(f1) | set(f3)}
    def diff(callee, caller):
        n3, ir3 = c3[callee][caller]
        n1, ir1 = c1.get(callee, {}).get(caller, (0, 0))
        return (n3 - n1) / 2, (ir3 - ir1) / 2

    callers = {callee: {k: diff(callee, k) for k in c3[callee]} for callee in c3}
    return (three - one) / 2, fns, callers


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("wasm", type=Path)
    ap.add_argument("--against", type=Path)
    ap.add_argument("--samples", default="clean,prose,dense")
    ap.add_argument("--functions", type=int, default=0)
    ap.add_argument("--no-epoch", action="store_true")
    ap.add_argument("--callers", default="", help="comma-separated function names (prefixes)")
    args = ap.parse_args()
    if not RUNNER.exists():
        sys.exit(f"{RUNNER} not found: build tools/wasm-run first (see BENCHMARKS.md)")
    for sample in args.samples.split(","):
        total, fns, callers = per_pass(args.wasm, sample, args.no_epoch)
        line = f"{sample:6} {total / 1e6:9.2f} M"
        other = {}
        if args.against:
            ototal, other, _ = per_pass(args.against, sample, args.no_epoch)
            line += f"   against {ototal / 1e6:9.2f} M ({(total / ototal - 1) * 100:+.2f} %)"
        print(line, flush=True)
        keys = sorted(set(fns) | set(other), key=lambda k: -max(fns.get(k, 0), other.get(k, 0)))
        for k in keys[: args.functions]:
            row = f"    {fns.get(k, 0) / 1e6:8.2f}"
            if args.against:
                row += f" {other.get(k, 0) / 1e6:8.2f}"
            print(f"{row}  {k[:100]}")
        for want in filter(None, args.callers.split(",")):
            for callee, by in callers.items():
                if not callee.startswith(want):
                    continue
                print(f"  callers of {callee[:80]} (calls per pass, inclusive M instructions):")
                rows = [(k, n, ir) for k, (n, ir) in by.items() if n >= 1]  # not set-up only
                for k, n, ir in sorted(rows, key=lambda r: -r[2])[:10]:
                    print(f"    {n:12.0f} {ir / 1e6:8.2f}  {k[:90]}")


if __name__ == "__main__":
    main()
