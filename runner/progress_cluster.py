"""Workshop progress kept in the cluster: one ConfigMap per learner in their home namespace.

It survives the learner's laptop, and the instructor board reads every learner's with one watch.
Each lab is one key, written by server-side apply under a field manager of its own, so writing one
lab never touches another lab's key.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict
from typing import Any

from runner.cluster.client import Kube, call
from runner.errors import NotFound
from runner.progress import LabProgress, entry, stamp

CONFIGMAP = "kubelab-progress"
PROGRESS_LABEL = "kubelab.io/progress"


def home_namespace(learner: str) -> str:
    return f"kubelab-ws-{learner}"


def parse(raw: str) -> LabProgress:
    """A record written by any kubelab version: unknown keys dropped, a bad record is an empty one."""
    try:
        return entry(json.loads(raw))
    except ValueError:
        return LabProgress()


class ClusterProgressStore:
    def __init__(self, kube: Kube, learner: str) -> None:
        self.kube, self.learner = kube, learner
        self.namespace = home_namespace(learner)

    def _data(self) -> dict[str, str]:
        try:
            cm = call(self.kube.resource("v1", "ConfigMap").get, name=CONFIGMAP, namespace=self.namespace)
        except NotFound:
            return {}
        return dict(cm.to_dict().get("data") or {})

    def get(self, lab_id: str) -> LabProgress:
        raw = self._data().get(lab_id)
        return parse(raw) if raw else LabProgress()

    def all(self) -> dict[str, LabProgress]:
        return {k: parse(v) for k, v in self._data().items()}

    def _apply(self, lab_id: str, data: dict[str, Any]) -> None:
        body = {"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": CONFIGMAP, "namespace": self.namespace,
                             "labels": {PROGRESS_LABEL: "true", "kubelab.io/learner": self.learner}},
                "data": data}
        call(self.kube.dyn.server_side_apply, self.kube.resource("v1", "ConfigMap"), body=body, name=CONFIGMAP,
             namespace=self.namespace, field_manager=f"kubelab-progress-{lab_id}"[:128], force_conflicts=True)

    def put(self, lab_id: str, p: LabProgress) -> None:
        self._apply(lab_id, {lab_id: json.dumps(asdict(stamp(self.get(lab_id), p, time.time())))})

    def clear(self, lab_id: str) -> None:
        self._apply(lab_id, {})   # this manager owned only that key: applying nothing removes it
