"""The progress file survives what happens to files: unknown keys, older formats, truncation, kill -9."""
from __future__ import annotations

import json
import os

from runner.progress import LabProgress, ProgressStore


def store(tmp_path, said=None):
    return ProgressStore("kim", tmp_path, warn=(said.append if said is not None else None))


def test_unknown_and_missing_keys_and_wrong_types_are_tolerated_and_unknown_ones_kept(tmp_path):
    s = store(tmp_path)
    s.path.write_text(json.dumps({"pod": {"step": "two", "completed": ["one"], "new_field": {"x": 1}},
                                  "svc": {"completed": 5, "hints": {"a": "x"}, "finished": "yes"},
                                  "old": {"step": "a"}}))
    assert s.get("pod") == LabProgress(step="two", completed=["one"])
    assert s.get("svc") == LabProgress() and s.get("old").step == "a"
    assert set(s.all()) == {"pod", "svc", "old"}
    p = s.get("pod")
    p.completed.append("two")
    s.put("pod", p)
    assert json.loads(s.path.read_text())["pod"]["new_field"] == {"x": 1}


def test_status_with_an_unknown_key_in_the_progress_file(tmp_path, cli):
    d = tmp_path / "state" / "kubelab"
    d.mkdir(parents=True)
    (d / "progress-default.json").write_text(json.dumps({"pod": {"step": "x", "surprise": True}}))
    code, out, err = cli("status")
    assert code == 0 and "Traceback" not in err, err
    assert "pod" in out


def test_truncated_file_is_kept_aside_backup_restored_and_user_told(tmp_path):
    said: list[str] = []
    s = store(tmp_path, said)
    s.put("pod", LabProgress(step="one"))
    s.put("pod", LabProgress(step="two", completed=["one"]))
    s.path.write_text(s.path.read_text()[:10])      # e.g. the disk filled up under another tool
    assert (s.get("pod").step, s.get("pod").completed) == ("one", [])   # the last good copy before the latest write
    assert len(said) == 1 and "damaged" in said[0] and "restored the last good copy" in said[0]
    kept = [p for p in tmp_path.iterdir() if ".damaged-" in p.name]
    assert len(kept) == 1 and kept[0].read_text() == s.path.read_text()
    s.get("pod")
    assert len(said) == 1                             # said once, not on every read


def test_truncated_file_without_backup_says_progress_is_lost(tmp_path):
    said: list[str] = []
    s = store(tmp_path, said)
    s.path.write_text('{"pod": {"st')
    assert s.get("pod") == LabProgress()
    assert "no backup" in said[0]


def test_killed_between_the_two_renames_uses_the_backup(tmp_path):
    s = store(tmp_path, [])
    s.put("pod", LabProgress(step="one"))
    s.put("pod", LabProgress(step="two"))
    s.path.unlink()
    assert s.get("pod").step == "one"


def test_clear_replaces_the_file_instead_of_writing_in_place(tmp_path):
    s = store(tmp_path)
    s.put("pod", LabProgress(step="one"))
    s.put("svc", LabProgress(step="a"))
    before = s.path.read_text()
    os.link(s.path, tmp_path / "seen-by-a-reader")   # a reader holding the old file sees it whole
    s.clear("pod")
    assert (tmp_path / "seen-by-a-reader").read_text() == before
    assert set(s.all()) == {"svc"}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".progress-")]
