"""A Service's failed check names the selected pods no ready endpoint stands for, with why and since when:
a new version's pod still being created looks, from the Service, like the old version answering."""
from __future__ import annotations

from typing import Any

from runner.accessors import epoch
from runner.cluster.diagnose import not_serving, pod_state

NOW = epoch("2026-11-27T06:00:00Z")


def _pod(name: str, phase: str = "Running", waiting: str | None = None, deleting: bool = False) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "creationTimestamp": "2026-11-27T05:58:20Z"}
    if deleting:
        meta["deletionTimestamp"] = "2026-11-27T05:59:59Z"
    state = {"waiting": {"reason": waiting}} if waiting else {"running": {}}
    return {"metadata": meta, "status": {"phase": phase, "containerStatuses": [{"name": "web", "state": state}]}}


def _ep(pod: str, ready: bool = True) -> dict[str, Any]:
    return {"targetRef": {"kind": "Pod", "name": pod}, "conditions": {"ready": ready}}


def test_a_pod_being_created_is_named_with_its_age() -> None:
    pods = [_pod("web-old-1"), _pod("web-old-2"), _pod("web-new-1", "Pending", "ContainerCreating")]
    assert not_serving(pods, [_ep("web-old-1"), _ep("web-old-2")], NOW) == [
        "web-new-1 (ContainerCreating, created 100s ago)"]


def test_not_ready_and_terminating_pods_are_told_apart() -> None:
    pods = [_pod("a"), _pod("b", deleting=True), _pod("c", "Pending")]
    assert not_serving(pods, [_ep("a", ready=False), _ep("b", ready=False)], NOW) == [
        "a (running, not ready, created 100s ago)", "b (terminating, created 100s ago)", "c (Pending, created 100s ago)"]


def test_all_serving_says_nothing_and_many_are_cut_short() -> None:
    assert not_serving([_pod("a")], [_ep("a")], NOW) == []
    many = not_serving([_pod(f"p{i}", "Pending") for i in range(5)], [], NOW)
    assert many[-1] == "2 more" and len(many) == 4


def test_an_unscheduled_pod_says_why() -> None:
    """What an exec check into a Pending pod reports: the scheduler's reason, not only "Pending"."""
    pod = {"metadata": {"name": "finder", "creationTimestamp": "2026-11-27T05:58:00Z"},
           "status": {"phase": "Pending", "conditions": [
               {"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                "message": "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims."}]}}
    assert pod_state(pod, NOW) == ("Unschedulable: 0/3 nodes are available: pod has unbound immediate "
                                   "PersistentVolumeClaims., created 120s ago")
