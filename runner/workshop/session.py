"""A lab session for a workshop learner: the namespace, its NodePort and the lab's cluster-scoped objects were
provisioned by the instructor's `kubelab workshop up`; the learner creates only namespaced objects, and a reset
deletes the run's objects one by one (runner/workshop/cleanup.py) instead of the namespace.
"""
from __future__ import annotations

import time
from typing import Any

from runner.cluster import nodeports
from runner.cluster import objects as kobj
from runner.cluster.client import Kube, call
from runner.cluster.informer import Informer, Informers
from runner.engine import Session
from runner.errors import NotFound
from runner.loader import LoadedLab
from runner.schema import Action, Step
from runner.workshop import cleanup
from runner.workshop.needs import lab_needs


class _FreshEvents(Informer):
    """Events, less those that existed when the run started (a reused namespace keeps earlier runs' events)."""

    def __init__(self, old: set[str], *args: Any) -> None:
        super().__init__(*args)
        self._old = old

    def objects(self) -> list[dict[str, Any]]:
        return [o for o in super().objects() if o["metadata"].get("uid") not in self._old]


class _Informers(Informers):
    def __init__(self, kube: Kube, old_events: set[str]) -> None:
        super().__init__(kube)
        self.old_events = old_events

    def get(self, api_version: str, kind: str, namespace: str | None, label_selector: str | None = None,
            name: str | None = None, wait_sync: float = 15.0) -> Informer:
        if kind != "Event" or not self.old_events:
            return super().get(api_version, kind, namespace, label_selector, name, wait_sync)
        key = (api_version, kind, namespace, label_selector, name)
        with self._lock:
            inf = self._all.get(key)
            if inf is None:
                inf = self._all[key] = _FreshEvents(self.old_events, self.kube, api_version, kind, namespace,
                                                    label_selector, name).start()
        inf.settled.wait(wait_sync)
        return inf


def instructor_fix(lab: str, learner: str | None) -> str:
    return f"ask the instructor to run `kubelab workshop up --labs {lab}` again (learner {learner or '?'})"


class WorkshopSession(Session):
    def __init__(self, kube: Kube, loaded: LoadedLab, learner: str | None, namespace: str | None = None,
                 before: cleanup.Snapshot | None = None) -> None:
        super().__init__(kube, loaded, learner, namespace)
        self.before = before         # verify: what the namespace held at the start (kept by the reset)
        old = {u for u, o in (before or {}).items() if o["kind"] == "Event"}
        self.informers = _Informers(kube, old)
        self.needs = lab_needs(loaded, lambda a, k: not kube.resource(a, k).namespaced)
        self._namespaces_seen = False

    def ensure_namespaces(self) -> None:
        """The provisioned namespaces are there (a learner cannot bring one back: the instructor can)."""
        if self._namespaces_seen:
            return
        for ns in self.namespaces():
            if not kobj.namespace_active(self.kube, ns):
                raise PermissionError(f"your namespace {ns} is gone and a learner may not create it: "
                                      + instructor_fix(self.lab.id, self.learner))
        self._namespaces_seen = True

    def step(self, step_id: str) -> Step:
        self.ensure_namespaces()
        return super().step(step_id)

    def prepare(self) -> None:
        self.ensure_namespaces()
        if self.uses_node_port:
            port = nodeports.current(self.kube, self.namespace)
            if not port:
                raise RuntimeError(f"no NodePort is claimed for {self.namespace}: " + instructor_fix(self.lab.id, self.learner))
            self.vars["NODE_PORT"] = str(port)

    def _apply(self, docs: list[dict[str, Any]]) -> list[str]:
        """Namespaced objects as usual; cluster-scoped ones were provisioned: check they are there."""
        mine, done = [], []
        for d in docs:
            res = self.kube.resource(d.get("apiVersion", "v1"), d["kind"])
            if res.namespaced:
                mine.append(d)
                continue
            try:
                call(res.get, name=d["metadata"]["name"])
            except NotFound:
                raise RuntimeError(f"{d['kind']} {d['metadata']['name']} was not provisioned for {self.namespace}: "
                                   + instructor_fix(self.lab.id, self.learner)) from None
            done.append(f"{d['kind']}/{d['metadata']['name']} (provisioned by the workshop)")
        return done + kobj.apply_docs(self.kube, mine, self.namespace, self.lab.id)

    def apply(self, step: Step) -> list[str]:
        done = []
        for spec in step.apply:
            done += self._apply(kobj.load_documents(spec, self.loaded.manifests, self.vars))
        return done

    def run_action(self, a: Action) -> list[str]:
        if a.apply:
            return self._apply(kobj.load_documents(a.apply, self.loaded.manifests, self.vars))
        return super().run_action(a)

    def volumes(self) -> list[str]:
        return [d["metadata"]["name"] for d in self.needs.docs_for(self.namespace, self.learner or "")
                if d["kind"] == "PersistentVolume"]

    def namespaces(self) -> list[str]:
        """The run's namespace and its second ones (provisioned like it)."""
        return [self.namespace] + [d["metadata"]["name"] for d in self.needs.docs_for(self.namespace, self.learner or "")
                                   if d["kind"] == "Namespace"]

    def reset(self, timeout: float = 180.0) -> list[str]:
        """The run's objects (all but the workshop's in a learner's own namespace), then the volumes freed.
        The lab's cleanup actions are not run: they undo cluster-scoped work a learner cannot do (the workshop
        keeps those objects), and the namespace's objects go here. TimeoutError names what is left."""
        self.close()
        self.ensure_namespaces()
        self.cleanup_failures = []
        deadline = time.monotonic() + timeout
        kinds = cleanup.kinds_for(self.kube, self.cluster_kinds())
        removed, left, claims = cleanup.clean(self.kube, self.namespaces(), kinds, self.before, timeout,
                                              self.lab.defaults.zero_grace_cleanup)
        # the rest of the time for the provisioner to delete the run's dynamic volumes: local-path deletes
        # one through a helper pod, which took 80 s with one other verify running beside it
        left += cleanup.free_volumes(self.kube, self.namespace, self.volumes(), claims,
                                     max(cleanup.MIN_VOLUME_WAIT, deadline - time.monotonic()))
        if left:
            raise TimeoutError(f"still there after {timeout:.0f}s: {', '.join(left)}")
        return removed

    def start_reset(self) -> list[str]:
        return self.reset()
