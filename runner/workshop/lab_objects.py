"""Per learner, what the labs' needs (runner/workshop/needs.py) add to the plan (pure: no cluster access).

- a lab's second namespace (`<word>-${NAMESPACE}`) set up like a lab namespace (runner/workshop/plan.py);
- every other cluster-scoped object a lab's steps apply, once per lab namespace of the learner (the lab's and the one
  `kubelab verify` uses), labelled as the workshop's and the learner's so `workshop down` removes it;
- one ClusterRole per learner: read and patch those objects by name (pv-pvc's learner frees their PV by
  removing its claimRef), and read the cluster-scoped kinds the labs show;
- per lab namespace, the StorageClasses and volumes its claims may name (read by the claim policy in
  runner/workshop/admission.py), so no claim can ever bind another learner's volume.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from runner.workshop.needs import LabNeeds
from runner.workshop.plan import LEARNER_LABEL, MANAGED_BY, SA_NAME, LearnerPlan

# (apiVersion, kind) -> (API group, resource plural), from the cluster's discovery
Resolve = Callable[[str, str], tuple[str, str]]
NS_LABEL = "kubelab.io/namespace"
CLASSES = "kubelab.io/storage-classes"
VOLUMES = "kubelab.io/volumes"


def objects_role(learner: str) -> str:
    return f"kubelab-ws-{learner}-objects"


def add_needs(p: LearnerPlan, needs: dict[str, LabNeeds], resolve: Resolve, shared_classes: list[str]) -> LearnerPlan:
    docs: list[dict[str, Any]] = []
    companions: list[dict[str, Any]] = []
    annotations: dict[str, dict[str, str]] = {}
    named: dict[tuple[str, str], list[str]] = {}
    reads: dict[tuple[str, str], None] = {}
    for lab, ns in p.lab_namespaces:
        n = needs.get(lab)
        own = n.docs_for(ns, p.name) if n else []
        companions += [d for d in own if d["kind"] == "Namespace" and d.get("apiVersion", "v1") == "v1"]
        own = [d for d in own if d not in companions]
        for d in own:
            d["metadata"]["labels"].update({"app.kubernetes.io/managed-by": MANAGED_BY, LEARNER_LABEL: p.name})
            named.setdefault(resolve(d.get("apiVersion", "v1"), d["kind"]), []).append(d["metadata"]["name"])
        docs += own
        for key in n.cluster_reads if n else []:
            reads[resolve(*key)] = None
        claimable = {
            CLASSES: ",".join([d["metadata"]["name"] for d in own if d["kind"] == "StorageClass"] + shared_classes),
            VOLUMES: ",".join(d["metadata"]["name"] for d in own if d["kind"] == "PersistentVolume")}
        for name in [ns] + [c["metadata"]["name"] for c in companions if c["metadata"]["labels"].get(NS_LABEL) == ns]:
            annotations[name] = claimable
    extra = list(docs)
    rules = [{"apiGroups": [g], "resources": [r], "verbs": ["get", "list", "watch", "patch", "update"],
              "resourceNames": sorted(names)} for (g, r), names in sorted(named.items())]
    rules += [{"apiGroups": [g], "resources": [r], "verbs": ["get", "list", "watch"]} for g, r in sorted(reads)]
    if rules:
        role = objects_role(p.name)
        labels = {"app.kubernetes.io/managed-by": MANAGED_BY, LEARNER_LABEL: p.name}
        extra += [
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
             "metadata": {"name": role, "labels": labels}, "rules": rules},
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
             "metadata": {"name": role, "labels": labels},
             "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
             "subjects": [{"kind": "ServiceAccount", "name": SA_NAME, "namespace": p.home}]}]
    return replace(p, extra=extra, annotations=annotations, companions=companions)
