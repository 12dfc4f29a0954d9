#!/usr/bin/env python3
"""Turns the JSON lines of a bench/run.sh suite into the table, the result JSON and plots.

Usage: report.py RUNS_JSONL OUT_JSON PLOT_PREFIX SUITE_SECONDS
Ratios: every run's throughput to the echo baseline's; closed-loop captures also to their
backend's store-one-per-tx limit (runs labelled pg- ran on PostgreSQL, and also to pgbench's
pg-raw-insert-tx); scale runs to the same workload at the
smallest size (latency and throughput). Plots (gnuplot, PNG): PLOT_PREFIX-latency.png
(p50/p99 of CaptureLead and echo against offered load) and PLOT_PREFIX-scale.png (p50 of
each read and report against the number of leads).
"""
import json
import os
import platform
import re
import subprocess
import sys
import tempfile

runs_path, out_path, plot_prefix, suite_seconds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
runs = [json.loads(line) for line in open(runs_path)]
by = {r["label"]: r for r in runs}
echo = by["echo-baseline"]["throughput"]


def backend_prefix(label):
    """Runs on PostgreSQL are labelled pg-...; the others ran on SQLite."""
    return "pg-" if label.startswith("pg-") else ""


def rss_mib(r, i):
    v = list(r.get("peak_rss_kib", {}).values())
    return v[i] / 1024 if len(v) > i else None


for r in runs:
    r["throughput_ratio_to_echo"] = round(r["throughput"] / echo, 3) if echo else None
    if r["workload"] == "capture" and r["mode"] == "closed":
        prefix = backend_prefix(r["label"])
        store = by.get(prefix + "store-one-per-tx")
        if store:
            r["throughput_ratio_to_store"] = round(r["throughput"] / store["throughput"], 3)
        if prefix and "pg-raw-insert-tx" in by:
            r["throughput_ratio_to_raw_insert_tx"] = round(r["throughput"] / by["pg-raw-insert-tx"]["throughput"], 3)

# Scale: label scale-N-workload.
scale = {}
for r in runs:
    m = re.match(r"scale-(\d+)-(.+)$", r["label"])
    if m and r["workload"] != "startup":
        scale.setdefault(m.group(2), {})[int(m.group(1))] = r
sizes = sorted({n for w in scale.values() for n in w})
for w, at in scale.items():
    base = at[sizes[0]]
    for n, r in at.items():
        r["leads"] = n
        r["p50_ratio_to_smallest"] = round(r["p50_ms"] / base["p50_ms"], 2) if base["p50_ms"] else None
        r["throughput_ratio_to_smallest"] = round(r["throughput"] / base["throughput"], 2) if base["throughput"] else None

def instr(label):
    r = by.get(label)
    return r["instructions_per_call"] if r else None


# The targets of issue 17, each against its baseline of this run: (name, measured, target,
# met, how it is read). Missing runs (a backend left out, INSTRUCTIONS=0) give no line.
targets = []


def target(name, measured, limit, met, unit):
    targets.append({"target": name, "measured": round(measured, 3), "limit": round(limit, 3), "met": bool(met),
                    "unit": unit})


for w in ("capture", "touch"):
    at = scale.get(w, {})
    if sizes and sizes[0] in at and sizes[-1] in at and sizes[-1] != sizes[0]:
        # Cost per call as the time of one call: p50 latency at the same concurrency.
        ratio = at[sizes[-1]]["p50_ms"] / at[sizes[0]]["p50_ms"] if at[sizes[0]]["p50_ms"] else 0
        target("%s p50 at %d leads / at %d leads" % (w, sizes[-1], sizes[0]), ratio, 1.3, ratio <= 1.3, "x")
if instr("instr-capture") and instr("instr-echo-stack"):
    ratio = instr("instr-capture") / instr("instr-echo-stack")
    target("instructions per CaptureLead / per echo", ratio, 4.0, ratio <= 4.0, "x")
if instr("instr-touch-50") and instr("instr-touch-1"):
    ratio = instr("instr-touch-50") / instr("instr-touch-1")
    target("instructions per RecordTouch, 50 touches / 1 touch", ratio, 1.5, ratio <= 1.5, "x")
if "capture-max" in by:
    ratio = by["capture-max"]["throughput"] / echo
    target("SQLite: capture-max / echo-baseline", ratio, 0.25, ratio >= 0.25, "share")
if "pg-capture-max" in by and "pg-raw-insert-tx" in by:
    ratio = by["pg-capture-max"]["throughput"] / by["pg-raw-insert-tx"]["throughput"]
    target("PostgreSQL: pg-capture-max / pg-raw-insert-tx", ratio, 0.5, ratio >= 0.5, "share")
fsync = by.get("disk-fdatasync")
for prefix, backend in (("", "SQLite"), ("pg-", "PostgreSQL")):
    half = by.get(prefix + "capture-at-50%")
    if half and fsync:
        limit = max(5.0, 2 * fsync["p99_ms"])
        target("%s: capture-at-50%% p99 (ms) <= max(5, 2 x fdatasync p99 %.2f)" % (backend, fsync["p99_ms"]),
               half["p99_ms"], limit, half["p99_ms"] <= limit, "ms")
    for label, limit in (("handoff-at-200/s", 50.0), ("pipeline-at-50/s", 100.0)):
        r = by.get(prefix + label)
        if r:
            target("%s: %s%s p99 (ms)" % (backend, prefix, label), r["p99_ms"], limit,
                   r["p99_ms"] < limit and r["errors"] == 0, "ms")

result = {
    "machine": {"cores": os.cpu_count(), "kernel": platform.release()},
    "suite_seconds": suite_seconds,
    "runs": runs,
    "targets": targets,
}
json.dump(result, open(out_path, "w"), indent=2)

