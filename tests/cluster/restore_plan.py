"""How to bring a lab namespace back to a snapshot taken before a case ran (pure: no I/O).

The lab cases share one replayed namespace per lab (tests/cluster/labcases.py): after a case, what it
created goes, what it changed is put back, and what it deleted comes back. Objects a controller owns are
left to that controller once their owner is back, except history its owner would keep (ReplicaSets,
ControllerRevisions): a later case must not see a rollout that a previous case made.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from runner import accessors as k8s

Key = tuple[str, str, str]                 # apiVersion, kind, name
# the desired state of an object; status, metadata the server writes and annotations controllers keep are not
DESIRED = ("spec", "data", "stringData", "binaryData", "type", "immutable", "rules", "roleRef", "subjects")
HISTORY = {"ReplicaSet", "ControllerRevision"}
# put back in place (their pods stay); any other kind changed by a case is deleted and created again, which
# also drops the status a controller wrote for the change (an Ingress's address)
REPLACED = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Pod", "Job", "CronJob", "PersistentVolume"}
# annotations controllers write: not the learner's
CONTROLLER_ANNOTATIONS = ("deployment.kubernetes.io/", "kubectl.kubernetes.io/last-applied", "pv.kubernetes.io/",
                          "volume.kubernetes.io/", "volume.beta.kubernetes.io/", "control-plane.alpha.kubernetes.io/",
                          "deprecated.daemonset.template.generation", "endpoints.kubernetes.io/")
MANAGED = {"Endpoints"}   # the Service controller's mirror of the slices: follows them
SERVER_FIELDS = ("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "selfLink",
                 "deletionTimestamp", "deletionGracePeriodSeconds", "ownerReferences")


def key(o: dict[str, Any]) -> Key:
    return (str(o.get("apiVersion")), str(o.get("kind")), k8s.name(o))


def runner_owned(o: dict[str, Any]) -> bool:
    """The runner's own objects (its client pod, the step values): a case never makes or changes them."""
    return k8s.name(o).startswith("kubelab-") or "kubelab.io/role" in k8s.labels(o)


def own_annotations(o: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in k8s.annotations(o).items() if not k.startswith(CONTROLLER_ANNOTATIONS)}


def desired(o: dict[str, Any], autoscaled: frozenset[tuple[str, str]] = frozenset()) -> dict[str, Any]:
    """autoscaled: (kind, name) of the objects an HPA scales: their replicas are the HPA's to set."""
    out = {"labels": k8s.labels(o), "annotations": own_annotations(o), **{f: o[f] for f in DESIRED if f in o}}
    if (o.get("kind"), k8s.name(o)) in autoscaled:
        out["spec"] = {k: v for k, v in k8s.spec(o).items() if k != "replicas"}
    ref = k8s.spec(o).get("claimRef")
    if o.get("kind") == "PersistentVolume" and isinstance(ref, dict):   # its resourceVersion: the claim's, any time
        out["spec"] = {**k8s.spec(o), "claimRef": {k: v for k, v in ref.items() if k != "resourceVersion"}}
    return out


def autoscaled_by(objs: list[dict[str, Any]]) -> frozenset[tuple[str, str]]:
    refs = [k8s.spec(o).get("scaleTargetRef") for o in objs if o.get("kind") == "HorizontalPodAutoscaler"]
    return frozenset((str(r.get("kind")), str(r.get("name"))) for r in refs if isinstance(r, dict))


def controller(o: dict[str, Any]) -> str | None:
    """uid of the object's controlling owner."""
    for ref in k8s.entries(k8s.meta(o), "ownerReferences"):
        if isinstance(ref, dict) and ref.get("controller"):
            return str(ref.get("uid"))
    return None


