"""Values of the current step (`values:`), read from objects, for the final ${NAME} pass over a check.

`at: start` values are read once when the step starts and kept in the ConfigMap `kubelab-values` of
the lab namespace, so `kubelab check` in another process (after `kubelab solve` or a `run` that
was quit) judges against the same start. `at: check` values are read from the watch caches at
every evaluation.
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from runner import values
from runner.cluster import objects as kobj
from runner.cluster.client import call
from runner.schema import Step, ValueSpec

if TYPE_CHECKING:
    from runner.engine.observe import Observing

CONFIGMAP = "kubelab-values"


class StepValues:
    def __init__(self, sess: Observing) -> None:
        self.sess = sess
        self.captured: dict[str, dict[str, Any]] = {}     # step id -> name -> value | {"error": why}

    def _read_now(self, name: str, spec: ValueSpec) -> Any:
        objs = kobj.list_targets(self.sess.kube, spec.target, self.sess.namespace)
        try:
            return values.read(name, spec, sorted(objs, key=lambda o: o["metadata"]["name"]))
        except values.ValueMissing as e:
            return {"error": f"{e} (at step start)"}

    def begin(self, step: Step, fresh: bool = True) -> None:
        """Read the step's `at: start` values (after its apply). fresh=False keeps the ones already stored
        (resuming a step, or `kubelab solve` after `run`), so "the IP it had at step start" stays that."""
        start = {n: v for n, v in step.values.items() if v.at == "start"}
        if not start:
            return
        kept = {} if fresh else self._load(step.id)
        got = {n: kept[n] if n in kept else self._read_now(n, v) for n, v in start.items()}
        self.captured[step.id] = got
        self._store(step.id, got)

    def variables(self, step: Step | None, needed: set[str]) -> dict[str, str]:
        """${NAME} -> value for the step values `needed`; ValueMissing says why one cannot be read."""
        out: dict[str, str] = {}
        if step is None:
            return out
        for name in sorted(needed & set(step.values)):
            spec = step.values[name]
            if spec.at == "start":
                if step.id not in self.captured:
                    self.captured[step.id] = self._load(step.id)
                if name not in self.captured[step.id]:      # never started here: read now, keep it
                    self.captured[step.id][name] = self._read_now(name, spec)
                    self._store(step.id, self.captured[step.id])
                v = self.captured[step.id][name]
                if isinstance(v, dict):
                    raise values.ValueMissing(v["error"])
                out[name] = v
            else:
                objs = self.sess.informer(spec.target).objects()
                out[name] = values.read(name, spec, objs)
        return out

    # --- the ConfigMap ------------------------------------------------------------------
    def _load(self, step_id: str) -> dict[str, Any]:
        try:
            cm = call(self.sess.kube.resource("v1", "ConfigMap").get, name=CONFIGMAP, namespace=self.sess.namespace).to_dict()
        except Exception:  # noqa: BLE001 - not there yet: nothing stored
            return {}
        try:
            stored: dict[str, Any] = json.loads((cm.get("data") or {}).get(step_id) or "{}")
            return stored
        except ValueError:
            return {}

    def _store(self, step_id: str, got: dict[str, Any]) -> None:
        doc = {"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": CONFIGMAP, "labels": {"kubelab.io/role": "runner"}},
               "data": {step_id: json.dumps(got)}}
        kobj.apply_docs(self.sess.kube, [doc], self.sess.namespace, self.sess.lab.id)
