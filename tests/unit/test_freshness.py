"""Read-your-writes of a solve (runner/engine/freshness.py): selector matching, the caught-up rule, and the
barrier against informers that hold an old copy, on fakes (the live proof is the daemonset lab's verify)."""
from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from runner.cluster.objects import Written
from runner.engine.freshness import WriteBarrier, caught_up, selector_matches


@pytest.mark.parametrize(("selector", "labels", "want"), [
    (None, {}, True),
    ("app=web", {"app": "web"}, True),
    ("app==web", {"app": "db"}, False),
    ("app!=web", {"tier": "x"}, True),
    ("app=web,tier=front", {"app": "web"}, False),
    ("app", {"app": ""}, True),
    ("!app", {"app": "web"}, False),
    ("env in (prod, dev)", {"env": "dev"}, True),
    ("env notin (prod,dev),app=web", {"app": "web"}, True),
    ("env in (prod)", {}, False),
    ("app=web,(", {"app": "web"}, None),
])
def test_selector_matches(selector: str | None, labels: dict[str, str], want: bool | None) -> None:
    assert selector_matches(selector, labels) is want


def test_caught_up_on_the_written_version_or_anything_after_the_old_one() -> None:
    assert not caught_up("5", "5", "9")          # still the copy from before the write
    assert caught_up("9", "5", "9")
    assert caught_up("12", "5", "9")             # a controller changed it again since
    assert caught_up(None, "5", None)            # deleted
    assert not caught_up(None, None, "9")        # created, not seen yet


class FakeInformer:
    def __init__(self, held: dict[str, str], name: str | None = None, selector: str | None = None) -> None:
        self.api_version, self.kind, self.namespace = "apps/v1", "DaemonSet", "ns"
        self.name, self.label_selector = name, selector
        self.held, self.version = dict(held), 0
        self.cond = threading.Condition()

    def versions(self) -> dict[str, str]:
        with self.cond:
            return dict(self.held)

    def wait_change(self, seen: int, timeout: float) -> int:
        with self.cond:
            self.cond.wait_for(lambda: self.version > seen, timeout)
            return self.version

    def event(self, key: str, rv: str) -> None:
        with self.cond:
            self.held[key] = rv
            self.version += 1
            self.cond.notify_all()


class FakeInformers:
    def __init__(self, *infs: FakeInformer) -> None:
        self.infs = infs

    def existing(self, api_version: str, kind: str) -> list[Any]:
        return [i for i in self.infs if (i.api_version, i.kind) == (api_version, kind)]


def _patch(rv: str, labels: dict[str, str] | None = None) -> Written:
    return Written("apps/v1", "DaemonSet", "ns", "agent", rv, labels or {"app": "agent"})


def test_a_wait_after_a_write_waits_for_the_informer_to_show_it() -> None:
    inf = FakeInformer({"ns/agent": "5"})
    b = WriteBarrier(FakeInformers(inf))  # type: ignore[arg-type]
    before = b.held([("apps/v1", "DaemonSet")])
    b.wrote(before, [_patch("9")])
    threading.Timer(0.3, inf.event, ("ns/agent", "9")).start()
    t0 = time.monotonic()
    b.wait(timeout=5)
    assert 0.2 < time.monotonic() - t0 < 2 and inf.held["ns/agent"] == "9"
    assert b.pending == []


def test_informers_that_cannot_show_the_object_are_not_waited_for() -> None:
    other_name = FakeInformer({}, name="web")
    other_labels = FakeInformer({}, selector="app=web")
    b = WriteBarrier(FakeInformers(other_name, other_labels))  # type: ignore[arg-type]
    b.wrote(b.held([("apps/v1", "DaemonSet")]), [_patch("9")])
    assert b.pending == []


def test_a_wait_gives_up_after_its_timeout() -> None:
    inf = FakeInformer({"ns/agent": "5"})
    b = WriteBarrier(FakeInformers(inf))  # type: ignore[arg-type]
    b.wrote(b.held([("apps/v1", "DaemonSet")]), [_patch("9")])
    t0 = time.monotonic()
    b.wait(timeout=0.3)
    assert time.monotonic() - t0 < 1.5 and b.pending == []
