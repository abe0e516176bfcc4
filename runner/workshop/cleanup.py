"""Reset without deleting the namespace: a learner may not delete (or create) their namespaces, so a run is
cleaned object by object.

- `kubelab verify` (the learner's verify namespace): only what did not exist when the run started (a snapshot
  of uids), so nothing of another run or anyone else is touched;
- `kubelab reset` (the learner's own lab namespace): everything but what the workshop provisioned, like the
  namespace deletion it replaces.
Roots go first with foreground propagation (their pods, ReplicaSets, EndpointSlices go with them), then what a
controller created without an owner (a StatefulSet's claims) and the runner's own helpers. The volumes the
workshop provisioned for the namespace are made Available again (claimRef removed once its claim is gone).
"""
from __future__ import annotations

import time
from typing import Any

from runner import accessors as k8s
from runner.cluster.client import Kube, call
from runner.errors import NotFound, denied
from runner.workshop.plan import MANAGED_BY

# Kinds a run may leave without naming them in its manifests (controllers' and the runner's own objects).
BASE_KINDS = [("v1", "Pod"), ("apps/v1", "ReplicaSet"), ("batch/v1", "Job"), ("apps/v1", "ControllerRevision"),
              ("v1", "PersistentVolumeClaim"), ("v1", "ConfigMap"), ("v1", "Secret"), ("v1", "Service"),
              ("discovery.k8s.io/v1", "EndpointSlice"), ("v1", "Event")]
KEEP = {("ConfigMap", "kube-root-ca.crt"), ("ServiceAccount", "default")}
POLL = 1.0
MIN_VOLUME_WAIT = 60.0     # a dynamic volume's deletion after its claim's, at the least

Snapshot = dict[str, dict[str, Any]]     # uid -> object (kind, name, ownerReferences)


def kinds_for(kube: Kube, lab_kinds: list[tuple[str, str]]) -> list[tuple[str, str]]:
    out = []
    for api_version, kind in dict.fromkeys(BASE_KINDS + lab_kinds):
        try:
            if kube.resource(api_version, kind).namespaced:
                out.append((api_version, kind))
        except ValueError:
            continue
    return out


def snapshot(kube: Kube, namespaces: list[str], kinds: list[tuple[str, str]]) -> Snapshot:
    """Every object of these kinds in the namespaces, by uid (kinds the account may not list are left out)."""
    out: Snapshot = {}
    for namespace in namespaces:
        for api_version, kind in kinds:
            try:
                items = call(kube.resource(api_version, kind).get, namespace=namespace).to_dict().get("items") or []
            except Exception as e:  # noqa: BLE001 - a kind this learner may not list holds nothing of theirs
                if isinstance(e, NotFound) or denied(e):
                    continue
                raise
            out.update(_entries(api_version, kind, namespace, items))
    return out


def _entries(api_version: str, kind: str, namespace: str, items: list[dict[str, Any]]) -> Snapshot:
    out: Snapshot = {}
    for o in items:
        m = o["metadata"]
        out[m["uid"]] = {"apiVersion": api_version, "kind": kind, "name": m["name"], "namespace": namespace, "uid": m["uid"],
                     "owned": bool(m.get("ownerReferences")), "deleting": k8s.deleting(o),
                     "workshop": k8s.labels(o).get("app.kubernetes.io/managed-by") == MANAGED_BY}
    return out


def _delete(kube: Kube, o: dict[str, Any], policy: str, grace: int | None) -> bool:
    kw: dict[str, Any] = {"name": o["name"], "namespace": o["namespace"], "propagation_policy": policy}
    if grace is not None and o["kind"] == "Pod":
        kw["grace_period_seconds"] = grace
    try:
        call(kube.resource(o["apiVersion"], o["kind"]).delete, **kw)
        return True
    except NotFound:
        return False


def _ours(now: Snapshot, before: Snapshot | None) -> Snapshot:
    if before is not None:      # verify: only what this run created
        return {u: o for u, o in now.items() if u not in before}
    return {u: o for u, o in now.items() if not o["workshop"] and (o["kind"], o["name"]) not in KEEP}


