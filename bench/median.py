#!/usr/bin/env python3
"""Medians over several bench/run.sh results, as the Markdown tables of docs/performance.md.

Usage: bench/median.py bench/results/A.json bench/results/B.json [...]
For every run label present in all results: the median of throughput, p50, p99 and
p99.9, the range of p99, and the peak RSS of each service (MiB, highest of the runs).
"""
import json
import statistics
import sys

results = [json.load(open(path)) for path in sys.argv[1:]]
labels = [r["label"] for r in results[0]["runs"]]
by_file = [{r["label"]: r for r in res["runs"]} for res in results]


def med(label, key):
    return statistics.median(f[label][key] for f in by_file if label in f)


def rng(label, key):
    values = [f[label][key] for f in by_file if label in f]
    return min(values), max(values)


def rss(label, i):
    values = [list(f[label].get("peak_rss_kib", {}).values()) for f in by_file if label in f]
    values = [v[i] / 1024 for v in values if len(v) > i]
    return "%.0f" % max(values) if values else "-"


echo = med("echo-baseline", "throughput")
print("%d runs; suite time %s s\n" % (len(results), ", ".join(str(r.get("suite_seconds", "?")) for r in results)))
print("| run | calls/s | p50 ms | p99 ms (range) | p99.9 ms | vs echo | RSS MiB (mkt, sales) |")
print("|---|---:|---:|---:|---:|---:|---:|")
for label in labels:
    if label.startswith("scale-") or label.startswith("startup"):
        continue
    if not all(label in f for f in by_file):
        continue
    lo, hi = rng(label, "p99_ms")
    ratio = "%.0f %%" % (100 * med(label, "throughput") / echo) if by_file[0][label]["workload"] not in ("handoff", "pipeline") else "—"
    print("| %s | %s | %.2f | %.1f (%.1f–%.1f) | %.1f | %s | %s, %s |" % (
        label, format(round(med(label, "throughput")), ","), med(label, "p50_ms"), med(label, "p99_ms"), lo, hi,
        med(label, "p999_ms"), ratio, rss(label, 0), rss(label, 1)))

scale = [l for l in labels if l.startswith("scale-") and "startup" not in l]
if scale:
    sizes = sorted({int(l.split("-")[1]) for l in scale})
    works = []
    for l in scale:
        w = l.split("-", 2)[2]
        if w not in works:
            works.append(w)
    print("\n| workload | " + " | ".join("%s leads: p50 / p99 ms, calls/s" % format(n, ",") for n in sizes) +
          " | p50 ratio largest/smallest |")
    print("|---|" + "---:|" * (len(sizes) + 1))
    for w in works:
        cells = []
        for n in sizes:
            l = "scale-%d-%s" % (n, w)
            cells.append("%.2f / %.2f, %s" % (med(l, "p50_ms"), med(l, "p99_ms"), format(round(med(l, "throughput")), ",")))
        first, last = "scale-%d-%s" % (sizes[0], w), "scale-%d-%s" % (sizes[-1], w)
        print("| %s | %s | %.2f× |" % (w, " | ".join(cells), med(last, "p50_ms") / med(first, "p50_ms")))
    print("\n| leads | start-up to SERVING, median of %d×3 starts (ms) | peak RSS marketing / sales (MiB) |" % len(results))
    print("|---:|---:|---:|")
    for n in sizes:
        starts = sorted(f[k]["p50_ms"] for f in by_file for k in f if k.startswith("scale-%d-startup-" % n))
        mk = max(float(rss("scale-%d-%s" % (n, w), 0)) for w in works)
        sl = max(float(rss("scale-%d-%s" % (n, w), 1)) for w in works)
        print("| %s | %d | %.0f / %.0f |" % (format(n, ","), starts[len(starts) // 2], mk, sl))
