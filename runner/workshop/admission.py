"""Admission policies that keep learners' volumes apart (ValidatingAdmissionPolicy, CEL; pure data).

RBAC cannot say "a claim may only name your own StorageClass or volume": a claim names them in its spec.
So in every workshop lab namespace a PersistentVolumeClaim may only name a StorageClass and a volume that
the namespace's annotations (written by `workshop up`, which learners cannot change) list; this holds for
claims a controller creates too (a StatefulSet's). And a learner patching their own PersistentVolume (by name,
see runner/workshop/lab_objects.py) may not point its claimRef into another namespace nor change its labels
or class. Learners may make their own LimitRanges and ResourceQuotas (resources-qos teaches them), but may not
change or delete the ones the workshop provisioned (what keeps one learner from flooding the room).
"""
from __future__ import annotations

from typing import Any

from runner.workshop.lab_objects import CLASSES, VOLUMES
from runner.workshop.plan import MANAGED_BY

CLAIMS = "kubelab-workshop-claims"
VOLUME_EDITS = "kubelab-workshop-volumes"
PROVISIONED = "kubelab-workshop-provisioned"
LEARNERS = "system:serviceaccount:kubelab-ws-"     # every learner's ServiceAccount lives in kubelab-ws-<name>


def _listed(field: str, annotation: str) -> str:
    ann = "namespaceObject.metadata.annotations"
    return (f"!has(object.spec.{field}) || object.spec.{field} == '' || "
            f"(has(namespaceObject.metadata.annotations) && '{annotation}' in {ann} && "
            f"object.spec.{field} in {ann}['{annotation}'].split(','))")


def _meta(name: str) -> dict[str, Any]:
    return {"name": name, "labels": {"app.kubernetes.io/managed-by": MANAGED_BY}}


def admission_objects() -> list[dict[str, Any]]:
    api = "admissionregistration.k8s.io/v1"
    workshop_ns = {"matchLabels": {"app.kubernetes.io/managed-by": MANAGED_BY}}
    claims = {
        "apiVersion": api, "kind": "ValidatingAdmissionPolicy", "metadata": _meta(CLAIMS),
        "spec": {"failurePolicy": "Fail",
                 "matchConstraints": {"namespaceSelector": workshop_ns, "resourceRules": [
                     {"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"],
                      "resources": ["persistentvolumeclaims"]}]},
                 "validations": [
                     {"expression": _listed("storageClassName", CLASSES),
                      "messageExpression": "'storageClassName ' + object.spec.storageClassName + "
                                           "' belongs to another workshop namespace (or to none): use your own'"},
                     {"expression": _listed("volumeName", VOLUMES),
                      "messageExpression": "'volumeName ' + object.spec.volumeName + "
                                           "' is not a volume of this namespace'"}]}}
    label = "oldObject.metadata.labels['kubelab.io/namespace']"
    volumes = {
        "apiVersion": api, "kind": "ValidatingAdmissionPolicy", "metadata": _meta(VOLUME_EDITS),
        "spec": {"failurePolicy": "Fail",
                 "matchConstraints": {"resourceRules": [
                     {"apiGroups": [""], "apiVersions": ["v1"], "operations": ["UPDATE"],
                      "resources": ["persistentvolumes"]}]},
                 "matchConditions": [{"name": "learner",
                                      "expression": f"request.userInfo.username.startsWith('{LEARNERS}')"}],
                 "validations": [
                     {"expression": "has(oldObject.metadata.labels) && has(object.metadata.labels) && "
                                    "object.metadata.labels == oldObject.metadata.labels",
                      "message": "a learner may not change a volume's labels"},
                     {"expression": "(has(object.spec.storageClassName) ? object.spec.storageClassName : '') == "
                                    "(has(oldObject.spec.storageClassName) ? oldObject.spec.storageClassName : '')",
                      "message": "a learner may not change a volume's class"},
                     {"expression": f"!has(object.spec.claimRef) || (has(object.spec.claimRef.namespace) && "
                                    f"has(oldObject.metadata.labels) && 'kubelab.io/namespace' in oldObject.metadata.labels && "
                                    f"object.spec.claimRef.namespace == {label})",
                      "message": "a volume's claimRef may only point into its own lab namespace"}]}}
    managed = "oldObject.metadata.labels['app.kubernetes.io/managed-by']"
    provisioned = {
        "apiVersion": api, "kind": "ValidatingAdmissionPolicy", "metadata": _meta(PROVISIONED),
        "spec": {"failurePolicy": "Fail",
                 "matchConstraints": {"namespaceSelector": workshop_ns, "resourceRules": [
                     {"apiGroups": [""], "apiVersions": ["v1"], "operations": ["UPDATE", "DELETE"],
                      "resources": ["resourcequotas", "limitranges"]}]},
                 "matchConditions": [{"name": "learner",
                                      "expression": f"request.userInfo.username.startsWith('{LEARNERS}')"}],
                 "validations": [
                     {"expression": f"!(has(oldObject.metadata.labels) && "
                                    f"'app.kubernetes.io/managed-by' in oldObject.metadata.labels && "
                                    f"{managed} == '{MANAGED_BY}')",
                      "reason": "Forbidden",
                      "messageExpression": "request.kind.kind + ' ' + oldObject.metadata.name + ' was provisioned by the "
                                           "workshop (it keeps the room fair): a learner may not change or delete it'"}]}}
    bindings = [{"apiVersion": api, "kind": "ValidatingAdmissionPolicyBinding", "metadata": _meta(name),
                 "spec": {"policyName": name, "validationActions": ["Deny"]}}
                for name in (CLAIMS, VOLUME_EDITS, PROVISIONED)]
    return [claims, volumes, provisioned, *bindings]
