"""match: the selected object(s) satisfy a partial object and JMESPath expressions."""
from __future__ import annotations

from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError

from runner.checks.base import Result, name_of, refs
from runner.checks.partial import _scalar_equal, mismatches, unified_diff
from runner.schema import Expr, MatchSpec


def eval_expr(e: Expr, obj: dict[str, Any]) -> tuple[bool, str]:
    """(ok, explanation) for one expression on one object."""
    try:
        value = jmespath.search(e.expr, obj)
    except JMESPathError as err:
        return False, f"expression {e.expr!r} is invalid: {err}"
    if e.has_equals:
        ok = _scalar_equal(e.equals, value) if not isinstance(e.equals, (dict, list)) else e.equals == value
        return ok, f"{e.expr}: expected {e.equals!r}, got {value!r}"
    return bool(value), f"{e.expr}: expected true, got {value!r}"


def problems_said(spec_fields: dict[str, Any] | None, exprs: list[Expr],
                  obj: dict[str, Any]) -> list[tuple[str, str]]:
    """(what the summary says, what the details say) per problem: an expression's `says` words, else
    the expression itself; the details always keep the expression and its value."""
    lines = [(m.line(), m.line()) for m in mismatches(spec_fields, obj)] if spec_fields else []
    for e in exprs:
        ok, why = eval_expr(e, obj)
        if not ok:
            lines.append((e.says or why, f"{e.says} ({why})" if e.says else why))
    return lines


def object_problems(spec_fields: dict[str, Any] | None, exprs: list[Expr], obj: dict[str, Any]) -> list[str]:
    return [detail for _, detail in problems_said(spec_fields, exprs, obj)]


def evaluate(spec: MatchSpec, objects: list[dict[str, Any]]) -> Result:
    what = spec.target.describe()
    if not objects:
        return Result.failed(f"{what}: not found", [f"expected {what} to exist"])
    details: list[str] = []
    bad = []
    for obj in objects:
        problems = object_problems(spec.fields, spec.expr, obj)
        if problems:
            bad.append(obj)
            details.append(f"{obj.get('kind', spec.target.kind)}/{name_of(obj)}:")
            details += [f"  {p}" for p in problems]
            if spec.fields:
                details += [f"  {line}" for line in unified_diff(spec.fields, obj, name_of(obj))]
    if bad:
        first = problems_said(spec.fields, spec.expr, bad[0])[0][0]
        more = f" (and {len(bad) - 1} more objects)" if len(bad) > 1 else ""
        return Result.failed(f"{spec.target.kind}/{name_of(bad[0])}: {first}{more}", details, refs(bad))
    return Result.passed(f"{what}: matches ({len(objects)} object{'s' if len(objects) != 1 else ''})", refs(objects))
