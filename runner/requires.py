"""What a lab needs from a cluster beyond conformant Kubernetes (lab.yaml `requires:`), and whether a cluster
offers it. Pure logic: runner/cluster/offers.py reads the cluster (once per run) into the facts judged here.

The vocabulary is small and closed on purpose: each word is something the default kind cluster has and a
conformant cluster may lack, with a reason a learner understands when it is missing.
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

# word -> what it means (docs/lab-format.md "requires", the reason shown when it is missing)
REQUIREMENTS: dict[str, str] = {
    "host-ports": "this machine reaches the cluster's ports 80/443 and the lab NodePorts on 127.0.0.1 "
                  "(kind's port mappings)",
    "shared-traefik": "the shared Traefik add-on (IngressClass and GatewayClass traefik, Service traefik "
                      "in kubelab-system)",
    "network-policy": "a network plugin that enforces NetworkPolicy",
    "metrics-api": "the metrics API (metrics.k8s.io, served by metrics-server)",
    "default-storage-class": "a default StorageClass that provisions claims",
    "worker-node": "a schedulable node without the control-plane role",
    "tainted-node": "a node tainted NoSchedule (kind's control plane)",
}

# DaemonSets (kube-system) of network plugins that enforce NetworkPolicy. A cluster whose plugin is not named
# here can say so with KUBELAB_ASSUME=network-policy.
POLICY_ENFORCERS = ("kube-router", "calico-node", "cilium", "antrea-agent", "weave-net", "canal",
                    "kube-network-policies", "anetd", "azure-npm", "aws-network-policy-agent")

CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane"


@dataclass
class ClusterFacts:
    """What offers.py read; None where the account may not read it (a workshop learner): then assumed offered,
    since the instructor chose the labs of a workshop."""
    nodes: list[dict[str, Any]] = field(default_factory=list)          # core/v1 Node objects (metadata, spec, status)
    host_ports: frozenset[int] | None = frozenset()          # ports 127.0.0.1:P -> node port P (kind's mappings)
    ingress_class_traefik: bool | None = False
    gateway_class_traefik: bool | None = False
    traefik_service: bool | None = False
    metrics_api: bool | None = False
    default_storage_class: bool | None = False
    daemonsets: list[str] | None = field(default_factory=list)   # names in kube-system
    assumed: frozenset[str] = frozenset()                    # KUBELAB_ASSUME


@dataclass
class Offers:
    """Per requirement word: None when offered, else the reason it is missing."""
    missing: dict[str, str]
    node_address: str | None = None      # InternalIP of a schedulable node (in-cluster stand-in for 127.0.0.1)
    host_ports: frozenset[int] | None = frozenset()
    kind_cluster: str | None = None       # the kind cluster's name, from the nodes' providerID

    def reasons(self, requires: Iterable[str]) -> list[str]:
        return [self.missing[r] for r in requires if r in self.missing]

    def not_runnable(self, requires: Iterable[str]) -> str | None:
        """The one line `list` and `verify` show, or None when the lab can run here."""
        why = self.reasons(requires)
        return f"not runnable on this cluster: {'; '.join(why)}" if why else None


def assumed_from_env(value: str | None = None) -> frozenset[str]:
    """KUBELAB_ASSUME=word,word: requirements to take as offered where detection cannot see them."""
    raw = os.environ.get("KUBELAB_ASSUME", "") if value is None else value
    words = {w.strip() for w in raw.replace(" ", ",").split(",") if w.strip()}
    unknown = sorted(words - set(REQUIREMENTS))
    if unknown:
        raise ValueError(f"KUBELAB_ASSUME: unknown requirement {', '.join(unknown)} "
                         f"(known: {', '.join(REQUIREMENTS)})")
    return frozenset(words)


def _schedulable(node: dict[str, Any]) -> bool:
    spec = node.get("spec") or {}
    taints = [t for t in spec.get("taints") or [] if t.get("effect") in ("NoSchedule", "NoExecute")]
    return not spec.get("unschedulable") and not taints


def _ready(node: dict[str, Any]) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (node.get("status") or {}).get("conditions") or [])


def _internal_ip(node: dict[str, Any]) -> str | None:
    for a in (node.get("status") or {}).get("addresses") or []:
        if a.get("type") == "InternalIP":
            return str(a.get("address"))
    return None


def kind_cluster_of(nodes: list[dict[str, Any]]) -> str | None:
    """kind names its nodes' providerID kind://docker/<cluster>/<node>."""
    for n in nodes:
        pid = str((n.get("spec") or {}).get("providerID") or "")
        if pid.startswith("kind://"):
            parts = pid[len("kind://"):].split("/")
            return parts[1] if len(parts) >= 3 else None
    return None