def clean(kube: Kube, namespaces: list[str], kinds: list[tuple[str, str]], before: Snapshot | None,
          timeout: float = 180.0, zero_grace: bool = True) -> tuple[list[str], list[str], set[str]]:
    """Delete this run's objects (see the module doc) and wait until they are gone. Returns (removed, left,
    uids of the claims removed): `left` names what is still there after `timeout` (events are not waited for)."""
    grace = 0 if zero_grace else None
    removed: list[str] = []
    ours = _ours(snapshot(kube, namespaces, kinds), before)
    claims = {u for u, o in ours.items() if o["kind"] == "PersistentVolumeClaim"}
    for o in ours.values():            # roots first: their dependents go with them
        if not o["owned"] and o["kind"] != "Event" and _delete(kube, o, "Foreground", grace):
            removed.append(f"{o['kind']}/{o['name']}")
    deadline = time.monotonic() + timeout
    zeroed: set[str] = set()
    while True:
        left = {u: o for u, o in _ours(snapshot(kube, namespaces, kinds), before).items() if o["kind"] != "Event"}
        claims |= {u for u, o in left.items() if o["kind"] == "PersistentVolumeClaim"}
        if not left or time.monotonic() > deadline:
            break
        for o in left.values():        # an orphan (a StatefulSet's claim) or a root whose delete raced a create
            if not o["deleting"] and not o["owned"]:
                _delete(kube, o, "Background", grace)
            elif o["deleting"] and o["kind"] == "Pod" and grace == 0 and o["uid"] not in zeroed:
                # the garbage collector deletes a Deployment's pods with their own grace period; as the
                # namespace deletion of single-user mode does, end them now (nothing will recreate them)
                zeroed.add(o["uid"])
                _delete(kube, o, "Background", 0)
        time.sleep(POLL)
    for o in _ours(snapshot(kube, namespaces, [("v1", "Event")]), before).values():
        try:       # stale events would satisfy an event check in the next run
            _delete(kube, o, "Background", None)
        except Exception as e:  # noqa: BLE001 - the session ignores events older than its start anyway
            if not denied(e):
                raise
    return list(dict.fromkeys(removed)), [f"{o['kind']}/{o['name']}" for o in left.values()], claims


def free_volumes(kube: Kube, namespace: str, names: list[str], claims: set[str], timeout: float = MIN_VOLUME_WAIT) -> list[str]:
    """Make the workshop's volumes of this namespace Available again: drop a claimRef whose claim is gone.
    Then wait (if this account may list volumes) until the volumes provisioned for the deleted `claims` (uids)
    are deleted by their provisioner. Returns what is still bound or released."""
    pv = kube.resource("v1", "PersistentVolume")
    pvc = kube.resource("v1", "PersistentVolumeClaim")
    stuck = []
    for name in names:
        try:
            vol = call(pv.get, name=name).to_dict()
        except NotFound:
            stuck.append(f"PersistentVolume/{name} (missing: the instructor runs `kubelab workshop up` again)")
            continue
        ref = k8s.spec(vol).get("claimRef")
        if not ref:
            continue
        try:
            claim = call(pvc.get, name=ref["name"], namespace=ref.get("namespace") or namespace).to_dict()
            if claim["metadata"]["uid"] == ref.get("uid") or not ref.get("uid"):
                stuck.append(f"PersistentVolume/{name} (still claimed by {ref['name']})")
                continue
        except NotFound:
            pass
        call(kube.dyn.patch, pv, name=name, body=[{"op": "remove", "path": "/spec/claimRef"}],
             content_type="application/json-patch+json")
    deadline = time.monotonic() + timeout
    while True:
        try:
            vols = call(pv.get).to_dict().get("items") or []
        except Exception as e:  # noqa: BLE001 - an account that may not list volumes cannot wait for them
            if denied(e):
                return stuck
            raise
        dynamic = [v["metadata"]["name"] for v in vols if v["metadata"]["name"] not in names
                   and k8s.dig(v, "spec", "claimRef").get("uid") in claims]
        if not dynamic or time.monotonic() > deadline:
            return stuck + [f"PersistentVolume/{n}" for n in dynamic]
        time.sleep(POLL)
