"""`kubelab new <id>`: the files it writes, in an empty folder outside the repo; it never overwrites."""
from __future__ import annotations

from pathlib import Path

from runner.loader import load_lab_file

ROOT = Path(__file__).resolve().parents[2]



def test_new_in_an_empty_folder_writes_a_loadable_lab(tmp_path: Path, kubelab) -> None:
    r = kubelab("new", "my-lab", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    loaded = load_lab_file(tmp_path / "labs/my-lab/lab.yaml")
    step = loaded.lab.steps[0]
    assert loaded.manifests == tmp_path / "manifests/my-lab" and (loaded.manifests / "web.yaml").is_file()
    assert step.apply and step.observe and step.check and step.hints and step.solve
    assert {"en", "ko"} <= set(loaded.lab.title.values)
    assert loaded.text(step.explain, "ko") != loaded.text(step.explain, "en")
    first = (tmp_path / "labs/my-lab/lab.yaml").read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=../../schema/lab.schema.json"
    assert (tmp_path / "schema/lab.schema.json").read_text() == (ROOT / "schema/lab.schema.json").read_text()
    assert "docs/lab-format.md" in (tmp_path / "labs/my-lab/lab.yaml").read_text()


def test_new_honours_the_labs_folder_option(tmp_path: Path, kubelab) -> None:
    r = kubelab("--labs-dir", str(tmp_path / "course/labs"), "new", "x", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "course/labs/x/lab.yaml").is_file() and (tmp_path / "course/manifests/x/web.yaml").is_file()


def test_new_never_overwrites_and_rejects_bad_ids(tmp_path: Path, kubelab) -> None:
    assert kubelab("new", "demo", cwd=tmp_path).returncode == 0
    (tmp_path / "labs/demo/lab.yaml").write_text("mine")
    r = kubelab("new", "demo", cwd=tmp_path)
    assert r.returncode == 2 and "already exists" in r.stderr and "Traceback" not in r.stderr
    assert (tmp_path / "labs/demo/lab.yaml").read_text() == "mine"
    r = kubelab("new", "Bad_Id", cwd=tmp_path)
    assert r.returncode == 2 and "lowercase" in r.stderr


def test_lint_and_verify_refuse_a_folder_without_labs(tmp_path: Path, kubelab) -> None:
    """A CI job started in the wrong folder must fail, not pass by checking nothing."""
    for cmd in (["lint"], ["verify"]):
        r = kubelab("--labs-dir", str(tmp_path / "labs"), *cmd, cwd=tmp_path)
        assert r.returncode in (1, 2) and "labs" in r.stderr and "Traceback" not in r.stderr, (cmd, r.stderr)
