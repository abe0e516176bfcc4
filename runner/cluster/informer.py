"""List+watch of one resource set kept in memory; checks and live views wait on its changes.

Why: waiting must be driven by watch events (a check re-evaluates the moment an object changes)
instead of sleep loops, and one informer can feed a check, a live table and an invariant at once.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from kubernetes import watch

from runner.cluster.client import Kube, call, describe_error, is_permanent, note_down, was_away

Listener = Callable[[list[dict[str, Any]]], None]


class Informer:
    def __init__(self, kube: Kube, api_version: str, kind: str, namespace: str | None,
                 label_selector: str | None = None, name: str | None = None) -> None:
        self.kube, self.api_version, self.kind = kube, api_version, kind
        res = kube.resource(api_version, kind)
        self.namespace = namespace if res.namespaced else None
        self.label_selector, self.name = label_selector, name
        self._objs: dict[str, dict[str, Any]] = {}
        self._cond = threading.Condition()
        self.version = 0                       # bumped on every change; waiters compare against it
        self.synced = threading.Event()
        self.error: str | None = None          # an error no retry fixes (401, 403, 400...): checks end on it
        self.settled = threading.Event()       # synced, or failed for good: waiting longer changes nothing
        self.tried = threading.Event()         # the first list answered or failed: get() stops waiting
        self.last_error: str | None = None     # the latest transient failure (API server away...)
        self.started = time.monotonic()
        self._stop = threading.Event()
        self._watcher: watch.Watch | None = None
        self._listeners: list[Listener] = []
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"informer-{kind}")

    def start(self) -> Informer:
        self.started = time.monotonic()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._watcher:
            self._watcher.stop()
        with self._cond:
            self._cond.notify_all()

    def add_listener(self, fn: Listener) -> None:
        with self._cond:
            self._listeners = [*self._listeners, fn]   # copy on write: _changed iterates without the lock

    def remove_listener(self, fn: Listener) -> None:
        with self._cond:
            self._listeners = [f for f in self._listeners if f is not fn]

    def objects(self) -> list[dict[str, Any]]:
        with self._cond:
            return sorted(self._objs.values(), key=lambda o: o["metadata"].get("name", ""))

    def versions(self) -> dict[str, str | None]:
        """namespace/name -> resourceVersion of what this informer holds now."""
        with self._cond:
            return {k: o["metadata"].get("resourceVersion") for k, o in self._objs.items()}

    def unlisted(self) -> str:
        """Why this informer has no list yet (its objects are unknown, which is not the same as none)."""
        return (f"{self.kind} not listed yet ({self.last_error})" if self.last_error
                else f"{self.kind} not listed yet (waiting for the API server)")

    def wait_change(self, seen: int, timeout: float) -> int:
        """Block until version > seen or timeout; returns the current version."""
        with self._cond:
            self._cond.wait_for(lambda: self.version > seen or self._stop.is_set(), timeout=max(0.0, timeout))
            return self.version

    def _changed(self) -> None:
        with self._cond:
            self.version += 1
            self._cond.notify_all()
        objs = self.objects()
        with self._cond:
            listeners = self._listeners
        for fn in listeners:
            fn(objs)

    def _list(self) -> str:
        res = self.kube.resource(self.api_version, self.kind)
        kw: dict[str, Any] = {"label_selector": self.label_selector}
        if self.name:
            kw["field_selector"] = f"metadata.name={self.name}"
        if self.namespace:
            kw["namespace"] = self.namespace
        out = call(res.get, **kw)
        data = out.to_dict()
        with self._cond:
            self._objs = {_key(i): i for i in data.get("items") or []}
            for o in self._objs.values():   # list items carry no kind; checks and diffs want it
                o.setdefault("kind", self.kind)
                o.setdefault("apiVersion", self.api_version)
        self.error = self.last_error = None
        self.synced.set()          # before the listeners run: they read synced
        self._changed()
        self.settled.set()
        self.tried.set()
        return data["metadata"].get("resourceVersion") or "0"

    def _run(self) -> None:
        backoff = 0.2
        while not self._stop.is_set():
            try:
                rv = self._list()
                backoff = 0.2
                self._watch(rv)
            except Exception as e:  # noqa: BLE001 - the loop must survive anything; transient or not
                if is_permanent(e):
                    self.error = describe_error(e)
                    self.settled.set()
                    self._changed()          # wake the checks waiting on this informer: they end with the error
                else:
                    self.last_error = describe_error(e)
                    if was_away(e):
                        note_down()        # a 403 that follows is the restarted server warming up
                self.tried.set()
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)

    def _watch(self, rv: str) -> None:
        res = self.kube.resource(self.api_version, self.kind)
        self._watcher = watch.Watch()
        for ev in self.kube.dyn.watch(res, namespace=self.namespace, name=self.name,
                                      label_selector=self.label_selector, resource_version=rv,
                                      timeout=60, watcher=self._watcher):
            if self._stop.is_set():
                return
            obj = ev["raw_object"]
            if ev["type"] == "ERROR":
                return  # usually 410 Gone: relist
            if ev["type"] == "BOOKMARK":
                continue
            key = _key(obj)
            with self._cond:
                if ev["type"] == "DELETED":
                    self._objs.pop(key, None)
                else:
                    self._objs[key] = obj
            self._changed()


def _key(obj: dict[str, Any]) -> str:
    """namespace/name: a watch across namespaces (the board's) sees the same name in many of them."""
    meta = obj["metadata"]
    return f"{meta.get('namespace') or ''}/{meta['name']}"


class Informers:
    """Shared informers for one step, keyed by what they watch."""

    def __init__(self, kube: Kube) -> None:
        self.kube = kube
        self._all: dict[tuple[Any, ...], Informer] = {}
        self._lock = threading.Lock()

    def get(self, api_version: str, kind: str, namespace: str | None, label_selector: str | None = None,
            name: str | None = None, wait_sync: float = 15.0) -> Informer:
        key = (api_version, kind, namespace, label_selector, name)
        with self._lock:
            inf = self._all.get(key)
            if inf is None:
                inf = self._all[key] = Informer(self.kube, api_version, kind, namespace, label_selector, name).start()
        # for the first list, at most wait_sync after the informer started: while the API server is away,
        # every later get() would otherwise wait that long again
        inf.tried.wait(max(0.0, inf.started + wait_sync - time.monotonic()))
        return inf

    def existing(self, api_version: str, kind: str) -> list[Informer]:
        """The informers of this kind started so far (none is started here)."""
        with self._lock:
            return [i for i in self._all.values() if i.api_version == api_version and i.kind == kind]

    def stop(self) -> None:
        with self._lock:
            for inf in self._all.values():
                inf.stop()
            self._all.clear()

