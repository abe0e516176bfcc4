"""Broken lab files and manifests: one line naming the file and field, exit 2, nothing applied, no traceback."""
from __future__ import annotations

import pytest

from runner.loader import LabError, load_lab_file
from tests.unit.conftest import LAB, POD, make_lab

BAD_MANIFESTS = {
    "malformed YAML": ("kind: Pod\nmetadata: {name: [web\n", "invalid YAML"),
    "bare string": ("just a string\n", "expected a Kubernetes object"),
    "kind: 5": ("apiVersion: v1\nkind: 5\nmetadata: {name: web}\n", "kind: expected a kind"),
    "List items not a list": ("apiVersion: v1\nkind: List\nitems: web\n", "items: expected a list"),
    "List item a string": ("apiVersion: v1\nkind: List\nitems: [web]\n", "items[0]: expected a Kubernetes object"),
    "python tag": ("kind: !!python/object/apply:os.system [echo hi]\n", "tag !!python/object/apply:os.system is not allowed"),
    "set tag": ("apiVersion: v1\nkind: Pod\nmetadata: !!set {web}\n", "tag !!set is not allowed"),
    "duplicate key": ("apiVersion: v1\nkind: Pod\nkind: Service\nmetadata: {name: web}\n", "duplicate key 'kind'"),
    "empty": ("", "no Kubernetes object (empty manifest)"),
    "comment only": ("# nothing yet\n---\n", "no Kubernetes object (empty manifest)"),
    "no name": ("apiVersion: v1\nkind: Pod\nmetadata: {labels: {a: b}}\n", "metadata.name"),
    "labels a string": ("apiVersion: v1\nkind: Pod\nmetadata: {name: web, labels: x}\n", "metadata.labels"),
    "invalid UTF-8": (b"apiVersion: v1\nkind: Pod\nmetadata: {name: \xff}\n", "not valid UTF-8"),
}


@pytest.mark.parametrize("case", BAD_MANIFESTS)
def test_bad_manifest_fails_at_load_naming_file_step_and_field(tmp_path, case):
    body, what = BAD_MANIFESTS[case]
    d = make_lab(tmp_path, manifest=body)
    with pytest.raises(LabError) as e:
        load_lab_file(d / "lab.yaml")
    line = str(e.value)
    assert "\n" not in line
    assert line.startswith(f"{d / 'lab.yaml'}: steps[0].apply[0]: web.yaml: "), line
    assert what in line, line


@pytest.mark.parametrize("command", [["reset"], ["run"], ["verify"], ["check"], ["solve"]])
@pytest.mark.parametrize("case", ["bare string", "kind: 5", "python tag", "empty", "List items not a list"])
def test_commands_on_a_bad_manifest_exit_2_with_one_line(tmp_path, cli, command, case):
    d = make_lab(tmp_path, manifest=BAD_MANIFESTS[case][0])
    code, out, err = cli(*command, str(d))
    assert code == 2, (out, err)
    assert "Traceback" not in out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "web.yaml" in lines[0] and "steps[0].apply[0]" in lines[0], err


def test_inline_manifest_is_checked_too(tmp_path):
    d = make_lab(tmp_path, lab=LAB.replace("apply: [web.yaml]", "apply: [{manifest: {kind: Pod}}]"))
    with pytest.raises(LabError, match=r"steps\[0\]\.apply\[0\]: manifest: document 1: metadata"):
        load_lab_file(d / "lab.yaml")


