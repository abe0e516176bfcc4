"""Does Service routing work on every node? A probe pod per node (DaemonSet kubelab-health in namespace
kubelab-health: shared by every learner, created on first use, never deleted by a run) sends a request
to the DNS Service's ClusterIP (CoreDNS's metrics port), the same request to a CoreDNS pod directly, and
looks the kubernetes Service up through the DNS Service. Bounded in time; a recent good result is cached for verify and run."""
from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from runner import accessors as k8s
from runner.cluster.client import Kube, call, describe_error
from runner.cluster.kubeconfig import cluster_kubeconfig
from runner.cluster.probes import CLIENT_IMAGE, pod_exec
from runner.errors import NotFound
from runner.health_logic import PROBE_SECONDS, HealthReport, NodeReport, Target, diagnose, parse_output, probe_script

NAMESPACE = "kubelab-health"
NAME = "kubelab-health"
CLUSTER_DOMAIN = "cluster.local"
METRIC = "coredns_build_info"   # what CoreDNS's metrics page holds and nothing else would
CACHE_TTL = 300.0          # seconds a good result spares verify and run a new check
START_WAIT = 90.0          # first use: probe pods must start (image preloaded; usually a few seconds)


def daemonset_manifest() -> dict[str, Any]:
    labels = {"app.kubernetes.io/name": NAME}
    return {"apiVersion": "apps/v1", "kind": "DaemonSet",
            "metadata": {"name": NAME, "namespace": NAMESPACE, "labels": labels},
            "spec": {"selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"terminationGracePeriodSeconds": 0,
                                           "tolerations": [{"operator": "Exists"}],   # every node, control plane too
                                           "containers": [{
                                               "name": "probe", "image": CLIENT_IMAGE, "imagePullPolicy": "IfNotPresent",
                                               "command": ["sh", "-c", "trap 'exit 0' TERM; sleep 2147483647 & wait"],
                                               "resources": {"requests": {"cpu": "1m", "memory": "4Mi"},
                                                             "limits": {"memory": "32Mi"}}}]}}}}


def ensure_daemonset(kube: Kube) -> None:
    ns: dict[str, Any] = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}
    docs: list[dict[str, Any]] = [ns, daemonset_manifest()]
    for doc in docs:
        res = kube.resource(doc["apiVersion"], doc["kind"])
        call(kube.dyn.server_side_apply, res, body=doc, namespace=doc["metadata"].get("namespace"),
             field_manager="kubelab-health", force_conflicts=True)


def node_states(kube: Kube) -> dict[str, bool]:
    """Node name -> Ready."""
    out = {}
    for n in call(kube.core.list_node).items:
        out[n.metadata.name] = any(c.type == "Ready" and c.status == "True" for c in n.status.conditions or [])
    return out


def probe_pods(kube: Kube) -> dict[str, str]:
    """Node name -> name of a Running probe pod on it."""
    pods = call(kube.core.list_namespaced_pod, NAMESPACE, label_selector=f"app.kubernetes.io/name={NAME}").items
    return {p.spec.node_name: p.metadata.name for p in pods
            if p.status.phase == "Running" and p.spec.node_name and not p.metadata.deletion_timestamp}


def daemonset_exists(kube: Kube) -> bool:
    try:
        call(kube.dyn.get, kube.resource("apps/v1", "DaemonSet"), name=NAME, namespace=NAMESPACE)
        return True
    except NotFound:
        return False


def wait_probe_pods(kube: Kube, nodes: list[str], wait: float, progress: Callable[[str], None]) -> dict[str, str]:
    """Probe pods by node; the first use creates them (wait up to `wait`), later a missing one gets 10s."""
    pods = probe_pods(kube)
    if all(n in pods for n in nodes):
        return pods
    if daemonset_exists(kube):
        wait = min(wait, 10.0)
    ensure_daemonset(kube)
    deadline = time.monotonic() + wait
    progress(f"starting health probe pods on {len(nodes)} node(s) (namespace {NAMESPACE})")
    while time.monotonic() < deadline:
        pods = probe_pods(kube)
        if all(n in pods for n in nodes):
            break
        time.sleep(1)
    return pods


