"""Where kubelab looks for labs and a lab's manifests (docs/authoring.md, "Where kubelab looks")."""
from __future__ import annotations

from pathlib import Path

import pytest

from runner.loader import labs_dir, manifests_dir


@pytest.fixture
def course(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("KUBELAB_LABS", raising=False)
    monkeypatch.delenv("KUBELAB_ROOT", raising=False)
    (tmp_path / "labs" / "demo").mkdir(parents=True)
    (tmp_path / "other-labs").mkdir()
    return tmp_path


def test_labs_of_the_current_folder_or_a_parent(course: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(course)
    assert labs_dir() == course / "labs"
    monkeypatch.chdir(course / "labs" / "demo")
    assert labs_dir() == course / "labs"


def test_env_wins_over_the_current_folder(course: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(course)
    monkeypatch.setenv("KUBELAB_LABS", str(course / "other-labs"))
    assert labs_dir() == course / "other-labs"


def test_manifests_beside_the_labs_folder_unless_the_lab_has_its_own(course: Path) -> None:
    lab = course / "labs" / "demo"
    assert manifests_dir(lab, "demo") == course / "manifests" / "demo"
    (lab / "manifests").mkdir()
    assert manifests_dir(lab, "demo") == lab / "manifests"

