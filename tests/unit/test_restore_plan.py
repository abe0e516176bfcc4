"""The plan that brings a lab namespace back to a snapshot between two lab cases (tests/cluster/restore_plan.py)."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cluster"))

from restore_plan import fresh_copy, plan, reverted  # noqa: E402


def obj(kind: str, name: str, uid: str, owner: str | None = None, api: str = "v1", **rest: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "uid": uid, "resourceVersion": "1", "labels": rest.pop("labels", {})}
    if owner:
        meta["ownerReferences"] = [{"uid": owner, "controller": True, "kind": "ReplicaSet", "name": "x"}]
    return {"apiVersion": api, "kind": kind, "metadata": meta, **rest}


DEPLOY = obj("Deployment", "web", "d1", api="apps/v1", spec={"replicas": 3})
RS = obj("ReplicaSet", "web-1", "r1", owner="d1", api="apps/v1", spec={"replicas": 3})
POD = obj("Pod", "web-1-a", "p1", owner="r1", spec={"nodeName": "n"})


def names(objs: list[dict[str, Any]]) -> list[str]:
    return sorted(f"{o['kind']}/{o['metadata']['name']}" for o in objs)


def test_nothing_changed_is_an_empty_plan() -> None:
    assert plan([DEPLOY, RS, POD], [DEPLOY, RS, POD]).empty


def test_what_the_case_made_goes_but_pods_of_a_surviving_owner_are_left_to_it() -> None:
    new_rs = obj("ReplicaSet", "web-2", "r2", owner="d1", api="apps/v1", spec={"replicas": 1})
    new_rs["metadata"]["ownerReferences"][0]["uid"] = "d1"
    replacement = obj("Pod", "web-1-b", "p2", owner="r1")
    svc = obj("Service", "api", "s1")
    ev = obj("Event", "web.1", "e1", reason="Killing")
    p = plan([DEPLOY, RS, POD], [DEPLOY, RS, replacement, new_rs, svc, ev])
    # the ReplicaSet is rollout history its Deployment would keep; the replacement pod is the RS's to manage
    assert names(p.delete) == ["Event/web.1", "ReplicaSet/web-2", "Service/api"]
    assert p.recreate == [] and p.revert == []


def test_a_changed_spec_or_label_is_put_back_and_status_is_not_a_change() -> None:
    scaled = {**DEPLOY, "spec": {"replicas": 5}}
    relabelled = obj("Pod", "web-1-a", "p1", owner="r1", spec={"nodeName": "n"}, labels={"app": "debug"})
    busy = {**RS, "status": {"replicas": 2}}
    p = plan([DEPLOY, RS, POD], [scaled, busy, relabelled])
    assert [then["metadata"]["name"] for _, then in p.revert] == ["web", "web-1-a"]
    body = reverted(scaled, DEPLOY)
    assert body["spec"] == {"replicas": 3} and body["metadata"]["resourceVersion"] == "1"


def test_a_deployment_created_again_keeps_the_replicaset_and_pods_its_controller_made_again() -> None:
    # the case deleted web (foreground); the restore created it again (d2), which made web-1 and a pod again
    again = obj("Deployment", "web", "d2", api="apps/v1", spec={"replicas": 3})
    rs = obj("ReplicaSet", "web-1", "r2", owner="d2", api="apps/v1", spec={"replicas": 3})
    pod = obj("Pod", "web-1-z", "p9", owner="r2")
    assert plan([again, RS, POD], [again, rs, pod]).empty


def test_what_a_surviving_owner_controls_is_left_to_it() -> None:
    scaled_rs = {**RS, "spec": {"replicas": 5}}    # the Deployment's controller wrote it; it writes it back
    assert plan([DEPLOY, RS, POD], [DEPLOY, scaled_rs, POD]).empty


def test_a_deleted_bare_object_comes_back_without_server_fields_but_a_controlled_pod_does_not() -> None:
    bare = obj("Pod", "fe-prod", "b1", spec={"nodeName": "n", "containers": []}, status={"phase": "Running"})
    p = plan([DEPLOY, RS, POD, bare], [DEPLOY, RS])
    assert names(p.recreate) == ["Pod/fe-prod"]
    again = p.recreate[0]
    assert "uid" not in again["metadata"] and "status" not in again and "nodeName" not in again["spec"]
    assert fresh_copy(bare)["metadata"]["name"] == "fe-prod"


def test_an_object_recreated_under_the_same_name_is_deleted_and_the_old_one_comes_back() -> None:
    cm = obj("ConfigMap", "app-config", "c1", data={"GREETING": "hello"})
    again = obj("ConfigMap", "app-config", "c2", data={"greeting": "hello"})
    p = plan([cm], [again])
    assert names(p.delete) == ["ConfigMap/app-config"] and p.delete[0]["metadata"]["uid"] == "c2"
    assert names(p.recreate) == ["ConfigMap/app-config"]


def test_runner_objects_are_never_touched() -> None:
    client = obj("Pod", "kubelab-client", "k1", labels={"kubelab.io/role": "client"})
    values = obj("ConfigMap", "kubelab-values", "v2", data={"a": "2"})
    assert plan([obj("ConfigMap", "kubelab-values", "v1")], [client, values]).empty


def test_the_slice_of_a_service_the_case_made_goes_but_a_surviving_services_slice_stays() -> None:
    svc = obj("Service", "web", "s1")
    mine = obj("EndpointSlice", "web-abc", "x1", owner="s1", api="discovery.k8s.io/v1")
    mine["metadata"]["annotations"] = {"endpoints.kubernetes.io/last-change-trigger-time": "now"}
    theirs = obj("EndpointSlice", "api-abc", "x2", owner="s2", api="discovery.k8s.io/v1")
    p = plan([svc, {**mine, "metadata": {**mine["metadata"], "annotations": {}}}], [svc, mine, theirs])
    assert names(p.delete) == ["EndpointSlice/api-abc"] and not p.revert


def test_a_changed_ingress_comes_back_as_a_new_object_without_the_address_a_controller_gave_it() -> None:
    then = obj("Ingress", "fruits", "i1", api="networking.k8s.io/v1", spec={"rules": []})
    now = obj("Ingress", "fruits", "i1", api="networking.k8s.io/v1", spec={"rules": []},
              status={"loadBalancer": {"ingress": [{"ip": "127.0.0.1"}]}})
    now["metadata"]["annotations"] = {"kubernetes.io/ingress.class": "traefik"}
    p = plan([then], [now])
    assert names(p.delete) == ["Ingress/fruits"] and names(p.recreate) == ["Ingress/fruits"]
    assert "status" not in p.recreate[0]


def test_annotations_controllers_write_are_not_a_change() -> None:
    now = {**DEPLOY, "metadata": {**DEPLOY["metadata"], "annotations": {"deployment.kubernetes.io/revision": "3"}}}
    assert plan([DEPLOY], [now]).empty


def test_replicas_an_hpa_sets_are_not_a_change() -> None:
    hpa = obj("HorizontalPodAutoscaler", "web", "h1", api="autoscaling/v2",
              spec={"scaleTargetRef": {"kind": "Deployment", "name": "web"}})
    scaled = {**DEPLOY, "spec": {"replicas": 4}}
    assert plan([DEPLOY, hpa], [scaled, hpa]).empty
    assert not plan([DEPLOY], [scaled]).empty
