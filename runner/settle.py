"""When has a step's apply settled? The must-fail phase of `kubelab verify` ends then, not after a fixed window.

A check that passes "by itself" (without the solve) usually does so because a controller or the kubelet
finishes what the apply started: a pod starts, a Deployment gets its pods, a claim is provisioned. Watch
events alone do not show that work is pending (a pod's sandbox is set up for a second or two without any
event), so the phase ends only when every watched object is in a resting state (`in_transition` below) AND
no watched object changed for a short quiet time; a ceiling (the old fixed window) bounds it.
"""
from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from runner import accessors as k8s

if TYPE_CHECKING:
    from runner.cluster.informer import Informer
    from runner.engine import Session
    from runner.schema import Check, Step

QUIET = 0.5          # seconds without any change of the watched objects (checks on API objects)
QUIET_PROBE = 1.0    # http/exec checks also depend on what follows an object change (e.g. kube-proxy rules)
# A container waiting for one of these reasons will not start by itself soon: the pod is at rest.
STUCK = {"ErrImagePull", "ImagePullBackOff", "CrashLoopBackOff", "CreateContainerConfigError",
         "CreateContainerError", "InvalidImageName", "RunContainerError"}
WORKLOADS = {"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "ReplicationController"}


def _int(v: Any, default: int = 0) -> int:
    return v if isinstance(v, int) else default


def _pod(obj: dict[str, Any]) -> str | None:
    st = k8s.status(obj)
    phase = st.get("phase")
    if phase in ("Succeeded", "Failed"):
        return None
    conds = {c.get("type"): c for c in k8s.conditions(obj)}
    sched = conds.get("PodScheduled") or {}
    if sched.get("status") == "False" and sched.get("reason") == "Unschedulable":
        return None
    statuses = (st.get("initContainerStatuses") or []) + (st.get("containerStatuses") or [])
    if any(k8s.state(s, "waiting").get("reason") in STUCK for s in statuses):
        return None
    if phase == "Running" and (conds.get("Ready") or {}).get("status") == "True":
        return None
    if phase == "Running" and statuses and all("running" in k8s.section(s, "state") for s in k8s.container_statuses(obj)):
        # running but not ready: a readiness probe decides; give it until the ceiling only if it has one
        probed = any("readinessProbe" in c for c in k8s.containers(obj))
        return "waiting for readiness" if probed else None
    return f"pod {phase or 'new'}"


def in_transition(obj: dict[str, Any]) -> str | None:
    """Why an object is still changing on its own (None: at rest). Pure: the object as the API returns it."""
    meta, kind = k8s.meta(obj), obj.get("kind", "")
    spec, st = k8s.spec(obj), k8s.status(obj)
    if k8s.deleting(obj):
        return "being deleted"
    gen, observed = meta.get("generation"), st.get("observedGeneration")
    if kind in WORKLOADS - {"Job"} and (observed is None or (isinstance(gen, int) and observed < gen)):
        return "controller has not seen the latest spec"
    if isinstance(gen, int) and isinstance(observed, int) and observed < gen:
        return "controller has not seen the latest spec"
    if kind == "Pod":
        return _pod(obj)
    if kind in ("Deployment", "ReplicaSet", "StatefulSet", "ReplicationController"):
        want = _int(spec.get("replicas"), 1)
        if _int(st.get("replicas")) != want or _int(st.get("updatedReplicas", want)) != want:
            return f"{_int(st.get('replicas'))}/{want} replicas"
    if kind == "DaemonSet" and _int(st.get("updatedNumberScheduled")) != _int(st.get("desiredNumberScheduled")):
        return "daemon pods being updated"
    if kind == "Job" and not any(c.get("type") in ("Complete", "Failed") and c.get("status") == "True"
                                 for c in k8s.conditions(obj)):
        return "job running" if _int(st.get("active")) or not st.get("startTime") else None
    if kind == "PersistentVolumeClaim" and st.get("phase") == "Pending" and \
            "volume.kubernetes.io/selected-node" in k8s.annotations(obj):
        return "volume being provisioned"
    return None


class Settle:
    """Watches a step's objects (its checks' sources, the namespace's pods, the kinds the step applied)."""

    def __init__(self, sess: Session, step: Step, checks: list[Check]) -> None:
        self.quiet = QUIET_PROBE if any(c.kind in ("http", "exec") for c in checks) else QUIET
        infs: list[Informer] = [sess.informers.get("v1", "Pod", sess.namespace)]
        for c in checks:
            infs += sess.sources(c)[0]
        for api_version, kind in applied_kinds(sess, step):
            try:
                infs.append(sess.informers.get(api_version, kind, sess.namespace))
            except ValueError:          # a kind the cluster does not serve: apply has already said so
                continue
        self.informers = list({id(i): i for i in infs}.values())
        self.last_change = time.monotonic()
        self._lock = threading.Lock()
        for i in self.informers:
            i.add_listener(self._changed)

    def _changed(self, _objs: Any) -> None:
        with self._lock:
            self.last_change = time.monotonic()

    def busy(self) -> list[str]:
        out = []
        for inf in self.informers:
            for o in inf.objects():
                why = in_transition({"kind": inf.kind, **o})
                if why:
                    out.append(f"{inf.kind}/{o['metadata']['name']}: {why}")
        return out

    def wake_in(self) -> float:
        """Seconds until calm() can turn true without a watch event (poll period while objects are busy)."""
        with self._lock:
            left = self.last_change + self.quiet - time.monotonic()
        return self.quiet if left <= 0 else left

    def calm(self) -> bool:
        with self._lock:
            quiet = time.monotonic() - self.last_change >= self.quiet
        return quiet and not self.busy()

    def close(self) -> None:
        for i in self.informers:
            i.remove_listener(self._changed)


def applied_kinds(sess: Session, step: Step) -> list[tuple[str, str]]:
    """Namespaced (apiVersion, kind) of the step's apply documents."""
    from runner.cluster import objects as kobj
    kinds = []
    for spec in step.apply:
        try:
            docs = kobj.load_documents(spec, sess.loaded.manifests, sess.vars)
        except Exception:  # noqa: BLE001 - apply already reported it
            continue
        for d in docs:
            if d.get("kind"):
                kinds.append((d.get("apiVersion", "v1"), d["kind"]))
    out = []
    for api_version, kind in dict.fromkeys(kinds):
        try:
            if sess.kube.namespaced(api_version, kind):
                out.append((api_version, kind))
        except ValueError:
            continue
    return out
