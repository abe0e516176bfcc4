"""runner/offers_cache.py: what the cluster offers, kept TTL seconds per kubeconfig file, context and settings."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from runner import offers_cache
from runner.requires import Offers


@pytest.fixture
def kubeconfig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KUBELAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("KUBELAB_ASSUME", raising=False)
    monkeypatch.delenv("KUBELAB_NODE_PORTS", raising=False)
    p = tmp_path / "kubeconfig"
    p.write_text("apiVersion: v1\n")
    return p


def test_kept_answer_round_trips_until_it_is_old(kubeconfig: Path) -> None:
    o = Offers({"host-ports": "needs ports"}, "10.0.0.2", frozenset({80, 443}), "kubelab")
    k = offers_cache.key(str(kubeconfig), "kind-kubelab")
    assert k and offers_cache.load(k) is None
    offers_cache.save(k, o, now=1000.0)
    assert offers_cache.load(k, now=1000.0 + offers_cache.TTL) == o
    assert offers_cache.load(k, now=1001.0 + offers_cache.TTL) is None      # too old: read the cluster again
    assert offers_cache.load(k, now=999.0) is None                          # from the future: not trusted
    offers_cache.save(k, Offers({}, None, None, None), now=5.0)
    assert offers_cache.load(k, now=6.0) == Offers({}, None, None, None)    # unknown host ports stay unknown


def test_key_follows_the_file_the_context_and_the_settings(kubeconfig: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    k = offers_cache.key(str(kubeconfig), "kind-kubelab")
    assert offers_cache.key(str(kubeconfig), "other") != k
    monkeypatch.setenv("KUBELAB_ASSUME", "network-policy")
    assert offers_cache.key(str(kubeconfig), "kind-kubelab") != k
    monkeypatch.delenv("KUBELAB_ASSUME")
    kubeconfig.write_text("apiVersion: v1\nkind: Config\n")                 # a recreated cluster: a new file
    assert offers_cache.key(str(kubeconfig), "kind-kubelab") != k
    assert offers_cache.key(str(kubeconfig.parent / "missing"), None) is None
    assert offers_cache.key(None, None) is None


def test_a_damaged_file_is_no_answer(kubeconfig: Path) -> None:
    k = offers_cache.key(str(kubeconfig), None)
    assert k
    folder = Path(os.environ["KUBELAB_CACHE"]) / "offers"
    folder.mkdir(parents=True)
    for body in ("{", "[]", '{"at": "x", "offers": {}}', '{"at": 1, "offers": {"missing": 3}}'):
        (folder / f"{k}.json").write_text(body)
        assert offers_cache.load(k, now=2.0) is None, body


def test_every_reading_of_the_cluster_is_kept_for_list(kubeconfig: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """verify and run read the cluster (offers()); that reading is what the next `list` shows."""
    from types import SimpleNamespace

    from runner.cluster import offers as live
    from runner.requires import ClusterFacts
    reads = []
    monkeypatch.setattr(live, "facts", lambda kube: reads.append(kube) or ClusterFacts(daemonsets=["kube-router"]))
    kube = SimpleNamespace(kubeconfig=str(kubeconfig), context="kind-kubelab")
    got = live.offers(kube)  # type: ignore[arg-type]
    assert live.offers(kube) is got and len(reads) == 1          # once per connection
    k = offers_cache.key(str(kubeconfig), "kind-kubelab")
    assert k and offers_cache.load(k) == got and "network-policy" not in got.missing and "worker-node" in got.missing
