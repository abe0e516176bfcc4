"""A run's second namespace on the live cluster: objects land there, reset removes it, someone else's
namespace of that name is never taken over (runner/cluster/companions.py)."""
from __future__ import annotations

import uuid

import pytest
from kubernetes import client
from kubernetes.dynamic.exceptions import NotFoundError

from runner.cluster.client import Kube
from runner.cluster.objects import apply_docs, ensure_namespace
from runner.cluster.reset import leftovers, reset_namespace
from runner.errors import LabError


def _run() -> str:
    return f"lab-ctest-{uuid.uuid4().hex[:6]}"


def test_second_namespace_holds_its_objects_and_goes_with_reset(kubelab_kube: Kube) -> None:
    kube, run = kubelab_kube, _run()
    other = f"ops-{run}"
    try:
        ensure_namespace(kube, run, "ctest")
        apply_docs(kube, [
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": other, "labels": {"team": "ops"}}},
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "there", "namespace": other}},
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "here", "namespace": "default"}},
        ], run, "ctest")
        ns = kube.core.read_namespace(other)
        assert ns.metadata.labels["team"] == "ops" and ns.metadata.labels["kubelab.io/namespace"] == run
        kube.core.read_namespaced_config_map("there", other)
        kube.core.read_namespaced_config_map("here", run)        # forced into the run namespace, as ever
        with pytest.raises(client.ApiException):
            kube.core.read_namespaced_config_map("here", "default")
        assert f"Namespace/{other}" in leftovers(kube, run, [("v1", "Namespace")])
        reset_namespace(kube, run, [("v1", "Namespace")], timeout=120)
        assert leftovers(kube, run, [("v1", "Namespace")]) == []
    finally:
        for n in (run, other):
            try:
                kube.core.delete_namespace(n)
            except client.ApiException:
                pass


def test_a_namespace_that_is_not_the_runs_is_never_taken_over(kubelab_kube: Kube) -> None:
    kube, run = kubelab_kube, _run()
    other = f"ops-{run}"
    kube.core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=other, labels={"owner": "someone"})))
    try:
        with pytest.raises(RuntimeError, match="does not belong to this run"):
            apply_docs(kube, [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": other}}], run, "ctest")
        assert "kubelab.io/namespace" not in (kube.core.read_namespace(other).metadata.labels or {})
        with pytest.raises(LabError, match="may only create its run's second namespace"):
            apply_docs(kube, [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-public"}}], run, "ctest")
        assert "kubelab.io/namespace" not in (kube.core.read_namespace("kube-public").metadata.labels or {})
    finally:
        try:
            kube.core.delete_namespace(other)
        except (client.ApiException, NotFoundError):
            pass
