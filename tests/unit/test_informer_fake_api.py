"""The informer against a fake API server (tests/unit/fake_api.py), no cluster: events change the cache,
a 410 Gone makes it list again, an ended stream reconnects from a fresh list, and an error no retry fixes
(403) ends waiting with that error instead of looking like "not found"."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fake_api import GONE, FakeAPI, event, pod, serve

from runner.cluster.client import Kube, connect
from runner.cluster.informer import Informer

KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{{name: c, cluster: {{server: "http://127.0.0.1:{port}"}}}}]
users: [{{name: u, user: {{token: t}}}}]
contexts: [{{name: ctx, context: {{cluster: c, user: u}}}}]
current-context: ctx
"""


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeAPI, Kube]]:
    monkeypatch.setenv("HOME", str(tmp_path))      # the dynamic client's discovery cache goes here
    api = FakeAPI(pods={"a": pod("a", 1)})
    srv, port = serve(api)
    cfg = tmp_path / "kubeconfig"
    cfg.write_text(KUBECONFIG.format(port=port))
    kube = connect(str(cfg))
    yield api, kube
    api.stop.set()
    srv.shutdown()
    srv.server_close()


def names(inf: Informer) -> list[str]:
    return [o["metadata"]["name"] for o in inf.objects()]


def until(cond: Callable[[], bool], timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.02)
    return cond()


def test_events_change_the_cache_and_wake_waiters(fake: tuple[FakeAPI, Kube]) -> None:
    api, kube = fake
    api.watches.put([event("ADDED", pod("b", 101)), event("MODIFIED", pod("a", 102, "Failed")),
                     event("DELETED", pod("b", 103))])
    inf = Informer(kube, "v1", "Pod", "ns").start()
    try:
        assert inf.settled.wait(10) and inf.error is None
        assert until(lambda: names(inf) == ["a"] and inf.objects()[0]["status"]["phase"] == "Failed"), inf.objects()
        assert inf.objects()[0]["kind"] == "Pod"
        assert api.watch_rvs[0] == "100"      # the watch starts where the list ended
    finally:
        inf.stop()


def test_gone_makes_it_list_again_and_take_the_new_state(fake: tuple[FakeAPI, Kube]) -> None:
    api, kube = fake
    api.watches.put([GONE])
    inf = Informer(kube, "v1", "Pod", "ns").start()
    try:
        assert until(lambda: api.lists >= 1)
        api.pods = {"c": pod("c", 200)}       # what changed while the watch was gone: only a new list shows it
        api.rv = 200
        assert until(lambda: names(inf) == ["c"]), names(inf)
        assert until(lambda: "200" in api.watch_rvs), api.watch_rvs   # and watches from there
    finally:
        inf.stop()


def test_an_ended_stream_reconnects(fake: tuple[FakeAPI, Kube]) -> None:
    api, kube = fake
    changed = threading.Event()
    api.watches.put([changed, "close"])
    inf = Informer(kube, "v1", "Pod", "ns").start()
    try:
        assert until(lambda: len(api.watch_rvs) >= 1)
        api.pods["d"] = pod("d", 150)         # what the watch never told: only the reconnect's list shows it
        api.rv = 150
        changed.set()                         # now the stream ends
        assert until(lambda: names(inf) == ["a", "d"]), names(inf)
        assert until(lambda: len(api.watch_rvs) >= 2), api.watch_rvs
    finally:
        inf.stop()


def test_forbidden_ends_waiting_with_that_error(fake: tuple[FakeAPI, Kube]) -> None:
    api, kube = fake
    api.list_status = 403
    inf = Informer(kube, "v1", "Pod", "ns").start()
    try:
        assert inf.settled.wait(10)
        assert inf.error and "403" in inf.error and "forbidden" in inf.error, inf.error
        assert names(inf) == []
    finally:
        inf.stop()


def test_the_same_name_in_two_namespaces_is_two_objects(fake: tuple[FakeAPI, Kube]) -> None:
    # the board watches every learner's `kubelab-progress` ConfigMap at once: one name, many namespaces
    api, kube = fake
    twin = pod("a", 101)
    twin["metadata"]["namespace"] = "other"
    api.watches.put([event("ADDED", twin)])
    inf = Informer(kube, "v1", "Pod", "ns").start()
    try:
        assert until(lambda: len(inf.objects()) == 2), inf.objects()
        assert sorted(o["metadata"]["namespace"] for o in inf.objects()) == ["ns", "other"]
    finally:
        inf.stop()
