"""The lab cases' namespace restore (tests/cluster/nsrestore.py) against the API server: after a case replaced
an object the solve had applied, the restore puts back the object and who owns its fields, so the solve's
server-side apply that follows works as it did before the case."""
from __future__ import annotations

import copy
from typing import Any

import nsrestore
from restore_plan import plan

from runner.cluster import objects as kobj
from runner.cluster.client import Kube, call


def deployment(port: int) -> dict[str, Any]:
    container = {"name": "web", "image": "registry.k8s.io/pause:3.10", "ports": [{"name": "http", "containerPort": port}]}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [container]}}}}


def test_a_solve_applies_cleanly_after_a_case_replaced_its_object(kubelab_kube: Kube, namespace: str) -> None:
    kube, deployments = kubelab_kube, kubelab_kube.resource("apps/v1", "Deployment")
    kobj.apply_docs(kube, [deployment(8080)], namespace, "restore-test")     # the earlier steps' solve
    of = [k for k in nsrestore.kinds(kube, []) if k[1] == "Deployment"]
    before = nsrestore.take(kube, namespace, of)
    # the case: `kubectl replace` of the next version (another manager, the port changed under the same name)
    # (no resourceVersion: the Deployment controller writes status meanwhile, and a conditional replace got 409)
    case = {**deployment(9090), "metadata": {"name": "web", "namespace": namespace}}
    call(deployments.replace, body=case, namespace=namespace, field_manager="kubectl-replace")
    nsrestore._execute(kube, namespace, of, plan(before, nsrestore.take(kube, namespace, of)))
    restored = call(deployments.get, name="web", namespace=namespace).to_dict()
    assert restored["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] == 8080
    # the step's own solve: without the ownership put back, the replaced port stays beside this one (422)
    kobj.apply_docs(kube, [copy.deepcopy(deployment(9090))], namespace, "restore-test")
    ports = call(deployments.get, name="web", namespace=namespace).to_dict()["spec"]["template"]["spec"][
        "containers"][0]["ports"]
    assert [p["containerPort"] for p in ports] == [9090], ports