def judge(f: ClusterFacts, node_ports: Iterable[int]) -> Offers:
    """The missing requirements with their reasons (`node_ports`: the NodePorts labs claim, ${NODE_PORT})."""
    missing: dict[str, str] = {}
    ready = [n for n in f.nodes if _ready(n)]
    if f.host_ports is not None:
        want = {80, 443, *node_ports}
        if not want <= f.host_ports:
            where = "no port of the cluster" if not f.host_ports else \
                f"only {', '.join(map(str, sorted(f.host_ports)))}"
            missing["host-ports"] = f"needs ports 80, 443 and NodePorts on 127.0.0.1 of this machine ({where} " \
                                    "is mapped there: kind's extraPortMappings)"
    if False in (f.ingress_class_traefik, f.gateway_class_traefik, f.traefik_service):
        lacks = [w for w, ok in (("IngressClass traefik", f.ingress_class_traefik),
                                 ("GatewayClass traefik", f.gateway_class_traefik),
                                 ("Service kubelab-system/traefik", f.traefik_service)) if ok is False]
        missing["shared-traefik"] = f"needs the shared Traefik add-on (no {', no '.join(lacks)})"
    if f.daemonsets is not None and not set(f.daemonsets) & set(POLICY_ENFORCERS):
        missing["network-policy"] = "needs a network plugin that enforces NetworkPolicy (none of " \
                                    f"{', '.join(POLICY_ENFORCERS[:4])}... runs in kube-system; " \
                                    "KUBELAB_ASSUME=network-policy if yours does)"
    if f.metrics_api is False:
        missing["metrics-api"] = "needs the metrics API (metrics.k8s.io is not served: install metrics-server)"
    if f.default_storage_class is False:
        missing["default-storage-class"] = "needs a default StorageClass (none is annotated " \
                                           "storageclass.kubernetes.io/is-default-class=true)"
    workers = [n for n in ready if _schedulable(n) and CONTROL_PLANE_LABEL not in n["metadata"].get("labels", {})]
    if not workers:
        missing["worker-node"] = f"needs a schedulable node without the control-plane role (nodes: " \
                                 f"{', '.join(n['metadata']['name'] for n in f.nodes) or 'none'})"
    if not any(not _schedulable(n) for n in f.nodes if not (n.get("spec") or {}).get("unschedulable")):
        missing["tainted-node"] = "needs a node tainted NoSchedule beside the others (here every node takes " \
                                  "every pod)"
    for word in f.assumed:
        missing.pop(word, None)
    sched = [n for n in ready if _schedulable(n)] or ready
    return Offers(missing, _internal_ip(sched[0]) if sched else None, f.host_ports, kind_cluster_of(f.nodes))


def host_target(url_host: str | None, port: int, offers: Offers) -> str | None:
    """Where a `from: host` request to 127.0.0.1:port goes when this machine does not reach the cluster there:
    the same port on a node's address, asked from inside the cluster (a NodePort or host port answers on every
    node). None: send it from this machine as written."""
    if url_host not in ("127.0.0.1", "localhost") or offers.host_ports is None or port in offers.host_ports:
        return None
    return offers.node_address

