"""Workshop planning is pure: roster validation, the objects per learner, the learner's kubeconfig."""
from __future__ import annotations

import pytest

from runner.workshop.plan import kubeconfig, plan, shared_objects
from runner.workshop.roster import RosterError, from_count, from_text


def test_roster_from_count_and_text() -> None:
    assert from_count(3) == ["learner-1", "learner-2", "learner-3"]
    assert from_text("ann\n# a comment\n\nbob  # trailing\n", "r.txt") == ["ann", "bob"]


@pytest.mark.parametrize("text, words", [
    ("ann\nbob\nann\n", "duplicate learner name(s): ann"),
    ("ann\nBob\n", "invalid learner name(s) 'Bob'"),
    ("ann\nbob smith\n", "invalid learner name(s) 'bob smith'"),
    ("x" * 30, "at most 20 characters"),
    ("# nobody\n", "no learner names"),
])
def test_roster_errors_name_the_problem(text: str, words: str) -> None:
    with pytest.raises(RosterError) as e:
        from_text(text, "roster.txt")
    assert str(e.value).startswith("roster.txt: ") and words in str(e.value)


def test_count_bounds() -> None:
    with pytest.raises(RosterError):
        from_count(0)


def test_each_learner_gets_admin_only_in_own_lab_namespaces() -> None:
    (ann, bob) = plan(["ann", "bob"], ["pod", "service"])
    assert ann.namespaces() == ["lab-pod-ann", "lab-pod-verify-ann", "lab-service-ann", "lab-service-verify-ann"]
    objs = ann.objects()
    bindings = [o for o in objs if o["kind"] == "RoleBinding" and o["roleRef"]["name"] == "admin"]
    assert sorted(b["metadata"]["namespace"] for b in bindings) == sorted(ann.namespaces())
    for o in objs:   # nothing of ann's names bob's namespaces, and every subject is ann's ServiceAccount
        assert not any(ns in str(o) for ns in bob.namespaces())
        for s in o.get("subjects", []):
            assert s == {"kind": "ServiceAccount", "name": "learner", "namespace": "kubelab-ws-ann"}
    crbs = [o for o in objs if o["kind"] == "ClusterRoleBinding"]
    assert {c["roleRef"]["name"] for c in crbs} == {"kubelab-ws-ann-namespaces", "kubelab-workshop-reader"}
    own = next(o for o in objs if o["kind"] == "ClusterRole")
    assert own["rules"] == [{"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get"],
                             "resourceNames": ["kubelab-ws-ann", *ann.namespaces()]}]
    assert {o["kind"] for o in objs if o["metadata"].get("namespace") == "lab-pod-ann"} == {
        "RoleBinding", "ResourceQuota", "LimitRange"}


def test_shared_roles_grant_no_writes_outside_namespaces() -> None:
    reader = shared_objects()[0]
    assert all(set(r["verbs"]) <= {"get", "list", "watch"} for r in reader["rules"])
    assert not any("secrets" in r["resources"] or "namespaces" in r["resources"] for o in shared_objects()
                   for r in o["rules"])


def test_kubeconfig_names_the_learner() -> None:
    kc = kubeconfig("ann", "https://127.0.0.1:6443", "Q0E=", "tok", "kind-kubelab", "lab-pod-ann")
    ctx = kc["contexts"][0]
    assert kc["current-context"] == ctx["name"] == "kubelab-ann"
    assert ctx["context"]["extensions"] == [{"name": "kubelab.io/learner", "extension": {"learner": "ann"}}]
    assert kc["users"][0]["user"] == {"token": "tok"}
