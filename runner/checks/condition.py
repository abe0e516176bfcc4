"""condition: every selected object has status.conditions[type] with the wanted status (and reason)."""
from __future__ import annotations

from typing import Any

from runner.accessors import condition
from runner.checks.base import Result, name_of, refs
from runner.schema import ConditionSpec


def find(obj: dict[str, Any], ctype: str) -> dict[str, Any] | None:
    c = condition(obj, ctype)
    return None if c is None else dict(c)


def evaluate(spec: ConditionSpec, objects: list[dict[str, Any]]) -> Result:
    what = spec.target.describe()
    want = f"{spec.type}={spec.status}" + (f" ({spec.reason})" if spec.reason else "")
    if not objects:
        return Result.failed(f"{what}: not found", [f"expected {what} with condition {want}"])
    details = []
    for obj in objects:
        c = find(obj, spec.type)
        if c is None:
            details.append(f"{name_of(obj)}: condition {spec.type} not present yet")
        elif str(c.get("status")) != spec.status or (spec.reason and c.get("reason") != spec.reason):
            details.append(f"{name_of(obj)}: expected {want}, got {spec.type}={c.get('status')} "
                           f"({c.get('reason')}): {c.get('message', '')}".rstrip(": "))
    if details:
        return Result.failed(f"{what}: {details[0]}", details, refs(objects))
    return Result.passed(f"{what}: {want}", refs(objects))