def targets(kube: Kube) -> list[Target]:
    """CoreDNS's metrics port through the DNS Service's ClusterIP and on a CoreDNS pod directly (HTTP, so a
    busybox client can check what answered), and a lookup of the kubernetes Service through cluster DNS."""
    dns = call(kube.core.read_namespaced_service, "kube-dns", "kube-system")
    ip = dns.spec.cluster_ip
    port = next((p.port for p in dns.spec.ports if p.name == "metrics" or p.port == 9153), 9153)
    slices = kube.resource("discovery.k8s.io/v1", "EndpointSlice")
    items = call(slices.get, namespace="kube-system", label_selector="kubernetes.io/service-name=kube-dns").to_dict()
    eps = [(e["addresses"][0], next((p["port"] for p in s.get("ports") or [] if p.get("name") == "metrics"), None))
           for s in items.get("items") or [] for e in s.get("endpoints") or []
           if e.get("addresses") and k8s.section(e, "conditions").get("ready")]
    kip = call(kube.core.read_namespaced_service, "kubernetes", "default").spec.cluster_ip
    out = [Target("clusterip", "http", url=f"http://{ip}:{port}/metrics", expect=METRIC,
                  what=f"ClusterIP {ip}:{port} (Service kube-system/kube-dns)")]
    eps = [(a, p) for a, p in eps if p]
    if eps:
        out.append(Target("endpoint", "http", url=f"http://{eps[0][0]}:{eps[0][1]}/metrics", expect=METRIC,
                          what=f"{eps[0][0]}:{eps[0][1]} (a CoreDNS pod)"))
    out.append(Target("dns", "dns", lookup=f"kubernetes.default.svc.{CLUSTER_DOMAIN}", server=ip, expect=kip,
                      what=f"ClusterIP {ip}:53 (Service kube-system/kube-dns)"))
    return out


def probe_node(kube: Kube, node: str, pod: str, ts: list[Target]) -> NodeReport:
    try:
        out = pod_exec(kube, NAMESPACE, pod, ["sh", "-c", probe_script(ts)], timeout=PROBE_SECONDS + 12)
    except Exception as e:  # noqa: BLE001 - reported as this node's problem
        return NodeReport(node, pod, error=f"exec in probe pod {pod} failed: {describe_error(e)}")
    return NodeReport(node, pod, parse_output(out.stdout, ts))


def check(kube: Kube, progress: Callable[[str], None] = lambda _: None, start_wait: float = START_WAIT) -> HealthReport:
    t0 = time.monotonic()
    states = node_states(kube)
    ready = sorted(n for n, ok in states.items() if ok)
    pods = wait_probe_pods(kube, ready, start_wait, progress)
    ts = targets(kube)
    reports = [NodeReport(n, None, error="node is NotReady") for n in sorted(states) if not states[n]]
    reports += [NodeReport(n, None, error=f"no Running probe pod (kubectl -n {NAMESPACE} get pods -o wide)")
                for n in ready if n not in pods]
    with ThreadPoolExecutor(max_workers=max(1, len(pods))) as pool:
        reports += list(pool.map(lambda n: probe_node(kube, n, pods[n], ts), [n for n in ready if n in pods]))
    reports.sort(key=lambda r: r.node)
    return HealthReport(reports, time.monotonic() - t0, diagnose(reports))


def cache_file(kube: Kube) -> Path:
    base = cluster_kubeconfig().parent          # kubelab's cache folder
    key = hashlib.sha256(f"{kube.cfg.host}|{kube.context}".encode()).hexdigest()[:16]
    return base / "health" / f"{key}.json"


def recently_good(path: Path, ttl: float, now: float) -> bool:
    try:
        data = json.loads(path.read_text())
        return bool(data.get("ok")) and 0 <= now - float(data.get("at", 0)) < ttl
    except (OSError, ValueError, TypeError, AttributeError):
        return False


def remember_good(path: Path, now: float) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"ok": True, "at": now}))
        tmp.replace(path)
    except OSError:
        pass   # a cache we cannot write only costs the next run a check


def cached_check(kube: Kube, progress: Callable[[str], None] = lambda _: None, ttl: float = CACHE_TTL) -> HealthReport | None:
    """None when a good result younger than ttl is cached; else a fresh report (cached when good)."""
    path = cache_file(kube)
    if recently_good(path, ttl, time.time()):
        return None
    rep = check(kube, progress)
    if rep.ok:
        remember_good(path, time.time())
    return rep
