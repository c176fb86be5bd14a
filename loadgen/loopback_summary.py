#!/usr/bin/env python3
"""Markdown tables from the raw results of scripts/loopback-bench.sh.

    python3 loadgen/loopback_summary.py target/loopback-bench

Every figure is the median over runs with the range (min-max) after it; ratios and added
latencies are taken within each run (same-run baseline), then the median over runs is shown.
A run of `SCENARIOS=1 scripts/loopback-bench.sh` (a `scenarios/` directory) gets the
scenario tables instead.
"""

import glob
import json
import os
import statistics
import sys

out = sys.argv[1]
nproc = os.cpu_count() or 1


def load(d, name):
    p = os.path.join(d, name)
    if not os.path.exists(p):
        return None
    with open(p) as f:
        return json.load(f)


def runs(phase, name):
    """{run: {"send": ..., "capture": ..., "sluice": ...}} of one case."""
    res = {}
    for d in glob.glob(f"{out}/{phase}/{name}-*"):
        run = int(d.rsplit("-", 1)[1])
        res[run] = {k: load(d, f"{k}.json") for k in ("send", "capture", "sluice")}
    return res


def med(xs, fmt="{:,.0f}"):
    xs = [x for x in xs if x is not None]
    if not xs:
        return "–"
    m = fmt.format(statistics.median(xs))
    return m if len(xs) == 1 else f"{m} ({fmt.format(min(xs))}–{fmt.format(max(xs))})"


def peak_row(r, case):
    s, c, p = r["send"], r["capture"], r["sluice"]
    if not s or not c:
        return None
    sent = sum(s["sent"].values())
    acked = sum(s["acked"].values())
    if case == "receive":  # a discard destination: count what sluice acknowledged
        c = {"spans_per_s": s["spans_per_s"], "records": acked, "total": {"spans": s["acked"]["spans"]}}
    row = {
        "spans_s": s["spans_per_s"],
        "delivered_s": c["spans_per_s"],
        "mb_s": s["mb_per_s"],
        "sent": sent,
        "unacked": sent - acked,
        "lost": acked - c["records"] if case != "receive" else None,
        "errors": s["errors"],
        "p50": s["latency_ms"]["p50"],
        "p99": s["latency_ms"]["p99"],
        "cpu": None,
        "spans_cpu": None,
        "records_cpu": None,
        "rss": None,
    }
    if p:
        row["cpu"] = p["cpu_s"]
        row["spans_cpu"] = c["total"]["spans"] / p["cpu_s"] if p["cpu_s"] else None
        row["records_cpu"] = c["records"] / p["cpu_s"] if p["cpu_s"] else None
        row["rss"] = p["vmhwm_kb"] / 1024
    return row


def errors(rows):
    total = {}
    for r in rows:
        for k, v in r["errors"].items():
            total[k] = total.get(k, 0) + v
    return ", ".join(f"{k} {v}" for k, v in sorted(total.items())) or "none"


def scenario_runs(name):
    """{run: {"send", "capture", "capture_b", "sluice"}} of one scenario (exact name)."""
    res = {}
    for d in glob.glob(f"{out}/scenarios/{name}-*"):
        base, run = os.path.basename(d).rsplit("-", 1)
        if base == name and run.isdigit():
            res[int(run)] = {k.replace("-", "_"): load(d, f"{k}.json") for k in ("send", "capture", "capture-b", "sluice")}
    return res


def scenario_row(r):
    """peak_row of a scenario, with the second capture receiver (if any) counted in."""
    c, b = r["capture"], r["capture_b"]
    if c and b:
        both = {"spans_per_s": c["spans_per_s"] + b["spans_per_s"], "records": c["records"] + b["records"],
                "total": {"spans": c["total"]["spans"] + b["total"]["spans"]}}
        r = dict(r, capture=both)
    row = peak_row(r, "scenario")
    if row:
        row["refused"] = sum(r["send"]["errors"].values())
        row["bytes_span"] = r["send"]["pool"]["bytes_per_span"]
        row["batch"] = r["send"]["batch"]
        row["quarantined"] = (r["sluice"] or {}).get("quarantined")
    return row


