"""${NODE_PORT}: a NodePort reachable from this machine, claimed per lab namespace so runs never clash.

kind maps only a few NodePorts to 127.0.0.1 (KUBELAB_NODE_PORTS, default 30080-30084, see
manifests/cluster/kind.yaml). A run claims one with the annotation kubelab.io/node-port on its
namespace; a port is free when no other namespace claims it and no Service outside this namespace
uses it. Two runs claiming at once: the namespace whose name sorts first keeps it, the other moves on.
"""
from __future__ import annotations

import os
from typing import Any

from runner.cluster.client import Kube, call

ANNOTATION = "kubelab.io/node-port"


def port_range() -> list[int]:
    lo, _, hi = os.environ.get("KUBELAB_NODE_PORTS", "30080-30084").partition("-")
    return list(range(int(lo), int(hi or lo) + 1))


def pick(ports: list[int], namespace: str, claims: dict[str, int], services: list[tuple[str, int]]) -> int | None:
    """The port for `namespace` (pure): its own claim, else the first free one."""
    if namespace in claims and claims[namespace] in ports:
        return claims[namespace]
    taken = {p for ns, p in claims.items() if ns != namespace} | {p for ns, p in services if ns != namespace}
    mine = [p for ns, p in services if ns == namespace and p in ports and p not in taken]
    free = mine + [p for p in ports if p not in taken]
    return free[0] if free else None


def _claims(kube: Kube) -> dict[str, int]:
    out = {}
    for ns in call(kube.core.list_namespace).items:
        v = (ns.metadata.annotations or {}).get(ANNOTATION)
        if v and v.isdigit() and not ns.metadata.deletion_timestamp:
            out[ns.metadata.name] = int(v)
    return out


def _services(kube: Kube) -> list[tuple[str, int]]:
    out = []
    for svc in call(kube.core.list_service_for_all_namespaces).items:
        for p in svc.spec.ports or []:
            if p.node_port:
                out.append((svc.metadata.namespace, p.node_port))
    return out


def current(kube: Kube, namespace: str) -> int | None:
    """The port this namespace claimed, without claiming (None if none or no namespace)."""
    try:
        ns = call(kube.core.read_namespace, namespace)
    except Exception:  # noqa: BLE001 - no namespace yet: nothing claimed
        return None
    v = (ns.metadata.annotations or {}).get(ANNOTATION)
    return int(v) if v and v.isdigit() else None


def claim(kube: Kube, namespace: str) -> int:
    ports = port_range()
    for _ in range(len(ports) + 1):
        claims = _claims(kube)
        port = pick(ports, namespace, claims, _services(kube))
        if port is None:
            users = ", ".join(f"{ns}={p}" for ns, p in sorted(claims.items())) or "Services"
            raise RuntimeError(f"no free NodePort in {ports[0]}-{ports[-1]} (claimed by {users}); "
                               "`kubelab reset` the labs you are not using")
        if claims.get(namespace) != port:
            body: dict[str, Any] = {"metadata": {"annotations": {ANNOTATION: str(port)}}}
            call(kube.core.patch_namespace, namespace, body)
        rivals = sorted(ns for ns, p in _claims(kube).items() if p == port)
        if rivals and rivals[0] == namespace:
            return port
        call(kube.core.patch_namespace, namespace, {"metadata": {"annotations": {ANNOTATION: None}}})
    raise RuntimeError(f"could not claim a NodePort in {ports[0]}-{ports[-1]} for {namespace}")
