"""The objects a workshop gives each learner, as plain manifests (pure: no cluster access).

Per learner: a home namespace with the ServiceAccount their kubeconfig speaks as; for every lab, the lab's
namespace (and the one `kubelab verify` uses) with the built-in `admin` ClusterRole bound there only, a
ResourceQuota and a LimitRange; cluster-wide, read access to what labs show (nodes, StorageClasses,
IngressClasses) and `get` on their own namespaces by name. Nothing grants anything outside these.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from runner.placeholders import namespace_for

MANAGED_BY = "kubelab-workshop"
LEARNER_LABEL = "kubelab.io/learner"
SA_NAME = "learner"
READER_ROLE = "kubelab-workshop-reader"
# Learner pods may not reach the node (hostPath, privileged, host network or ports): that would lift every fence.
POD_SECURITY = {"pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/warn": "baseline"}
EXTRA_ROLE = "kubelab-workshop-extra"

# Sized for the labs: the largest runs ~10 pods at once (rollouts with surge, a StatefulSet, a Job); pv-pvc
# asks for a 5Gi claim that must stay Pending (not be refused). Counts and storage only: a CPU or memory quota
# forces a LimitRange default onto every container, and pods would no longer be what the labs show
# (BestEffort pods, the QoS classes of resources-qos).
QUOTA = {"pods": "30", "services": "20", "services.nodeports": "5", "services.loadbalancers": "0",
         "persistentvolumeclaims": "10", "requests.storage": "20Gi", "configmaps": "50", "secrets": "50"}
LIMITS = [{"type": "PersistentVolumeClaim", "max": {"storage": "10Gi"}}]


@dataclass(frozen=True)
class LearnerPlan:
    name: str
    home: str                 # namespace holding the learner's ServiceAccount
    lab_namespaces: list[tuple[str, str]]   # (lab id, namespace)
    # from the labs' needs (runner/workshop/lab_objects.py): cluster-scoped objects and the rights on them,
    # and per lab namespace the annotations the claim policy reads (runner/workshop/admission.py)
    extra: list[dict[str, Any]] = field(default_factory=list)
    annotations: dict[str, dict[str, str]] = field(default_factory=dict)
    companions: list[dict[str, Any]] = field(default_factory=list)   # labs' second namespaces (Namespace objects)

    def objects(self) -> list[dict[str, Any]]:
        subject = [{"kind": "ServiceAccount", "name": SA_NAME, "namespace": self.home}]
        objs: list[dict[str, Any]] = [_ns(self.home, self.name),
                                      {"apiVersion": "v1", "kind": "ServiceAccount",
                                       "metadata": _meta(SA_NAME, self.name, self.home)}]
        for lab, ns in self.lab_namespaces:
            # the labels kubelab's own namespaces carry, so the runner finds them as its own
            objs += self._namespace(ns, {"kubelab.io/lab": lab, "kubelab.io/namespace": ns}, subject)
        for doc in self.companions:     # a lab's second namespace: labelled as its run's (runner/cluster/companions.py)
            meta = doc["metadata"]
            objs += self._namespace(meta["name"], meta.get("labels") or {}, subject)
        own_ns = f"kubelab-ws-{self.name}-namespaces"
        objs += [
            # their progress lives in their home namespace (ConfigMaps), which they may not otherwise change
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
             "metadata": _meta("kubelab-progress", self.name, self.home),
             "rules": [{"apiGroups": [""], "resources": ["configmaps"],
                        "verbs": ["get", "list", "watch", "create", "update", "patch"]}]},
            _binding("RoleBinding", "kubelab-progress", "kubelab-progress", subject, self.name, self.home, "Role"),
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": _meta(own_ns, self.name),
             "rules": [{"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get"],
                        "resourceNames": [self.home, *self.namespaces()]}]},
            _binding("ClusterRoleBinding", own_ns, own_ns, subject, self.name),
            _binding("ClusterRoleBinding", f"kubelab-ws-{self.name}-reader", READER_ROLE, subject, self.name),
        ]
        return objs + self.extra

    def _namespace(self, ns: str, labels: dict[str, str], subject: list[dict[str, str]]) -> list[dict[str, Any]]:
        return [_ns(ns, self.name, {**labels, **POD_SECURITY}, self.annotations.get(ns)),
                _binding("RoleBinding", "kubelab-learner", "admin", subject, self.name, ns),
                _binding("RoleBinding", "kubelab-learner-extra", EXTRA_ROLE, subject, self.name, ns),
                {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": _meta("kubelab-quota", self.name, ns),
                 "spec": {"hard": QUOTA}},
                {"apiVersion": "v1", "kind": "LimitRange", "metadata": _meta("kubelab-limits", self.name, ns),
                 "spec": {"limits": LIMITS}}]

    def namespaces(self) -> list[str]:
        return [ns for _, ns in self.lab_namespaces] + [d["metadata"]["name"] for d in self.companions]


def plan(learners: list[str], lab_ids: list[str]) -> list[LearnerPlan]:
    return [LearnerPlan(n, f"kubelab-ws-{n}",
                        [(lab, ns) for lab in lab_ids for ns in (namespace_for(lab, n), namespace_for(lab, f"verify-{n}"))])
            for n in learners]


def shared_objects() -> list[dict[str, Any]]:
    """ClusterRoles every learner binds: cluster-wide reads labs show, and lab kinds `admin` lacks."""

    def meta(name: str) -> dict[str, Any]:
        return {"name": name, "labels": {"app.kubernetes.io/managed-by": MANAGED_BY}}
    return [
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": meta(READER_ROLE),
         "rules": [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list", "watch"]},
                   {"apiGroups": ["storage.k8s.io"], "resources": ["storageclasses"], "verbs": ["get", "list", "watch"]},
                   {"apiGroups": ["networking.k8s.io"], "resources": ["ingressclasses"],
                    "verbs": ["get", "list", "watch"]},
                   {"apiGroups": ["gateway.networking.k8s.io"], "resources": ["gatewayclasses"],
                    "verbs": ["get", "list", "watch"]},
                   {"apiGroups": ["metrics.k8s.io"], "resources": ["nodes"], "verbs": ["get", "list"]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": meta(EXTRA_ROLE),
         "rules": [{"apiGroups": ["gateway.networking.k8s.io"],
                    "resources": ["gateways", "httproutes", "grpcroutes", "referencegrants"], "verbs": ["*"]},
                   {"apiGroups": ["metrics.k8s.io"], "resources": ["pods"], "verbs": ["get", "list"]},
                   {"apiGroups": ["events.k8s.io"], "resources": ["events"], "verbs": ["get", "list", "watch"]},
                   # resources-qos makes its own; the workshop's kubelab-quota/-limits are guarded by the
                   # admission policy kubelab-workshop-provisioned (a learner may not change or delete them)
                   {"apiGroups": [""], "resources": ["limitranges", "resourcequotas"],
                    "verbs": ["create", "update", "patch", "delete", "deletecollection"]}]},
    ]


def kubeconfig(learner: str, server: str, ca_data: str, token: str, cluster: str, namespace: str) -> dict[str, Any]:
    """A kubeconfig for one learner; the context carries the learner name so kubelab needs no --learner."""
    ctx = f"kubelab-{learner}"
    return {"apiVersion": "v1", "kind": "Config", "current-context": ctx, "preferences": {},
            "clusters": [{"name": cluster, "cluster": {"server": server, "certificate-authority-data": ca_data}}],
            "users": [{"name": ctx, "user": {"token": token}}],
            "contexts": [{"name": ctx, "context": {
                "cluster": cluster, "user": ctx, "namespace": namespace,
                "extensions": [{"name": "kubelab.io/learner", "extension": {"learner": learner}}]}}]}


def _meta(name: str, learner: str, namespace: str | None = None) -> dict[str, Any]:
    m: dict[str, Any] = {"name": name, "labels": {"app.kubernetes.io/managed-by": MANAGED_BY, LEARNER_LABEL: learner}}
    if namespace:
        m["namespace"] = namespace
    return m


def _ns(name: str, learner: str, labels: dict[str, str] | None = None,
        annotations: dict[str, str] | None = None) -> dict[str, Any]:
    meta = _meta(name, learner)
    meta["labels"].update(labels or {})
    if annotations:
        meta["annotations"] = dict(annotations)
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta}


def _binding(kind: str, name: str, role: str, subjects: list[dict[str, str]], learner: str,
             namespace: str | None = None, role_kind: str = "ClusterRole") -> dict[str, Any]:
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": _meta(name, learner, namespace),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
            "subjects": subjects}
