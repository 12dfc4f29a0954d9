#!/usr/bin/python3
"""Checks what a real Prometheus with deploy/prometheus/rules.yml answers about both
running services after the walkthrough: both targets up, the calls the walkthrough made
counted under the ecosystem's names, the recording rules evaluated, and no alert firing
on a healthy system.

usage: prometheus_check.py MARKETING_METRICS_PORT SALES_METRICS_PORT
         starts its own Prometheus on loopback that scrapes both ports every second
       prometheus_check.py --prometheus HOST:PORT [--timeout SECONDS]
         asks a Prometheus that already scrapes them (compose; its interval is 15 s)
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def query(address, expr):
    url = f"http://{address}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(url, timeout=5) as r:
        body = json.load(r)
    if body.get("status") != "success":
        raise RuntimeError(f"{expr}: {body}")
    return body["data"]["result"]


CHECKS = {
    'up{job="marketing-service"}': lambda r: r and float(r[0]["value"][1]) == 1,
    'up{job="sales-service"}': lambda r: r and float(r[0]["value"][1]) == 1,
    'sum(grpc_server_handled_total{job="marketing-service",grpc_method="CaptureLead",grpc_code="OK"})':
        lambda r: r and float(r[0]["value"][1]) >= 2,
    'sum(grpc_server_handled_total{job="sales-service",grpc_service="handoff.sales.v1.HandoffService"})':
        lambda r: r and float(r[0]["value"][1]) >= 1,
    'sum(grpc_client_handled_total{job="sales-service",grpc_method="ReportOutcome"})':
        lambda r: r and float(r[0]["value"][1]) >= 1,
    'count(handoff:grpc_server_handled:rate5m{job="marketing-service"})': lambda r: r and float(r[0]["value"][1]) > 0,
    'handoff_build_info{job="sales-service"}': lambda r: r and r[0]["metric"].get("service") == "sales-service",
    # Business figures: the walkthrough's deals are closed, so none is open and none breached.
    'count(handoff_pipeline_open_opportunities{job="sales-service"} == 0)': lambda r: r and float(r[0]["value"][1]) == 5,
    'handoff_sla_breaches_total{job="sales-service",kind="accept"}': lambda r: r and float(r[0]["value"][1]) == 0,
}


def check(address, timeout, log_path=None):
    """Polls until every check holds, then fails on any firing alert; exits on failure."""
    deadline = time.time() + timeout
    pending = dict(CHECKS)
    while pending and time.time() < deadline:
        for expr, ok in list(pending.items()):
            try:
                if ok(query(address, expr)):
                    del pending[expr]
            except OSError:
                pass  # not listening yet
        time.sleep(0.5)
    if pending:
        if log_path:
            sys.stderr.write(open(log_path).read()[-4000:])
        sys.exit(f"prometheus check: no good answer within {timeout} s to {sorted(pending)}")
    firing = [a["metric"]["alertname"] for a in query(address, 'ALERTS{alertstate="firing"}')]
    if firing:
        sys.exit(f"prometheus check: alerts firing on a healthy system: {firing}")
    print(f"test: a real Prometheus scraped both services; {len(CHECKS)} queries answered, no alert firing")


def own_prometheus(marketing, sales):
    work = tempfile.mkdtemp(prefix="handoff-prometheus-")
    port = free_port()
    shutil.copy(os.path.join(ROOT, "deploy/prometheus/rules.yml"), work)
    with open(os.path.join(work, "prometheus.yml"), "w") as f:
        f.write(f"""global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [rules.yml]
scrape_configs:
  - job_name: marketing-service
    static_configs: [{{targets: ["127.0.0.1:{marketing}"]}}]
  - job_name: sales-service
    static_configs: [{{targets: ["127.0.0.1:{sales}"]}}]
""")
    log = open(os.path.join(work, "prometheus.log"), "w")
    server = subprocess.Popen(
        ["prometheus", f"--config.file={work}/prometheus.yml", f"--storage.tsdb.path={work}/data",
         f"--web.listen-address=127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT)
    try:
        check(f"127.0.0.1:{port}", 30, log.name)
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("ports", nargs="*", help="MARKETING_METRICS_PORT SALES_METRICS_PORT")
    parser.add_argument("--prometheus", help="HOST:PORT of a Prometheus that scrapes both services")
    parser.add_argument("--timeout", type=float, default=30)
    args = parser.parse_args()
    if args.prometheus:
        check(args.prometheus, args.timeout)
    elif len(args.ports) == 2:
        own_prometheus(*args.ports)
    else:
        parser.error("give both metrics ports, or --prometheus")


if __name__ == "__main__":
    main()