print("\n%-28s %10s %8s %8s %8s %8s %7s %7s" % ("run", "calls/s", "p50 ms", "p99 ms", "p99.9", "vs echo", "errors", "RSS MiB"))
for r in runs:
    if r["workload"] in ("startup", "instructions") or r["label"].startswith("scale-"):
        continue
    ratio = "%7.0f%%" % (100 * r["throughput_ratio_to_echo"]) if r["workload"] not in ("handoff", "pipeline") else "-"
    rss = rss_mib(r, 0)
    print("%-28s %10.0f %8.2f %8.2f %8.2f %8s %7d %7s" % (r["label"], r["throughput"], r["p50_ms"], r["p99_ms"],
          r["p999_ms"], ratio, r["errors"], "%.0f" % rss if rss else "-"))
print()
for prefix, backend in (("", "SQLite"), ("pg-", "PostgreSQL")):
    cap = by.get(prefix + "capture-max")
    if not cap:
        continue
    line = "%s: %scapture-max is %.0f%% of echo and %.0f%% of the store's one-capture-per-transaction limit" % (
        backend, prefix, 100 * cap["throughput_ratio_to_echo"], 100 * cap.get("throughput_ratio_to_store", 0))
    if "throughput_ratio_to_raw_insert_tx" in cap:
        line += ", %.0f%% of PostgreSQL's raw insert-transaction limit (pgbench)" % (
            100 * cap["throughput_ratio_to_raw_insert_tx"])
    print(line)

if scale:
    print("\nscale (reads closed loop x8, reports x1; ratios to %d leads)" % sizes[0])
    print("%-18s %10s %10s %8s %8s %10s %10s %10s" % ("workload", "leads", "calls/s", "p50 ms", "p99 ms", "p50 ratio", "mkt MiB", "sales MiB"))
    for w in sorted(scale):
        for n in sizes:
            r = scale[w].get(n)
            if r is None:
                continue
            print("%-18s %10d %10.0f %8.2f %8.2f %9.2fx %10.0f %10.0f" % (w, n, r["throughput"], r["p50_ms"], r["p99_ms"],
                  r["p50_ratio_to_smallest"] or 0, rss_mib(r, 0) or 0, rss_mib(r, 1) or 0))
for label in ["startup"] + ["scale-%d-startup" % n for n in sizes]:
    starts = sorted(r["p50_ms"] for r in runs if r["workload"] == "startup" and r["label"].rsplit("-", 1)[0] == label)
    if starts:
        leads = next(r["leads"] for r in runs if r["workload"] == "startup" and r["label"].rsplit("-", 1)[0] == label)
        print("start-up to SERVING, %s leads: median %d ms (of %s)" % (leads, starts[len(starts) // 2], starts))
instr_runs = [r for r in runs if r["workload"] == "instructions"]
if instr_runs:
    print("\ninstructions per call (callgrind, one call at a time; ratio to echo through the stack)")
    for r in instr_runs:
        print("%-22s %12.0f %8.2fx" % (r["label"], r["instructions_per_call"],
              r["instructions_per_call"] / instr("instr-echo-stack") if instr("instr-echo-stack") else 0))
if targets:
    print("\ntargets (issue 17), against this run's baselines")
    for t in targets:
        print("%-72s %9.3f  limit %8.3f  %s" % (t["target"], t["measured"], t["limit"], "met" if t["met"] else "MISSED"))
print("\nsuite took %d s; written: %s" % (suite_seconds, out_path))

# Plots.
def gnuplot(script):
    subprocess.run(["gnuplot"], input=script, text=True, check=True)


with tempfile.TemporaryDirectory() as tmp:
    lat = os.path.join(tmp, "latency.dat")
    with open(lat, "w") as f:
        for pct in (25, 50, 75, 90, 100):
            c, e = by.get("capture-at-%d%%" % pct), by.get("echo-at-%d%%" % pct)
            if c and e:
                offered = c["rate"]
                f.write("%f %f %f %f %f\n" % (offered, c["p50_ms"], c["p99_ms"], e["p50_ms"], e["p99_ms"]))
    gnuplot("""
set terminal pngcairo size 900,540 noenhanced
set output '%s-latency.png'
set title 'CaptureLead vs the echo baseline: latency against offered load (open loop, %d cores shared)'
set xlabel 'offered load (calls/s; the last point is the closed-loop maximum)'
set ylabel 'latency (ms)'
set logscale y
set key top left
set grid
plot '%s' using 1:3 with linespoints title 'CaptureLead p99', \\
     '%s' using 1:2 with linespoints title 'CaptureLead p50', \\
     '%s' using 1:5 with linespoints title 'echo p99', \\
     '%s' using 1:4 with linespoints title 'echo p50'
""" % (plot_prefix, os.cpu_count(), lat, lat, lat, lat))
    if scale:
        files = []
        for w in sorted(scale):
            path = os.path.join(tmp, "scale-%s.dat" % w)
            with open(path, "w") as f:
                for n in sizes:
                    if n in scale[w]:
                        f.write("%d %f %f\n" % (n, scale[w][n]["p50_ms"], scale[w][n]["p99_ms"]))
            files.append((w, path))
        plots = ", ".join("'%s' using 1:2 with linespoints title '%s p50'" % (p, w) for w, p in files)
        gnuplot("""
set terminal pngcairo size 900,540 noenhanced
set output '%s-scale.png'
set title 'Reads (closed loop x8) and reports (one at a time) against data size'
set xlabel 'leads (5 touches each)'
set ylabel 'p50 latency (ms)'
set logscale x
set logscale y
set key top left
set grid
plot %s
""" % (plot_prefix, plots))
print("plots: %s-latency.png, %s-scale.png" % (plot_prefix, plot_prefix))
