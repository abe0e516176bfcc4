"""What labs need beyond a learner's namespaces, read from lab data; what the plan adds for it (pure)."""
from __future__ import annotations

from runner.loader import find_lab
from runner.workshop.admission import admission_objects
from runner.workshop.lab_objects import CLASSES, VOLUMES, add_needs, objects_role
from runner.workshop.needs import lab_needs, node_access
from runner.workshop.plan import plan

CLUSTER = {"PersistentVolume", "StorageClass", "Node", "IngressClass", "GatewayClass", "Namespace", "ClusterRole"}


def scope(api_version: str, kind: str) -> bool:
    return kind in CLUSTER


def resolve(api_version: str, kind: str) -> tuple[str, str]:
    group = api_version.rpartition("/")[0]
    return group, {"PersistentVolume": "persistentvolumes", "StorageClass": "storageclasses"}.get(kind, kind.lower() + "s")


def test_pv_pvc_declares_its_cluster_objects_and_reads() -> None:
    n = lab_needs(find_lab("pv-pvc"), scope)
    assert sorted(d["kind"] for d in n.cluster_docs) == ["PersistentVolume", "StorageClass"]
    assert ("v1", "PersistentVolume") in n.cluster_reads
    assert not n.blockers                       # the hostPath wiper is a cleanup action: left out, not a blocker
    assert any("pv-wiper" in s and "hostPath" in s for s in n.skipped)
    docs = n.docs_for("lab-pv-pvc-ann", "ann")
    assert {d["metadata"]["name"] for d in docs} == {"lab-pv-pvc-ann-manual", "lab-pv-pvc-ann-pv-1g"}
    assert all(d["metadata"]["labels"]["kubelab.io/namespace"] == "lab-pv-pvc-ann" for d in docs)


def test_pod_lab_needs_nothing_cluster_wide() -> None:
    n = lab_needs(find_lab("pod"), scope)
    assert (n.cluster_docs, n.cluster_reads, n.blockers, n.node_port) == ([], [], [], False)


def test_node_access_is_named() -> None:
    pod = {"kind": "Pod", "spec": {"containers": [{"name": "c", "securityContext": {"privileged": True}}]}}
    assert node_access(pod) == "privileged: true"
    assert node_access({"kind": "Pod", "spec": {"volumes": [{"name": "h", "hostPath": {"path": "/"}}]}}) == "a hostPath volume (/)"
    assert node_access({"kind": "PersistentVolume", "spec": {"hostPath": {"path": "/tmp/x"}}}) is None


def test_each_learner_gets_own_volumes_classes_and_rights_by_name() -> None:
    needs = {"pv-pvc": lab_needs(find_lab("pv-pvc"), scope)}
    ann, bob = (add_needs(p, needs, resolve, ["standard"]) for p in plan(["ann", "bob"], ["pv-pvc"]))
    pvs = [o for o in ann.extra if o["kind"] == "PersistentVolume"]
    assert {p["metadata"]["name"] for p in pvs} == {"lab-pv-pvc-ann-pv-1g", "lab-pv-pvc-verify-ann-pv-1g"}
    assert all(p["metadata"]["labels"]["kubelab.io/learner"] == "ann" for p in pvs)
    assert ann.annotations["lab-pv-pvc-ann"] == {CLASSES: "lab-pv-pvc-ann-manual,standard", VOLUMES: "lab-pv-pvc-ann-pv-1g"}
    role = next(o for o in ann.extra if o["kind"] == "ClusterRole")
    assert role["metadata"]["name"] == objects_role("ann")
    named = [r for r in role["rules"] if "resourceNames" in r]
    assert all("create" not in r["verbs"] and "delete" not in r["verbs"] for r in role["rules"])
    assert not any(n in str(named) for n in bob.namespaces())
    ns = next(o for o in ann.objects() if o["kind"] == "Namespace" and o["metadata"]["name"] == "lab-pv-pvc-ann")
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "baseline"
    assert ns["metadata"]["annotations"][CLASSES] == "lab-pv-pvc-ann-manual,standard"


def test_claim_policy_covers_class_and_volume() -> None:
    claims = admission_objects()[0]
    text = str(claims["spec"]["validations"])
    assert CLASSES in text and VOLUMES in text
    assert claims["spec"]["matchConstraints"]["namespaceSelector"]["matchLabels"] == {
        "app.kubernetes.io/managed-by": "kubelab-workshop"}


def _obj(uid: str, kind: str, name: str, workshop: bool = False) -> dict[str, object]:
    return {"uid": uid, "kind": kind, "name": name, "namespace": "ns", "apiVersion": "v1", "owned": False,
            "deleting": False, "workshop": workshop}


def test_verify_cleans_only_what_its_run_created_and_reset_keeps_the_workshops() -> None:
    from runner.workshop.cleanup import _ours
    before = {"1": _obj("1", "ConfigMap", "bystander"), "2": _obj("2", "ConfigMap", "kube-root-ca.crt"),
              "4": _obj("4", "ResourceQuota", "kubelab-quota", workshop=True)}
    now = {**before, "3": _obj("3", "Pod", "web")}
    assert set(_ours(now, before)) == {"3"}          # verify: only what appeared during the run
    # a learner's own lab namespace: everything but the workshop's objects and the system's
    assert set(_ours(now, None)) == {"1", "3"}
