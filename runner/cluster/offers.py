"""What the target cluster offers of the labs' `requires:` (runner/requires.py judges it): read once per run,
a handful of cheap reads (nodes, two classes, one Service, DaemonSets of kube-system, StorageClasses, API
discovery) plus one `docker inspect` of a kind cluster's nodes for its port mappings. A read the account may
not make (a workshop learner) counts as offered: the instructor chose the workshop's labs."""
from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from runner import accessors as k8s
from runner import offers_cache
from runner.cluster.client import Kube, api_budget, call, status_of, translated
from runner.cluster.nodeports import port_range
from runner.requires import ClusterFacts, Offers, assumed_from_env, judge, kind_cluster_of

BUDGET = 10.0    # seconds of API outage tolerated per read: detection must not hold a run for minutes


def _read(fn: Callable[[], Any]) -> Any:
    """The read's answer; False when the object or its kind does not exist; None when forbidden."""
    try:
        with api_budget(BUDGET):
            return fn()
    except Exception as e:  # noqa: BLE001 - only the status matters here
        st = status_of(e)
        if st == 404:
            return False
        if st in (401, 403):
            return None
        raise


def host_ports(kind_cluster: str | None, node_names: list[str]) -> frozenset[int]:
    """Ports P that this machine reaches as 127.0.0.1:P on a node of this kind cluster at its own port P."""
    if not kind_cluster or not node_names or not shutil.which("docker"):
        return frozenset()
    try:
        out = subprocess.run(["docker", "inspect", "-f", "{{json .HostConfig.PortBindings}}", *node_names],
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return frozenset()
    ports: set[int] = set()
    for line in out.stdout.splitlines():
        try:
            bindings = json.loads(line) or {}
        except ValueError:
            continue
        for key, binds in bindings.items():
            port, _, proto = key.partition("/")
            for b in binds or []:
                if proto == "tcp" and b.get("HostPort") == port and b.get("HostIp") in ("127.0.0.1", "0.0.0.0", ""):
                    ports.add(int(port))
    return frozenset(ports)


def facts(kube: Kube) -> ClusterFacts:
    def get(path: str) -> Any:
        """The object or list at path as plain JSON: no typed API modules or models (importing CoreV1Api alone
        takes 0.5 s of CPU)."""
        return call(kube.dyn.request, "GET", path, serializer=lambda _client, data: data)

    def discovery(path: str) -> Any:
        """One GET, no retries: an aggregated API that is registered but down answers 503, i.e. not served."""
        try:
            with translated():     # what is raised leaves runner/cluster/ as a kubelab error
                return kube.dyn.request("GET", path, _request_timeout=(5.0, 10.0))
        except Exception as e:  # noqa: BLE001 - the status decides
            st = status_of(e)
            if st is not None and st >= 500:
                return False
            raise

    reads: dict[str, Callable[[], Any]] = {
        "nodes": lambda: get("/api/v1/nodes"),
        "daemonsets": lambda: get("/apis/apps/v1/namespaces/kube-system/daemonsets"),
        "classes": lambda: get("/apis/storage.k8s.io/v1/storageclasses"),
        "ingress_class": lambda: get("/apis/networking.k8s.io/v1/ingressclasses/traefik"),
        "gateway_class": lambda: get("/apis/gateway.networking.k8s.io/v1/gatewayclasses/traefik"),
        "traefik": lambda: get("/api/v1/namespaces/kubelab-system/services/traefik"),
        "metrics": lambda: discovery("/apis/metrics.k8s.io/v1beta1"),
    }
    with ThreadPoolExecutor(len(reads)) as pool:     # at once: on a loaded API server one read can take seconds
        futures = {k: pool.submit(_read, fn) for k, fn in reads.items()}
        got = {k: f.result() for k, f in futures.items()}
    nodes: list[dict[str, Any]] = got["nodes"]["items"] if got["nodes"] else []

    def exists(key: str) -> bool | None:
        return None if got[key] is None else got[key] is not False

    classes, daemonsets = got["classes"], got["daemonsets"]
    return ClusterFacts(
        nodes=nodes,
        host_ports=host_ports(kind_cluster_of(nodes), [n["metadata"]["name"] for n in nodes]),
        ingress_class_traefik=exists("ingress_class"),
        gateway_class_traefik=exists("gateway_class"),
        traefik_service=exists("traefik"),
        metrics_api=exists("metrics"),
        default_storage_class=None if classes is None else any(
            k8s.annotations(c).get("storageclass.kubernetes.io/is-default-class") == "true"
            for c in (classes["items"] if classes else [])),
        daemonsets=None if daemonsets is None else [k8s.name(d) for d in (daemonsets["items"] if daemonsets else [])],
        assumed=assumed_from_env(),
    )


def offers(kube: Kube) -> Offers:
    """Once per Kube (one run): later calls return the first answer. Each reading is also kept for `kubelab
    list` (runner/offers_cache.py), which then needs neither the client nor the API for some minutes."""
    cached: Offers | None = getattr(kube, "_kubelab_offers", None)
    if cached is None:
        cached = judge(facts(kube), port_range())
        setattr(kube, "_kubelab_offers", cached)    # noqa: B010 - a per-connection memo, not a Kube field
        key = offers_cache.key(kube.kubeconfig, kube.context)
        if key:
            offers_cache.save(key, cached)
    return cached
