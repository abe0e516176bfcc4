"""CLI behaviour that needs no cluster: lab errors are one line, labs in the repo all load."""
from pathlib import Path

import pytest

from runner.loader import load_all, load_lab_file

ROOT = Path(__file__).resolve().parents[2]


def test_malformed_lab_is_one_line_with_file_and_field(tmp_path, kubelab):
    lab = tmp_path / "labs" / "bad"
    lab.mkdir(parents=True)
    (lab / "lab.yaml").write_text("id: bad\ntitle: Bad\nconcept: c\nobjectives: [o]\n"
                                  "steps:\n  - id: one\n    title: One\n    check:\n"
                                  "      - count: {target: {kind: Pod}, equals: one}\n    solve: []\n")
    r = kubelab("show", str(lab))
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith(f"{lab / 'lab.yaml'}: steps[0].check[0].count.equals:")
    assert "Traceback" not in r.stderr + r.stdout


def test_unknown_lab_and_unknown_step_are_clean_errors(kubelab):
    r = kubelab("show", "no-such-lab")
    assert r.returncode == 2 and "no lab named 'no-such-lab'" in r.stderr and "Traceback" not in r.stderr


def test_show_localized_json(kubelab):
    import json
    r = kubelab("--json", "--lang", "ko", "show", "tests/fixtures/labs/showcase")
    data = json.loads(r.stdout)
    assert data["title"] == "모든 실습 기능 둘러보기" and len(data["steps"]) == 9


def test_every_lab_in_the_repo_loads():
    labs, errors = load_all(ROOT)
    assert not errors, "\n".join(errors)


def test_fixture_lab_uses_every_step_field_check_kind_and_action():
    from runner.schema import ACTION_KINDS, CHECK_KINDS
    lab = load_lab_file(ROOT / "tests/fixtures/labs/showcase/lab.yaml").lab
    checks = {c.kind for s in lab.steps for c in s.check}
    checks |= {"http-" + c.http.from_ for s in lab.steps for c in s.check if c.kind == "http"}
    assert set(CHECK_KINDS) | {"http-cluster", "http-host"} <= checks
    actions = {a.kind for s in lab.steps for a in s.solve + s.cleanup}
    actions |= {a.wait.check and "wait-check" for s in lab.steps for a in s.solve if a.kind == "wait"}
    assert set(ACTION_KINDS) | {"wait-check"} <= actions
    for f in ("explain", "apply", "task", "observe", "check", "hints", "solve", "cleanup", "check_cannot_fail"):
        assert any(getattr(s, f) for s in lab.steps), f
    assert {o.view for s in lab.steps for o in s.observe} >= {"pods", "endpoints", "events", "objects"}


@pytest.mark.parametrize("cmd", [["list"], ["status"]])
def test_list_and_status_work_offline(cmd, tmp_path, kubelab, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    for var in ("KUBECONFIG", "KUBELAB_CACHE", "XDG_CACHE_HOME", "KUBELAB_CONTEXT"):
        monkeypatch.delenv(var, raising=False)
    r = kubelab(*cmd)
    assert r.returncode in (0, 1) and "Traceback" not in r.stderr, r.stderr
