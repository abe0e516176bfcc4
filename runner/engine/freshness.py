"""Read-your-writes for a solve: a `wait` right after a write must not judge the object as it was before the
write. An informer started earlier can still hold the old object when the wait first evaluates (the daemonset
lab's `update` passed its wait on the DaemonSet from before its patch). So each write notes, for every informer
already watching that kind, the version it held before; the next wait first gives those informers a few seconds
to move past it.

resourceVersions are opaque: they are only compared for equality (held == the write's, or held != before)."""
from __future__ import annotations

import re
import time
from collections.abc import Iterable
from typing import NamedTuple

from runner.cluster.informer import Informer, Informers
from runner.cluster.objects import Written

CATCH_UP = 5.0   # seconds a wait gives the informers to show the solve's writes; then it judges what it has

_REQ = re.compile(r"^\s*(!?)([\w./-]+)\s*(?:(==|=|!=)\s*([\w.-]*)|\s+(in|notin)\s*\(([^)]*)\))?\s*$")


def selector_matches(selector: str | None, labels: dict[str, str]) -> bool | None:
    """Whether `labels` match a label selector string (kubectl's syntax); None when it cannot be read."""
    if not selector:
        return True
    for req in re.split(r",(?![^(]*\))", selector):
        m = _REQ.match(req)
        if not m:
            return None
        neg, key, op, value, setop, values = m.groups()
        has = key in labels
        if neg:
            ok = not has and not op and not setop
        elif op in ("=", "=="):
            ok = labels.get(key) == value
        elif op == "!=":
            ok = labels.get(key) != value
        elif setop:
            inside = labels.get(key) in {v.strip() for v in values.split(",")}
            ok = (has and inside) if setop == "in" else not inside
        else:
            ok = has
        if not ok:
            return False
    return True


def caught_up(held: str | None, before: str | None, after: str | None) -> bool:
    """The informer shows the write (or something newer): it holds the written version, or no longer holds
    what it held before the write (a delete: the object gone or changed by its deletion)."""
    return held == after or held != before


class Pending(NamedTuple):
    informer: Informer
    key: str
    before: str | None
    after: str | None


class WriteBarrier:
    def __init__(self, informers: Informers) -> None:
        self.informers = informers
        self.pending: list[Pending] = []

    def held(self, kinds: Iterable[tuple[str, str]]) -> dict[tuple[int, str], str | None]:
        """Before a write: the versions every informer of these kinds holds, by (informer, namespace/name)."""
        out: dict[tuple[int, str], str | None] = {}
        for api_version, kind in set(kinds):
            for inf in self.informers.existing(api_version, kind):
                out.update({(id(inf), k): v for k, v in inf.versions().items()})
        return out

    def wrote(self, before: dict[tuple[int, str], str | None], written: list[Written]) -> None:
        """After a write: what each informer watching the written objects must come to show."""
        for w in written:
            key = f"{w.namespace or ''}/{w.name}"
            for inf in self.informers.existing(w.api_version, w.kind):
                if inf.namespace not in (None, w.namespace):
                    continue
                was = before.get((id(inf), key))
                watches = inf.name in (None, w.name) and selector_matches(inf.label_selector, w.labels) is not False
                if was is None and (w.version is None or not watches):
                    continue     # it neither held the object nor will it show it
                self.pending.append(Pending(inf, key, was, w.version))

    def wait(self, timeout: float = CATCH_UP) -> None:
        """Until every informer shows the writes noted since the last wait, or `timeout`."""
        deadline = time.monotonic() + timeout
        for p in self.pending:
            seen = p.informer.version
            while not caught_up(p.informer.versions().get(p.key), p.before, p.after):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                seen = p.informer.wait_change(seen, left)
        self.pending = []
