"""What counts as progress in a namespace, for a check that gives up once things are quiet (pure).

A crash-looping or image-pull-failing pod changes all the time (restart counts, back-off events)
without getting anywhere; a learner's check should not wait for it. Progress is a pod changing
phase, readiness or being deleted, a pod appearing or going, or a new kind of Normal event.
"""
from __future__ import annotations

from typing import Any

from runner import accessors as k8s
from runner.checks.invariant import pod_is_ready


def signature(kind: str, objs: list[dict[str, Any]]) -> frozenset[tuple[Any, ...]]:
    if kind == "Pod":
        return frozenset((o["metadata"].get("name"), k8s.phase(o), pod_is_ready(o), k8s.deleting(o)) for o in objs)
    if kind == "Event":
        return frozenset((e.get("reason"), k8s.involved(e).get("name"))
                         for e in objs if e.get("type") == "Normal")
    return frozenset((o["metadata"].get("name"), o["metadata"].get("resourceVersion")) for o in objs)


def listener(kind: str, current: list[dict[str, Any]], on_progress: Any) -> Any:
    """A listener that calls on_progress(objs) only when the signature of `kind` objects changed."""
    last = [signature(kind, current)]

    def fn(objs: list[dict[str, Any]]) -> None:
        sig = signature(kind, objs)
        if sig != last[0]:
            last[0] = sig
            on_progress(objs)
    return fn


# Waiting reasons of a container that will not get anywhere by waiting (the learner must change something).
STUCK = {"ImagePullBackOff", "ErrImagePull", "InvalidImageName", "CrashLoopBackOff", "CreateContainerConfigError",
         "CreateContainerError", "RunContainerError", "ErrImageNeverPull"}
STARTING = 30.0   # a container started this recently and not ready yet may still pass its readiness probe


def _epoch(ts: str | None) -> float | None:
    if not ts:
        return None
    from datetime import datetime
    try:
        return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def pod_starting(pod: dict[str, Any], now: float) -> bool:
    """The pod is on its way (scheduled and creating, pulling, initialising, starting, terminating) rather
    than stuck: on a busy node this takes long without any visible change, and is not a reason to give up."""
    if k8s.deleting(pod):
        return True
    status = k8s.status(pod)
    if status.get("phase") not in ("Pending", "Running"):
        return False
    if any(c.get("type") == "PodScheduled" and c.get("status") == "False" for c in k8s.conditions(pod)):
        return False     # unschedulable: waits for something to change
    containers = (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or [])
    if any(k8s.state(c, "waiting").get("reason") in STUCK for c in containers):
        return False
    if status.get("phase") == "Pending":
        return True
    if pod_is_ready(pod) or any(c.get("restartCount") for c in containers):
        return False     # ready, or not ready after a restart (a crash loop between its back-offs)
    if any(k8s.state(c, "waiting") for c in containers) or len(status.get("containerStatuses") or []) < len(
            k8s.containers(pod)):
        return True      # one container runs, another is still being created (a loaded node: long after)
    started = [_epoch(k8s.state(c, "running").get("startedAt")) for c in containers]
    return any(s is not None and now - s < STARTING for s in started)


def any_starting(pods: list[dict[str, Any]], now: float) -> bool:
    return any(pod_starting(p, now) for p in pods)