def fresh_copy(o: dict[str, Any]) -> dict[str, Any]:
    """The snapshot object as a manifest to create again (its managedFields kept: they are put back after)."""
    out = copy.deepcopy(o)
    out.pop("status", None)
    for f in SERVER_FIELDS:
        if f != "managedFields":
            k8s.meta(out).pop(f, None)
    if out.get("kind") == "Pod":     # a recreated bare pod may be scheduled anywhere again
        k8s.spec(out).pop("nodeName", None)
    return out


@dataclass
class Plan:
    delete: list[dict[str, Any]] = field(default_factory=list)   # made during the case
    revert: list[tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=list)  # (now, snapshot)
    recreate: list[dict[str, Any]] = field(default_factory=list)  # gone during the case

    @property
    def empty(self) -> bool:
        return not (self.delete or self.revert or self.recreate)

    def describe(self) -> str:
        def names(objs: list[dict[str, Any]]) -> str:
            return ", ".join(f"{o.get('kind')}/{k8s.name(o)}" for o in objs[:8]) + ("…" if len(objs) > 8 else "")
        parts = [f"delete {names(self.delete)}" if self.delete else "",
                 f"revert {names([s for _, s in self.revert])}" if self.revert else "",
                 f"recreate {names(self.recreate)}" if self.recreate else ""]
        return "; ".join(p for p in parts if p) or "nothing to do"


def plan(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> Plan:
    """What takes the objects `after` back to `before` (both: every object of the kinds looked at)."""
    then = {key(o): o for o in before if not runner_owned(o) and o.get("kind") not in MANAGED}
    now = {key(o): o for o in after if not runner_owned(o) and o.get("kind") not in MANAGED}
    old_uids = {k8s.meta(o).get("uid") for o in then.values()}
    surviving = {k8s.meta(o).get("uid") for k, o in now.items() if k in then
                 and k8s.meta(o).get("uid") == k8s.meta(then[k]).get("uid")}
    # what a surviving owner made again under a snapshot name (the ReplicaSet of a Deployment created again)
    # stands for the snapshot's object, and so do its own pods
    grew = True
    while grew:
        again = {k8s.meta(o).get("uid") for k, o in now.items() if controller(o) in surviving
                 and (k in then or o.get("kind") not in HISTORY)} - surviving
        surviving |= again
        grew = bool(again)
    scaled = autoscaled_by(before + after)
    p = Plan()
    for k, o in now.items():
        if k8s.deleting(o):
            continue
        if k not in then or k8s.meta(o).get("uid") not in old_uids:
            owner = controller(o)
            if o.get("kind") == "Event" or owner not in surviving or (o.get("kind") in HISTORY and k not in then):
                p.delete.append(o)
        elif o.get("kind") != "Event" and desired(o, scaled) != desired(then[k], scaled) and (
                o.get("kind") == "Pod" or controller(o) not in surviving):
            # what a surviving owner controls (a ReplicaSet's replicas) comes back with the owner; a pod's
            # labels do not (a pod relabelled by hand)
            if o.get("kind") in REPLACED:
                p.revert.append((o, then[k]))
            else:
                p.delete.append(o)
                p.recreate.append(fresh_copy(then[k]))
    for k, o in then.items():
        replaced = k in now and k8s.meta(now[k]).get("uid") == k8s.meta(o).get("uid")
        if not replaced and o.get("kind") != "Event" and controller(o) is None:
            p.recreate.append(fresh_copy(o))
    return p


def reverted(now: dict[str, Any], then: dict[str, Any]) -> dict[str, Any]:
    """`now` with the snapshot's desired state, for a replace (keeps now's resourceVersion)."""
    out = copy.deepcopy(now)
    k8s.meta(out)["labels"] = copy.deepcopy(k8s.labels(then))
    k8s.meta(out)["annotations"] = {**{k: v for k, v in k8s.annotations(now).items() if k not in own_annotations(now)},
                                    **copy.deepcopy(own_annotations(then))}
    for f in DESIRED:
        if f in then:
            out[f] = copy.deepcopy(then[f])
        else:
            out.pop(f, None)
    out.pop("status", None)
    return out
