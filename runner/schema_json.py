"""JSON Schema of lab.yaml, generated from the pydantic models in runner/schema.py.

pydantic describes what a model *stores*; a lab author writes the shorter forms its "before" validators
accept (a string for a text, a file name for an apply, "30s" for a duration). Those shapes are patched in
here, so the schema accepts exactly what the loader accepts. Regenerate with `make schema`
(python -m runner.schema_json); tests/unit/test_schema_json.py fails when the committed file is stale.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from runner import schema as models
from runner.limits import MAX_SECONDS
from runner.schema_base import _DURATION
from runner.schema_checks import NO_ANSWER

_LANG_MAP = {"type": "object", "required": ["en"], "minProperties": 1,
             "propertyNames": {"not": {"const": "file"}},
             "additionalProperties": {"type": "string"},
             "description": "a language map: {en: ..., ko: ...}; en is the fallback"}
_FILE = {"type": "object", "required": ["file"], "additionalProperties": False,
         "properties": {"file": {"type": "string", "description": "markdown file in the lab folder; "
                                 "for language L the runner prefers <name>.L.md"}}}

# The author-facing shape of every model that coerces its input ("before" model validators).
_SHORT_FORMS: dict[str, Any] = {
    "Text": lambda full: {"description": "text: a string (English), a language map {en: ..., ko: ...} or {file: x.md}",
                          "anyOf": [{"type": "string"}, _LANG_MAP, _FILE]},
    "Expr": lambda full: {"description": full.get("description", ""),
                          "anyOf": [{"type": "string"}, _without(full, "has_equals")]},
    "ApplySpec": lambda full: {"description": full.get("description", ""),
                               "anyOf": [{"type": "string", "description": "a file in the lab's manifests folder"},
                                         full]},
    "Task": lambda full: {"anyOf": [{"$ref": "#/$defs/Text"}, full]},
    "HttpSpec": lambda full: _with_prop_alternatives(full, "no_answer", [{"type": "boolean"}, {"enum": list(NO_ANSWER)}]),
}

# Models where exactly one of these keys must be given (the "one key names the kind" layout).
_ONE_OF_KEYS = {"Check": models.CHECK_KINDS, "Action": models.ACTION_KINDS}


def _without(schema: dict[str, Any], prop: str) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(schema))
    out.get("properties", {}).pop(prop, None)
    if prop in out.get("required", []):
        out["required"].remove(prop)
    return out


def _with_prop_alternatives(schema: dict[str, Any], prop: str, alternatives: list[Any]) -> dict[str, Any]:
    """A property that also takes shorter forms (e.g. no_answer: true or one reason)."""
    out: dict[str, Any] = json.loads(json.dumps(schema))
    if prop in out.get("properties", {}):
        old = out["properties"][prop]
        out["properties"][prop] = {"anyOf": [*old.get("anyOf", [old]), *alternatives]}
    return out


def _models() -> dict[str, type[BaseModel]]:
    """Every model of the lab schema by class name (runner/schema*.py)."""
    found: dict[str, type[BaseModel]] = {}
    for module in (models, *(m for n, m in sorted(sys.modules.items()) if n.startswith("runner.schema_"))):
        found |= {n: m for n, m in vars(module).items() if isinstance(m, type) and issubclass(m, BaseModel) and m is not BaseModel}
    return found


def _duration_fields(model: type[BaseModel]) -> set[str]:
    """Field names (by alias) parsed by schema_base._dur_validator: they take "30s" as well as numbers."""
    out: set[str] = set()
    for dec in model.__pydantic_decorators__.field_validators.values():
        if getattr(dec.func, "__qualname__", "").startswith("_dur_validator."):
            for name in dec.info.fields:
                out.add(model.model_fields[name].alias or name)
    return out


def _coercing_models() -> set[str]:
    return {name for name, m in _models().items()
            if any(d.info.mode == "before" for d in m.__pydantic_decorators__.model_validators.values())}


def _duration(prop: dict[str, Any]) -> dict[str, Any]:
    dur: dict[str, Any] = {"anyOf": [{"type": "number", "exclusiveMinimum": 0, "maximum": MAX_SECONDS},
                                     {"type": "string", "pattern": _DURATION.pattern}],
           "description": "a duration: 500ms, 30s, 2m, 1h or a number of seconds"}
    if "default" in prop:
        dur["default"] = prop["default"]
    if any(alt.get("type") == "null" for alt in prop.get("anyOf", [])):
        dur["anyOf"].append({"type": "null"})
    return dur


def generate() -> dict[str, Any]:
    schema = models.Lab.model_json_schema(mode="validation", by_alias=True)
    defs: dict[str, Any] = schema["$defs"]
    unknown = _coercing_models() - set(_SHORT_FORMS)
    if unknown:
        raise RuntimeError(f"runner/schema_json.py: give the author-facing JSON shape of {sorted(unknown)} "
                           "(their before-validators accept input the generated schema does not describe)")
    all_models = _models()
    for name, d in list(defs.items()) + [("Lab", schema)]:
        for field in _duration_fields(all_models[name]) if name in all_models else ():
            d["properties"][field] = _duration(d["properties"][field])
        if name in _ONE_OF_KEYS:
            d["oneOf"] = [{"required": [k]} for k in _ONE_OF_KEYS[name]]
    for name, short in _SHORT_FORMS.items():
        if name in defs:
            defs[name] = short(defs[name])
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema",
              "title": "kubelab lab (labs/<id>/lab.yaml)",
              "description": "Generated from runner/schema.py by `make schema`; format: docs/lab-format.md",
              **{k: v for k, v in schema.items() if k != "title"}}
    return schema


def render() -> str:
    return json.dumps(generate(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else Path(__file__).resolve().parent.parent / "schema" / "lab.schema.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(), encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
