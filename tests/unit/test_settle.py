"""When a step's objects are at rest (runner/settle.py): pure rules on API-shaped objects."""
from __future__ import annotations

from runner.settle import in_transition


def pod(phase: str | None, ready: bool = False, waiting: str | None = None, probe: bool = False,
        unschedulable: bool = False) -> dict:
    conds = [{"type": "Ready", "status": "True" if ready else "False"}]
    if unschedulable:
        conds.append({"type": "PodScheduled", "status": "False", "reason": "Unschedulable"})
    state = {"waiting": {"reason": waiting}} if waiting else ({"running": {}} if phase == "Running" else {})
    return {"kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", **({"readinessProbe": {}} if probe else {})}]},
            "status": {"phase": phase, "conditions": conds, "containerStatuses": [{"name": "c", "state": state}]}
            if phase else {}}


def test_pods_starting_are_in_transition() -> None:
    assert in_transition(pod(None))                              # just created, no status yet
    assert in_transition(pod("Pending"))                         # sandbox being set up: no event for seconds
    assert in_transition(pod("Pending", waiting="ContainerCreating"))
    assert in_transition(pod("Running", probe=True))             # readiness probe still to pass


def test_pods_at_rest() -> None:
    assert in_transition(pod("Running", ready=True)) is None
    assert in_transition(pod("Running")) is None                 # running, no readiness probe
    assert in_transition(pod("Succeeded")) is None
    assert in_transition(pod("Pending", waiting="ImagePullBackOff")) is None
    assert in_transition(pod("Running", waiting="CrashLoopBackOff")) is None
    assert in_transition(pod("Pending", unschedulable=True)) is None


def test_workloads_until_the_controller_caught_up() -> None:
    dep = {"kind": "Deployment", "metadata": {"name": "d", "generation": 2}, "spec": {"replicas": 3}}
    assert in_transition(dep)                                                        # no status yet
    assert in_transition({**dep, "status": {"observedGeneration": 1, "replicas": 3, "updatedReplicas": 3}})
    assert in_transition({**dep, "status": {"observedGeneration": 2, "replicas": 2, "updatedReplicas": 2}})
    assert in_transition({**dep, "status": {"observedGeneration": 2, "replicas": 4, "updatedReplicas": 1}})
    assert in_transition({**dep, "status": {"observedGeneration": 2, "replicas": 3, "updatedReplicas": 3}}) is None


def test_jobs_claims_and_deletions() -> None:
    assert in_transition({"kind": "Job", "metadata": {}, "status": {"active": 1, "startTime": "t"}})
    assert in_transition({"kind": "Job", "metadata": {}, "status": {
        "conditions": [{"type": "Complete", "status": "True"}]}}) is None
    claim = {"kind": "PersistentVolumeClaim", "metadata": {"annotations": {}}, "status": {"phase": "Pending"}}
    assert in_transition(claim) is None                                # waiting for a consumer: at rest
    claim["metadata"]["annotations"]["volume.kubernetes.io/selected-node"] = "worker"
    assert in_transition(claim)                                        # being provisioned
    assert in_transition({"kind": "ConfigMap", "metadata": {"deletionTimestamp": "t"}})
    assert in_transition({"kind": "ConfigMap", "metadata": {"name": "c"}}) is None