BAD_LABS = {
    "duplicate key": (LAB.replace("title: Demo", "title: Demo\ntitle: Again"), "line 4, column 1: duplicate key 'title'"),
    "set tag": (LAB.replace("objectives: [one]", "objectives: !!set {one}"), "tag !!set is not allowed"),
    "python tag": (LAB.replace("title: Demo", "title: !!python/name:os.system ''"), "is not allowed"),
    "timeout .inf": (LAB.replace("equals: 1}", "equals: 1}\n        timeout: .inf"),
                     "steps[0].check[0].timeout: duration must be a finite"),
    "timeout 1e300": (LAB.replace("equals: 1}", "equals: 1}\n        timeout: 1.0e+300"), "must be at most 3600s"),
    "timeout .nan": (LAB.replace("equals: 1}", "equals: 1}\n        timeout: .nan"), "finite"),
    "timeout negative": (LAB.replace("equals: 1}", "equals: 1}\n        timeout: -5"), "more than 0"),
    "timeout zero": (LAB.replace("equals: 1}", "equals: 1}\n        timeout: 0s"), "more than 0"),
    "timeout 2h": (LAB.replace("equals: 1}", "equals: 1}\n        timeout: 2h"), "at most 3600s"),
    "wait .inf": (LAB.replace("      - apply: web.yaml", "      - wait: {seconds: .inf}"), "steps[0].solve[0].wait.seconds: duration"),
    "wait negative": (LAB.replace("      - apply: web.yaml", "      - wait: {seconds: -1}"), "more than 0"),
    "default timeout": (LAB.replace("steps:", "defaults: {timeout: 1.0e+300}\nsteps:"), "defaults.timeout"),
    "megabyte id": (LAB.replace("id: first", "id: " + "a" * 1_000_000), "steps[0].id: String should have at most 63"),
    "deep nesting": (LAB.replace("concept: A concept", "concept: " + "[" * 500 + "]" * 500), "nested more than 64 levels"),
    "alias bomb": (LAB.replace("steps:", "x0: &a0 [a,a,a,a,a,a,a,a,a,a]\n" + "".join(
        f"x{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 9)) + "steps:"), "alias bomb"),
    "invalid UTF-8": (LAB.encode().replace(b"A concept", b"A \xff concept"), "line 4: not valid UTF-8 (byte 0xff)"),
    "bigger than 1 MiB": (LAB + "# " + "x" * (2 << 20) + "\n", "bytes allowed"),
}


@pytest.mark.parametrize("case", BAD_LABS)
def test_bad_lab_file_is_one_line_naming_file_and_problem(tmp_path, case):
    body, what = BAD_LABS[case]
    d = make_lab(tmp_path, lab=body)
    with pytest.raises(LabError) as e:
        load_lab_file(d / "lab.yaml")
    line = str(e.value)
    assert line.startswith(f"{d / 'lab.yaml'}: ") and what in line and "\n" not in line, line[:300]
    assert len(line) < 400, line[:300]


@pytest.mark.parametrize("field, ref", [
    ("intro", "../../../../../../../etc/passwd"), ("intro", "/etc/passwd"), ("concept", "../secret.md"),
])
def test_markdown_outside_the_lab_folder_is_refused(tmp_path, field, ref):
    (tmp_path / "labs" / "secret.md").parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / "labs" / "secret.md").write_text("secret")
    lab = LAB.replace("intro: Namespace ${NAMESPACE}", f"{field}: {{file: {ref}}}") if field == "intro" else \
        LAB.replace("concept: A concept", f"concept: {{file: {ref}}}")
    d = make_lab(tmp_path, lab=lab)
    with pytest.raises(LabError, match=rf"{field}\.file: .*(leads outside|absolute path)"):
        load_lab_file(d / "lab.yaml")


def test_symlink_out_of_the_lab_folder_and_symlink_loop_are_refused(tmp_path):
    (tmp_path / "outside.md").write_text("secret")
    d = make_lab(tmp_path, lab=LAB.replace("intro: Namespace ${NAMESPACE}", "intro: {file: intro.md}"))
    (d / "intro.md").symlink_to(tmp_path / "outside.md")
    with pytest.raises(LabError, match=r"intro\.file: 'intro\.md' leads outside"):
        load_lab_file(d / "lab.yaml")
    (d / "intro.md").unlink()
    (d / "intro.md").symlink_to(d / "loop.md")
    (d / "loop.md").symlink_to(d / "intro.md")
    with pytest.raises(LabError, match=r"intro\.file: "):
        load_lab_file(d / "lab.yaml")


def test_manifest_outside_the_manifests_folder_is_refused(tmp_path):
    (tmp_path / "evil.yaml").write_text(POD)
    d = make_lab(tmp_path, lab=LAB.replace("apply: [web.yaml]", "apply: [../../evil.yaml]"))
    with pytest.raises(LabError, match=r"steps\[0\]\.apply\[0\]: \.\./\.\./evil\.yaml: .*leads outside"):
        load_lab_file(d / "lab.yaml")


def test_localized_markdown_symlinked_outside_is_refused_when_read(tmp_path):
    (tmp_path / "outside.md").write_text("secret")
    d = make_lab(tmp_path, lab=LAB.replace("intro: Namespace ${NAMESPACE}", "intro: {file: intro.md}"),
                 files={"intro.md": "hello"})
    (d / "intro.ko.md").symlink_to(tmp_path / "outside.md")
    loaded = load_lab_file(d / "lab.yaml")
    assert loaded.text(loaded.lab.intro, "en") == "hello"
    with pytest.raises(LabError, match="leads outside"):
        loaded.text(loaded.lab.intro, "ko")


def test_lab_yaml_that_is_a_directory_is_one_line(tmp_path):
    (tmp_path / "labs" / "demo" / "lab.yaml").mkdir(parents=True)
    with pytest.raises(LabError, match="lab.yaml: is a directory"):
        load_lab_file(tmp_path / "labs" / "demo" / "lab.yaml")
