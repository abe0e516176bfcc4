"""Snapshot a lab namespace and bring it back after a case (the plan: tests/cluster/restore_plan.py).

Restoring is proven, not assumed: it is done once every object is back as it was and the workloads count
the same ready pods as in the snapshot. When that cannot be reached in time, restore() raises and the
caller runs the remaining cases in fresh namespaces. The previous step's checks are then waited for;
one that no longer passes is reported (a check about history, such as the order pods were created in,
cannot pass again once a case replaced a pod).
"""
from __future__ import annotations

import time
from typing import Any

from restore_plan import Plan, controller, fresh_copy, key, plan, reverted

from runner import accessors as k8s
from runner.checks.invariant import pod_is_ready
from runner.cluster import objects as kobj
from runner.cluster.client import Kube, call, status_of
from runner.engine import Session
from runner.errors import NotFound
from runner.schema import Step

BASE_KINDS = [("v1", k) for k in ("Pod", "Service", "ConfigMap", "Secret", "PersistentVolumeClaim", "Event",
                                  "ServiceAccount", "LimitRange", "ResourceQuota")] + [
    ("apps/v1", k) for k in ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "ControllerRevision")] + [
    ("batch/v1", "Job"), ("batch/v1", "CronJob"), ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ("networking.k8s.io/v1", "NetworkPolicy"), ("networking.k8s.io/v1", "Ingress"),
    ("rbac.authorization.k8s.io/v1", "Role"), ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("gateway.networking.k8s.io/v1", "Gateway"), ("gateway.networking.k8s.io/v1", "HTTPRoute"),
    ("v1", "PersistentVolume"), ("storage.k8s.io/v1", "StorageClass"),
    ("discovery.k8s.io/v1", "EndpointSlice")]   # a deleted Service's slice, still there, would be read as the new one's
# status counts of a workload: equal to the snapshot's once its pods are back
COUNTS = ("replicas", "readyReplicas", "availableReplicas", "updatedReplicas", "currentReplicas",
          "desiredNumberScheduled", "numberReady", "numberAvailable", "updatedNumberScheduled")
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"}
GONE_WAIT = 120.0
SETTLE_WAIT = 240.0   # a rollout back to the snapshot's template, pods starting on a busy node
POLICY_SETTLE = 5.0
GATE_WAIT = 60.0
UNREADY_WAIT = 20.0   # a probe that failed once needs a few periods to pass again


class RestoreFailed(RuntimeError):
    pass


def kinds(kube: Kube, extra: list[tuple[str, str]]) -> list[tuple[str, str, bool]]:
    """(apiVersion, kind, namespaced) of every kind the cluster has among the base ones and `extra`."""
    out, seen = [], set()
    for api_version, kind in dict.fromkeys(BASE_KINDS + extra):
        group = api_version.rpartition("/")[0]
        if (group, kind) in seen:      # one version of a kind (autoscaling/v1 and v2 list the same objects)
            continue
        try:
            out.append((api_version, kind, kube.namespaced(api_version, kind)))
            seen.add((group, kind))
        except ValueError:
            continue
    return out


def take(kube: Kube, namespace: str, of: list[tuple[str, str, bool]]) -> list[dict[str, Any]]:
    """Every object of those kinds in the namespace, and the cluster-scoped ones labelled for it."""
    objs: list[dict[str, Any]] = []
    for api_version, kind, namespaced in of:
        res = kube.resource(api_version, kind)
        got = call(res.get, namespace=namespace) if namespaced else \
            call(res.get, label_selector=f"{kobj.NS_LABEL}={namespace}")
        for o in got.to_dict().get("items") or []:
            objs.append({**o, "apiVersion": api_version, "kind": kind})
    return objs


def _namespaced(of: list[tuple[str, str, bool]], o: dict[str, Any]) -> bool:
    return any(a == o["apiVersion"] and k == o["kind"] and n for a, k, n in of)


