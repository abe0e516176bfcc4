"""`rollout_undo`: put a Deployment's pod template back to an earlier revision, as `kubectl rollout undo` does."""
from __future__ import annotations

import copy
from typing import Any

from runner import accessors as k8s
from runner.cluster.client import Kube, call
from runner.cluster.objects import Written, written_of

REVISION = "deployment.kubernetes.io/revision"


def revision(obj: dict[str, Any]) -> int:
    try:
        return int(k8s.annotations(obj).get(REVISION, "0"))
    except ValueError:
        return 0


def undo_template(deploy: dict[str, Any], replicasets: list[dict[str, Any]],
                  to_revision: int | None = None) -> tuple[int, dict[str, Any]]:
    """(revision, pod template) to roll back to; pure. Raises ValueError when there is none."""
    uid = deploy["metadata"].get("uid")
    owned = [rs for rs in replicasets
             if any(r.get("uid") == uid for r in k8s.entries(k8s.meta(rs), "ownerReferences"))]
    current = revision(deploy)
    if to_revision:
        pick = [rs for rs in owned if revision(rs) == to_revision]
        if not pick:
            raise ValueError(f"deployment {deploy['metadata']['name']} has no revision {to_revision}")
    else:
        pick = sorted((rs for rs in owned if revision(rs) < current or (current == 0 and revision(rs))),
                      key=revision)[-1:]
        if not pick:
            raise ValueError(f"deployment {deploy['metadata']['name']} has no previous revision to roll back to")
    tmpl = copy.deepcopy(pick[0]["spec"]["template"])
    k8s.labels(tmpl).pop("pod-template-hash", None)
    return revision(pick[0]), tmpl


def rollout_undo(kube: Kube, namespace: str, name: str, to_revision: int | None = None,
                 written: list[Written] | None = None) -> list[str]:
    deps = kube.resource("apps/v1", "Deployment")
    rss = kube.resource("apps/v1", "ReplicaSet")
    deploy = call(deps.get, name=name, namespace=namespace).to_dict()
    items = call(rss.get, namespace=namespace).to_dict().get("items") or []
    rev, tmpl = undo_template(deploy, items, to_revision)
    out = call(kube.dyn.patch, deps, name=name, namespace=namespace, content_type="application/json-patch+json",
               body=[{"op": "replace", "path": "/spec/template", "value": tmpl}], field_manager="kubelab")
    if written is not None:
        written.append(written_of("apps/v1", "Deployment", out))
    return [f"Deployment/{name}: rolled back to revision {rev}"]
