"""A running pod that never passes its readiness probe is named as the cause (a stalled rollout)."""
from __future__ import annotations

from runner.checks import causes


def _pod(ready: bool, deleting: bool = False) -> dict:
    return {"metadata": {"name": "web-2", **({"deletionTimestamp": "now"} if deleting else {})},
            "spec": {"containers": [{"name": "web", "readinessProbe": {"httpGet": {"path": "/readyz", "port": 8081}}}]},
            "status": {"phase": "Running",
                       "containerStatuses": [{"name": "web", "ready": ready, "state": {"running": {}}}]}}


def test_running_but_not_ready_names_the_probe() -> None:
    assert causes.pod_causes(_pod(False)) == [
        ("pod web-2 is running but not ready: container web fails its readiness probe (httpGet :8081/readyz)", None)]


def test_ready_or_terminating_pods_are_no_cause() -> None:
    assert causes.pod_causes(_pod(True)) == []
    assert causes.pod_causes(_pod(False, deleting=True)) == []
