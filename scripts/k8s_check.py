#!/usr/bin/python3
"""Renders every overlay of deploy/k8s with `kubectl kustomize` and checks the objects an
operator relies on: native gRPC probes on the health-only port, requests and limits, the
restricted security context, a grace period longer than drain plus grace, selectors that
match the pods' labels, a ServiceAccount each, headless Services, and per overlay what it
promises (dev: one replica of each on a claim, Recreate; prod: several replicas on
PostgreSQL with autoscaling, the policy from a ConfigMap and the certificates from Secrets).

usage: k8s_check.py [KUBECTL]
"""
import os
import re
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KUBECTL = sys.argv[1] if len(sys.argv) > 1 else "kubectl"
errors = []


def fail(where, what):
    errors.append(f"{where}: {what}")


def render(overlay):
    out = subprocess.run([KUBECTL, "kustomize", os.path.join(ROOT, "deploy/k8s/overlays", overlay)],
                         check=True, capture_output=True, text=True).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def seconds(text):
    m = re.fullmatch(r"(\d+)s", text or "")
    return int(m.group(1)) if m else 0


def matches(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def check(overlay, objects):
    by_kind = {}
    for o in objects:
        by_kind.setdefault(o["kind"], []).append(o)
    deployments = by_kind.get("Deployment", [])
    if len(deployments) != 2:
        fail(overlay, f"{len(deployments)} Deployments, want 2")
    accounts = {o["metadata"]["name"] for o in by_kind.get("ServiceAccount", [])}
    pod_labels = {}
    for d in deployments:
        name = d["metadata"]["name"]
        where = f"{overlay}/Deployment/{name}"
        spec, pod = d["spec"], d["spec"]["template"]["spec"]
        labels = d["spec"]["template"]["metadata"]["labels"]
        pod_labels[name] = labels
        if not matches(spec["selector"]["matchLabels"], labels):
            fail(where, "selector does not match the pod labels")
        if pod.get("serviceAccountName") not in accounts:
            fail(where, f"ServiceAccount {pod.get('serviceAccountName')} is not rendered")
        psc = pod.get("securityContext", {})
        if not psc.get("runAsNonRoot") or psc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
            fail(where, "pod must run as non-root with seccomp RuntimeDefault")
        for c in pod["containers"]:
            cw = f"{where}/{c['name']}"
            env = {e["name"]: e.get("value") for e in c.get("env", [])}
            ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
            health = env.get("HANDOFF_HEALTH_LISTEN", "")
            if "health" not in ports or not health.endswith(f":{ports['health']}"):
                fail(cw, "needs a 'health' port that HANDOFF_HEALTH_LISTEN serves")
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                grpc = c.get(probe, {}).get("grpc")
                if not grpc or grpc.get("port") != ports.get("health"):
                    fail(cw, f"{probe} must be a native gRPC probe on the health port")
            if c.get("livenessProbe", {}).get("grpc", {}).get("service") != "liveness":
                fail(cw, "livenessProbe must ask for the 'liveness' entry (not the database's health)")
            res = c.get("resources", {})
            for part in ("requests", "limits"):
                if not {"cpu", "memory"} <= set(res.get(part, {})):
                    fail(cw, f"resources.{part} needs cpu and memory")
            sc = c.get("securityContext", {})
            if (sc.get("allowPrivilegeEscalation") is not False or not sc.get("readOnlyRootFilesystem")
                    or sc.get("capabilities", {}).get("drop") != ["ALL"]):
                fail(cw, "container must drop ALL capabilities, forbid escalation, and use a read-only root")
            drain = seconds(env.get("HANDOFF_SHUTDOWN_DRAIN")) + seconds(env.get("HANDOFF_SHUTDOWN_GRACE") or "10s")
            if pod.get("terminationGracePeriodSeconds", 30) <= drain:
                fail(cw, f"terminationGracePeriodSeconds must exceed drain + grace ({drain}s)")
            mounts = {m["name"] for m in c.get("volumeMounts", [])}
            volumes = {v["name"]: v for v in pod.get("volumes", [])}
            if not mounts <= set(volumes):
                fail(cw, f"mounts without a volume: {sorted(mounts - set(volumes))}")
            if volumes.get("tls", {}).get("secret", {}).get("secretName") != f"{name}-tls":
                fail(cw, f"certificates must come from the Secret {name}-tls")
            database = env.get("HANDOFF_DATABASE", "")
            if overlay == "dev":
                if spec.get("replicas") != 1 or spec.get("strategy", {}).get("type") != "Recreate":
                    fail(where, "SQLite has one writer: 1 replica, Recreate")
                claim = volumes.get("data", {}).get("persistentVolumeClaim", {}).get("claimName")
                if claim not in {o["metadata"]["name"] for o in by_kind.get("PersistentVolumeClaim", [])}:
                    fail(where, "the data volume must be a rendered PersistentVolumeClaim")
                if database:
                    fail(cw, "dev uses the image's SQLite default")
            if overlay == "prod":
                if spec.get("replicas", 1) < 2:
                    fail(where, "prod runs several replicas")
                if not database.startswith("postgres://") or "HANDOFF_DATABASE_PASSWORD_FILE" not in env:
                    fail(cw, "prod needs PostgreSQL with a password file")
                cm = volumes.get("authz", {}).get("configMap", {}).get("name", "")
                if cm not in {o["metadata"]["name"] for o in by_kind.get("ConfigMap", [])} or \
                        not env.get("HANDOFF_AUTHZ_POLICY", "").startswith("/etc/handoff/authz/"):
                    fail(cw, "prod reads the authorization policy from a rendered ConfigMap")
    for s in by_kind.get("Service", []):
        where = f"{overlay}/Service/{s['metadata']['name']}"
        if s["spec"].get("clusterIP") != "None":
            fail(where, "must be headless (clients balance round_robin over the pods)")
        if not any(matches(s["spec"].get("selector"), l) for l in pod_labels.values()):
            fail(where, "selector matches no pods")
    for kind in ("PodDisruptionBudget", "NetworkPolicy"):
        names = {o["metadata"]["name"] for o in by_kind.get(kind, [])}
        if names != set(pod_labels):
            fail(overlay, f"{kind} per service wanted, got {sorted(names)}")
        for o in by_kind.get(kind, []):
            sel = (o["spec"].get("selector") or o["spec"].get("podSelector") or {}).get("matchLabels")
            if not matches(sel, pod_labels.get(o["metadata"]["name"], {})):
                fail(f"{overlay}/{kind}/{o['metadata']['name']}", "selector does not match its service's pods")
    hpas = by_kind.get("HorizontalPodAutoscaler", [])
    if overlay == "prod":
        if {h["spec"]["scaleTargetRef"]["name"] for h in hpas} != set(pod_labels) or \
                any(h["apiVersion"] != "autoscaling/v2" for h in hpas):
            fail(overlay, "an autoscaling/v2 HorizontalPodAutoscaler per Deployment wanted")
    elif hpas:
        fail(overlay, "no autoscaling on SQLite")


def main():
    overlays = sorted(os.listdir(os.path.join(ROOT, "deploy/k8s/overlays")))
    counts = []
    for overlay in overlays:
        objects = render(overlay)
        check(overlay, objects)
        counts.append(f"{overlay}: {len(objects)} objects")
    if errors:
        sys.exit("k8s check failed:\n  " + "\n  ".join(errors))
    print(f"test: kubectl kustomize renders every overlay ({', '.join(counts)}); probes, limits, "
          "security contexts and selectors check out")


if __name__ == "__main__":
    main()
