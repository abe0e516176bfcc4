"""requires: the vocabulary, what a cluster offers (runner/requires.py judge) and where a host request goes."""
from __future__ import annotations

from typing import Any, get_args

import pytest

from runner.loader import load_all
from runner.requires import REQUIREMENTS, ClusterFacts, Offers, assumed_from_env, host_target, judge
from runner.schema import Lab, Requirement

PORTS = range(30080, 30085)


def node(name: str, *, control_plane: bool = False, taint: bool = False, ip: str = "10.0.0.1",
         kind_cluster: str | None = None) -> dict[str, Any]:
    labels = {"node-role.kubernetes.io/control-plane": ""} if control_plane else {}
    spec: dict[str, Any] = {"taints": [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]
                            if taint else []}
    if kind_cluster:
        spec["providerID"] = f"kind://docker/{kind_cluster}/{name}"
    return {"metadata": {"name": name, "labels": labels}, "spec": spec,
            "status": {"conditions": [{"type": "Ready", "status": "True"}],
                       "addresses": [{"type": "InternalIP", "address": ip}]}}


def kind_default() -> ClusterFacts:
    """The shared kind cluster: everything offered."""
    return ClusterFacts(nodes=[node("cp", control_plane=True, taint=True, ip="172.18.0.2", kind_cluster="kubelab"),
                               node("w", ip="172.18.0.3", kind_cluster="kubelab")],
                        host_ports=frozenset({80, 443, *PORTS}), ingress_class_traefik=True,
                        gateway_class_traefik=True, traefik_service=True, metrics_api=True,
                        default_storage_class=True, daemonsets=["kube-proxy", "kube-router"])


def test_vocabulary_is_the_schemas():
    assert set(get_args(Requirement)) == set(REQUIREMENTS)


def test_default_kind_cluster_offers_everything():
    o = judge(kind_default(), PORTS)
    assert o.missing == {} and o.kind_cluster == "kubelab"
    assert o.node_address == "172.18.0.3"        # the schedulable worker, not the tainted control plane
    assert o.not_runnable(list(REQUIREMENTS)) is None


def test_plain_single_node_cluster_lacks_what_kind_plain_lacks():
    f = ClusterFacts(nodes=[node("alt-cp", control_plane=True, ip="172.18.0.6", kind_cluster="alt")],
                     metrics_api=True, default_storage_class=True, daemonsets=["kube-proxy"])
    o = judge(f, PORTS)
    assert set(o.missing) == {"host-ports", "shared-traefik", "network-policy", "worker-node", "tainted-node"}
    why = o.not_runnable(["shared-traefik", "host-ports"])
    assert why is not None and why.startswith("not runnable on this cluster: needs the shared Traefik")
    assert "no IngressClass traefik" in why and "127.0.0.1" in why
    assert o.not_runnable(["metrics-api", "default-storage-class"]) is None
    assert "alt-cp" in o.missing["worker-node"]


def test_managed_cluster_workers_only():
    """No control-plane nodes (managed), no kind: workers exist, nothing is tainted, no host ports."""
    f = ClusterFacts(nodes=[node("n1", ip="10.0.0.1"), node("n2", ip="10.0.0.2")], metrics_api=False,
                     default_storage_class=True, daemonsets=["cilium", "kube-proxy"])
    o = judge(f, PORTS)
    assert set(o.missing) == {"host-ports", "shared-traefik", "metrics-api", "tainted-node"}
    assert "metrics-server" in o.missing["metrics-api"] and o.kind_cluster is None


def test_forbidden_reads_count_as_offered():
    """A workshop learner may not list DaemonSets or read kubelab-system: the instructor chose the labs."""
    f = kind_default()
    f.daemonsets, f.traefik_service, f.host_ports = None, None, None
    o = judge(f, PORTS)
    assert o.missing == {}


def test_partial_host_ports_name_what_is_mapped():
    f = kind_default()
    f.host_ports = frozenset({30080})
    o = judge(f, PORTS)
    assert "only 30080" in o.missing["host-ports"]


