"""${NAMESPACE} / ${LAB} / ${LEARNER} (and step values) substitution in any YAML-shaped value.

`$${NAME}` is the escape for a literal `${NAME}`. Step specs are substituted twice (once when the
step is loaded, once more with the values read from objects when a check runs), so only the last
pass (`final=True`) turns `$${NAME}` into `${NAME}`; earlier passes keep the escape as written.
"""
from __future__ import annotations

import re
from typing import Any

_VAR = re.compile(r"\$(\$?)\{([A-Z_][A-Z0-9_]*)\}")
NUMERIC = ("NODE_PORT",)   # alone as a YAML value these become numbers (nodePort: ${NODE_PORT})


def substitute(value: Any, variables: dict[str, str], final: bool = True) -> Any:
    if isinstance(value, str):
        whole = _VAR.fullmatch(value)
        if whole and not whole.group(1) and whole.group(2) in NUMERIC and str(variables.get(whole.group(2), "")).isdigit():
            return int(variables[whole.group(2)])

        def repl(m: re.Match[str]) -> str:
            if m.group(1):                       # $${NAME}: literal
                return m.group(0)[1:] if final else m.group(0)
            # unknown variables are left as written: a manifest may legitimately contain ${FOO} for a shell
            return variables.get(m.group(2), m.group(0))
        return _VAR.sub(repl, value)
    if isinstance(value, dict):
        return {substitute(k, variables, final): substitute(v, variables, final) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, variables, final) for v in value]
    return value


def names_in(value: Any) -> set[str]:
    """The ${NAME}s a value refers to (escaped ones excluded)."""
    if isinstance(value, str):
        return {m.group(2) for m in _VAR.finditer(value) if not m.group(1)}
    if isinstance(value, dict):
        return set().union(*(names_in(k) | names_in(v) for k, v in value.items())) if value else set()
    if isinstance(value, list):
        return set().union(*(names_in(v) for v in value)) if value else set()
    return set()


def substitute_model(model: Any, variables: dict[str, str], final: bool = True) -> Any:
    """A copy of a pydantic model with placeholders replaced (validated again, so types stay right)."""
    data = model.model_dump(by_alias=True, exclude_unset=True)
    return type(model).model_validate(substitute(data, variables, final))


def namespace_for(lab_id: str, learner: str | None) -> str:
    """lab-<id>[-<learner>], cut to a valid DNS label (63 chars)."""
    base = f"lab-{lab_id}" + (f"-{learner}" if learner else "")
    base = re.sub(r"[^a-z0-9-]", "-", base.lower())
    return base[:63].rstrip("-")
