"""Offline consistency of the lab cases (the live runs are tests/cluster/test_lab_cases.py): every
mistake file has an entry naming an existing step and check that carries its own hint, and every
alternative sits under an existing step of an existing lab."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from runner.loader import find_lab, repo_root

ROOT = repo_root()
INDEXES = sorted((ROOT / "tests" / "fixtures" / "mistakes").glob("*.yaml"))


@pytest.mark.parametrize("index", INDEXES, ids=lambda p: p.stem)
def test_every_mistake_names_a_check_with_its_own_hint(index: Path) -> None:
    lab = find_lab(index.stem)
    entries = yaml.safe_load(index.read_text(encoding="utf-8")) or {}
    files = {p.name for p in (ROOT / "manifests" / index.stem / "mistakes").glob("*.yaml")}
    assert files == set(entries), f"{index}: entries {sorted(entries)} but files {sorted(files)}"
    for name, e in entries.items():
        assert {"step", "check", "cause"} <= set(e), f"{index}: {name} needs step, check and cause"
        step = lab.lab.step(e["step"])
        checks = {c.label(): c for c in step.check}
        assert e["check"] in checks, f"{index}: {name}: step {e['step']} has no check {e['check']!r}"
        assert checks[e["check"]].hint is not None, f"{index}: {name}: check {e['check']!r} has no hint of its own"


def test_alternatives_sit_under_existing_steps() -> None:
    base = ROOT / "tests" / "fixtures" / "alternatives"
    found = [p for p in base.glob("*/*/*") if p.suffix in (".yaml", ".sh")]
    assert found, "no alternative solutions"
    labs = {name: find_lab(name) for name in sorted({p.parent.parent.name for p in found})}   # each loaded once
    for p in found:
        lab = labs[p.parent.parent.name]
        assert any(s.id == p.parent.name for s in lab.lab.steps), f"{p}: no step {p.parent.name} in {lab.id}"
