"""What counts as progress in a namespace, for a check that gives up once things are quiet (pure).

A crash-looping or image-pull-failing pod changes all the time (restart counts, back-off events)
without getting anywhere; a learner's check should not wait for it. Progress is a pod changing
phase, readiness or being deleted, a pod appearing or going, or a new kind of Normal event.
"""
from __future__ import annotations

from typing import Any

from runner.checks.invariant import pod_is_ready


def signature(kind: str, objs: list[dict[str, Any]]) -> frozenset[tuple[Any, ...]]:
    if kind == "Pod":
        return frozenset((o["metadata"].get("name"), (o.get("status") or {}).get("phase"), pod_is_ready(o),
                          bool(o["metadata"].get("deletionTimestamp"))) for o in objs)
    if kind == "Event":
        return frozenset((e.get("reason"), ((e.get("involvedObject") or {}).get("name")))
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
