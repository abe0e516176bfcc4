"""Remove everything a lab run left: its namespace (waited for until gone), labelled cluster-scoped
objects, volumes bound to its claims, and the lab's declared cleanup actions."""
from __future__ import annotations

import time
from typing import Any

from kubernetes.dynamic.exceptions import NotFoundError

from runner.cluster.client import Kube, call
from runner.cluster.objects import NS_LABEL

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


def delete_labelled(kube: Kube, namespace: str, kinds: list[tuple[str, str]]) -> list[str]:
    removed = []
    for api_version, kind in dict.fromkeys(kinds):
        try:
            res = kube.resource(api_version, kind)
        except ValueError:
            continue
        if res.namespaced:
            continue
        items = call(res.get, label_selector=f"{NS_LABEL}={namespace}").to_dict().get("items") or []
        for obj in items:
            name = obj["metadata"]["name"]
            try:
                call(res.delete, name=name)
                removed.append(f"{kind}/{name}")
            except NotFoundError:
                pass
    return list(dict.fromkeys(removed))


def _wait_gone(fetch: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            fetch()
        except NotFoundError:
            return True
        time.sleep(0.5)  # deletion completion has no event of its own besides NotFound; short poll
    return False


def reset_namespace(kube: Kube, namespace: str, extra_kinds: list[tuple[str, str]], timeout: float = 180.0) -> list[str]:
    ns_res = kube.resource("v1", "Namespace")
    removed = delete_labelled(kube, namespace, COMMON_CLUSTER_KINDS + extra_kinds)
    try:
        call(ns_res.delete, name=namespace, propagation_policy="Background")
        if f"Namespace/{namespace}" not in removed:
            removed.append(f"Namespace/{namespace}")
    except NotFoundError:
        pass
    if not _wait_gone(lambda: call(ns_res.get, name=namespace), timeout):
        raise TimeoutError(f"namespace {namespace} still exists after {timeout:.0f}s")
    # dynamically provisioned volumes of the lab's claims: wait for the provisioner, delete if retained
    pv_res = kube.resource("v1", "PersistentVolume")
    for pv in call(pv_res.get).to_dict().get("items") or []:
        ref = (pv.get("spec") or {}).get("claimRef") or {}
        if ref.get("namespace") != namespace:
            continue
        name = pv["metadata"]["name"]
        if not _wait_gone(lambda: call(pv_res.get, name=name), 30.0):
            try:
                call(pv_res.delete, name=name)
            except NotFoundError:
                pass
            _wait_gone(lambda: call(pv_res.get, name=name), 30.0)
        removed.append(f"PersistentVolume/{name}")
    return list(dict.fromkeys(removed))


def leftovers(kube: Kube, namespace: str, extra_kinds: list[tuple[str, str]]) -> list[str]:
    """What of this lab run still exists (used by tests and `reset` to prove it is clean)."""
    left = []
    try:
        call(kube.resource("v1", "Namespace").get, name=namespace)
        left.append(f"Namespace/{namespace}")
    except NotFoundError:
        pass
    for api_version, kind in dict.fromkeys(COMMON_CLUSTER_KINDS + extra_kinds):
        try:
            res = kube.resource(api_version, kind)
        except ValueError:
            continue
        if not res.namespaced:
            items = call(res.get, label_selector=f"{NS_LABEL}={namespace}").to_dict().get("items") or []
            left += [f"{kind}/{o['metadata']['name']}" for o in items]
    for pv in call(kube.resource("v1", "PersistentVolume").get).to_dict().get("items") or []:
        if ((pv.get("spec") or {}).get("claimRef") or {}).get("namespace") == namespace:
            left.append(f"PersistentVolume/{pv['metadata']['name']}")
    return left
