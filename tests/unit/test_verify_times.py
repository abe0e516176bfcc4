"""verify --parallel starts the labs that took longest last time first; never-timed labs before them."""
from __future__ import annotations

from pathlib import Path

import pytest

from runner import verify_times


def test_untimed_labs_first_in_given_order_then_longest_first() -> None:
    seconds = {"pod": 14.5, "hpa": 231.4, "statefulset": 76.1}
    labs = ["configmap-secret", "hpa", "pod", "new-lab", "statefulset"]
    assert verify_times.longest_first(labs, seconds, str) == ["configmap-secret", "new-lab", "hpa", "statefulset", "pod"]


def test_no_times_keeps_the_order() -> None:
    labs = ["b", "a", "c"]
    assert verify_times.longest_first(labs, {}, str) == labs


def test_times_are_merged_and_read_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBELAB_CACHE", str(tmp_path))
    assert verify_times.load() == {}
    verify_times.save({"hpa": 231.44})
    verify_times.save({"pod": 14.5})
    assert verify_times.load() == {"hpa": 231.4, "pod": 14.5}
    assert [p.name for p in tmp_path.iterdir()] == ["verify-seconds.json"]     # no temporary file left


def test_a_damaged_file_is_no_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBELAB_CACHE", str(tmp_path))
    (tmp_path / "verify-seconds.json").write_text("[1, 2")
    assert verify_times.load() == {}
    verify_times.save({"pod": 3.0})
    assert verify_times.load() == {"pod": 3.0}
