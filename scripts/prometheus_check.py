#!/usr/bin/python3
"""Starts a real Prometheus on loopback with deploy/prometheus/rules.yml, lets it scrape
both running services, and checks what its queries answer: both targets up, the calls the
walkthrough made counted under the ecosystem's names, the recording rules evaluated, and
no alert firing on a healthy system.

usage: prometheus_check.py MARKETING_METRICS_PORT SALES_METRICS_PORT
"""
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


def query(port, expr):
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(url, timeout=5) as r:
        body = json.load(r)
    if body.get("status") != "success":
        raise RuntimeError(f"{expr}: {body}")
    return body["data"]["result"]


def main():
    marketing, sales = sys.argv[1], sys.argv[2]
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
        checks = {
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
        }
        deadline = time.time() + 30
        pending = dict(checks)
        while pending and time.time() < deadline:
            for expr, ok in list(pending.items()):
                try:
                    if ok(query(port, expr)):
                        del pending[expr]
                except OSError:
                    pass  # not listening yet
            time.sleep(0.5)
        if pending:
            log.flush()
            sys.stderr.write(open(log.name).read()[-4000:])
            sys.exit(f"prometheus check: no good answer within 30 s to {sorted(pending)}")
        firing = [a["metric"]["alertname"] for a in query(port, 'ALERTS{alertstate="firing"}')]
        if firing:
            sys.exit(f"prometheus check: alerts firing on a healthy system: {firing}")
        print(f"test: a real Prometheus scraped both services; {len(checks)} queries answered, no alert firing")
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
