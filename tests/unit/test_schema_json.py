"""schema/lab.schema.json: current with runner/schema.py, and a standard validator accepts every lab."""
from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from runner.schema_json import render

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "schema" / "lab.schema.json"
LABS = sorted([*ROOT.glob("labs/*/lab.yaml"), *ROOT.glob("tests/fixtures/*labs/*/lab.yaml")])
MODELINE = "# yaml-language-server: $schema="
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)      # libyaml when there: the same data, faster


@functools.cache       # checking the schema against its meta-schema is the slow part: once per run
def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def test_committed_schema_is_current() -> None:
    assert SCHEMA.read_text(encoding="utf-8") == render(), "schema/lab.schema.json is stale: run `make schema`"


def test_there_are_labs_to_validate() -> None:
    assert len(LABS) >= 5


@pytest.mark.parametrize("lab", LABS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_lab_validates_against_the_schema(lab: Path) -> None:
    errors = [f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
              for e in validator().iter_errors(yaml.load(lab.read_text(encoding="utf-8"), Loader=LOADER))]
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("lab", LABS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_lab_names_the_schema_for_editors(lab: Path) -> None:
    first = lab.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith(MODELINE), f"{lab}: first line should be '{MODELINE}<relative path>'"
    assert (lab.parent / first.removeprefix(MODELINE)).resolve() == SCHEMA


def _pod_lab() -> dict:
    return yaml.load((ROOT / "labs/pod/lab.yaml").read_text(encoding="utf-8"), Loader=LOADER)


@pytest.mark.parametrize("breakage", [
    lambda lab: lab["steps"][0].setdefault("chek", []),                      # a typo'd key
    lambda lab: lab["steps"][0].update(id="Not Valid"),                      # id pattern
    lambda lab: lab.update(title={"ko": "영어 없음"}),                         # a language map without en
    lambda lab: lab.update(defaults={"timeout": "soon"}),                    # not a duration
    lambda lab: lab["steps"][0]["check"].append({"name": "two kinds", "count": {"target": {"kind": "Pod"}, "min": 1},
                                                 "absent": {"target": {"kind": "Pod"}}}),
])
def test_schema_rejects_what_the_loader_rejects(breakage) -> None:  # noqa: ANN001
    from pydantic import ValidationError

    from runner.schema import Lab
    lab = _pod_lab()
    breakage(lab)
    assert list(validator().iter_errors(lab))
    with pytest.raises(ValidationError):
        Lab.model_validate(lab)


def test_schema_accepts_the_short_forms() -> None:
    lab = {"id": "x", "title": "T", "concept": {"en": "c", "ko": "개념"}, "objectives": [{"file": "o.md"}],
           "defaults": {"timeout": "90s"},
           "steps": [{"id": "a", "title": "A", "apply": ["web.yaml"], "task": "Do it",
                      "check": [{"timeout": "500ms", "match": {"target": {"kind": "Pod", "name": "p"},
                                                                 "expr": ["status.phase == 'Running'"]}}],
                      "solve": [{"apply": "web.yaml"}, {"wait": {"seconds": 2}}]}]}
    assert not list(validator().iter_errors(lab))
