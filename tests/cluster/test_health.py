"""The Service routing health check against the live cluster, without breaking it: the check passes on
every node; its probe tells a Service that answers from one that does not (a real Service with no
endpoints, which kube-proxy rejects); and kube-proxy's own nft reads its Service map back the way
kube-proxy writes it (the fault that emptied the map at every full resync, docs/service-routing.md)."""
from __future__ import annotations

import json
import time

import pytest
from kubernetes import client
from test_cluster import wait_pod, web_pod  # same directory (rootdir-relative import)

from runner.cluster.client import Kube, connect
from runner.cluster.health import NAMESPACE, check, probe_node, probe_pods
from runner.cluster.probes import pod_exec
from runner.health_logic import NodeReport, Target, diagnose


@pytest.fixture(scope="module")
def kube() -> Kube:
    return connect()


def test_health_check_passes_on_every_node(kube: Kube, core: client.CoreV1Api) -> None:
    rep = check(kube)
    assert rep.ok, rep.problems
    nodes = sorted(n.metadata.name for n in core.list_node().items)
    assert [n.node for n in rep.nodes] == nodes
    for n in rep.nodes:
        assert [(r.target.name, r.ok) for r in n.results] == [("clusterip", True), ("endpoint", True), ("dns", True)], n


def test_probe_tells_answering_service_from_rejecting_one(kube: Kube, core: client.CoreV1Api, namespace: str) -> None:
    core.create_namespaced_pod(namespace, web_pod())
    for name, selector in (("web", {"app": "web"}), ("nobody", {"app": "nobody"})):
        core.create_namespaced_service(namespace, client.V1Service(
            metadata=client.V1ObjectMeta(name=name),
            spec=client.V1ServiceSpec(selector=selector, ports=[client.V1ServicePort(port=80, target_port=8080)])))
    wait_pod(core, namespace, "web", lambda p: any(c.type == "Ready" and c.status == "True"
                                                   for c in p.status.conditions or []))
    ip = {n: core.read_namespaced_service(n, namespace).spec.cluster_ip for n in ("web", "nobody")}
    check(kube)                                   # makes sure a probe pod runs on every node
    pods = probe_pods(kube)
    ts = [Target("clusterip", "http", url=f"http://{ip['nobody']}/hostname", expect="web",
                 what=f"ClusterIP {ip['nobody']}:80"),
          Target("endpoint", "http", url=f"http://{ip['web']}/hostname", expect="web", what=f"ClusterIP {ip['web']}:80")]
    deadline = time.monotonic() + 60
    while True:   # kube-proxy programs the new Services shortly after the endpoint is ready
        reports = [probe_node(kube, node, pod, ts) for node, pod in sorted(pods.items())]
        if all(r.results and r.results[1].ok for r in reports) or time.monotonic() > deadline:
            break
        time.sleep(1)
    for r in reports:
        assert not r.error, r.error
        rejected, answered = r.results
        assert answered.ok, (r.node, answered.detail)
        assert not rejected.ok and "refused" in rejected.detail.lower(), (r.node, rejected.detail)
        (problem,) = diagnose([NodeReport(r.node, r.pod, [rejected, answered])])
        assert problem.startswith(f"node {r.node}: Service routing broken") and ip["nobody"] in problem


def kube_proxy_pods(core: client.CoreV1Api) -> dict[str, str]:
    pods = core.list_namespaced_pod("kube-system", label_selector="k8s-app=kube-proxy").items
    return {p.spec.node_name: p.metadata.name for p in pods if p.status.phase == "Running"}


def test_kube_proxy_reads_its_service_map_back_as_written(kube: Kube, core: client.CoreV1Api) -> None:
    """kube-proxy's full resync lists service-ips with its own nft and deletes every key it does not
    recognise: a key must come back as it wrote it ("tcp", not 6), or the resync empties the map."""
    svc = core.read_namespaced_service("kubernetes", "default")
    want = [svc.spec.cluster_ip, "tcp", svc.spec.ports[0].port]
    pods = kube_proxy_pods(core)
    assert sorted(pods) == sorted(n.metadata.name for n in core.list_node().items), pods
    for node, pod in sorted(pods.items()):
        out = pod_exec(kube, "kube-system", pod, ["nft", "-j", "list", "map", "ip", "kube-proxy", "service-ips"])
        assert out.exit_code == 0, (node, out.stderr)
        elems = next(o["map"].get("elem", []) for o in json.loads(out.stdout)["nftables"] if "map" in o)
        keys = [e[0]["concat"] for e in elems]
        assert want in keys, f"{node}: kube-proxy's nft lists {keys[:4]}..., not {want}"


def test_health_namespace_is_not_a_lab_namespace(core: client.CoreV1Api) -> None:
    """The probe pods live outside every lab namespace, so no lab reset ever removes them."""
    ns = core.read_namespace(NAMESPACE)
    assert not any(k.startswith("kubelab.io/") for k in (ns.metadata.labels or {})), ns.metadata.labels