def scenarios():
    names = sorted({os.path.basename(d).rsplit("-", 1)[0] for d in glob.glob(f"{out}/scenarios/*-*")})
    # The run script's order first, then anything else.
    order = ["passthrough", "redact", "residency", "cost", "eval-sample", "chain", "chain-w1", "chain-w2",
             "chain-nosecrets", "passthrough-b1000", "chain-b1000", "passthrough-b10000", "chain-b10000",
             "chain-split", "chain-slow"]
    names = [n for n in order if n in names] + [n for n in names if n not in order]
    rows = {}
    for n in names:
        rows[n] = {k: v for k, v in ((k, scenario_row(v)) for k, v in scenario_runs(n).items()) if v}
    base = rows.get("passthrough", {})

    def vs(name, other, key, f=lambda a, b: a / b):
        a, b = rows.get(name, {}), rows.get(other, {})
        return [f(a[r][key], b[r][key]) for r in sorted(set(a) & set(b)) if a[r][key] and b[r][key]]

    print("## Scenarios: as fast as the generator sends\n")
    print("Per-run ratios and differences are against the `passthrough` run of the same run "
          "(batch 100, secrets 5 %); *+ CPU µs/span* is 10⁶ / (spans per sluice CPU-s) minus the "
          "same for that passthrough run. Refused requests are failed requests (a full queue "
          "answers `UNAVAILABLE`); the generator does not resend them. Quarantined batches are "
          "batches a plugin failed on (`fail_closed`): acknowledged, kept on disk, not delivered.\n")
    print("| scenario | records / request | bytes / span | spans per sluice CPU-s | / passthrough | + CPU µs/span "
          "| acked spans/s (wall) | ack p50 / p99 ms | refused requests | acked − captured | quarantined batches "
          "| sluice VmHWM MB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    us = lambda a, b: 1e6 / a - 1e6 / b
    for n in names:
        rs = list(rows[n].values())
        if not rs:
            continue
        col = lambda k: [r[k] for r in rs]
        ratio = vs(n, "passthrough", "spans_cpu") if n != "passthrough" else []
        added = vs(n, "passthrough", "spans_cpu", us) if n != "passthrough" else []
        print(f"| {n} | {med(col('batch'))} | {med(col('bytes_span'))} | {med(col('spans_cpu'))} | "
              f"{med(ratio, '{:.2f}')} | {med(added, '{:.1f}')} | {med(col('spans_s'))} | "
              f"{med(col('p50'), '{:.1f}')} / {med(col('p99'), '{:.1f}')} | {med(col('refused'))} | "
              f"{med(col('lost'))} | {med(col('quarantined'))} | {med(col('rss'))} |")

    lines = []
    for a, b, what in (("chain-w2", "chain-w1", "2 / 1 plugin workers"),
                       ("chain-nosecrets", "chain", "no secrets / 5 % secrets"),
                       ("chain-b1000", "passthrough-b1000", "chain / passthrough at 1,000 records per request"),
                       ("chain-b10000", "passthrough-b10000", "chain / passthrough at 10,000 records per request"),
                       ("chain", "passthrough", "chain / passthrough at 100 records per request"),
                       ("chain-b1000", "chain", "chain at 1,000 / at 100 records per request"),
                       ("chain-b10000", "chain", "chain at 10,000 / at 100 records per request"),
                       ("passthrough-b1000", "passthrough", "passthrough at 1,000 / at 100 records per request"),
                       ("passthrough-b10000", "passthrough", "passthrough at 10,000 / at 100 records per request")):
        cpu, wall = vs(a, b, "spans_cpu"), vs(a, b, "spans_s")
        if cpu:
            lines.append(f"- {what} (`{a}` / `{b}`): spans per sluice CPU-s {med(cpu, '{:.2f}')}, "
                         f"wall spans/s {med(wall, '{:.2f}')}")
    if lines:
        print("\nSame-run ratios:\n\n" + "\n".join(lines))

    split, slow = scenario_runs("chain-split"), scenario_runs("chain-slow")
    if split or slow:
        print("\n### One destination slowed down\n")
        print("The chain with capture-a (every tenant but the 4 most popular) and capture-b (those 4) "
              "on two capture receivers; in `chain-slow` capture-b holds every answer "
              f"{delay_of(slow)} ms. Delivered spans/s is over each receiver's first to last request.\n")
        print("| case | capture-a spans/s delivered | capture-a delivery p50 / p99 ms | capture-b spans/s delivered "
              "| capture-b delivery p50 / p99 ms | capture-b share of spans | refused requests | acked − captured |")
        print("|---|---|---|---|---|---|---|---|")
        f = "{:.1f}"
        for name, rr in (("chain-split", split), ("chain-slow", slow)):
            xs = [r for r in rr.values() if r["send"] and r["capture"] and r["capture_b"]]
            if not xs:
                continue
            a = [r["capture"] for r in xs]
            b = [r["capture_b"] for r in xs]
            share = [y["total"]["spans"] / max(1, x["total"]["spans"] + y["total"]["spans"]) * 100 for x, y in zip(a, b)]
            refused = [sum(r["send"]["errors"].values()) for r in xs]
            lost = [sum(r["send"]["acked"].values()) - r["capture"]["records"] - r["capture_b"]["records"] for r in xs]
            print(f"| {name} | {med([x['spans_per_s'] for x in a])} | "
                  f"{med([x['delivery_latency_ms']['p50'] for x in a], f)} / {med([x['delivery_latency_ms']['p99'] for x in a], f)} | "
                  f"{med([x['spans_per_s'] for x in b])} | "
                  f"{med([x['delivery_latency_ms']['p50'] for x in b], f)} / {med([x['delivery_latency_ms']['p99'] for x in b], f)} | "
                  f"{med(share, '{:.0f} %')} | {med(refused)} | {med(lost)} |")
        both = sorted(set(split) & set(slow))
        ratio = [slow[r]["capture"]["spans_per_s"] / split[r]["capture"]["spans_per_s"] for r in both
                 if slow[r]["capture"] and split[r]["capture"] and split[r]["capture"]["spans_per_s"]]
        d99 = [slow[r]["capture"]["delivery_latency_ms"]["p99"] - split[r]["capture"]["delivery_latency_ms"]["p99"]
               for r in both if slow[r]["capture"] and split[r]["capture"]]
        if ratio:
            print(f"\ncapture-a, `chain-slow` / `chain-split` in the same run: delivered spans/s {med(ratio, '{:.2f}')}, "
                  f"delivery p99 {med(d99, '{:+.1f}')} ms.")


def delay_of(rr):
    ds = [r["capture_b"]["delay_ms"] for r in rr.values() if r["capture_b"] and "delay_ms" in r["capture_b"]]
    return f"{ds[0]:.0f}" if ds else "?"


if os.path.isdir(f"{out}/scenarios"):
    scenarios()
    machine = os.path.join(out, "machine.txt")
    if os.path.exists(machine):
        print("\n```\n" + open(machine).read().strip() + "\n```")
    sys.exit(0)

print("## Peak: as fast as the generator sends\n")
pool = load(out, "pool.json")
if pool:
    print(f"Pool: {pool['requests']} requests, {pool['bytes_per_span']:,.0f} bytes of protobuf per span; "
          f"records per signal (spans, logs, points) {pool['records']}.\n")
print("| case | acked spans/s (wall) | delivered spans/s | spans/s per core (wall / nproc) | sluice CPU s | spans per sluice CPU-s "
      "| records per sluice CPU-s | MB/s in | ack p50 / p99 ms | sent − acked | acked − captured | errors | sluice VmHWM MB |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
peak = {}
for case in ("direct", "receive", "passthrough", "passthrough@alt", "passthrough@altdest", "chain", "chain@alt", "chain@altdest"):
    rows = {k: peak_row(v, case) for k, v in runs("peak", case).items()}
    rows = {k: v for k, v in rows.items() if v}
    peak[case] = rows
    if not rows:
        continue
    rs = list(rows.values())
    col = lambda k: [r[k] for r in rs]
    print(f"| {case} | {med(col('spans_s'))} | {med(col('delivered_s'))} | {med([x / nproc for x in col('spans_s')])} | "
          f"{med(col('cpu'), '{:.1f}')} | {med(col('spans_cpu'))} | {med(col('records_cpu'))} | "
          f"{med(col('mb_s'))} | {med(col('p50'), '{:.1f}')} / {med(col('p99'), '{:.1f}')} | "
          f"{med(col('unacked'))} | {med(col('lost'))} | {errors(rs)} | {med(col('rss'))} |")

p, c = peak.get("passthrough", {}), peak.get("chain", {})
both = sorted(set(p) & set(c))
if both:
    ratio = lambda k: [c[r][k] / p[r][k] for r in both if c[r][k] and p[r][k]]
    print(f"\nChain / passthrough, same run: spans per sluice CPU-s {med(ratio('spans_cpu'), '{:.2f}')}, "
          f"wall spans/s {med(ratio('spans_s'), '{:.2f}')}, CPU s {med(ratio('cpu'), '{:.2f}')}.")

for case in ("passthrough", "chain"):
    for alt in ("alt", "altdest"):
        a, b = peak.get(case, {}), peak.get(f"{case}@{alt}", {})
        both = sorted(set(a) & set(b))
        if both:
            ratio = [a[r]["spans_cpu"] / b[r]["spans_cpu"] for r in both if a[r]["spans_cpu"] and b[r]["spans_cpu"]]
            rss = [a[r]["rss"] / b[r]["rss"] for r in both if a[r]["rss"] and b[r]["rss"]]
            print(f"\n{case} / {case}@{alt}, same run: spans per sluice CPU-s {med(ratio, '{:.2f}')}, "
                  f"VmHWM {med(rss, '{:.2f}')}.")

print("\n## Half of peak: added latency\n")
print("Added = the case minus a direct loadgen → capture run at the same rate, in the same run. "
      "Ack = request sent → OTLP response (sluice answers once the records sit in every "
      "destination queue); delivery = stamped send time → arrival at the capture receiver "
      "(includes the exporters' batching). From schedule = the request's scheduled send time → "
      "response, so a request that waited for a free connection counts its wait (no "
      "coordinated omission).\n")
print("| case | rate (records/s) | ack p50 / p99 ms | direct ack p50 / p99 ms | added ack p50 / p99 ms "
      "| added ack from schedule p50 / p99 ms | delivery p50 / p99 ms | added delivery p50 / p99 ms "
      "| acked − captured | sluice cores busy "
      "| spans per sluice CPU-s | sluice VmHWM MB |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for case in ("passthrough", "passthrough@alt", "passthrough@altdest", "chain", "chain@alt", "chain@altdest"):
    mine, base = runs("half", case), runs("half", f"direct@{case.split('@')[0]}")
    if not mine:
        continue
    rate_file = os.path.join(out, f"half-rate-{case.split('@')[0]}")
    rate = open(rate_file).read().strip() if os.path.exists(rate_file) else "?"
    a50, a99, d50, d99, b50, b99, l50, l99, ad50, ad99, lost, rss, cores, per_cpu = ([] for _ in range(14))
    s50, s99 = [], []
    for run, r in mine.items():
        s, cap, sl = r["send"], r["capture"], r["sluice"]
        if not s or not cap:
            continue
        a50.append(s["latency_ms"]["p50"])
        a99.append(s["latency_ms"]["p99"])
        d50.append(cap["delivery_latency_ms"]["p50"])
        d99.append(cap["delivery_latency_ms"]["p99"])
        lost.append(sum(s["acked"].values()) - cap["records"])
        rss.append(sl["vmhwm_kb"] / 1024 if sl else None)
        if sl and sl["cpu_s"]:
            cores.append(sl["cpu_s"] / s["elapsed_s"])
            per_cpu.append(cap["total"]["spans"] / sl["cpu_s"])
        b = base.get(run)
        if b and b["send"] and b["capture"]:
            bs, bc = b["send"]["latency_ms"], b["capture"]["delivery_latency_ms"]
            b50.append(bs["p50"])
            b99.append(bs["p99"])
            l50.append(s["latency_ms"]["p50"] - bs["p50"])
            l99.append(s["latency_ms"]["p99"] - bs["p99"])
            ad50.append(cap["delivery_latency_ms"]["p50"] - bc["p50"])
            ad99.append(cap["delivery_latency_ms"]["p99"] - bc["p99"])
            mine_s, base_s = s.get("scheduled_latency_ms"), b["send"].get("scheduled_latency_ms")
            if mine_s and base_s:
                s50.append(mine_s["p50"] - base_s["p50"])
                s99.append(mine_s["p99"] - base_s["p99"])
    f = "{:.2f}"
    print(f"| {case} | {rate} | {med(a50, f)} / {med(a99, f)} | {med(b50, f)} / {med(b99, f)} | "
          f"{med(l50, f)} / {med(l99, f)} | {med(s50, f)} / {med(s99, f)} | {med(d50, f)} / {med(d99, f)} | {med(ad50, f)} / {med(ad99, f)} | "
          f"{med(lost)} | {med(cores, f)} | {med(per_cpu)} | {med(rss)} |")



def plugin_calls(d):
    """{plugin: [(upper bound s, cumulative count)]} of sluice_plugin_call_seconds in d."""
    p = os.path.join(d, "metrics.txt")
    if not os.path.exists(p):
        return {}
    hist = {}
    for line in open(p):
        if not line.startswith("sluice_plugin_call_seconds_bucket{"):
            continue
        labels, value = line.rsplit(" ", 1)
        kv = dict(x.split("=", 1) for x in labels[labels.index("{") + 1 : labels.rindex("}")].split(","))
        le = kv["le"].strip('"')
        hist.setdefault(kv["plugin"].strip('"'), []).append((float("inf") if le == "+Inf" else float(le), float(value)))
    return {k: sorted(v) for k, v in hist.items()}


def quantile_bound(buckets, q):
    """The upper bound of the bucket that holds quantile q (the histogram's resolution)."""
    total = buckets[-1][1] if buckets else 0
    for le, n in buckets:
        if total and n >= q * total:
            return le
    return None


halves = {run: plugin_calls(d) for run, d in ((int(d.rsplit("-", 1)[1]), d) for d in glob.glob(f"{out}/half/chain-*"))}
plugins = sorted({p for h in halves.values() for p in h})
if plugins:
    print("\nPlugin calls in the chain's half-peak runs (`sluice_plugin_call_seconds`, one call = one "
          "batch through one plugin; the bucket bound that holds the quantile, so ×2.5 resolution):\n")
    print("| plugin | calls | p50 ≤ ms | p99 ≤ ms |")
    print("|---|---|---|---|")
    for p in plugins:
        calls, p50, p99 = [], [], []
        for h in halves.values():
            if p in h:
                calls.append(h[p][-1][1])
                p50.append(quantile_bound(h[p], 0.5) * 1000)
                p99.append(quantile_bound(h[p], 0.99) * 1000)
        print(f"| {p} | {med(calls)} | {med(p50, '{:.2f}')} | {med(p99, '{:.2f}')} |")

machine = os.path.join(out, "machine.txt")
if os.path.exists(machine):
    print("\n```\n" + open(machine).read().strip() + "\n```")
