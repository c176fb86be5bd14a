#!/usr/bin/env python3
"""Summary of a soak run of scripts/loopback-bench.sh (SOAK=seconds): is sluice flat over time?

    python3 loadgen/soak_summary.py target/loopback-bench/soak VMHWM_KB

Compares minutes 1-2 (after warm-up) with the last minute: resident memory, sluice's CPU
(cores busy), and checks that every acknowledged record was captured.
"""

import csv
import json
import sys

d, hwm_kb = sys.argv[1], int(sys.argv[2])
rows = list(csv.DictReader(open(f"{d}/samples.csv")))
send = json.load(open(f"{d}/send.json"))
cap = json.load(open(f"{d}/capture.json"))
if len(rows) < 14:
    sys.exit(f"soak too short: {len(rows)} samples of 10 s")


def rss_mb(rs):
    return sum(int(r["rss_kb"]) for r in rs) / len(rs) / 1024


def cores(rs):
    dt = int(rs[-1]["t_s"]) - int(rs[0]["t_s"])
    return (float(rs[-1]["cpu_s"]) - float(rs[0]["cpu_s"])) / dt if dt else 0.0


early, late = rows[6:13], rows[-7:]
acked = sum(send["acked"].values())
sent = sum(send["sent"].values())
print(f"duration: {rows[-1]['t_s']} s sampled every 10 s; records sent {sent:,}, acked {acked:,}, "
      f"captured {cap['records']:,} (acked - captured: {acked - cap['records']:,})")
print(f"RSS MB: minutes 1-2 {rss_mb(early):.0f}, last minute {rss_mb(late):.0f}; VmHWM {hwm_kb / 1024:.0f}")
print(f"sluice cores busy: minutes 1-2 {cores(early):.2f}, last minute {cores(late):.2f}")
print(f"ack latency p50 / p99: {send['latency_ms']['p50']:.1f} / {send['latency_ms']['p99']:.1f} ms")
print(f"load average (1 min) during the run: {min(float(r['load1']) for r in rows):.1f}"
      f"-{max(float(r['load1']) for r in rows):.1f}")
