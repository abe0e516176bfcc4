"""A run's second namespace: which names count as the run's own, where objects go; http sent from a lab pod."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from runner.cluster.companions import is_companion, object_namespace
from runner.cluster.pod_http import no_pod, running_pod
from runner.schema import HttpSpec, Target

RUN = "lab-networkpolicy-ann"


@pytest.mark.parametrize("name,ok", [
    (f"ops-{RUN}", True),
    (f"b2-{RUN}", True),
    (f"lab-{RUN}", False),               # could be lab `lab-networkpolicy`'s run for learner `ann`... never a lab ns
    (RUN, False),                        # the run namespace itself is not a second one
    (f"ops-x-{RUN}", False),             # one word only: `x-lab-...` is not this run's namespace
    (f"ops-{RUN}-b", False),             # another learner's (ann-b) namespace shape
    (f"Ops-{RUN}", False),
    (f"-{RUN}", False),
    (f"toolongprefix-{RUN}", False),
    (None, False),
    ("ops-" + "a" * 60, False),
])
def test_companion_names(name: str | None, ok: bool) -> None:
    assert is_companion(name, RUN) is ok


def test_a_companion_is_never_another_runs_namespace() -> None:
    # every run namespace starts with lab-; a companion's word is never `lab`, so it never does
    for word in ("ops", "b", "x1"):
        assert not f"{word}-{RUN}".startswith("lab-")


def test_objects_go_to_the_run_namespace_unless_they_name_its_companion() -> None:
    assert object_namespace(None, RUN) == RUN
    assert object_namespace("kube-system", RUN) == RUN
    assert object_namespace(f"ops-{RUN}", RUN) == f"ops-{RUN}"
    assert object_namespace("ops-lab-networkpolicy-bob", RUN) == RUN   # another learner's: never


def _pod(name: str, phase: str, deleting: bool = False) -> dict[str, object]:
    meta: dict[str, object] = {"name": name}
    if deleting:
        meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    return {"metadata": meta, "status": {"phase": phase}}


def test_running_pod_picks_a_running_one_not_being_deleted() -> None:
    assert running_pod([_pod("b", "Running"), _pod("a", "Running", deleting=True), _pod("c", "Pending")]) == "b"
    assert running_pod([_pod("c", "Pending")]) is None
    assert running_pod([]) is None


def test_no_pod_is_not_read_as_a_network_failure() -> None:
    from runner.checks.http import classify
    r = no_pod(Target(kind="Pod", name="prober"), "ops-x", [])
    assert r.status is None and "pod prober does not exist in ops-x" in (r.error or "")
    assert classify(r.error or "") == "error"      # so `no_answer: [refused, timeout]` does not accept it
    r = no_pod(Target(kind="Pod", selector="role=prober"), "ops-x", [_pod("p", "Pending")])
    assert "a pod role=prober is not Running" in (r.error or "")


def test_http_pod_field() -> None:
    s = HttpSpec.model_validate({"url": "http://web/", "pod": {"kind": "Pod", "name": "frontend"}, "no_answer": True})
    assert s.pod is not None and s.pod.name == "frontend"
    with pytest.raises(ValidationError, match="pod needs from: cluster"):
        HttpSpec.model_validate({"from": "host", "url": "http://127.0.0.1/", "pod": {"kind": "Pod", "name": "x"}})
    with pytest.raises(ValidationError, match="not a Deployment"):
        HttpSpec.model_validate({"url": "http://web/", "pod": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "x"}})
