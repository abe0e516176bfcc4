"""${NAMESPACE} / ${LAB} / ${LEARNER} substitution in any YAML-shaped value (strings only, recursively)."""
from __future__ import annotations

import re
from typing import Any

_VAR = re.compile(r"\$\{([A-Z_]+)\}")


def substitute(value: Any, variables: dict[str, str]) -> Any:
    if isinstance(value, str):
        # unknown variables are left as written: a manifest may legitimately contain ${FOO} for a shell
        return _VAR.sub(lambda m: variables.get(m.group(1), m.group(0)), value)
    if isinstance(value, dict):
        return {substitute(k, variables): substitute(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, variables) for v in value]
    return value


def substitute_model(model: Any, variables: dict[str, str]) -> Any:
    """A copy of a pydantic model with placeholders replaced (validated again, so types stay right)."""
    data = model.model_dump(by_alias=True, exclude_unset=True)
    return type(model).model_validate(substitute(data, variables))


def namespace_for(lab_id: str, learner: str | None) -> str:
    """lab-<id>[-<learner>], cut to a valid DNS label (63 chars)."""
    base = f"lab-{lab_id}" + (f"-{learner}" if learner else "")
    base = re.sub(r"[^a-z0-9-]", "-", base.lower())
    return base[:63].rstrip("-")
