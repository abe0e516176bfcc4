"""Step `values:`: read a value from an object (pure), render it for ${NAME} substitution.

A value is read with a JMESPath expression from the first selected object (or, with `all: true`,
from each one, giving a JSON list); the first one not being deleted, if there is one: right after
a pod was deleted it may still be listed, terminating, and a step that acts on "a pod" means a live one.
Strings are inserted as they are, anything else as JSON, so
`${OLD_IPS}` fits in a JMESPath literal: ``contains(`${OLD_IPS}`, ...)``.
"""
from __future__ import annotations

import json
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError

from runner.accessors import name as obj_name
from runner.schema import ValueSpec


class ValueMissing(Exception):
    """A value a check needs cannot be read; str() says which and why (shown as the check's failure)."""


def render(v: Any) -> str:
    if isinstance(v, str):
        return v
    return json.dumps(v, separators=(",", ":"))


def read(name: str, spec: ValueSpec, objects: list[dict[str, Any]]) -> str:
    """The value of `name` from the target's objects, or ValueMissing with the reason."""
    what = spec.target.describe()
    if not objects:
        raise ValueMissing(f"value {name}: {what} not found (needed to read {spec.expr})")
    try:
        if spec.all:
            return render([jmespath.search(spec.expr, o) for o in objects])
        first = next((o for o in objects if not (o.get("metadata") or {}).get("deletionTimestamp")), objects[0])
        got = jmespath.search(spec.expr, first)
    except JMESPathError as e:
        raise ValueMissing(f"value {name}: expression {spec.expr!r} is invalid: {e}") from None
    if got is None or got == "":
        who = obj_name(first)
        raise ValueMissing(f"value {name}: {spec.expr} is empty on {spec.target.kind}/{who}")
    return render(got)
