"""${NODE_PORT}: a NodePort reachable from this machine, claimed per lab namespace so runs never clash.

kind maps only a few NodePorts to 127.0.0.1 (KUBELAB_NODE_PORTS, default 30080-30084, see
manifests/cluster/kind.yaml). A run claims one with the annotation kubelab.io/node-port on its
namespace; a port is free when no other namespace claims it and no Service outside this namespace
uses it. Two runs claiming at once: the namespace whose name sorts first keeps it, the other moves on.
"""
from __future__ import annotations

import os
from typing import Any, NamedTuple

from runner.cluster.client import Kube, call
from runner.cluster.objects import LAB_LABEL
from runner.errors import KubelabError
from runner.workshop.plan import LEARNER_LABEL

ANNOTATION = "kubelab.io/node-port"


class NoFreePort(KubelabError):
    """Every NodePort is claimed; str() names who holds each and what frees it."""


class Holder(NamedTuple):
    """A namespace's claim: the port, its lab (kubelab.io/lab) and workshop learner, "" when not one."""
    port: int
    lab: str = ""
    workshop_learner: str = ""


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


def what_frees(ports: list[int], namespace: str, holders: dict[str, Holder], services: dict[int, str]) -> str:
    """The error when no port is left (pure): who holds each port and the command that frees it (each kind of
    holder is freed by another: a workshop learner by the instructor, a killed verify run, a lab by its reset)."""
    said = []
    workshop = sorted({h.workshop_learner for h in holders.values() if h.workshop_learner})
    if workshop:
        said.append(f"workshop learners {', '.join(workshop)} (the instructor frees them: "
                    "`kubelab workshop down --roster FILE` naming them)")
    for ns, h in sorted(holders.items()):
        if h.workshop_learner:
            continue
        if h.lab and ns.startswith(f"lab-{h.lab}-verify"):
            said.append(f"{ns} ({h.port}, a `kubelab verify` run's; if none is running, it was killed: "
                        f"`kubelab reset {h.lab}` where it ran, with its --learner, or `kubectl delete namespace {ns}`)")
        elif h.lab:
            learner = ns.removeprefix(f"lab-{h.lab}").lstrip("-")
            said.append(f"{ns} ({h.port}: `kubelab{f' --learner {learner}' if learner else ''} reset {h.lab}`)")
        else:
            said.append(f"{ns} ({h.port}: `kubectl annotate namespace {ns} {ANNOTATION}-`)")
    claimed = {h.port for h in holders.values()}
    said += [f"Service {svc} ({p})" for p, svc in sorted(services.items()) if p in ports and p not in claimed]
    return (f"no free NodePort in {ports[0]}-{ports[-1]} for {namespace}; held by: "
            + "; ".join(said or ["Services"]))


def _holders(kube: Kube) -> dict[str, Holder]:
    out = {}
    for ns in call(kube.core.list_namespace).items:
        v = (ns.metadata.annotations or {}).get(ANNOTATION)
        if v and v.isdigit() and not ns.metadata.deletion_timestamp:
            labels = ns.metadata.labels or {}
            out[ns.metadata.name] = Holder(int(v), labels.get(LAB_LABEL, ""), labels.get(LEARNER_LABEL, ""))
    return out


def _ports_of(holders: dict[str, Holder]) -> dict[str, int]:
    return {ns: h.port for ns, h in holders.items()}


def _service_ports(kube: Kube) -> dict[tuple[str, int], str]:
    """(namespace, node port) -> namespace/name of the Service using it."""
    out = {}
    for svc in call(kube.core.list_service_for_all_namespaces).items:
        for p in svc.spec.ports or []:
            if p.node_port:
                out[(svc.metadata.namespace, p.node_port)] = f"{svc.metadata.namespace}/{svc.metadata.name}"
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
        holders, services = _holders(kube), _service_ports(kube)
        claims = _ports_of(holders)
        port = pick(ports, namespace, claims, list(services))
        if port is None:
            raise NoFreePort(what_frees(ports, namespace, holders,
                                        {p: svc for (ns, p), svc in services.items() if ns != namespace}))
        if claims.get(namespace) != port:
            body: dict[str, Any] = {"metadata": {"annotations": {ANNOTATION: str(port)}}}
            call(kube.core.patch_namespace, namespace, body)
        rivals = sorted(ns for ns, p in _ports_of(_holders(kube)).items() if p == port)
        if rivals and rivals[0] == namespace:
            return port
        call(kube.core.patch_namespace, namespace, {"metadata": {"annotations": {ANNOTATION: None}}})
    raise RuntimeError(f"could not claim a NodePort in {ports[0]}-{ports[-1]} for {namespace}")
