"""runner/accessors.py: fields of an object read without KeyError/AttributeError, the object's own dicts returned."""
from __future__ import annotations

from runner import accessors as k8s

POD = {"metadata": {"name": "web-1", "labels": {"app": "web"}, "deletionTimestamp": "2026-01-01T00:00:00Z"},
       "spec": {"containers": [{"name": "app"}, "junk"]},
       "status": {"phase": "Running", "conditions": [{"type": "PodScheduled", "status": "True"},
                                                     {"type": "Ready", "status": "False"}, None],
                  "containerStatuses": [{"name": "app", "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}}


def test_fields_of_a_full_object():
    assert k8s.name(POD) == "web-1" and k8s.labels(POD) == {"app": "web"} and k8s.deleting(POD)
    assert k8s.phase(POD) == "Running"
    assert [c["type"] for c in k8s.conditions(POD)] == ["PodScheduled", "Ready"]
    assert k8s.condition(POD, "Ready") == {"type": "Ready", "status": "False"}
    assert k8s.condition(POD, "Initialized") is None
    assert k8s.containers(POD) == [{"name": "app"}]
    assert k8s.state(k8s.container_statuses(POD)[0], "waiting")["reason"] == "CrashLoopBackOff"
    assert k8s.state(k8s.container_statuses(POD)[0], "running") == {}


def test_missing_null_and_wrongly_typed_sections_read_as_empty():
    for o in ({}, {"metadata": None, "status": None, "spec": None}, {"metadata": "x", "status": [1], "spec": 3}, None):
        assert k8s.meta(o) == {} and k8s.status(o) == {} and k8s.spec(o) == {} and k8s.labels(o) == {}
        assert k8s.conditions(o) == [] and k8s.containers(o) == [] and not k8s.deleting(o)
        assert k8s.name(o) == "?" and k8s.phase(o) is None and k8s.dig(o, "spec", "template", "metadata") == {}


def test_the_objects_own_dicts_are_returned():
    tmpl = {"metadata": {"labels": {"app": "web", "pod-template-hash": "abc"}}}
    k8s.labels(tmpl).pop("pod-template-hash")
    assert tmpl == {"metadata": {"labels": {"app": "web"}}}
    assert k8s.dig({"a": {"b": {"c": 1}}}, "a", "b") == {"c": 1} and k8s.dig({"a": {"b": 2}}, "a", "b") == {}


def test_event_time_and_involved_object():
    assert k8s.event_time({"lastTimestamp": "b", "eventTime": "a"}) == "b"
    assert k8s.event_time({"eventTime": "a", "metadata": {"creationTimestamp": "c"}}) == "a"
    assert k8s.event_time({"metadata": {"creationTimestamp": "c"}}) == "c" and k8s.event_time({}) == ""
    assert k8s.involved({"involvedObject": {"kind": "Pod"}}) == {"kind": "Pod"} and k8s.involved({}) == {}
