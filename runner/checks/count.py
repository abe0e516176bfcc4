"""count: the number of selected objects (optionally only those matching fields) is within bounds. Objects on
their way out (a deletionTimestamp: kubectl shows a pod as Terminating) are not counted: a deleted pod keeps
phase Running until its containers stop, which on a busy node takes its grace period and more."""
from __future__ import annotations

from typing import Any

from runner.accessors import deleting
from runner.checks.base import Result, name_of, refs
from runner.checks.partial import matches
from runner.schema import CountSpec


def bounds_text(spec: CountSpec) -> str:
    if spec.equals is not None:
        return f"exactly {spec.equals}"
    parts = ([f"at least {spec.min}"] if spec.min is not None else []) + \
            ([f"at most {spec.max}"] if spec.max is not None else [])
    return " and ".join(parts)


def evaluate(spec: CountSpec, objects: list[dict[str, Any]]) -> Result:
    live = [o for o in objects if not deleting(o)]
    counted = [o for o in live if spec.fields is None or matches(spec.fields, o)]
    n = len(counted)
    ok = (spec.equals is None or n == spec.equals) and (spec.min is None or n >= spec.min) \
        and (spec.max is None or n <= spec.max)
    what = spec.target.describe()
    gone = len(objects) - len(live)
    summary = f"{what}: {n} counted, expected {bounds_text(spec)}" + (f" ({gone} terminating, not counted)" if gone else "")
    if ok:
        return Result.passed(summary)
    names = ", ".join(name_of(o) for o in counted[:10]) or "none"
    return Result.failed(summary, [f"expected {bounds_text(spec)}, got {n}: {names}"], refs(objects[:5]))
