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


def test_a_startup_probe_not_yet_passed_is_the_cause_not_readiness() -> None:
    """The readiness probe does not run before the startup probe passed (probes' startup-budget-too-small:
    the summary blamed readiness); the container is named so the probe's failure event is added."""
    pod = _pod(False)
    pod["spec"]["containers"][0]["startupProbe"] = {"tcpSocket": {"port": 8080}}
    pod["status"]["containerStatuses"][0].update(started=False, restartCount=1)
    assert causes.pod_causes(pod) == [
        ("pod web-2 is running but has not started: container web has not passed its startup probe "
         "(tcpSocket :8080; 1 restarts)", "web")]
    pod["status"]["containerStatuses"][0]["started"] = True     # started: readiness is what is left
    assert causes.pod_causes(pod)[0][0].endswith("fails its readiness probe (httpGet :8081/readyz)")
