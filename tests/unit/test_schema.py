import textwrap

import pytest

from runner.loader import LabError, load_lab_file
from runner.schema import Check, Text, parse_duration

GOOD = """
id: demo
title: {en: Demo, ko: 데모}
concept: A concept
objectives: [one]
steps:
  - id: first
    title: First
    explain: {file: first.md}
    apply: [web.yaml]
    check:
      - count: {target: {kind: Pod, selector: app=web}, equals: 1}
    solve:
      - apply: web.yaml
"""


def write_lab(tmp_path, text, files=("first.md", "first.ko.md")):
    lab = tmp_path / "labs" / "demo"
    lab.mkdir(parents=True)
    (lab / "lab.yaml").write_text(textwrap.dedent(text))
    for f in files:
        (lab / f).write_text(f"# {f}")
    man = tmp_path / "manifests" / "demo"
    man.mkdir(parents=True)
    (man / "web.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\n")
    return lab / "lab.yaml"


def test_good_lab_loads_and_localizes(tmp_path):
    loaded = load_lab_file(write_lab(tmp_path, GOOD))
    assert loaded.text(loaded.lab.title, "ko") == "데모"
    assert loaded.text(loaded.lab.title, "fr") == "Demo"
    step = loaded.lab.steps[0]
    assert loaded.text(step.explain, "ko") == "# first.ko.md"
    assert loaded.text(step.explain, "en") == "# first.md"


@pytest.mark.parametrize("bad, where, what", [
    (GOOD.replace("objectives: [one]", "objectives: []"), "objectives", "at least 1"),
    (GOOD.replace("equals: 1", "equal: 1"), "steps[0].check[0].count.equal", "unknown field"),
    (GOOD.replace("kind: Pod, ", ""), "steps[0].check[0].count.target.kind", "required field is missing"),
    (GOOD.replace("id: first", "id: First"), "steps[0].id", "pattern"),
    (GOOD.replace("{en: Demo, ko: 데모}", "{ko: 데모}"), "title", "'en'"),
    (GOOD.replace("      - apply: web.yaml\n", "      - apply: web.yaml\n        delete: {kind: Pod}\n"),
     "steps[0].solve[0]", "exactly one of"),
])
def test_malformed_lab_names_file_field_and_expectation(tmp_path, bad, where, what):
    path = write_lab(tmp_path, bad)
    with pytest.raises(LabError) as e:
        load_lab_file(path)
    line = str(e.value).splitlines()[0]
    assert line.startswith(f"{path}: {where}"), line
    assert what in line


def test_invalid_yaml_gives_line_number(tmp_path):
    path = write_lab(tmp_path, GOOD.replace("title: First", "title: [First"))
    with pytest.raises(LabError, match=r"line \d+, column \d+"):
        load_lab_file(path)


def test_missing_manifest_and_markdown_are_load_errors(tmp_path):
    with pytest.raises(LabError, match="markdown file not found"):
        load_lab_file(write_lab(tmp_path, GOOD, files=()))
    (tmp_path / "x").mkdir()
    with pytest.raises(LabError, match="manifest file not found"):
        load_lab_file(write_lab(tmp_path / "x", GOOD.replace("apply: [web.yaml]", "apply: [nope.yaml]")))


def test_id_must_equal_directory(tmp_path):
    with pytest.raises(LabError, match="directory name"):
        load_lab_file(write_lab(tmp_path, GOOD.replace("id: demo", "id: other")))


def test_step_with_check_needs_solve_or_declaration(tmp_path):
    text = GOOD.replace("    solve:\n      - apply: web.yaml\n", "")
    with pytest.raises(LabError, match="check_cannot_fail"):
        load_lab_file(write_lab(tmp_path, text))
    (tmp_path / "y").mkdir()
    ok = text + "    check_cannot_fail: observation only\n"
    assert load_lab_file(write_lab(tmp_path / "y", ok)).lab.steps[0].check_cannot_fail


def test_durations_and_text_forms():
    assert parse_duration("500ms") == 0.5 and parse_duration("2m") == 120 and parse_duration(3) == 3
    with pytest.raises(ValueError):
        parse_duration("soon")
    assert Check.model_validate({"timeout": "90s", "absent": {"target": {"kind": "Pod", "name": "x"}}}).timeout == 90
    assert Text.model_validate("hi").get("ko") == "hi"
