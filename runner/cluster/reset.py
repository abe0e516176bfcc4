"""Remove everything a lab run left: its namespace, labelled cluster-scoped objects, volumes bound to its
claims (the lab's declared cleanup actions run before, in the engine).

Two halves, so cleanup does not hold up the next lab: `start_reset` issues the deletions and returns at once;
`sweep` waits, on watches, until everything of one or more runs is gone and returns what is still there.
Only objects carrying the run's `kubelab.io/namespace=<namespace>` label (and volumes bound to claims in that
namespace) are touched: never what another run, or anyone else, created.
"""
from __future__ import annotations

import threading
import time
from typing import Any

from runner import accessors as k8s
from runner.cluster.client import Kube, call
from runner.cluster.informer import Informers
from runner.cluster.objects import NS_LABEL
from runner.errors import NotFound

# Cluster-scoped kinds a lab may create; plus any cluster-scoped kind found in the lab's manifests.
COMMON_CLUSTER_KINDS = [
    ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    ("v1", "PersistentVolume"),
    ("networking.k8s.io/v1", "IngressClass"),
    ("storage.k8s.io/v1", "StorageClass"),
    ("scheduling.k8s.io/v1", "PriorityClass"),
    ("v1", "Namespace"),
]
PV_RELEASE_WAIT = 30.0   # a provisioner deletes the volume of a deleted claim itself; after this we delete it


def _cluster_kinds(kube: Kube, extra: list[tuple[str, str]]) -> list[tuple[str, str]]:
    out = []
    for api_version, kind in dict.fromkeys(COMMON_CLUSTER_KINDS + extra):
        try:
            if not kube.resource(api_version, kind).namespaced:
                out.append((api_version, kind))
        except ValueError:
            continue
    return out


def delete_labelled(kube: Kube, namespace: str, kinds: list[tuple[str, str]]) -> list[str]:
    removed = []
    for api_version, kind in _cluster_kinds(kube, kinds):
        res = kube.resource(api_version, kind)
        items = call(res.get, label_selector=f"{NS_LABEL}={namespace}").to_dict().get("items") or []
        for obj in items:
            name = obj["metadata"]["name"]
            try:
                call(res.delete, name=name)
                removed.append(f"{kind}/{name}")
            except NotFound:
                pass
    return list(dict.fromkeys(removed))


def start_reset(kube: Kube, namespace: str, extra_kinds: list[tuple[str, str]], zero_grace: bool = True) -> list[str]:
    """Issue the deletions of one run and return without waiting for them to finish."""
    removed = delete_labelled(kube, namespace, extra_kinds)
    try:
        # Only a namespace this runner labelled for this run: a name clash must never delete someone else's.
        ns = call(kube.resource("v1", "Namespace").get, name=namespace).to_dict()
    except NotFound:
        return removed
    if k8s.labels(ns).get(NS_LABEL) != namespace:
        raise RuntimeError(f"namespace {namespace} was not created by kubelab for this run: not deleting it")
    try:
        call(kube.resource("v1", "Namespace").delete, name=namespace, propagation_policy="Background")
    except NotFound:
        return removed
    if f"Namespace/{namespace}" not in removed:
        removed.append(f"Namespace/{namespace}")
    if zero_grace:
        # The namespace is Terminating (nothing new can be created in it); its pods would otherwise each wait
        # out their terminationGracePeriodSeconds before the namespace can go.
        try:
            # through discovery, not CoreV1Api: importing that module costs half a second of CPU per run
            call(kube.resource("v1", "Pod").delete, namespace=namespace, field_selector=f"metadata.namespace={namespace}",
                 grace_period_seconds=0)
        except Exception:  # noqa: BLE001 - an optimisation only: the namespace deletion removes them anyway
            pass
    return removed


def _bound_here(pv: dict[str, Any], namespaces: set[str]) -> bool:
    return k8s.dig(pv, "spec", "claimRef").get("namespace") in namespaces


