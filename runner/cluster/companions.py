"""A run's second namespaces ("companions"): `<word>-<run namespace>`, e.g. `ops-lab-networkpolicy-ann`.

A lab that needs another namespace (NetworkPolicy's namespaceSelector, names across namespaces) declares it as
a Namespace in its manifests, named `<word>-${NAMESPACE}`; objects whose `metadata.namespace` names it stay
there (every other namespaced object is put into the lab namespace, as always). The Namespace carries the run's
`kubelab.io/namespace` label like every cluster-scoped object of the run, so reset deletes it.

Why this name shape: run namespaces all start with `lab-`, and `<word>` may not be `lab`, so a companion can
never be another run's lab namespace nor another run's companion (its whole suffix is this run's namespace).
A namespace of that name that exists without this run's label is never taken over.
"""
from __future__ import annotations

import re
import time
from typing import Any

from runner import accessors as k8s
from runner.cluster.client import Kube, call
from runner.errors import NotFound

PREFIX = re.compile(r"[a-z0-9]{1,12}")


def is_companion(name: str | None, run_namespace: str) -> bool:
    """`name` is `<word>-<run_namespace>` with word [a-z0-9]{1,12}, not `lab` (pure)."""
    if not name or not name.endswith("-" + run_namespace):
        return False
    word = name[: -len(run_namespace) - 1]
    return bool(PREFIX.fullmatch(word)) and word != "lab" and len(name) <= 63


def object_namespace(wanted: str | None, run_namespace: str) -> str:
    """Where a namespaced object of this run goes: its own namespace if that is a companion, else the run's."""
    return wanted if wanted and is_companion(wanted, run_namespace) else run_namespace


def owner(ns: dict[str, Any], ns_label: str) -> str | None:
    return k8s.labels(ns).get(ns_label)


def ensure(kube: Kube, body: dict[str, Any], run_namespace: str, ns_label: str, timeout: float = 120.0) -> bool:
    """Before applying a companion Namespace: wait out a previous reset still deleting it, refuse one that is not
    this run's. True when it must be applied (False: it is there with all the labels the manifest asks for, e.g.
    provisioned for a learner who may not write namespaces)."""
    name = body["metadata"]["name"]
    res = kube.resource("v1", "Namespace")
    deadline = time.monotonic() + timeout
    while True:
        try:
            ns = call(res.get, name=name).to_dict()
        except NotFound:
            return True
        if not k8s.deleting(ns):
            if owner(ns, ns_label) != run_namespace:
                raise RuntimeError(f"namespace {name} exists and does not belong to this run ({run_namespace}): "
                                   "not using it; delete it or pick another learner name")
            have = k8s.labels(ns)
            return any(have.get(k) != v for k, v in k8s.labels(body).items())
        if time.monotonic() > deadline:
            raise TimeoutError(f"namespace {name} is still terminating after {timeout:.0f}s")
        time.sleep(0.5)   # as ensure_namespace: a terminating namespace only tells by going away