def test_assume_overrides_detection_and_refuses_unknown_words():
    f = ClusterFacts(nodes=[node("n1")], daemonsets=["my-own-cni"], assumed=assumed_from_env("network-policy"))
    assert "network-policy" not in judge(f, PORTS).missing
    with pytest.raises(ValueError, match="KUBELAB_ASSUME: unknown requirement netpol"):
        assumed_from_env("netpol, metrics-api")


@pytest.mark.parametrize("url_host, port, mapped, expected", [
    ("127.0.0.1", 30081, frozenset(), "10.1.2.3"),          # not mapped here: the node's port, in-cluster
    ("127.0.0.1", 30081, frozenset({30081}), None),         # kind maps it: from this machine as written
    ("web.example", 80, frozenset(), None),                 # not this machine: as written
    ("localhost", 80, None, None),                          # unknown (forbidden): as written
])
def test_host_target(url_host, port, mapped, expected):
    assert host_target(url_host, port, Offers({}, "10.1.2.3", mapped)) == expected


def test_labs_declare_their_needs():
    labs = {lab.id: lab.lab for lab in load_all()[0]}
    assert all(isinstance(x, Lab) for x in labs.values())
    assert set(labs["ingress"].requires) == {"shared-traefik", "host-ports"}
    assert labs["networkpolicy"].requires == ["network-policy"] and labs["hpa"].requires == ["metrics-api"]
    assert labs["service"].requires == []          # adapted: the NodePort check goes to a node's address


def test_schema_refuses_unknown_and_repeated_words():
    base = {"id": "x", "title": "t", "concept": "c", "objectives": ["o"], "steps": [{"id": "s", "title": "t"}]}
    with pytest.raises(ValueError, match="requires"):
        Lab.model_validate({**base, "requires": ["gpu"]})
    with pytest.raises(ValueError, match="requires lists host-ports twice"):
        Lab.model_validate({**base, "requires": ["host-ports", "host-ports"]})


def test_lint_names_an_undeclared_need(tmp_path):
    """A lab that uses the shared Traefik or a HorizontalPodAutoscaler without declaring it: one line per word."""
    import shutil
    from pathlib import Path

    from runner.lint import Context, lint_lab
    root = Path(__file__).resolve().parents[2]
    for lab in ("hpa", "ingress"):
        shutil.copytree(root / "labs" / lab, tmp_path / "labs" / lab)
        shutil.copytree(root / "manifests" / lab, tmp_path / "manifests" / lab)
        f = tmp_path / "labs" / lab / "lab.yaml"
        f.write_text("".join(line for line in f.read_text().splitlines(True) if not line.startswith("requires:")))
    ctx = Context.load()
    hpa = [str(p) for p in lint_lab(tmp_path / "labs/hpa/lab.yaml", ctx)]
    assert len(hpa) == 1 and hpa[0].endswith("requires: add metrics-api (a HorizontalPodAutoscaler reads the "
                                              "metrics API; docs/lab-format.md, requires)"), hpa
    ingress = " ".join(str(p) for p in lint_lab(tmp_path / "labs/ingress/lab.yaml", ctx))
    assert "requires: add shared-traefik" in ingress and "requires: add host-ports" in ingress


def test_skipped_lab_is_neither_passed_nor_failed_and_junit_says_skipped(tmp_path):
    import xml.etree.ElementTree as ET

    from runner.junit import write_junit
    from runner.verify import LabReport
    r = LabReport("ingress", "", skipped="not runnable on this cluster: needs the shared Traefik add-on")
    assert not r.ok and not r.failed
    write_junit(tmp_path / "j.xml", [r])
    suite = ET.parse(tmp_path / "j.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("skipped") == "1" and suite.get("failures") == "0"
    skipped = suite.find("testcase/skipped")
    assert skipped is not None and "needs the shared Traefik" in (skipped.get("message") or "")