def _execute(kube: Kube, namespace: str, of: list[tuple[str, str, bool]], p: Plan) -> list[dict[str, Any]]:
    """Carry out the plan; returns the objects created again (they have new uids)."""
    def res(o: dict[str, Any]) -> Any:
        return kube.resource(o["apiVersion"], o["kind"])

    def ns(o: dict[str, Any]) -> str | None:
        return namespace if _namespaced(of, o) else None

    def ownership_back(o: dict[str, Any], managed: list[Any] | None) -> None:
        """Field ownership as in the snapshot. A replace or create makes its own client the owner of every
        field it wrote, and the solve's server-side apply then kept what it no longer applies: a container
        port a case had replaced stayed beside the solve's own, and the Deployment was refused (duplicate
        port name). Only managedFields change here, so the patch itself owns nothing."""
        if managed:
            call(res(o).patch, name=k8s.name(o), namespace=ns(o), body={"metadata": {"managedFields": managed}},
                 content_type="application/merge-patch+json")

    gone: list[dict[str, Any]] = list(p.delete)
    recreate = list(p.recreate)
    for now, then in p.revert:
        for attempt in range(3):
            try:
                call(res(now).replace, body=reverted(now, then), namespace=ns(now))
                ownership_back(now, k8s.meta(then).get("managedFields"))
                break
            except NotFound:
                recreate.append(fresh_copy(then))
                break
            except Exception as e:  # noqa: BLE001
                if status_of(e) == 409 and attempt < 2:     # a controller wrote it meanwhile: read it again
                    now = {**call(res(now).get, name=k8s.name(now), namespace=ns(now)).to_dict(),
                           "apiVersion": now["apiVersion"], "kind": now["kind"]}
                    continue
                gone.append(now)        # refused (an immutable field): the object comes back as a new one
                recreate.append(fresh_copy(then))
                break
    for o in gone:
        try:
            # Orphan: an old object the new owner adopted (a bare pod under a new ReplicaSet) stays; the new
            # owner's other dependents are new objects themselves, deleted in the next round
            call(res(o).delete, name=k8s.name(o), namespace=ns(o), grace_period_seconds=0,
                 propagation_policy="Orphan")
        except NotFound:
            pass
    deadline = time.monotonic() + GONE_WAIT
    back = {key(o) for o in recreate}
    for o in (o for o in gone if key(o) in back):      # the same name comes back: wait until this one is gone
        while True:
            try:
                cur = call(res(o).get, name=k8s.name(o), namespace=ns(o)).to_dict()
            except NotFound:
                break
            if k8s.meta(cur).get("uid") != k8s.meta(o).get("uid"):
                break
            if time.monotonic() > deadline:
                raise RestoreFailed(f"{o['kind']}/{k8s.name(o)} still there {GONE_WAIT:.0f}s after its deletion")
            time.sleep(0.5)
    made = []
    for o in recreate:
        made.append({**call(res(o).create, body=o, namespace=ns(o)).to_dict(), "apiVersion": o["apiVersion"],
                     "kind": o["kind"]})
        ownership_back(o, k8s.meta(o).get("managedFields"))
    if any(o["kind"] == "NetworkPolicy" for o in gone + recreate + [n for n, _ in p.revert]):
        # kube-router programs policy changes on its own time, and no API says when it is done
        time.sleep(POLICY_SETTLE)
    return made


def complete(o: dict[str, Any]) -> bool:
    """A workload with every wanted pod updated and ready."""
    st, want = k8s.status(o), k8s.spec(o).get("replicas", 1)
    if o["kind"] == "DaemonSet":
        n = st.get("desiredNumberScheduled") or 0
        return (st.get("numberReady") or 0) == (st.get("updatedNumberScheduled") or 0) == \
            (st.get("numberAvailable") or 0) == n
    return all((st.get(c) or 0) == want for c in ("replicas", "readyReplicas", "availableReplicas")) and (
        o["kind"] == "ReplicaSet" or (st.get("updatedReplicas") or 0) == want)