def sweep(kube: Kube, runs: dict[str, list[tuple[str, str]]], timeout: float = 180.0) -> dict[str, list[str]]:
    """Wait (on watches) until every namespace in `runs`, its labelled cluster-scoped objects and the volumes
    bound to its claims are gone. Returns, per namespace, what is still there after `timeout` ({} = clean)."""
    if not runs:
        return {}
    names = set(runs)
    sel = f"{NS_LABEL} in ({','.join(sorted(names))})"
    kinds = _cluster_kinds(kube, [k for ks in runs.values() for k in ks])
    infs = Informers(kube)
    try:
        labelled = [(kind, infs.get(api_version, kind, None, sel)) for api_version, kind in kinds]
        pvs = infs.get("v1", "PersistentVolume", None)
        first_released: dict[str, float] = {}
        deadline = time.monotonic() + timeout
        changed = threading.Event()
        for inf in [i for _, i in labelled] + [pvs]:
            inf.add_listener(lambda _objs: changed.set())
        while True:
            changed.clear()
            left: dict[str, list[str]] = {}
            for kind, inf in labelled:
                for o in inf.objects():
                    run = k8s.labels(o).get(NS_LABEL, "")
                    left.setdefault(run, []).append(f"{kind}/{o['metadata']['name']}")
            namespaces_left = {n.split("/", 1)[1] for items in left.values() for n in items if n.startswith("Namespace/")}
            for pv in pvs.objects():
                if not _bound_here(pv, names):
                    continue
                name = pv["metadata"]["name"]
                claim_ns = pv["spec"]["claimRef"]["namespace"]
                left.setdefault(claim_ns, []).append(f"PersistentVolume/{name}")
                if claim_ns not in namespaces_left:
                    # its claim is gone: give the provisioner time to delete it, then delete a retained one
                    t = first_released.setdefault(name, time.monotonic())
                    if time.monotonic() - t > PV_RELEASE_WAIT and not k8s.deleting(pv):
                        try:
                            call(kube.resource("v1", "PersistentVolume").delete, name=name)
                        except NotFound:
                            pass
            left = {run: list(dict.fromkeys(items)) for run, items in left.items()}
            remaining = deadline - time.monotonic()
            if not left or remaining <= 0:
                return left
            changed.wait(min(remaining, 2.0))   # any watch event; at least every 2 s for the PV release clock
    finally:
        infs.stop()


def reset_namespace(kube: Kube, namespace: str, extra_kinds: list[tuple[str, str]], timeout: float = 180.0,
                    zero_grace: bool = True) -> list[str]:
    """start_reset + sweep of one run; raises TimeoutError naming what is left."""
    removed = start_reset(kube, namespace, extra_kinds, zero_grace)
    left = sweep(kube, {namespace: extra_kinds}, timeout).get(namespace)
    if left:
        raise TimeoutError(f"still there after {timeout:.0f}s: {', '.join(left)}")
    return removed


def leftovers(kube: Kube, namespace: str, extra_kinds: list[tuple[str, str]]) -> list[str]:
    """What of this lab run still exists (used by tests and `reset` to prove it is clean)."""
    left = []
    try:
        call(kube.resource("v1", "Namespace").get, name=namespace)
        left.append(f"Namespace/{namespace}")
    except NotFound:
        pass
    for api_version, kind in _cluster_kinds(kube, extra_kinds):    # Namespace too: a run's second namespace
        items = call(kube.resource(api_version, kind).get, label_selector=f"{NS_LABEL}={namespace}").to_dict().get("items") or []
        left += [f"{kind}/{o['metadata']['name']}" for o in items]
    for pv in call(kube.resource("v1", "PersistentVolume").get).to_dict().get("items") or []:
        if _bound_here(pv, {namespace}):
            left.append(f"PersistentVolume/{pv['metadata']['name']}")
    return list(dict.fromkeys(left))
