"""runner/labindex.py: list/show/status read lab summaries from a cache that follows the lab's files."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from runner import labindex
from runner.errors import LabError

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def labs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(ROOT / "labs" / "pod", tmp_path / "labs" / "pod")
    shutil.copytree(ROOT / "manifests" / "pod", tmp_path / "manifests" / "pod")
    monkeypatch.setenv("KUBELAB_LABS", str(tmp_path / "labs"))
    monkeypatch.setenv("KUBELAB_CACHE", str(tmp_path / "cache"))
    return tmp_path


def test_summary_answers_like_the_loaded_lab(labs: Path) -> None:
    from runner.loader import load_lab_file
    full = load_lab_file(labs / "labs" / "pod" / "lab.yaml")
    labindex.load_all()                                      # fills the index
    (cached,), errors = labindex.load_all()
    assert errors == [] and isinstance(cached.lab, labindex.SLab)
    for lang in ("en", "ko"):
        assert cached.text(cached.lab.title, lang) == full.text(full.lab.title, lang)
        assert cached.text(cached.lab.intro, lang) == full.text(full.lab.intro, lang)
        assert [cached.text(o, lang) for o in cached.lab.objectives] == [full.text(o, lang) for o in full.lab.objectives]
    assert [(s.id, [c.kind for c in s.check], [c.label() for c in s.check], s.check_cannot_fail)
            for s in cached.lab.steps] == [(s.id, [c.kind for c in s.check], [c.label() for c in s.check],
                                            s.check_cannot_fail) for s in full.lab.steps]


def test_a_changed_file_is_loaded_again_and_errors_are_never_cached(labs: Path) -> None:
    lab_yaml = labs / "labs" / "pod" / "lab.yaml"
    assert labindex.find_lab("pod").lab.title.get("en") == "Pods: containers that share"
    lab_yaml.write_text(lab_yaml.read_text().replace("Pods: containers that share", "Pods, renamed"))
    assert labindex.find_lab("pod").lab.title.get("en") == "Pods, renamed"
    lab_yaml.write_text(lab_yaml.read_text().replace("id: pod", "id: pod\nbogus: 1", 1))
    for _ in range(2):
        with pytest.raises(LabError, match="bogus"):
            labindex.find_lab("pod")
    (labs / "manifests" / "pod" / "duo.yaml").write_text("kind: [")    # a manifest breaks: loaded again
    lab_yaml.write_text(lab_yaml.read_text().replace("bogus: 1\n", ""))
    labs_, errors = labindex.load_all()
    assert labs_ == [] and "duo.yaml" in errors[0], errors


def test_unknown_lab_keeps_the_loaders_message(labs: Path) -> None:
    with pytest.raises(LabError, match="no lab named 'nope'"):
        labindex.find_lab("nope")


def test_each_labs_folder_has_its_own_small_index_and_removed_labs_leave_it(labs: Path, tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import json
    labindex.load_all()
    other = tmp_path / "other"
    shutil.copytree(labs / "labs", other / "labs")
    shutil.copytree(labs / "manifests", other / "manifests")
    shutil.copytree(ROOT / "labs" / "service", other / "labs" / "service")
    shutil.copytree(ROOT / "manifests" / "service", other / "manifests" / "service")
    monkeypatch.setenv("KUBELAB_LABS", str(other / "labs"))
    assert [x.id for x in labindex.load_all()[0]] == ["pod", "service"]
    files = sorted((labs / "cache" / "lab-index").iterdir())
    assert len(files) == 2
    keys = {f: set(json.loads(f.read_text())) for f in files}
    assert {len(k) for k in keys.values()} == {1, 2}
    shutil.rmtree(other / "labs" / "service")
    (other / "labs" / "pod" / "lab.yaml").touch()          # a change, so the index is written again
    assert [x.id for x in labindex.load_all()[0]] == ["pod"]
    assert sorted(len(json.loads(f.read_text())) for f in files) == [1, 1]