def settled(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> list[str]:
    """What still differs from the snapshot in the state controllers bring back (empty: nothing). A workload
    is back when it counts what it counted in the snapshot, or is complete (the snapshot may have caught a
    rollout that was still going)."""
    def counts(o: dict[str, Any]) -> dict[str, Any]:
        return {c: k8s.status(o).get(c) or 0 for c in COUNTS}
    then = {(o["kind"], k8s.name(o)): o for o in before if o["kind"] in WORKLOADS}
    ready = {k8s.name(o): pod_is_ready(o) for o in before if o["kind"] == "Pod"}
    out = []
    for o in after:
        if o["kind"] == "Pod" and k8s.deleting(o):
            out.append(f"pod {k8s.name(o)} is still terminating")
        elif o["kind"] == "Pod" and ready.get(k8s.name(o)) and not pod_is_ready(o):
            out.append(f"pod {k8s.name(o)} is not ready again")
        t = then.get((o["kind"], k8s.name(o)))
        if t is None:
            continue
        if (k8s.status(o).get("observedGeneration") or 0) < (k8s.meta(o).get("generation") or 0):
            out.append(f"{o['kind']} {k8s.name(o)}: its controller has not seen the last change")
        elif counts(o) != counts(t) and not complete(o):
            out.append(f"{o['kind']} {k8s.name(o)}: {counts(o)} (snapshot {counts(t)})")
    return out


def _sweep_events(sess: Session, of: list[tuple[str, str, bool]], before: list[dict[str, Any]]) -> None:
    """Events recorded since the snapshot (the restore makes some too): a later case must not read them."""
    p = plan(before, take(sess.kube, sess.namespace, [k for k in of if k[1] == "Event"]))
    _execute(sess.kube, sess.namespace, of, Plan(delete=[o for o in p.delete if o["kind"] == "Event"]))


def restore(sess: Session, of: list[tuple[str, str, bool]], before: list[dict[str, Any]],
            previous: Step | None) -> str:
    """Bring the namespace back to `before` (objects created again replace their snapshot entries, so the
    next case compares with them); RestoreFailed says what could not be brought back."""
    did: list[str] = []
    deadline = time.monotonic() + GONE_WAIT
    # each poll lists these kinds (six labs at once: the API server's load); events are swept at the end
    listed = [k for k in of if k[1] != "Event"]
    running = [k for k in of if k[1] in WORKLOADS or k[1] == "Pod"]
    while True:
        objs = take(sess.kube, sess.namespace, listed)
        p = plan([o for o in before if o["kind"] != "Event"], objs)
        going = [o for o in objs if k8s.deleting(o)]
        if p.empty and not going:
            break
        if time.monotonic() > deadline:
            what = p.describe() if not p.empty else f"{going[0]['kind']}/{k8s.name(going[0])} still being deleted"
            raise RestoreFailed(f"not restored after {GONE_WAIT:.0f}s: {what}")
        if p.empty:
            time.sleep(1.0)     # deletions still going: one of them may have to come back
            continue
        did.append(p.describe())
        made = {key(o): o for o in _execute(sess.kube, sess.namespace, of, p)}
        before[:] = [made.pop(key(o), o) for o in before]
    start = time.monotonic()
    replaced: set[str] = set()
    while diff := settled(before, objs := take(sess.kube, sess.namespace, running)):
        if time.monotonic() > start + SETTLE_WAIT:
            raise RestoreFailed(f"not back after {SETTLE_WAIT:.0f}s: {diff[0]}")
        if time.monotonic() > start + UNREADY_WAIT:
            # a pod a case made unready from inside (a file its probe reads): its controller makes a new one
            stuck = [o for o in objs if o["kind"] == "Pod" and f"pod {k8s.name(o)} is not ready again" in diff
                     and controller(o) and k8s.name(o) not in replaced]
            for o in stuck:
                call(sess.kube.core.delete_namespaced_pod, k8s.name(o), sess.namespace, grace_period_seconds=0)
                replaced.add(k8s.name(o))
                did.append(f"replace unready Pod/{k8s.name(o)}")
        time.sleep(1.0)
    notes = []
    if previous is not None:
        # the state the step starts from, as its own checks see it; a check about history (the order pods were
        # created in) may no longer hold once a case replaced a pod: said, not fatal
        sess.begin_step(previous, fresh=False)
        plain = [c for c in previous.check if c.kind != "invariant"]
        if plain:
            rs = sess.wait_many(plain, GATE_WAIT, lambda results: all(r.ok for r in results))
            notes = [f"step {previous.id}'s check no longer passes: {c.label()}: {r.summary[:160]}"
                     for c, r in zip(plain, rs) if not r.ok]
    _sweep_events(sess, of, before)
    return " | ".join(did + notes) or "nothing to restore"
