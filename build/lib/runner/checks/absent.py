"""absent: no selected object exists, or (with fields) none of them matches."""
from __future__ import annotations

from typing import Any

from runner.checks.base import Result, name_of, refs
from runner.checks.partial import matches
from runner.schema import AbsentSpec


def evaluate(spec: AbsentSpec, objects: list[dict[str, Any]]) -> Result:
    what = spec.target.describe()
    offending = [o for o in objects if spec.fields is None or matches(spec.fields, o)]
    if not offending:
        return Result.passed(f"{what}: absent" if spec.fields is None else f"{what}: none matches")
    names = ", ".join(name_of(o) for o in offending[:5])
    why = "still exists" if spec.fields is None else f"matches {spec.fields}"
    return Result.failed(f"{what}: {names} {why}",
                         [f"expected no {spec.target.kind} {'' if spec.fields is None else 'matching the fields '}"
                          f"but found {len(offending)}: {names}"], refs(offending))
